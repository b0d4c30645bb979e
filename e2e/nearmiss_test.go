package e2e

import "testing"

func TestNearMissOfABuyHashtag(t *testing.T) { eachAPI(t, testNearMissOfABuyHashtag) }

// testNearMissOfABuyHashtag: a mention with a hashtag nearly an offer's
// is answered once with the hashtag the bot understands; the same
// cardholder's next near-miss, after a restart too, is not answered
// again; an unrelated hashtag still gets silence; the hashtag suggested
// buys.
func testNearMissOfABuyHashtag(t *testing.T, api string) {
	r := newRig(t, api)
	miss := r.tweet(alice, "@AmexOffers #ByKindleFireHD")
	hello := r.tweet(bob, "@AmexOffers #Hello")
	r.settle()
	mustContain(t, "answer to the near-miss", r.reply(miss.ID).Text, "@alice ", "#ByKindleFireHD", "#BuyKindleFireHD")
	mustNotContain(t, "answer to the near-miss", r.reply(miss.ID).Text, "1005", "199.00")
	if rs := r.repliesTo(hello.ID); len(rs) != 0 {
		t.Errorf("an unrelated hashtag was answered: %+v", rs)
	}

	r.restart()
	again := r.tweet(alice, "@AmexOffers #BuyKindelFireHD")
	r.settle()
	if rs := r.repliesTo(again.ID); len(rs) != 0 {
		t.Errorf("a second near-miss by the same cardholder was answered: %+v", rs)
	}
	if dms := r.dmsTo(alice); len(dms) != 0 {
		t.Errorf("alice got DMs: %+v", dms)
	}

	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	mustContain(t, "request", r.reply(buy.ID).Text, "#ConfirmKindleFireHD")
	r.noPurchases(alice)
}
