package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// withPush turns push on: the stream of the emulator's Activity API.
var withPush = rigOption(func(c *config.Config) {
	c.Twitter.Push = config.Push{Mode: config.PushStream, BearerToken: twitteremu.DefaultPushBearerToken, Reconcile: "@every 1h"}
})

// pushHealthy waits until push brings the messages: connected (or the
// webhook registered and valid), subscribed, and polled once, which on a
// loaded machine may take longer than waitFor's 10 s.
func (r *rig) pushHealthy() {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, healthy, why := r.d.Bot.PushState()
		if healthy {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("push not healthy after a minute: %s", why)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPushPurchases: with push on, a purchase by tweet and one by DM are
// answered from the pushed events, with no poll run by the test; the
// same message polled afterwards, or pushed twice, changes nothing; a
// dropped stream reconnects, polls at once, and what was said meanwhile
// is acted on once.
func TestPushPurchases(t *testing.T) {
	r := newRig(t, config.APIv2, withPush)
	r.pushHealthy()
	if subs := r.tw.Subscriptions(); len(subs) != 3 {
		t.Errorf("%d subscriptions, want the three of twitter-push.md: %+v", len(subs), subs)
	}

	// By tweet, the stream delivering every event twice.
	if err := r.tw.InjectPushFault(twitteremu.PushFault{Duplicate: true, Times: 100}); err != nil {
		t.Fatal(err)
	}
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.waitFor("alice's request, from the pushed buy", func() bool { return len(r.repliesTo(buy.ID)) > 0 })
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", r.reply(buy.ID).ID)
	r.waitFor("alice's receipt, from the pushed reply", func() bool {
		rs := r.repliesTo(confirm.ID)
		return len(rs) > 0 && strings.Contains(rs[0].Text, "Done!")
	})
	r.tw.ClearPushFaults()

	// By DM.
	r.dm(bob, "#BuyGiftCard")
	lastDMHas := func(text string) func() bool {
		return func() bool { dms := r.dmsTo(bob); return len(dms) > 0 && strings.Contains(dms[len(dms)-1].Text, text) }
	}
	r.waitFor("bob's request by DM", lastDMHas("#ConfirmGiftCard"))
	r.dm(bob, "yes")
	r.waitFor("bob's receipt by DM", lastDMHas("Done!"))

	// The stream drops; while it is down, alice buys again: the poll at
	// the reconnect (or the backfill) brings it, once.
	r.tw.DropStreams()
	buy2 := r.tweet(alice, "@AmexOffers #BuyGiftCard again")
	r.waitFor("alice's second request", func() bool { return len(r.repliesTo(buy2.ID)) > 0 })
	r.pushHealthy()

	r.settle() // the polls read it all again: nothing new
	for _, id := range []int64{buy.ID, confirm.ID, buy2.ID} {
		if n := len(r.repliesTo(id)); n != 1 {
			t.Errorf("tweet %d answered %d times, want once", id, n)
		}
	}
	r.charged(alice, 1)
	r.charged(bob, 1)
	f, err := r.d.DB.Figures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pe := f.Counts["push_events"]
	if pe["post.mention.create/new"] == 0 || pe["post.mention.create/duplicate"] == 0 || pe["dm.received/new"] == 0 {
		t.Errorf("push events counted %v; want new mentions and DMs, and the duplicates", pe)
	}
	if f.Counts["push"]["reconnect"] == 0 {
		t.Errorf("the reconnect was not counted: %v", f.Counts["push"])
	}
}

// TestPushHealthyOnlyAfterACompletePoll: the stream drops and stays
// refused while bob buys by DM (X gives no backfill); at the reconnect
// the poll of the DM list meets a 429. Push does not count as healthy on
// that poll, which would slow the polls to push.reconcile (an hour here)
// and leave bob waiting: the poll is tried again once the rate limit's
// window has passed, and bob is answered, with no poll run by the test.
func TestPushHealthyOnlyAfterACompletePoll(t *testing.T) {
	noBackfill := emuOption(func(o *twitteremu.Options) { o.Push.NoBackfill = true })
	r := newRig(t, config.APIv2, withPush, noBackfill)
	r.pushHealthy()

	if err := r.tw.InjectPushFault(twitteremu.PushFault{ConnectStatus: http.StatusServiceUnavailable, Times: -1}); err != nil {
		t.Fatal(err)
	}
	r.tw.DropStreams()
	r.waitFor("push down", func() bool { _, healthy, _ := r.d.Bot.PushState(); return !healthy })
	r.dm(bob, "#BuyGiftCard")
	dmList := r.ep(twitterapi.CallDMList)
	from := len(r.tw.Requests())
	r.tw.InjectFault(twitteremu.Fault{Endpoint: dmList, Status: http.StatusTooManyRequests})
	r.tw.ClearPushFaults()
	// The 429 holds the DM list until its reset, 15 minutes on: the bot
	// waits for it, as it must with X.
	waitFor(t, time.Minute, "the DM list's 429 at the reconnect", func() bool {
		for _, q := range r.requests(dmList, from) {
			if q.Fault {
				return true
			}
		}
		return false
	})
	r.clock.Advance(16 * time.Minute)

	defer func() {
		if t.Failed() {
			for _, l := range strings.Split(r.logs.String(), "\n") {
				if strings.Contains(l, "push") || strings.Contains(l, "poll") || strings.Contains(l, "429") {
					t.Log(l)
				}
			}
		}
	}()
	waitFor(t, time.Minute, "bob's request, from the poll after the refused one", func() bool {
		dms := r.dmsTo(bob)
		return len(dms) > 0 && strings.Contains(dms[len(dms)-1].Text, "#ConfirmGiftCard")
	})
	r.pushHealthy()
	refused, answered := 0, 0
	for _, q := range r.requests(dmList, from) {
		switch q.Status {
		case http.StatusTooManyRequests:
			refused++
		case http.StatusOK:
			answered++
		}
	}
	if refused != 1 || answered == 0 {
		t.Errorf("DM list calls after the reconnect: %d refused, %d answered; want the one 429, then a complete poll", refused, answered)
	}
}

// TestPushSubscriptionsDroppedAreMadeAgain: X drops the bot's
// subscriptions (as it may those made with an authorization since
// revoked); the stream stays open with nothing on it. The bot notices at
// its next check, makes them again, and polls what was said meanwhile:
// bob's buy DM is answered with no poll run by the test, and what is said
// after is pushed again. Dropped once more while X refuses to make them,
// push is down (ALERT push_unavailable, once) until X allows them.
func TestPushSubscriptionsDroppedAreMadeAgain(t *testing.T) {
	often := botOption(func(o *bot.Options) { o.WebhookCheck = 200 * time.Millisecond })
	r := newRig(t, config.APIv2, withPush, often)
	r.pushHealthy()
	if n := r.tw.DropSubscriptions(); n != 3 {
		t.Fatalf("dropped %d subscriptions, want the bot's 3", n)
	}
	r.dm(bob, "#BuyGiftCard")
	r.waitFor("bob's request, from the poll after the subscriptions were made again", func() bool {
		dms := r.dmsTo(bob)
		return len(dms) > 0 && strings.Contains(dms[len(dms)-1].Text, "#ConfirmGiftCard")
	})
	if subs := r.tw.Subscriptions(); len(subs) != 3 {
		t.Errorf("%d subscriptions after the check, want the 3 made again: %+v", len(subs), subs)
	}
	r.pushHealthy()
	pushedBefore := len(r.tw.PushEvents())
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.waitFor("alice's request, from the pushed buy", func() bool { return len(r.repliesTo(buy.ID)) > 0 })
	if len(r.tw.PushEvents()) == pushedBefore {
		t.Error("alice's buy was not pushed: the subscriptions were not made again")
	}

	// Dropped again, and X refuses to make them (the app lost its access):
	// push is down, said once, until X lets them be made.
	r.tw.SetRefuseSubscriptions(http.StatusForbidden)
	r.tw.DropSubscriptions()
	r.waitFor("ALERT push_unavailable", func() bool { return strings.Contains(r.logs.String(), "alert=push_unavailable") })
	r.waitFor("push down", func() bool { _, healthy, _ := r.d.Bot.PushState(); return !healthy })
	r.tw.SetRefuseSubscriptions(0)
	r.pushHealthy()
	if subs := r.tw.Subscriptions(); len(subs) != 3 {
		t.Errorf("%d subscriptions once X allows them again, want 3", len(subs))
	}
	if n := strings.Count(r.logs.String(), "alert=push_unavailable"); n != 1 {
		t.Errorf("ALERT push_unavailable logged %d times, want once", n)
	}
}

// TestPushedReplyAuthorLookupIsBounded: replies are pushed as X's sample
// has them, without their author. One comes from an account the bot has
// never seen, and X does not answer the look-up of its author: the bot
// waits a few seconds for it, not for ever, and bob's buy, pushed after,
// is answered without any poll (polling brings the reply later).
func TestPushedReplyAuthorLookupIsBounded(t *testing.T) {
	xSampleReplies := emuOption(func(o *twitteremu.Options) { o.Push.ReplyIncludesEmpty = true })
	r := newRig(t, config.APIv2, withPush, xSampleReplies)
	r.pushHealthy()
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.waitFor("alice's request", func() bool { return len(r.repliesTo(buy.ID)) > 0 })

	release := make(chan struct{})
	defer close(release)
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallUser), Hold: release, Times: -1})
	r.tweet(carol, "#ConfirmGiftCard", r.reply(buy.ID).ID) // a reply: an implicit mention
	r.waitFor("the look-up of carol's account, unanswered", func() bool { return r.tw.Held() > 0 })
	bobs := r.tweet(bob, "@AmexOffers #BuyGiftCard")
	defer func() {
		if t.Failed() {
			t.Log(r.logs.String())
		}
	}()
	waitFor(t, time.Minute, "bob's request, pushed while X keeps the look-up waiting", func() bool { return len(r.repliesTo(bobs.ID)) > 0 })
}
