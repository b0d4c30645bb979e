package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestSIGTERM: on SIGTERM the daemon stops polling, lets work in flight
// finish or leaves it resumable (here a charge whose answer hangs and a
// reply whose answer is delayed, both past the shutdown grace), and exits
// 0 within 10 seconds. The next start finishes that work, once.
func TestSIGTERM(t *testing.T) { eachAPI(t, testSIGTERM) }

func testSIGTERM(t *testing.T, api string) {
	w := newWorld(t, api)
	spec := w.spec()
	spec.IssuerTimeout = time.Minute // the charge stays in flight until the shutdown abandons it
	p := newDaemonProc(t, t.TempDir(), spec)
	d := newDriver(t, w.tw)
	p.start("")

	// The issuer makes alice's purchase, then does not answer.
	w.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Hang: time.Minute})
	aliceBuys := &shopper{user: alice, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true}
	d.begin(aliceBuys)
	aliceCycle := d.cycles[0]
	waitFor(t, 20*time.Second, "alice to confirm", func() bool { d.stepAll(); return aliceCycle.stage == 2 })
	waitFor(t, 20*time.Second, "the charge to be in flight", func() bool {
		for _, q := range w.iss.Requests() {
			if q.Method == "POST" && q.Path == "/v1/purchases" && q.Status == 0 {
				return true
			}
		}
		return false
	})
	// Twitter posts erin's request, then does not answer.
	w.tw.InjectFault(twitteremu.Fault{Endpoint: w.ep(twitterapi.CallPost), AfterWork: true, Delay: time.Minute})
	erinBuys := &shopper{user: erin, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true}
	d.begin(erinBuys)
	erinCycle := d.cycles[1]
	waitFor(t, 20*time.Second, "erin's request to be posted", func() bool {
		d.stepAll() // she confirms it at once, before its post is recorded
		return erinCycle.stage > 1
	})

	mark := len(w.tw.Requests())
	took, st := p.term(15 * time.Second)
	if !st.Success() || took > 10*time.Second {
		t.Fatalf("after SIGTERM the daemon exited with %v after %s, want 0 within 10s", st, took)
	}
	t.Logf("exited 0 %s after SIGTERM", took.Round(time.Millisecond))
	polls := map[string]int{}
	for _, q := range w.tw.Requests()[mark:] {
		polls[q.Endpoint]++
	}
	if polls[w.ep(twitterapi.CallMentions)] > 1 || polls[w.ep(twitterapi.CallDMList)] > 1 {
		t.Errorf("the daemon kept polling after SIGTERM: %v", polls)
	}
	mustContain(t, "log", p.log(), "abandoning work in flight")

	// What was in flight is recorded as unknown, to be settled.
	db, err := storage.Open(p.spec.DB, nil)
	if err != nil {
		t.Fatal(err)
	}
	orders, err := db.Orders(context.Background(), storage.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		if o.UserID == alice.ID && o.State != conversations.Confirmed {
			t.Errorf("alice's order is %s after an abandoned charge, want confirmed (to be settled)", o.State)
		}
	}
	for _, m := range readOutbox(t, p.spec.DB) {
		if m.UserID == erin.ID && m.State != storage.OutboxSending {
			t.Errorf("erin's request is %s after an abandoned post, want sending (to be looked for)", m.State)
		}
	}
	db.Close()

	// The next start settles both, once.
	w.iss.ClearFaults()
	w.tw.ClearFaults()
	p.start("")
	deadline := time.Now().Add(60 * time.Second)
	for !(d.idle() && p.idleSince(d.last())) {
		d.stepAll()
		if !p.alive() {
			t.Fatalf("the daemon exited: %v", p.wait(time.Second))
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled after the restart; waiting for:%s", d.pending())
		}
		time.Sleep(10 * time.Millisecond)
	}
	took, st = p.term(15 * time.Second)
	if !st.Success() || took > 10*time.Second {
		t.Fatalf("after SIGTERM the daemon exited with %v after %s, want 0 within 10s", st, took)
	}
	d.checkCycles(t)
	checkInvariants(t, w.tw, w.iss, p.openDB(), p.spec.DB, expectations{confirmed: d.confirmed})
	if len(w.iss.Purchases()) != 2 {
		t.Errorf("purchases: %+v, want alice's approved and erin's declined", w.iss.Purchases())
	}
}
