package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFloodingCardholderDoesNotStarveOthers: bob floods the bot with buys
// and confirmations while the posting budget is ten tweets an hour. His
// repeated buys while his request is pending get one more answer, not one
// each; once the budget runs short his share of it is bounded, so Alice
// still gets her request and her receipt. Nothing of his is dropped: the
// rest goes out as later windows free budget.
func TestFloodingCardholderDoesNotStarveOthers(t *testing.T) {
	eachAPI(t, testFloodingCardholderDoesNotStarveOthers)
}

func testFloodingCardholderDoesNotStarveOthers(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) {
		c.Twitter.Limits.TweetsPerWindow = 10
		c.Twitter.Limits.TweetWindow = time.Hour
	}))
	var bobsBuys []int64
	for i := 0; i < 6; i++ {
		bobsBuys = append(bobsBuys, r.tweet(bob, "@AmexOffers #BuyKindleFireHD please "+strconv.Itoa(i)).ID)
	}
	for i := 0; i < 10; i++ {
		r.tweet(bob, "@AmexOffers #ConfirmGiftCard now "+strconv.Itoa(i))
	}
	alicesBuy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.d.Bot.PollNow()
	r.waitFor("alice's request", func() bool { return len(r.repliesTo(alicesBuy.ID)) == 1 })
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", r.reply(alicesBuy.ID).ID)
	r.d.Bot.PollNow()
	r.waitFor("alice's receipt", func() bool { return len(r.repliesTo(confirm.ID)) == 1 })
	mustContain(t, "alice's receipt", r.reply(confirm.ID).Text, "199.00")
	r.charged(alice, 1)

	toBob := func() int {
		n := 0
		for _, tw := range r.tw.TweetsBy(botUser.ID) {
			if strings.HasPrefix(tw.Text, "@bob ") {
				n++
			}
		}
		return n
	}
	time.Sleep(200 * time.Millisecond) // give a wrong sender every chance to spend the rest on bob
	if n := toBob(); n > 5 {
		t.Errorf("bob had %d of a window's 10 tweets while others waited; want his share bounded", n)
	}
	if n := len(r.tw.TweetsBy(botUser.ID)); n > 10 {
		t.Errorf("posted %d tweets within a budget of 10", n)
	}

	// Later windows send the rest of bob's answers: 2 to his buys (the
	// request and the repeat) and 10 to his confirmations.
	for i := 0; i < 50 && toBob() < 12; i++ {
		r.clock.Advance(time.Hour + time.Minute)
		time.Sleep(100 * time.Millisecond)
	}
	if n := toBob(); n != 12 {
		t.Fatalf("bob got %d answers in all, want 12 (his repeated buys answered once more, not each)", n)
	}
	answered := 0
	for _, id := range bobsBuys {
		answered += len(r.repliesTo(id))
	}
	if answered != 2 {
		t.Errorf("bob's 6 buys got %d answers, want 2: the request and one repeat", answered)
	}
	time.Sleep(200 * time.Millisecond)
	if n := toBob(); n != 12 {
		t.Errorf("bob got %d answers after the flood settled, want 12", n)
	}
}
