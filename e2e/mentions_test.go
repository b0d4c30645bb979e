package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

func TestHappyPath(t *testing.T) { eachMode(t, testHappyPath) }

func testHappyPath(t *testing.T, m mode) {
	r := m.newRig(t)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
	if !strings.HasPrefix(req.Text, "@alice ") {
		t.Errorf("request %q does not start with @alice", req.Text)
	}
	mustContain(t, "request", req.Text, "Kindle Fire HD", "199.00 USD", "1005", "#ConfirmKindleFireHD", "15 min")
	if len(r.iss.Purchases()) != 0 {
		t.Fatalf("charged before confirmation: %+v", r.iss.Purchases())
	}
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	r.settle()
	receipt := r.reply(confirm.ID)
	ps := r.purchases(alice)
	if len(ps) != 1 {
		t.Fatalf("purchases = %+v, want exactly one", ps)
	}
	p := ps[0]
	if p.Status != "approved" || p.Amount != 19900 || p.Currency != "USD" || p.Merchant != "mer_amazon" || p.Cardholder != "chd_alice" {
		t.Errorf("purchase = %+v", p)
	}
	if !strings.HasPrefix(p.Reference, "ord_") || p.IdempotencyKey != "pbt-"+p.Reference {
		t.Errorf("reference %q, key %q", p.Reference, p.IdempotencyKey)
	}
	if p.Metadata["offer"] != "kindle-fire-hd" || p.Metadata["confirm_tweet_id"] != id2s(confirm.ID) {
		t.Errorf("metadata = %v", p.Metadata)
	}
	mustContain(t, "receipt", receipt.Text, "@alice ", p.Reference, "Kindle Fire HD", "199.00 USD")
	mustContain(t, "request", req.Text, p.Reference)
}

func TestNotEnrolledAndSuspended(t *testing.T) { eachAPI(t, testNotEnrolledAndSuspended) }

func testNotEnrolledAndSuspended(t *testing.T, api string) {
	r := newRig(t, api)
	for _, u := range []twitteremu.User{carol, dave} {
		buy := r.tweet(u, "@AmexOffers #BuyKindleFireHD")
		r.settle()
		mustContain(t, "answer to "+u.ScreenName, r.reply(buy.ID).Text, "@"+u.ScreenName+" ", "https://issuer.example/link-twitter")
		r.noPurchases(u)
	}
	stats, _ := r.d.DB.OfferStats(context.Background())
	if s := stats["kindle-fire-hd"]; s.Reserved != 0 {
		t.Errorf("reserved %d units for cardholders without an active card", s.Reserved)
	}
}

func TestOfferNotAvailable(t *testing.T) { eachAPI(t, testOfferNotAvailable) }

func testOfferNotAvailable(t *testing.T, api string) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		mod  any
		want string
	}{
		{"not started", rigOption(func(c *cfgT) { c.Offers[0].Starts = now.Add(24 * time.Hour) }), "not open yet"},
		{"ended", rigOption(func(c *cfgT) { c.Offers[0].Ends = now.Add(-time.Hour) }), "has ended"},
		{"sold out", rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(0) }), "sold out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, tt.mod)
			buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
			r.settle()
			mustContain(t, "answer", r.reply(buy.ID).Text, tt.want)
			confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD")
			r.settle()
			r.reply(confirm.ID) // answered: there is nothing to confirm
			r.noPurchases(alice)
		})
	}
}

func TestSoldOutAfterTheLastUnit(t *testing.T) { eachAPI(t, testSoldOutAfterTheLastUnit) }

func testSoldOutAfterTheLastUnit(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(1) }))
	r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD")
	buy := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	mustContain(t, "answer", r.reply(buy.ID).Text, "@bob ", "sold out")
	r.noPurchases(bob)
}

func TestPerUserLimit(t *testing.T) { eachAPI(t, testPerUserLimit) }

