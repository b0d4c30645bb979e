package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestRequestWindowCountsFromItsPost: two requests go out in one batch;
// one is on Twitter at once, the other's post is held five minutes, and both are
// recorded as sent only when it answers, minutes later. The quick one's
// window still counts from its own post, as its text says ("within 15
// min"): a confirmation 15½ minutes after it is too late and charges
// nothing. No request's window outlasts 15 minutes from its post.
func TestRequestWindowCountsFromItsPost(t *testing.T) { eachAPI(t, testRequestWindowCountsFromItsPost) }

func testRequestWindowCountsFromItsPost(t *testing.T, api string) {
	// Both buyers' enrollment look-ups are in before either is decided,
	// however slow the machine: one batch. Neither look-up may time out
	// on a loaded machine (a failed one is tried again later, and the
	// other's answer waits out LookupCollect for it).
	r := newRig(t, api, botOption(func(o *bot.Options) { o.LookupCollect = time.Minute }),
		rigOption(func(c *cfgT) { c.Issuer.Timeout = time.Minute }))
	post := r.ep(twitterapi.CallPost)
	from := len(r.tw.Requests())
	// The first post to arrive is held until the clock has moved on.
	release := make(chan struct{})
	r.tw.InjectFault(twitteremu.Fault{Endpoint: post, Hold: release})
	buyers := []twitteremu.User{alice, bob}
	for _, u := range buyers {
		r.tweet(u, "@AmexOffers #BuyGiftCard")
	}
	start := r.clock.Now()
	r.d.Bot.PollNow()
	waitFor(t, 2*time.Minute, "the slow request held and the quick one posted", func() bool {
		return r.tw.Held() == 1 && len(r.tw.TweetsBy(botUser.ID)) == 1
	})
	r.clock.Advance(5 * time.Minute) // while the slow post is under way
	close(release)
	r.settle()

	posts := r.requests(post, from)
	if len(posts) != 2 || !posts[0].Time.Equal(start) || !posts[1].Time.Equal(start) {
		t.Fatalf("the test needs both requests posted at once, in one batch: %+v", posts)
	}
	replies := r.tw.TweetsBy(botUser.ID)
	if len(replies) != 2 || !replies[0].CreatedAt.Equal(start) {
		t.Fatalf("the bot's tweets: %+v; want the quick request at %s and the slow one", replies, start)
	}
	quick := replies[0]
	var quickBuyer twitteremu.User
	for _, u := range buyers {
		if mentionsOf(quick, u) {
			quickBuyer = u
		}
	}
	checked := 0
	for _, m := range append(r.outboxOf(alice), r.outboxOf(bob)...) {
		o, err := r.d.DB.Order(context.Background(), m.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		for _, rep := range replies {
			if rep.ID != m.SentID {
				continue
			}
			checked++
			if o.ExpiresAt.After(rep.CreatedAt.Add(r.cfg.Confirmation.Window)) {
				t.Errorf("order %s expires at %s, more than %s after its request %d was posted at %s",
					o.ID, o.ExpiresAt, r.cfg.Confirmation.Window, rep.ID, rep.CreatedAt)
			}
		}
	}
	if checked != len(buyers) {
		t.Fatalf("checked the windows of %d requests, want the %d buyers'", checked, len(buyers))
	}

	r.clock.Advance(start.Add(r.cfg.Confirmation.Window + 30*time.Second).Sub(r.clock.Now()))
	late := r.tweet(quickBuyer, "@AmexOffers #ConfirmGiftCard", quick.ID)
	r.settleAdvancing()
	r.noPurchases(quickBuyer)
	mustContain(t, "answer to the late confirmation", r.reply(late.ID).Text, "expired")
}

// mentionsOf reports whether tweet t is addressed to u.
func mentionsOf(t twitteremu.Tweet, u twitteremu.User) bool {
	return strings.HasPrefix(t.Text, "@"+u.ScreenName+" ")
}
