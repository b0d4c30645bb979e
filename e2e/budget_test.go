package e2e

import (
	"testing"
	"time"
)

// TestDMSendingBudgetWaitsAndDropsNothing gives the bot a budget of two
// DMs a day: the third waits until budget comes back, and is then sent,
// after the two before it.
func TestDMSendingBudgetWaitsAndDropsNothing(t *testing.T) {
	eachAPI(t, testDMSendingBudgetWaitsAndDropsNothing)
}

func testDMSendingBudgetWaitsAndDropsNothing(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Twitter.Limits.DMsPerDay = 2 }))
	r.thirdDMWaitsForBudget("a day", 24*time.Hour+time.Minute)
	dms := r.dmsTo(alice)
	mustContain(t, "first", dms[0].Text, "I sell offers", "#BuyGiftCard")
	mustContain(t, "second", dms[1].Text, "no orders")
	mustContain(t, "third", dms[2].Text, "Gift Card", "#ConfirmGiftCard", "15 min")
	// The request's window runs from its delivery, a day late: it holds.
	r.clock.Advance(time.Minute)
	r.dm(alice, "yes")
	r.settle()
	mustContain(t, "receipt", r.lastDM(alice).Text, "Done!")
}

// TestTweetBudgetWaitsAndKeepsOrder does the same for tweets, per the
// configured window.
func TestTweetBudgetWaitsAndKeepsOrder(t *testing.T) { eachAPI(t, testTweetBudgetWaitsAndKeepsOrder) }

func testTweetBudgetWaitsAndKeepsOrder(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) {
		c.Twitter.Limits.TweetsPerWindow = 1
		c.Twitter.Limits.TweetWindow = time.Hour
	}))
	a := r.tweet(carol, "@AmexOffers #BuyKindleFireHD")
	b := r.tweet(carol, "@AmexOffers #BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFor("one reply", func() bool { return len(r.tw.TweetsBy(botUser.ID)) == 1 })
	r.d.Bot.PollNow()
	time.Sleep(100 * time.Millisecond)
	if n := len(r.tw.TweetsBy(botUser.ID)); n != 1 {
		t.Fatalf("posted %d tweets within a budget of 1", n)
	}
	r.reply(a.ID) // the older first
	r.clock.Advance(time.Hour + time.Minute)
	r.settle()
	r.reply(b.ID)
}

// TestDMWindowBudgetWaitsAndDropsNothing: the DM budget of a short window
// (v2's default is 15 per 15 minutes, beside 1,440 a day), here two per
// 15 minutes: the third DM waits for the window, not for the day.
func TestDMWindowBudgetWaitsAndDropsNothing(t *testing.T) {
	eachAPI(t, testDMWindowBudgetWaitsAndDropsNothing)
}

func testDMWindowBudgetWaitsAndDropsNothing(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) {
		c.Twitter.Limits.DMsPerWindow, c.Twitter.Limits.DMWindow, c.Twitter.Limits.DMsPerDay = 2, 15*time.Minute, 1000
	}))
	r.thirdDMWaitsForBudget("15 minutes", 15*time.Minute+time.Second)
	mustContain(t, "third", r.lastDM(alice).Text, "Gift Card", "#ConfirmGiftCard")
}

// thirdDMWaitsForBudget has alice send three DMs under a budget of two
// per window: two answers go out, the third waits, and goes out once the
// clock passes the window (advance).
func (r *rig) thirdDMWaitsForBudget(window string, advance time.Duration) {
	r.t.Helper()
	r.dm(alice, "help")
	r.dm(alice, "orders")
	r.dm(alice, "#BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFor("two DMs", func() bool { return len(r.dmsTo(alice)) == 2 })
	r.d.Bot.PollNow()
	time.Sleep(100 * time.Millisecond) // give a wrong sender every chance to send the third
	if n := len(r.dmsTo(alice)); n != 2 {
		r.t.Fatalf("sent %d DMs within a budget of 2 per %s", n, window)
	}
	r.clock.Advance(advance)
	r.d.Bot.PollNow()
	r.waitFor("the third DM", func() bool { return len(r.dmsTo(alice)) == 3 })
}