func testPerUserLimit(t *testing.T, api string) {
	r := newRig(t, api)
	mustContain(t, "receipt", r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD").Text, "Done")
	again := r.tweet(alice, "@AmexOffers #BuyKindleFireHD again")
	r.settle()
	mustContain(t, "answer", r.reply(again.ID).Text, "already bought 1")
	r.charged(alice, 1)
}

func TestRepeatBuyWhilePending(t *testing.T) { eachAPI(t, testRepeatBuyWhilePending) }

func testRepeatBuyWhilePending(t *testing.T, api string) {
	r := newRig(t, api)
	first := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	second := r.tweet(alice, "@AmexOffers #BuyKindleFireHD please")
	r.settle()
	a, b := r.reply(first.ID), r.reply(second.ID)
	orderID := orderIn(t, a.Text)
	mustContain(t, "second request", b.Text, orderID, "#ConfirmKindleFireHD")
	if a.Text == b.Text {
		t.Errorf("two tweets with the same text: %q", a.Text)
	}
	stats, _ := r.d.DB.OfferStats(context.Background())
	if s := stats["kindle-fire-hd"]; s.Reserved != 1 {
		t.Errorf("reserved = %d, want 1", s.Reserved)
	}
	// Confirming the second request buys the one order once.
	confirm := r.tweet(alice, "#ConfirmKindleFireHD @AmexOffers", b.ID)
	r.settle()
	mustContain(t, "receipt", r.reply(confirm.ID).Text, orderID)
	r.charged(alice, 1)
}

func TestConfirmationBySomeoneElse(t *testing.T) { eachAPI(t, testConfirmationBySomeoneElse) }

func testConfirmationBySomeoneElse(t *testing.T, api string) {
	r := newRig(t, api)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
	hijack := r.tweet(bob, "@AmexOffers @alice #ConfirmKindleFireHD", req.ID)
	r.settle()
	if rs := r.repliesTo(hijack.ID); len(rs) != 0 {
		t.Errorf("the bot answered bob's confirmation of alice's order: %+v", rs)
	}
	r.noPurchases(bob)
	r.noPurchases(alice)
	// Alice's own confirmation still works.
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	r.settle()
	mustContain(t, "receipt", r.reply(confirm.ID).Text, "Done")
	r.charged(alice, 1)
}

func TestConfirmationBeforeTheRequest(t *testing.T) { eachAPI(t, testConfirmationBeforeTheRequest) }

func testConfirmationBeforeTheRequest(t *testing.T, api string) {
	r := newRig(t, api)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	early := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD") // before the bot has asked
	r.settle()
	r.reply(buy.ID)
	mustContain(t, "answer to the early confirmation", r.reply(early.ID).Text, "wait for our request")
	r.noPurchases(alice)
}

func TestExpiry(t *testing.T) { eachAPI(t, testExpiry) }

func testExpiry(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(1) }))
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
	// Bob, within the window, finds it sold out: alice holds the unit.
	early := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	mustContain(t, "answer to bob", r.reply(early.ID).Text, "sold out")
	r.clock.Advance(15*time.Minute + 5*time.Second)
	// Bob, a few seconds after the window, gets the unit.
	late := r.tweet(bob, "@AmexOffers #BuyKindleFireHD now?")
	r.settle()
	mustContain(t, "answer to bob", r.reply(late.ID).Text, "#ConfirmKindleFireHD", "2002")
	// Alice's late confirmation charges nothing.
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	r.settle()
	mustContain(t, "answer to alice", r.reply(confirm.ID).Text, "expired")
	r.noPurchases(alice)
}

func TestScheduledExpiryReleasesTheUnit(t *testing.T) { eachAPI(t, testScheduledExpiryReleasesTheUnit) }

func testScheduledExpiryReleasesTheUnit(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Schedules.Expiry = "@every 1s" }))
	r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	r.clock.Advance(17 * time.Minute) // the window and the grace
	r.d.Bot.PollNow()                 // nothing was sent in time: the horizon passes the window
	r.awaitJob("expiry done")
	stats, _ := r.d.DB.OfferStats(context.Background())
	if s := stats["kindle-fire-hd"]; s.Reserved != 0 {
		t.Errorf("reserved = %d after expiry, want 0", s.Reserved)
	}
}

