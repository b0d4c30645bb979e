package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
)

// setPaused is `paybytweet pause` (or resume): it throws the switch in the
// database beside the running daemon, as the command does, and lets a few
// seconds pass on the daemon's clock ("within seconds").
func (r *rig) setPaused(paused bool) {
	r.t.Helper()
	db, err := storage.Open(r.cfg.Storage.Path, r.clock.Now)
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SetPaused(context.Background(), paused, r.clock.Now()); err != nil {
		r.t.Fatal(err)
	}
	r.clock.Advance(5 * time.Second)
}

// pausedAnswer checks that msg was answered once, in reply, that
// purchases are paused.
func (r *rig) pausedAnswer(msg twitteremu.Tweet) {
	r.t.Helper()
	rep := r.reply(msg.ID)
	if k := r.kindOf(conversations.Tweet, rep.ID); k != string(messages.Paused) {
		r.t.Errorf("%q was answered %s %q, want %s", msg.Text, k, rep.Text, messages.Paused)
	}
	mustContain(r.t, "paused answer", rep.Text, "paused")
}

// TestPauseStopsAllCharging: while paused, a buy is answered that
// purchases are paused and reserves nothing; a confirmation is answered
// alike and charges nothing; the switch survives a restart; after resume
// a new confirmation of the same request is charged.
func TestPauseStopsAllCharging(t *testing.T) { eachAPI(t, testPauseStopsAllCharging) }

func testPauseStopsAllCharging(t *testing.T, api string) {
	r := newRig(t, api, withRisk(nil))
	req, ref := r.ask(alice, "#BuyGiftCard") // asked before the pause
	r.setPaused(true)

	buy := r.say(bob, "#BuyKindleFireHD")
	r.answer(buy)
	r.settle()
	r.pausedAnswer(buy)
	if n := r.reserved("kindle-fire-hd"); n != 0 {
		t.Errorf("a buy while paused reserved %d units", n)
	}

	confirm := r.say(alice, "#ConfirmGiftCard", req.ID)
	r.answer(confirm)
	r.settle()
	r.pausedAnswer(confirm)
	r.noPurchases(alice)
	if posts := r.purchasePosts(ref); len(posts) != 0 {
		t.Errorf("a confirmation while paused went to the issuer: %+v", posts)
	}

	r.restart()
	again := r.say(bob, "#BuyGiftCard")
	r.answer(again)
	r.settle()
	r.pausedAnswer(again)

	r.setPaused(false)
	receipt := r.answer(r.say(alice, "#ConfirmGiftCard", req.ID))
	mustContain(t, "receipt after resume", receipt.Text, "Done!", ref)
	r.settle()
	r.charged(alice, 1)
	r.ask(bob, "#BuyKindleFireHD")
}

// TestPauseSettlesOrdersAlreadySent: a purchase that went to the issuer
// before the pause (here, waiting for approval) is settled as usual.
func TestPauseSettlesOrdersAlreadySent(t *testing.T) { eachAPI(t, testPauseSettlesOrdersAlreadySent) }

func testPauseSettlesOrdersAlreadySent(t *testing.T, api string) {
	r := newRig(t, api, withRisk(func(k *config.Risk) { k.ApprovalOver = usd(100_00) }))
	req, ref := r.ask(alice, "#BuyKindleFireHD")
	r.say(alice, "#ConfirmKindleFireHD", req.ID)
	p := r.pendingApproval(ref)
	r.awaitTold(alice, messages.ApprovalPending, ref)
	r.setPaused(true)
	r.approve(p)
	_, text := r.awaitTold(alice, messages.Receipt, ref)
	mustContain(t, "receipt", text, "Done!", p.ID)
	r.settle()
	r.charged(alice, 1)
}

// TestPauseHoldsConfirmedOrderNotYetSent: an order confirmed before the
// pause whose purchase had not been asked for yet when the pause came is
// not charged while paused, and is charged once, with one receipt, after
// resume.
//
// The charger looks every order up by reference (GET
// /v1/purchases?reference=) before it POSTs its purchase. The issuer
// sandbox holds that look-up (a Hold fault) until the test, having thrown
// the switch, releases it: the confirmation is decided (the order is
// confirmed: the charger has picked it up) and the POST is certainly
// neither sent nor in flight when the pause comes. Once released, the
// look-up answers that the issuer has no purchase for the order, so the
// charger would POST now but for its own check of the pause; it puts the
// POST off and looks again every 2 s, which the test lets happen twice
// more on the rig's clock.
func TestPauseHoldsConfirmedOrderNotYetSent(t *testing.T) {
	eachAPI(t, testPauseHoldsConfirmedOrderNotYetSent)
}

