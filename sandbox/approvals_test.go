package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/issuer"
)

// askApproval is a purchase of p's that asks the cardholder's approval,
// made as the bot makes it: POSTed with "approval": "required" through
// the issuer client to the sandbox's issuer. It returns the issuer's 202.
func askApproval(t *testing.T, s *sandbox, p *person, amount int64, title string) issuer.Purchase {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := orders.Add(1)
	c := issuer.New(s.iss.URL(), sandboxIssuerKey, 10*time.Second)
	pu, err := c.CreatePurchase(ctx, fmt.Sprintf("test-approval-%d", n), issuer.PurchaseRequest{
		Cardholder: s.cardholderOf(p), Merchant: "mer_amazon", Amount: amount, Currency: "USD", Description: title,
		Reference: fmt.Sprintf("ord_approval%d", n), Approval: issuer.ApprovalRequired,
		Metadata: map[string]string{"twitter_user_id": p.idString(), "risk": "amount,account_age"},
	})
	if err != nil {
		t.Fatalf("POST a purchase of @%s's that needs approval: %v", p.ScreenName, err)
	}
	if pu.Status != issuer.PurchaseApprovalPending || pu.Approval.Channel != issuer.ApprovalChannelApp {
		t.Fatalf("the issuer answered %+v, want pending_approval by app", pu)
	}
	return pu
}

var orders atomic.Int64

// issuerState is the purchase's status and decline code, as the issuer
// client reads them from the sandbox's issuer: what the bot will learn.
func issuerState(t *testing.T, s *sandbox, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pu, err := issuer.New(s.iss.URL(), sandboxIssuerKey, 10*time.Second).GetPurchase(ctx, id)
	if err != nil {
		t.Fatalf("GET purchase %s: %v", id, err)
	}
	if pu.DeclineCode != "" {
		return pu.Status + " " + pu.DeclineCode
	}
	return pu.Status
}

