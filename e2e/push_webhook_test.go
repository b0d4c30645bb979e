package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
)

// webhookPath is the path the daemon serves X's webhook calls on.
const webhookPath = "/x/webhook"

// freeLoopbackPort returns a port of 127.0.0.1 that was free a moment
// ago: for a listener whose address must be known before it starts (the
// webhook's url is registered with X).
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// webhookURL is the url of the webhook served on port of 127.0.0.1 (http
// is allowed for a loopback host).
func webhookURL(port int) string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + webhookPath
}

// webhookConfig is twitter.push.webhook served on port of 127.0.0.1.
func webhookConfig(port int) config.Webhook {
	return config.Webhook{Listen: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: webhookPath, URL: webhookURL(port)}
}

// withWebhookPush turns push on in webhook mode: the daemon serves
// webhookPath on port of 127.0.0.1, and registers its url with the
// emulator's Activity API.
func withWebhookPush(port int) rigOption {
	return rigOption(func(c *config.Config) {
		c.Twitter.Push = config.Push{Mode: config.PushWebhook, BearerToken: twitteremu.DefaultPushBearerToken, Reconcile: "@every 1h",
			Webhook: webhookConfig(port)}
	})
}

// waitPushed waits until the emulator made at least n deliveries that
// match accepts, and returns them.
func (r *rig) waitPushed(what string, n int, match func(twitteremu.PushedEvent) bool) []twitteremu.PushedEvent {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := r.tw.WaitPushEvents(ctx, n, match)
	if err != nil {
		r.t.Fatalf("waiting for %s: %v", what, err)
	}
	return got
}

// answered is a webhook call of message id that the daemon answered 200.
func answered(id int64) func(twitteremu.PushedEvent) bool {
	return func(p twitteremu.PushedEvent) bool {
		return p.MessageID == id && p.Via == twitteremu.PushViaWebhook && p.Status == http.StatusOK
	}
}

// pushCounts returns the push events counted so far, by "type/outcome".
func (r *rig) pushCounts() map[string]int64 {
	r.t.Helper()
	f, err := r.d.DB.Figures(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]int64{}
	for k, v := range f.Counts["push_events"] {
		out[k] = v
	}
	return out
}

// stored reports whether the inbox holds message id of channel ch.
func (r *rig) stored(ch conversations.Channel, id int64) bool {
	r.t.Helper()
	msgs, err := r.d.DB.Inbox(context.Background(), "")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Channel == ch && m.Inbound.ID == id {
			return true
		}
	}
	return false
}

// waitIdle waits until the daemon has nothing left to do, without
// polling.
func (r *rig) waitIdle(when string) {
	r.t.Helper()
	r.waitFor("the daemon idle "+when, func() bool { q, err := r.d.Bot.Idle(context.Background()); return err == nil && q })
}