func testPauseHoldsConfirmedOrderNotYetSent(t *testing.T, api string) {
	// The charger must not give the held look-up up before the test
	// releases it: that would defer the charge for another reason.
	r := newRig(t, api, withRisk(nil), rigOption(func(c *cfgT) { c.Issuer.Timeout = time.Minute }))
	req, ref := r.ask(alice, "#BuyGiftCard")

	release := make(chan struct{})
	var once sync.Once
	releaseLookup := func() { once.Do(func() { close(release) }) }
	t.Cleanup(releaseLookup) // before the daemon stops, should the test fail while held
	r.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", Hold: release})
	confirm := r.say(alice, "#ConfirmGiftCard", req.ID)
	r.await("the charger's look-up of "+ref+" held at the issuer", func() bool { return r.iss.Held() == 1 })
	held := r.heldLookup(ref)

	r.setPaused(true)
	releaseLookup()
	r.await("the held look-up answered", func() bool { return r.issuerRequest(held).Status != 0 })
	if q := r.issuerRequest(held); q.Status != http.StatusOK {
		t.Fatalf("the held look-up of %s was answered %d, want 200", ref, q.Status)
	}
	// The held look-up and two more, each put off by the pause.
	r.await("the charger to look "+ref+" up twice more, putting its purchase off each time", func() bool {
		posts, seq := r.issuerCalls(ref, 0)
		if len(posts) > 0 {
			r.t.Fatalf("order %s went to the issuer while paused (calls %s, L look-up, P POST); purchases: %+v", ref, seq, r.iss.Purchases())
		}
		return strings.Count(seq, "L") >= 3 && r.putOffByPause(ref) >= 3
	})
	r.noPurchases(alice)
	if n := r.putOffByPause(ref); n < 3 {
		t.Errorf("the charger put %s off for the pause %d times, want 3 or more", ref, n)
	}
	for _, m := range readOutbox(t, r.cfg.Storage.Path) {
		if m.OrderID == ref && m.Kind == string(messages.Receipt) {
			t.Errorf("a receipt for %s was queued while paused (%s): %q", ref, m.State, m.Text)
		}
	}
	if rs := r.repliesTo(confirm.ID); len(rs) != 0 {
		t.Errorf("the confirmation was answered while paused: %+v", rs)
	}

	r.setPaused(false)
	receipt := r.answer(confirm)
	if k := r.kindOf(conversations.Tweet, receipt.ID); k != string(messages.Receipt) {
		t.Fatalf("after resume, the confirmation was answered %s %q, want a receipt", k, receipt.Text)
	}
	r.settle()
	p := r.purchaseOf(ref)
	mustContain(t, "receipt after resume", receipt.Text, "Done!", ref, p.ID)
	r.reply(confirm.ID)
	r.charged(alice, 1)
	if n := len(r.told(alice, messages.Receipt, ref)); n != 1 {
		t.Errorf("alice was told %d receipts for %s, want one", n, ref)
	}
	posts, seq := r.issuerCalls(ref, 0)
	if len(posts) != 1 || seq != strings.Repeat("L", len(seq)-1)+"P" {
		t.Errorf("order %s: issuer calls %s (L look-up, P POST), want look-ups then one POST", ref, seq)
	}
}

// heldLookup returns the index, in the issuer's request log, of the one
// purchases request not answered yet (the one a Hold fault keeps
// waiting), failing unless it is the look-up of order ref by reference.
func (r *rig) heldLookup(ref string) int {
	r.t.Helper()
	found := -1
	for i, q := range r.iss.Requests() {
		if q.Status != 0 || !strings.HasPrefix(q.Path, "/v1/purchases") {
			continue
		}
		if v, _ := url.ParseQuery(q.Query); q.Method != "GET" || q.Path != "/v1/purchases" || v.Get("reference") != ref || found >= 0 {
			r.t.Fatalf("the issuer is holding %s %s?%s, want only the look-up of %s", q.Method, q.Path, q.Query, ref)
		}
		found = i
	}
	if found < 0 {
		r.t.Fatalf("no request held at the issuer")
	}
	return found
}

// issuerRequest returns the ith request of the issuer's log.
func (r *rig) issuerRequest(i int) issuersandbox.Request { return r.iss.Requests()[i] }

// putOffByPause counts the charger's log lines saying order ref's
// purchase was put off because charging is paused.
func (r *rig) putOffByPause(ref string) int {
	n := 0
	for _, line := range strings.Split(r.logs.String(), "\n") {
		if strings.Contains(line, `msg="charge held: charging is paused"`) && slices.Contains(strings.Fields(line), "order="+ref) {
			n++
		}
	}
	return n
}