// fakeClock is the issuer's clock in a test that watches an approval
// expire.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestPhoneOnThePage plays the cardholders' phones on the web page: a
// pending approval shows with who, how much, for what, by which channel
// and the time left; Approve and Decline settle it at the issuer (what
// the bot reads over the API), the page says what came of it and lists it
// among the settled; another site cannot press the buttons; and an
// approval left unanswered expires on the page.
func TestPhoneOnThePage(t *testing.T) {
	clock := &fakeClock{now: time.Now().Truncate(time.Second)}
	s, out := startServingWith(t, Options{issuer: func(o *issuersandbox.Options) { o.Clock = clock.Now }})
	alice, bob := s.people[0], s.people[1]
	page := get(t, s.webURL+"/")
	if !strings.Contains(page, "Cardholder's phone") || !strings.Contains(page, "Nothing to approve") {
		t.Errorf("the page has no idle phone panel")
	}

	before := get(t, s.webURL+"/version")
	pu := askApproval(t, s, bob, 89900, "Kindle Fire HD")
	if after := get(t, s.webURL+"/version"); after == before {
		t.Errorf("the version stayed %s when an approval started waiting", after)
	}
	page = get(t, s.webURL+"/?as=bob")
	for _, want := range []string{
		pu.ID, "<b>@bob</b>", "899.00 USD", "Kindle Fire HD", "by app", ">5m 00s</span> left", "why: amount, account_age",
		`formaction="/approve"`, `formaction="/decline"`, `name="purchase" value="` + pu.ID + `"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the phone panel lacks %q", want)
		}
	}

	// Another site's page cannot approve it: refused before it is looked at.
	form := url.Values{"purchase": {pu.ID}}
	for _, header := range []map[string]string{{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, nil} {
		for _, path := range []string{"/approve", "/decline"} {
			if got := status(t, "POST", s.webURL+path, "", form, header); got != http.StatusForbidden {
				t.Errorf("POST %s with %v = %d, want 403", path, header, got)
			}
		}
	}
	if got := issuerState(t, s, pu.ID); got != issuer.PurchaseApprovalPending {
		t.Fatalf("after refused requests the purchase is %s, want still pending", got)
	}

	// bob approves: the card is charged, and the page says so.
	before = get(t, s.webURL+"/version")
	page = post(t, s.webURL+"/approve", url.Values{"purchase": {pu.ID}, "as": {"bob"}})
	if got := issuerState(t, s, pu.ID); got != issuer.PurchaseApproved {
		t.Errorf("after Approve the purchase is %s", got)
	}
	if !strings.Contains(page, "flash note") || !strings.Contains(page, "@bob approved purchase "+pu.ID+" (899.00 USD for Kindle Fire HD): the issuer charged the card.") {
		t.Errorf("the page does not say bob approved")
	}
	if !strings.Contains(page, `class="settled muted"><b>@bob</b> 899.00 USD <span class="id">`+pu.ID+`</span> <span class="status-ok">approved</span>`) ||
		strings.Contains(page, `value="`+pu.ID+`"`) || !strings.Contains(page, `value="bob" checked`) {
		t.Errorf("the page does not list bob's approval as settled, offers it still, or forgot whom it plays")
	}
	if after := get(t, s.webURL+"/version"); after == before {
		t.Errorf("the version stayed %s when an approval was answered", after)
	}
	// The terminal says it too: the phone, and the issuer's purchase moving.
	waitFor(t, func() bool {
		return strings.Contains(out.String(), "phone: @bob approved purchase "+pu.ID) &&
			strings.Contains(out.String(), "issuer: purchase "+pu.ID+" approved, 899.00 USD on @bob's card")
	}, "the terminal to show bob's approval:\n"+out.String())

	// A second answer to it is refused with what it is now.
	page = post(t, s.webURL+"/decline", url.Values{"purchase": {pu.ID}})
	if !strings.Contains(page, "flash err") || !strings.Contains(page, "purchase "+pu.ID+" is not waiting for approval: it is approved") {
		t.Errorf("declining an approved purchase does not say why not")
	}

	// alice declines hers: nothing is charged.
	pa := askApproval(t, s, alice, 150000, "Echo Dot")
	page = post(t, s.webURL+"/decline", url.Values{"purchase": {pa.ID}})
	if got := issuerState(t, s, pa.ID); got != "declined approval_declined" {
		t.Errorf("after Decline the purchase is %s", got)
	}
	if !strings.Contains(page, "@alice declined purchase "+pa.ID+" (1500.00 USD for Echo Dot): nothing was charged.") ||
		!strings.Contains(page, `status-bad">declined (approval declined)`) {
		t.Errorf("the page does not say alice declined")
	}

	// Left unanswered, an approval expires: the page's version changes,
	// and the phone lists it as expired.
	pe := askApproval(t, s, bob, 50000, "Kindle Fire HD")
	before = get(t, s.webURL+"/version")
	clock.advance(sandboxApprovalTTL)
	if after := get(t, s.webURL+"/version"); after == before {
		t.Errorf("the version stayed %s when an approval expired", after)
	}
	page = get(t, s.webURL+"/")
	if strings.Contains(page, `value="`+pe.ID+`"`) || !strings.Contains(page, pe.ID+`</span> <span class="status-bad">declined (approval expired)`) {
		t.Errorf("the expired approval is still offered, or not listed as expired")
	}
	if got := issuerState(t, s, pe.ID); got != "declined approval_expired" {
		t.Errorf("the unanswered purchase is %s", got)
	}
	page = post(t, s.webURL+"/approve", url.Values{"purchase": {pe.ID}})
	if !strings.Contains(page, "it is declined (approval expired)") {
		t.Errorf("approving an expired purchase does not say it expired")
	}
}