// TestPushWebhook: with push in webhook mode the daemon registers its url
// (which passes X's CRC) and the three subscriptions on it, and answers
// purchases by tweet and by DM from X's calls alone, with no poll run by
// the test. A call X did not sign (a forged buy) is refused and changes
// nothing; an event delivered twice, or first signed wrongly and tried
// again, is acted on once; an event X could not deliver while the webhook
// was down is found by the reconcile poll, once; X's CRC checks keep the
// webhook valid; a webhook found invalid at a start is logged ALERT
// webhook_invalid and rechecked, and what X skipped meanwhile is acted
// on once.
func TestPushWebhook(t *testing.T) {
	port := freeLoopbackPort(t)
	r := newRig(t, config.APIv2, withWebhookPush(port), withHealth)
	r.pushHealthy()
	hooks := r.tw.Webhooks()
	if len(hooks) != 1 || hooks[0].URL != webhookURL(port) || !hooks[0].Valid {
		t.Fatalf("webhooks %+v, want %s registered and valid", hooks, webhookURL(port))
	}
	hook := hooks[0]
	subs := r.tw.Subscriptions()
	if len(subs) != 3 {
		t.Errorf("%d subscriptions, want the three of twitter-push.md: %+v", len(subs), subs)
	}
	for _, s := range subs {
		if s.WebhookID != hook.ID || s.UserID != botUser.ID {
			t.Errorf("subscription %+v is not the bot's on webhook %s", s, hook.ID)
		}
	}
	if n := r.tw.OpenStreams(); n != 0 {
		t.Errorf("%d streams open in webhook mode", n)
	}

	// By tweet and by DM, from X's calls alone.
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.waitFor("alice's request, from the webhook", func() bool { return len(r.repliesTo(buy.ID)) > 0 })
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", r.reply(buy.ID).ID)
	r.waitFor("alice's receipt, from the webhook", func() bool {
		rs := r.repliesTo(confirm.ID)
		return len(rs) > 0 && strings.Contains(rs[0].Text, "Done!")
	})
	lastDMHas := func(u twitteremu.User, text string) func() bool {
		return func() bool { dms := r.dmsTo(u); return len(dms) > 0 && strings.Contains(dms[len(dms)-1].Text, text) }
	}
	dmBuy := r.dm(bob, "#BuyGiftCard")
	r.waitFor("bob's request by DM, from the webhook", lastDMHas(bob, "#ConfirmGiftCard"))
	dmYes := r.dm(bob, "yes")
	r.waitFor("bob's receipt by DM, from the webhook", lastDMHas(bob, "Done!"))
	for _, id := range []int64{buy.ID, confirm.ID, dmBuy.ID, dmYes.ID} {
		r.waitPushed("the webhook call of message "+id2s(id), 1, answered(id))
	}
	// Push stored each first: polling would have left it a duplicate.
	got := r.pushCounts()
	for k, n := range map[string]int64{"post.mention.create/new": 1, "post.reply.create/new": 1, "dm.received/new": 2} {
		if got[k] != n {
			t.Errorf("push events %s = %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
	f := r.scrape()
	want(t, f, 1, "paybytweet_push_connected")
	want(t, f, 2, "paybytweet_push_events_total", "type", "dm.received", "outcome", "new")

	// A forged call: a real-looking buy event, not signed by X.
	var real []byte
	for _, ev := range r.tw.PushEventLog() {
		if ev.MessageID == buy.ID && ev.EventType == twitteremu.EventMention {
			real = ev.Body
		}
	}
	if real == nil {
		t.Fatalf("no event of alice's buy %d in the emulator's log", buy.ID)
	}
	forgedID := buy.ID + 1_000_000
	forged := bytes.ReplaceAll(real, []byte(`"`+id2s(buy.ID)+`"`), []byte(`"`+id2s(forgedID)+`"`))
	before, purchases := r.pushCounts(), len(r.iss.Purchases())
	status, err := r.tw.ForgeWebhookDelivery(hook.ID, forged)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusUnauthorized {
		t.Errorf("a forged call answered %d, want 401", status)
	}
	if r.stored(conversations.Tweet, forgedID) {
		t.Errorf("the forged buy %d was stored", forgedID)
	}
	if after := r.pushCounts(); !equalCounts(before, after) {
		t.Errorf("a forged call changed the push counts: %v, then %v", before, after)
	}
	r.waitIdle("after the forged call")
	if n := len(r.repliesTo(forgedID)); n != 0 {
		t.Errorf("the forged buy was answered %d times", n)
	}
	if n := len(r.iss.Purchases()); n != purchases {
		t.Errorf("%d purchases after the forged call, want %d", n, purchases)
	}
	if !strings.Contains(r.logs.String(), "webhook call refused: signature missing or wrong") {
		t.Error("the refused call was not logged")
	}

	// Every event delivered twice (the same bytes), and one call signed
	// with a wrong key, which X tries again: each acted on once.
	if err := r.tw.InjectPushFault(twitteremu.PushFault{Duplicate: true, Times: 2}); err != nil {
		t.Fatal(err)
	}
	kindle := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.waitPushed("both copies of alice's kindle buy", 2, answered(kindle.ID))
	r.waitFor("alice's kindle request", func() bool { return len(r.repliesTo(kindle.ID)) > 0 })
	if err := r.tw.InjectPushFault(twitteremu.PushFault{BadSignature: true}); err != nil {
		t.Fatal(err)
	}
	kconfirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", r.reply(kindle.ID).ID)
	r.waitPushed("both copies of alice's kindle confirmation", 2, answered(kconfirm.ID))
	r.waitFor("alice's kindle receipt", func() bool {
		rs := r.repliesTo(kconfirm.ID)
		return len(rs) > 0 && strings.Contains(rs[0].Text, "Done!")
	})
	refused := 0
	for _, p := range r.tw.PushEvents() {
		if p.MessageID == kconfirm.ID && p.BadSignature && p.Status == http.StatusUnauthorized {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d calls of the confirmation signed wrongly and refused 401, want 1", refused)
	}
	r.waitIdle("after the duplicates")
	for _, id := range []int64{kindle.ID, kconfirm.ID} {
		if n := len(r.repliesTo(id)); n != 1 {
			t.Errorf("tweet %d answered %d times, want once", id, n)
		}
	}
	got = r.pushCounts()
	if got["post.mention.create/duplicate"] < 1 || got["post.reply.create/duplicate"] < 1 {
		t.Errorf("push events %v: want the second copies counted as duplicates", got)
	}

	// The webhook down: X cannot deliver bob's buy. Nothing tells the
	// daemon (X keeps the webhook valid), so the reconcile poll
	// (push.reconcile, run here by the test) finds it; replay is asked only
	// at a start or after the webhook was invalid.
	r.tw.SetWebhookDown(true)
	downBuy := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	r.waitPushed("the delivery X skipped", 1, func(p twitteremu.PushedEvent) bool {
		return p.MessageID == downBuy.ID && p.Skipped == "webhook down"
	})
	r.tw.SetWebhookDown(false)
	if r.stored(conversations.Tweet, downBuy.ID) {
		t.Errorf("bob's buy %d was stored while the webhook was down", downBuy.ID)
	}
	r.d.Bot.PollNow() // the reconcile poll
	r.waitFor("bob's kindle request, from the poll", func() bool { return len(r.repliesTo(downBuy.ID)) > 0 })
	downConfirm := r.tweet(bob, "@AmexOffers #ConfirmKindleFireHD", r.reply(downBuy.ID).ID)
	r.waitFor("bob's kindle receipt, from the webhook", func() bool {
		rs := r.repliesTo(downConfirm.ID)
		return len(rs) > 0 && strings.Contains(rs[0].Text, "Done!")
	})

	// X's CRC checks, from time to time: the daemon keeps the webhook
	// valid.
	checks := hook.CRCChecks
	for _, h := range r.tw.RecheckWebhooks() {
		if !h.Valid || h.CRCChecks <= checks {
			t.Errorf("after X's CRC check the webhook is %+v, want valid and checked again", h)
		}
	}
	if _, healthy, why := r.d.Bot.PushState(); !healthy {
		t.Errorf("push not healthy after a CRC check: %s", why)
	}

	// The daemon stops; X's next CRC check fails, so X holds the webhook
	// invalid and skips alice's DM. At the next start the daemon finds
	// the webhook invalid (ALERT webhook_invalid), has X check it again,
	// and its start-up poll finds the DM, acted on once.
	r.stop()
	for _, h := range r.tw.RecheckWebhooks() {
		if h.Valid {
			t.Fatalf("the webhook is %+v with the daemon stopped, want invalid", h)
		}
	}
	gapBuy := r.dm(alice, "#BuyGiftCard")
	r.waitPushed("the delivery X skipped", 1, func(p twitteremu.PushedEvent) bool {
		return p.MessageID == gapBuy.ID && p.Skipped == "webhook invalid"
	})
	r.start()
	r.waitFor("ALERT webhook_invalid", func() bool { return strings.Contains(r.logs.String(), "alert=webhook_invalid") })
	r.waitFor("the webhook valid again", func() bool { hs := r.tw.Webhooks(); return len(hs) == 1 && hs[0].Valid })
	if hs := r.tw.Webhooks(); hs[0].ID != hook.ID {
		t.Errorf("the daemon registered webhook %s, want %s reused", hs[0].ID, hook.ID)
	}
	r.waitFor("alice's request by DM, from the start-up poll", lastDMHas(alice, "#ConfirmGiftCard"))
	gapYes := r.dm(alice, "yes")
	r.waitPushed("the webhook call of alice's yes", 1, answered(gapYes.ID))
	r.waitFor("alice's receipt by DM", lastDMHas(alice, "Done!"))
	if code, body := r.readyz(); code != http.StatusOK {
		t.Errorf("/readyz = %d %q after the webhook was invalid, want 200", code, body)
	}

	r.settle() // the polls read it all again: nothing new
	for _, id := range []int64{buy.ID, confirm.ID, kindle.ID, kconfirm.ID, downBuy.ID, downConfirm.ID} {
		if n := len(r.repliesTo(id)); n != 1 {
			t.Errorf("tweet %d answered %d times, want once", id, n)
		}
	}
	// bob: request and receipt of the gift card and nothing for the
	// kindle by DM; alice: request and receipt of her DM gift card.
	for u, n := range map[twitteremu.User]int{bob: 2, alice: 2} {
		if got := len(r.dmsTo(u)); got != n {
			t.Errorf("%s got %d DMs, want %d: %+v", u.ScreenName, got, n, r.dmsTo(u))
		}
	}
	r.charged(alice, 3)
	r.charged(bob, 2)
	msgs, err := r.d.DB.Inbox(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.State != storage.InboxDone {
			t.Errorf("inbox %s %d is %s", m.Channel, m.Inbound.ID, m.State)
		}
	}
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPushWebhookDeletedAtX: the webhook is deleted at X while the daemon
// runs. The daemon notices at its next check, counts push down (polling
// at full pace meanwhile), registers the url again with its
// subscriptions, and counts push healthy again; a DM sent after that is
// answered from the webhook.
func TestPushWebhookDeletedAtX(t *testing.T) {
	port := freeLoopbackPort(t)
	r := newRig(t, config.APIv2, withWebhookPush(port), botOption(func(o *bot.Options) { o.WebhookCheck = 100 * time.Millisecond }))
	r.pushHealthy()
	old := r.tw.Webhooks()
	if len(old) != 1 {
		t.Fatalf("webhooks %+v, want one", old)
	}
	req, err := http.NewRequest(http.MethodDelete, r.tw.URLv2()+"webhooks/"+old[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+twitteremu.DefaultPushBearerToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("DELETE webhook: %s", res.Status)
	}
	r.waitFor("a webhook registered again", func() bool {
		whs := r.tw.Webhooks()
		return len(whs) == 1 && whs[0].ID != old[0].ID && whs[0].Valid
	})
	r.pushHealthy()
	r.dm(bob, "#BuyGiftCard")
	r.waitFor("bob's request by DM, from the new webhook", func() bool {
		dms := r.dmsTo(bob)
		return len(dms) > 0 && strings.Contains(dms[len(dms)-1].Text, "#ConfirmGiftCard")
	})
}