func TestDecline(t *testing.T) { eachAPI(t, testDecline) }

func testDecline(t *testing.T, api string) {
	r := newRig(t, api)
	receipt := r.buyAndConfirm(erin, "#BuyKindleFireHD", "#ConfirmKindleFireHD")
	mustContain(t, "answer", receipt.Text, "@erin ", "declined")
	mustNotContain(t, "public answer", receipt.Text, "insufficient")
	ps := r.purchases(erin)
	if len(ps) != 1 || ps[0].Status != "declined" {
		t.Errorf("purchases = %+v, want one declined", ps)
	}
	stats, _ := r.d.DB.OfferStats(context.Background())
	if s := stats["kindle-fire-hd"]; s.Reserved != 0 || s.Sold != 0 {
		t.Errorf("a declined order holds stock: %+v", s)
	}
}

func TestDoubleConfirmation(t *testing.T) { eachAPI(t, testDoubleConfirmation) }

func testDoubleConfirmation(t *testing.T, api string) {
	r := newRig(t, api)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
	c1 := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	c2 := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD yes really", req.ID)
	r.settle()
	mustContain(t, "receipt", r.reply(c1.ID).Text, "Done")
	mustContain(t, "second answer", r.reply(c2.ID).Text, "already confirmed")
	r.charged(alice, 1)
	c3 := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD!!", req.ID)
	r.settle()
	mustContain(t, "third answer", r.reply(c3.ID).Text, "already confirmed")
	r.charged(alice, 1)
}

func TestRetweetsAndQuotesAreNotActedOn(t *testing.T) { eachAPI(t, testRetweetsAndQuotesAreNotActedOn) }

func testRetweetsAndQuotesAreNotActedOn(t *testing.T, api string) {
	r := newRig(t, api)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
	// Bob retweets alice's buy tweet, and quotes it without hashtags of
	// his own: neither makes him a buyer.
	if _, err := r.tw.Retweet(bob.ID, buy.ID); err != nil {
		t.Fatal(err)
	}
	quote, err := r.tw.PostTweet(bob.ID, "@AmexOffers look at this", twitteremu.TweetOptions{QuoteOf: buy.ID})
	if err != nil {
		t.Fatal(err)
	}
	// Bob retweets alice's confirmation: it confirms nothing twice.
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	r.settle()
	if _, err := r.tw.Retweet(bob.ID, confirm.ID); err != nil {
		t.Fatal(err)
	}
	r.settle()
	if rs := r.repliesTo(quote.ID); len(rs) != 0 {
		t.Errorf("the bot answered a quote tweet: %+v", rs)
	}
	for _, tw := range r.tw.TweetsBy(botUser.ID) {
		if strings.HasPrefix(tw.Text, "@bob") {
			t.Errorf("the bot answered bob: %q", tw.Text)
		}
	}
	r.noPurchases(bob)
	r.charged(alice, 1)
	// But a quote tweet with its own buy hashtag is a buy.
	own, err := r.tw.PostTweet(bob.ID, "@AmexOffers me too #BuyGiftCard", twitteremu.TweetOptions{QuoteOf: buy.ID})
	if err != nil {
		t.Fatal(err)
	}
	r.settle()
	mustContain(t, "answer to a quote with its own hashtag", r.reply(own.ID).Text, "Gift Card", "#ConfirmGiftCard")
}

func TestSeveralBuyHashtags(t *testing.T) { eachAPI(t, testSeveralBuyHashtags) }

func testSeveralBuyHashtags(t *testing.T, api string) {
	r := newRig(t, api)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD #BuyGiftCard")
	r.settle()
	mustContain(t, "answer", r.reply(buy.ID).Text, "one offer at a time")
	stats, _ := r.d.DB.OfferStats(context.Background())
	if len(stats) != 0 {
		t.Errorf("something was reserved: %+v", stats)
	}
}