// TestPhoneAtThePrompt plays the phones with the prompt's commands:
// approvals lists them; approve and decline take an id, its first letters
// (with or without "pur_", in any case), a cardholder, or nothing when one
// waits; and each says why when it cannot.
func TestPhoneAtThePrompt(t *testing.T) {
	s, out := startServing(t)
	alice, bob := s.people[0], s.people[1]
	run := func(line string) string {
		t.Helper()
		mark := len(out.String())
		s.execute(line)
		return out.String()[mark:]
	}
	expect := func(line string, wants ...string) {
		t.Helper()
		got := run(line)
		for _, want := range wants {
			if !strings.Contains(got, want) {
				t.Errorf("%q printed:\n%s\nwant %q in it", line, got, want)
			}
		}
	}
	expect("approvals", "(no purchase is waiting for a cardholder's approval)")
	expect("approve", "no purchase is waiting for approval")
	if !strings.Contains(s.helpText(), "approve [ID|bob]") || !strings.Contains(s.helpText(), "approvals") {
		t.Errorf("the help does not list the phone's commands:\n%s", s.helpText())
	}

	pb := askApproval(t, s, bob, 89900, "Kindle Fire HD")
	pa := askApproval(t, s, alice, 2500, "$25 Gift Card")
	expect("approvals", "Waiting for the cardholder's approval", pb.ID, "@bob", "899.00 USD", "Kindle Fire HD", "by app, ", "s left", "why: amount, account_age", pa.ID, "@alice")
	expect("approve", "2 purchases are waiting for approval ("+pb.ID+", "+pa.ID+"): say which")
	expect("approve pur_", "could be any of "+pb.ID+", "+pa.ID)
	expect("approve carol", "no purchase of @carol is waiting for approval")
	expect("decline pur_ZZZZ", `no purchase "pur_ZZZZ" is waiting for approval; waiting: `+pb.ID)

	expect("approve @Bob", "phone: @bob approved purchase "+pb.ID+" (899.00 USD for Kindle Fire HD): the issuer charged the card.")
	if got := issuerState(t, s, pb.ID); got != issuer.PurchaseApproved {
		t.Errorf("after approve @Bob bob's purchase is %s", got)
	}
	expect("decline "+pb.ID, "purchase "+pb.ID+" is not waiting for approval: it is approved")

	// Now that alice's is the only one, its first letters, without pur_ and
	// in lower case, name it; and so would nothing at all.
	expect("deny "+strings.ToLower(strings.TrimPrefix(pa.ID, "pur_")[:3]), "phone: @alice declined purchase "+pa.ID+" (25.00 USD for $25 Gift Card): nothing was charged.")
	if got := issuerState(t, s, pa.ID); got != "declined approval_declined" {
		t.Errorf("after deny alice's purchase is %s", got)
	}
	expect("approvals", "(no purchase is waiting", "Answered or expired lately, newest first:", pa.ID, "declined (approval declined)", pb.ID, "approved")
	// The terminal shows each purchase waiting, then moving.
	expect("purchases", "issuer: purchase "+pb.ID+" approved", "issuer: purchase "+pa.ID+" declined (approval_declined)")
	waitFor(t, func() bool {
		return strings.Contains(out.String(), "issuer: purchase "+pb.ID+" pending_approval, 899.00 USD on @bob's card") &&
			strings.Contains(out.String(), "@bob's phone (app) asks to approve it by ")
	}, "the terminal to show bob's purchase waiting:\n"+out.String())
}

// TestPhoneFromStdin: "approve" alone, typed at the prompt, approves the
// one purchase waiting.
func TestPhoneFromStdin(t *testing.T) {
	out := &syncBuffer{}
	var s *sandbox
	var pu issuer.Purchase
	err := Run(context.Background(), Options{ConfigYAML: exampleYAML(t), Listen: "127.0.0.1:0", Stdout: out, Once: true,
		Stdin: strings.NewReader("approvals\napprove\n"),
		started: func(sb *sandbox) {
			s = sb
			pu = askApproval(t, s, s.people[1], 89900, "Kindle Fire HD")
		}})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	// The sandbox has stopped: its issuer is read directly.
	if ps := s.iss.Purchases(); len(ps) != 1 || ps[0].ID != pu.ID || ps[0].Status != issuersandbox.StatusApproved {
		t.Errorf("after approve the purchases are %+v\noutput:\n%s", ps, out)
	}
	if !strings.Contains(out.String(), "Waiting for the cardholder's approval") || !strings.Contains(out.String(), "phone: @bob approved purchase "+pu.ID) {
		t.Errorf("the output lacks the listing or the approval:\n%s", out)
	}
}

// TestDemoApprove: the demo's step over the approval threshold waits for
// its cardholder's purchase to wait for approval (not another's), and
// approves it.
func TestDemoApprove(t *testing.T) {
	s, out := startServing(t)
	alice, bob := s.people[0], s.people[1]
	type result struct {
		p   issuersandbox.Purchase
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := s.demoApprove(alice)
		done <- result{p, err}
	}()
	pb := askApproval(t, s, bob, 89900, "Kindle Fire HD")
	pa := askApproval(t, s, alice, 89900, "Kindle Fire HD")
	r := <-done
	if r.err != nil || r.p.ID != pa.ID || r.p.Status != issuersandbox.StatusApproved {
		t.Fatalf("demoApprove = %+v, %v; want alice's %s approved", r.p, r.err, pa.ID)
	}
	if got := issuerState(t, s, pb.ID); got != issuer.PurchaseApprovalPending {
		t.Errorf("bob's purchase is %s, want left waiting", got)
	}
	for _, want := range []string{"Alice's phone: the issuer's app asks @alice to approve purchase " + pa.ID + " of 899.00 USD", "phone: @alice approved purchase " + pa.ID} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
}
