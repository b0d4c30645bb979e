package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// countRequests counts the requests of reqs to endpoint, answered status
// (any status when 0).
func countRequests(reqs []twitteremu.Request, endpoint string, status int) int {
	n := 0
	for _, q := range reqs {
		if q.Endpoint == endpoint && (status == 0 || q.Status == status) {
			n++
		}
	}
	return n
}

// TestPushRefusedFallsBackToPolling: X refuses the push subscriptions
// (403, an app without access to the Activity API). The daemon logs ALERT
// alert=push_unavailable, opens no stream, stays ready (/readyz 200,
// saying push is down), shows paybytweet_push_connected 0, and the
// purchases go through polling as without push.
func TestPushRefusedFallsBackToPolling(t *testing.T) {
	refuse := emuOption(func(o *twitteremu.Options) { o.Push.RefuseSubscriptions = http.StatusForbidden })
	r := newRig(t, config.APIv2, withPush, withHealth, refuse)
	r.waitFor("ALERT push_unavailable", func() bool { return strings.Contains(r.logs.String(), "alert=push_unavailable") })
	if on, healthy, why := r.d.Bot.PushState(); !on || healthy {
		t.Errorf("push state on %v healthy %v (%s), want on and not healthy", on, healthy, why)
	}
	code, body := r.readyz()
	if code != http.StatusOK || !strings.Contains(body, "push is down") || !strings.Contains(body, "refused") {
		t.Errorf("/readyz = %d %q with push refused, want 200 saying push is down, refused", code, body)
	}
	f := r.scrape()
	want(t, f, 0, "paybytweet_push_connected")
	want(t, f, 1, "paybytweet_alerts_total", "kind", "push_unavailable") // PaybytweetPushUnavailable reads it

	r.buyAndConfirm(alice, "#BuyGiftCard", "#ConfirmGiftCard")
	r.dm(bob, "#BuyGiftCard")
	r.settle()
	mustContain(t, "bob's request", r.lastDM(bob).Text, "#ConfirmGiftCard")
	r.dm(bob, "yes")
	r.settle()
	mustContain(t, "bob's receipt", r.lastDM(bob).Text, "Done!")
	r.charged(alice, 1)
	r.charged(bob, 1)

	reqs := r.tw.Requests()
	if n := countRequests(reqs, "GET 2/activity/stream", 0); n != 0 {
		t.Errorf("%d stream connections with the subscriptions refused, want none", n)
	}
	if n := countRequests(reqs, "POST 2/activity/subscriptions", http.StatusForbidden); n == 0 {
		t.Error("no subscription was refused: the test tested nothing")
	}
	if len(r.tw.PushEvents()) != 0 {
		t.Errorf("push deliveries with no subscription: %+v", r.tw.PushEvents())
	}
	figures, err := r.d.DB.Figures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(figures.Counts["push_events"]) != 0 {
		t.Errorf("push events counted with push refused: %v", figures.Counts["push_events"])
	}
	code, body = r.readyz()
	if code != http.StatusOK || !strings.Contains(body, "push is down") {
		t.Errorf("/readyz = %d %q at the end, want 200 saying push is down", code, body)
	}
}