func TestLowerCaseAndFullwidthHashtags(t *testing.T) { eachAPI(t, testLowerCaseAndFullwidthHashtags) }

func testLowerCaseAndFullwidthHashtags(t *testing.T, api string) {
	r := newRig(t, api)
	lower := r.tweet(alice, "@AmexOffers #buykindlefirehd")
	r.settle()
	req := r.reply(lower.ID)
	mustContain(t, "request", req.Text, "#ConfirmKindleFireHD")
	wide := r.tweet(alice, "@AmexOffers ＃ＣｏｎｆｉｒｍＫｉｎｄｌｅＦｉｒｅＨＤ", req.ID)
	r.settle()
	mustContain(t, "receipt", r.reply(wide.ID).Text, "Done")
	buy := r.tweet(bob, "@AmexOffers ＃ＢｕｙＧｉｆｔＣａｒｄ")
	r.settle()
	mustContain(t, "request", r.reply(buy.ID).Text, "Gift Card")
	// Text that only looks like a hashtag is not one.
	fake := r.tweet(carol, "@AmexOffers see https://example.com/#BuyKindleFireHD and x#BuyKindleFireHD")
	r.settle()
	if rs := r.repliesTo(fake.ID); len(rs) != 0 {
		t.Errorf("the bot answered hashtags inside a URL and a word: %+v", rs)
	}
}

func TestBotsOwnTweetsAreIgnored(t *testing.T) { eachAPI(t, testBotsOwnTweetsAreIgnored) }

func testBotsOwnTweetsAreIgnored(t *testing.T, api string) {
	r := newRig(t, api)
	own, err := r.tw.PostTweet(botUser.ID, "@AmexOffers #BuyKindleFireHD", twitteremu.TweetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.settle()
	if rs := r.repliesTo(own.ID); len(rs) != 0 {
		t.Errorf("the bot answered itself: %+v", rs)
	}
	orders, _ := r.d.DB.Orders(context.Background(), storageFilter())
	if len(orders) != 0 {
		t.Errorf("orders = %+v", orders)
	}
}

func TestMentionsAreActedOnOnceAcrossRestarts(t *testing.T) {
	eachAPI(t, testMentionsAreActedOnOnceAcrossRestarts)
}

func testMentionsAreActedOnOnceAcrossRestarts(t *testing.T, api string) {
	r := newRig(t, api)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	r.restart()
	r.settle()
	r.restart()
	r.settle()
	r.reply(buy.ID) // exactly one
}

func TestMoreThanAPageOfMentionsBetweenPolls(t *testing.T) {
	eachAPI(t, testMoreThanAPageOfMentionsBetweenPolls)
}

func testMoreThanAPageOfMentionsBetweenPolls(t *testing.T, api string) {
	r := newRig(t, api)
	const n = 450 // more than two pages of 200
	var first, last twitteremu.Tweet
	for i := 0; i < n; i++ {
		tw := r.tweet(carol, "@AmexOffers hello number "+itoa(i))
		if i == 0 {
			first = tw
		}
		last = tw
	}
	buyFirst := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settle()
	msgs, _ := r.d.DB.Inbox(context.Background(), "")
	if len(msgs) != n+1 {
		t.Fatalf("stored %d mentions, want %d", len(msgs), n+1)
	}
	if msgs[0].Inbound.ID != first.ID || msgs[n-1].Inbound.ID != last.ID {
		t.Errorf("first and last stored are %d and %d, want %d and %d", msgs[0].Inbound.ID, msgs[n-1].Inbound.ID, first.ID, last.ID)
	}
	r.reply(buyFirst.ID)
	// The mentions endpoint was paged with max_id, within its budget.
	pages := 0
	for _, req := range r.tw.Requests() {
		if req.Endpoint == r.ep(twitterapi.CallMentions) {
			pages++
		}
	}
	if pages < 3 {
		t.Errorf("%d mentions_timeline requests for %d mentions", pages, n)
	}
}
