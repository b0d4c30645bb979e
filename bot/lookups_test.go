package bot

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// TestProcessorDecidesWhatNeedsNoLookupWhileLookupsHang: the issuer's
// enrollment endpoint hangs far past the test. Two buys by DM need a
// look-up; a help, an orders and a cancel do not, and are decided at once,
// in the first steps, without any issuer call. The buyers' messages wait,
// her later help included (a cardholder's messages keep their order), and
// each buyer is looked up once, however many steps run.
func TestProcessorDecidesWhatNeedsNoLookupWhileLookupsHang(t *testing.T) {
	const timeout = time.Minute
	now := time.Now().UTC()
	msgs := []conversations.Inbound{
		dmIn(100, 1, "#BuyGiftCard", now),
		dmIn(101, 1, "help", now), // after her buy: waits for it
		dmIn(102, 2, "help", now),
		dmIn(103, 3, "#BuyGiftCard", now),
		dmIn(104, 4, "orders", now),
		dmIn(105, 5, "cancel", now),
	}
	p, db, sb := lookupProcessor(t, now, timeout, msgs)
	sb.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/enrollments", Hang: time.Hour, Status: 503, Times: 1000})

	start := time.Now()
	runSteps(t, p)
	if got, want := inboxStates(t, db), "pending pending done pending done done"; got != want {
		t.Fatalf("after the steps: %s; want %s", got, want)
	}
	if d := time.Since(start); d > timeout/2 {
		t.Errorf("the steps took %s: they waited for the hanging look-ups", d)
	}
	waitUntil(t, "two look-ups to reach the issuer", func() bool { return len(enrollmentCalls(sb)) == 2 })
	for range 3 {
		runSteps(t, p)
	}
	calls := enrollmentCalls(sb)
	slices.Sort(calls)
	if len(calls) != 2 || calls[0] != "1" || calls[1] != "3" {
		t.Errorf("enrollment look-ups for users %v; want one each for the two buyers, 1 and 3", calls)
	}
	if got, want := inboxStates(t, db), "pending pending done pending done done"; got != want {
		t.Errorf("after more steps: %s; want %s", got, want)
	}
}

// TestProcessorDecidesABuyOnceItsLookupIsIn: the issuer answers, slowly.
// The first steps start the buyer's look-up and decide the message that
// needs none; her buy is decided once the answer is in, and only then her
// later help, so that her messages keep their order.
func TestProcessorDecidesABuyOnceItsLookupIsIn(t *testing.T) {
	now := time.Now().UTC()
	msgs := []conversations.Inbound{
		dmIn(100, 1, "#BuyGiftCard", now),
		dmIn(101, 1, "help", now),
		dmIn(102, 2, "help", now),
	}
	p, db, sb := lookupProcessor(t, now, 10*time.Second, msgs)
	sb.Enroll(issuersandbox.Enrollment{TwitterUserID: "1", Cardholder: "chd_1", CardLast4: "1001", CardBrand: "amex", Status: "active"})
	sb.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/enrollments", Hang: 500 * time.Millisecond}) // then answered

	runSteps(t, p)
	if got, want := inboxStates(t, db), "pending pending done"; got != want {
		t.Fatalf("after the first steps: %s; want %s", got, want)
	}
	var seen []string
	waitUntil(t, "everything decided", func() bool {
		runSteps(t, p)
		s := inboxStates(t, db)
		if len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		return s == "done done done"
	})
	for _, s := range seen {
		if s == "pending done done" {
			t.Fatalf("states went %q: her help was decided before her buy", seen)
		}
	}
	if got := enrollmentCalls(sb); len(got) != 1 {
		t.Errorf("enrollment look-ups for users %v; want one, for the buyer", got)
	}
	orders, err := db.Orders(context.Background(), storage.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].State != conversations.Pending {
		t.Errorf("orders = %+v; want the buyer's pending request", orders)
	}
}

// lookupProcessor returns a processor on a new database at now, with
// msgs in its inbox as a poll stores them and both cursors set, that
// looks enrollments up at an issuer sandbox (returned) over HTTP with the
// given timeout; its look-ups are abandoned when the test ends.
func lookupProcessor(t *testing.T, now time.Time, timeout time.Duration, msgs []conversations.Inbound) (*processor, *storage.DB, *issuersandbox.Server) {
	t.Helper()
	sb := issuersandbox.New(issuersandbox.Options{APIKey: "sk_test"})
	url, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	db := inboxWith(t, now, msgs)
	cfg := &config.Config{Privacy: config.PrivacyPublic}
	cfg.Confirmation.Window = 15 * time.Minute
	cfg.Issuer.Timeout = timeout
	cfg.Offers = []config.Offer{{ID: "gift-card", Title: "Gift Card", BuyHashtag: "BuyGiftCard", ConfirmHashtag: "ConfirmGiftCard",
		Price: 2500, Currency: "USD", Merchant: "mer_giftco", PerUserLimit: 2}}
	p := processorOn(t, db, newSettings(cfg), issuer.New(url, "sk_test", timeout), now, slog.New(slog.NewTextHandler(&testkit.Buffer{}, nil)))
	return p, db, sb
}

func dmIn(id, user int64, text string, at time.Time) conversations.Inbound {
	in := conversations.Inbound{Channel: conversations.DM, ID: id, UserID: user, Text: text, PostedAt: at}
	if strings.HasPrefix(text, "#") {
		in.Hashtags = []string{text[1:]}
	}
	return in
}

// runSteps steps the processor until it has nothing to do now.
func runSteps(t *testing.T, p *processor) {
	t.Helper()
	for range 100 {
		busy, _, err := p.step()
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	t.Fatal("the processor is still busy after 100 steps")
}

// inboxStates lists the inbox's states, oldest message first.
func inboxStates(t *testing.T, db *storage.DB) string {
	t.Helper()
	all, err := db.Inbox(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, m := range all {
		s = append(s, m.State)
	}
	return strings.Join(s, " ")
}

// enrollmentCalls returns the users whose enrollment was asked for, in
// the order asked.
func enrollmentCalls(sb *issuersandbox.Server) []string {
	var users []string
	for _, q := range sb.Requests() {
		if u, ok := strings.CutPrefix(q.Path, "/v1/enrollments/twitter/"); ok {
			users = append(users, u)
		}
	}
	return users
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