// TestPushDroppedStreamReconnects: the stream drops, and X refuses the
// first reconnections (503); meanwhile alice tweets a buy and bob DMs
// one, which no stream carries. push counts as down (/readyz 200 says
// so, paybytweet_push_connected 0) and nothing polls before the
// reconnect; once X takes the connection again the daemon asks for the
// minutes missed, polls at once, and only then counts push healthy. Each
// message, brought by the backfill and by the poll, is acted on once, and
// the reconnect is counted.
//
// (A stalled stream, StallStreams, is the same once the daemon notices
// the silence: after push.DefaultDeadAfter, 60 s, which the daemon does
// not let a test shorten.)
func TestPushDroppedStreamReconnects(t *testing.T) {
	r := newRig(t, config.APIv2, withPush, withHealth)
	r.pushHealthy()
	want(t, r.scrape(), 1, "paybytweet_push_connected")
	if err := r.tw.InjectPushFault(twitteremu.PushFault{ConnectStatus: http.StatusServiceUnavailable, Times: -1}); err != nil {
		t.Fatal(err)
	}
	dropAt := len(r.tw.Requests())
	if n := r.tw.DropStreams(); n != 1 {
		t.Fatalf("%d streams dropped, want the daemon's one", n)
	}
	r.waitFor("push down", func() bool { _, healthy, _ := r.d.Bot.PushState(); return !healthy })
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	dmBuy := r.dm(bob, "#BuyGiftCard")
	r.waitFor("a reconnection refused", func() bool {
		return countRequests(r.tw.Requests()[dropAt:], "GET 2/activity/stream", http.StatusServiceUnavailable) > 0
	})
	if n := r.tw.OpenStreams(); n != 0 {
		t.Fatalf("%d streams open in the gap", n)
	}
	for _, p := range r.tw.PushEvents() {
		if p.MessageID == buy.ID || p.MessageID == dmBuy.ID {
			t.Fatalf("a message of the gap was delivered before the reconnect: %+v", p)
		}
	}
	code, body := r.readyz()
	if code != http.StatusOK || !strings.Contains(body, "push is down") {
		t.Errorf("/readyz = %d %q with the stream down, want 200 saying push is down", code, body)
	}
	want(t, r.scrape(), 0, "paybytweet_push_connected")
	gap := r.tw.Requests()[dropAt:]
	for _, ep := range []string{"GET 2/users/:id/mentions", "GET 2/dm_events"} {
		if n := countRequests(gap, ep, 0); n != 0 {
			t.Errorf("%d %s in the gap, before the reconnect: the test cannot tell the reconnect's poll", n, ep)
		}
	}

	reconnectAt := len(r.tw.Requests())
	r.tw.ClearPushFaults()
	r.pushHealthy()
	after := r.tw.Requests()[reconnectAt:]
	var backfill string
	for _, q := range after {
		if q.Endpoint == "GET 2/activity/stream" && q.Status == http.StatusOK {
			backfill = q.Query.Get("backfill_minutes")
		}
	}
	if backfill == "" || backfill == "0" {
		t.Errorf("the reconnect asked backfill_minutes %q, want the minutes since the last byte", backfill)
	}
	for _, ep := range []string{"GET 2/users/:id/mentions", "GET 2/dm_events"} {
		if countRequests(after, ep, http.StatusOK) == 0 {
			t.Errorf("no %s after the reconnect: the daemon did not poll at once", ep)
		}
	}
	r.waitFor("alice's request", func() bool { return len(r.repliesTo(buy.ID)) > 0 })
	lastDMHas := func(text string) func() bool {
		return func() bool { dms := r.dmsTo(bob); return len(dms) > 0 && strings.Contains(dms[len(dms)-1].Text, text) }
	}
	r.waitFor("bob's request", lastDMHas("#ConfirmGiftCard"))
	backfilled := 0
	for _, p := range r.tw.PushEvents() {
		if p.Backfill && (p.MessageID == buy.ID || p.MessageID == dmBuy.ID) {
			backfilled++
		}
	}
	if backfilled != 2 {
		t.Errorf("%d of the gap's messages backfilled, want both (the emulator backfills)", backfilled)
	}

	// The confirmations come by push again.
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", r.reply(buy.ID).ID)
	r.waitFor("alice's receipt", func() bool {
		rs := r.repliesTo(confirm.ID)
		return len(rs) > 0 && strings.Contains(rs[0].Text, "Done!")
	})
	r.dm(bob, "yes")
	r.waitFor("bob's receipt", lastDMHas("Done!"))

	r.settle()
	for _, id := range []int64{buy.ID, confirm.ID} {
		if n := len(r.repliesTo(id)); n != 1 {
			t.Errorf("tweet %d answered %d times, want once", id, n)
		}
	}
	if n := len(r.dmsTo(bob)); n != 2 {
		t.Errorf("bob got %d DMs, want the request and the receipt: %+v", n, r.dmsTo(bob))
	}
	r.charged(alice, 1)
	r.charged(bob, 1)
	f, err := r.d.DB.Figures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Counts["push"]["reconnect"] != 1 || f.Counts["push"]["backfill"] != 1 {
		t.Errorf("push counts %v, want one reconnect and one backfill asked", f.Counts["push"])
	}
	pe := f.Counts["push_events"]
	if pe["post.mention.create/new"]+pe["post.mention.create/duplicate"] < 1 || pe["dm.received/new"]+pe["dm.received/duplicate"] < 2 {
		t.Errorf("push events %v: want the backfilled mention and DM counted", pe)
	}
	m := r.scrape()
	want(t, m, 1, "paybytweet_push_connected")
	want(t, m, 1, "paybytweet_push_reconnects_total")
	want(t, m, 1, "paybytweet_push_backfills_total")
}
