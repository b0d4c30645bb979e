package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/twitterapi"
)

func TestDMOnlyPurchase(t *testing.T) { eachMode(t, testDMOnlyPurchase) }

func testDMOnlyPurchase(t *testing.T, m mode) {
	r := m.newRig(t)
	r.dm(alice, "#BuyKindleFireHD")
	r.settle()
	req := r.lastDM(alice)
	mustContain(t, "request DM", req.Text, "Kindle Fire HD", "199.00 USD", "1005", "#ConfirmKindleFireHD", "yes")
	mustNotContain(t, "request DM", req.Text, "@alice")
	r.dm(alice, "yes")
	r.settle()
	receipt := r.lastDM(alice)
	ps := r.purchases(alice)
	if len(ps) != 1 || ps[0].Status != "approved" {
		t.Fatalf("purchases = %+v", ps)
	}
	mustContain(t, "receipt DM", receipt.Text, ps[0].Reference, "199.00 USD", "1005")
	if got := len(r.tw.TweetsBy(botUser.ID)); got != 0 {
		t.Errorf("the bot tweeted %d times during a DM purchase", got)
	}
	if ps[0].Metadata["confirm_channel"] != "dm" {
		t.Errorf("metadata = %v", ps[0].Metadata)
	}
}

func TestMixedChannelPurchase(t *testing.T) { eachMode(t, testMixedChannelPurchase) }

func testMixedChannelPurchase(t *testing.T, m mode) {
	r := m.newRig(t)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	orderID := orderIn(t, r.reply(buy.ID).Text)
	r.dm(alice, "  Yes! ")
	r.settle()
	mustContain(t, "receipt DM", r.lastDM(alice).Text, orderID, "Done")
	r.charged(alice, 1)
	if n := len(r.tw.TweetsBy(botUser.ID)); n != 1 {
		t.Errorf("the bot tweeted %d times; the receipt of a DM confirmation goes by DM", n)
	}
}

func TestDMConfirmHashtagAndWordConfirm(t *testing.T) { eachAPI(t, testDMConfirmHashtagAndWordConfirm) }

func testDMConfirmHashtagAndWordConfirm(t *testing.T, api string) {
	r := newRig(t, api)
	r.dm(alice, "#BuyGiftCard")
	r.settle()
	r.dm(alice, "#confirmgiftcard")
	r.settle()
	mustContain(t, "receipt", r.lastDM(alice).Text, "Gift Card", "25.00 USD")
	r.dm(bob, "#BuyGiftCard please")
	r.settle()
	r.dm(bob, "CONFIRM")
	r.settle()
	mustContain(t, "receipt", r.lastDM(bob).Text, "Done")
	r.charged(alice, 1)
	r.charged(bob, 1)
}

func TestYesWithNothingPending(t *testing.T) { eachAPI(t, testYesWithNothingPending) }

func testYesWithNothingPending(t *testing.T, api string) {
	r := newRig(t, api)
	r.dm(alice, "yes")
	r.settle()
	mustContain(t, "answer", r.lastDM(alice).Text, "Nothing is waiting")
	r.noPurchases(alice)
}

func TestCancelReleasesTheUnitToSomeoneElse(t *testing.T) {
	eachAPI(t, testCancelReleasesTheUnitToSomeoneElse)
}

func testCancelReleasesTheUnitToSomeoneElse(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(1) }))
	r.dm(alice, "#BuyKindleFireHD")
	r.settle()
	orderID := orderIn(t, r.lastDM(alice).Text)
	r.dm(bob, "#BuyKindleFireHD")
	r.settle()
	mustContain(t, "bob's answer", r.lastDM(bob).Text, "sold out")
	r.dm(alice, "cancel")
	r.settle()
	mustContain(t, "cancel answer", r.lastDM(alice).Text, "Cancelled", orderID)
	r.dm(bob, "#BuyKindleFireHD now")
	r.settle()
	mustContain(t, "bob's request", r.lastDM(bob).Text, "#ConfirmKindleFireHD", "2002")
	r.dm(bob, "yes")
	r.settle()
	mustContain(t, "bob's receipt", r.lastDM(bob).Text, "Done")
	// Alice's cancelled request cannot be confirmed any more.
	r.dm(alice, "yes")
	r.settle()
	mustContain(t, "alice's answer", r.lastDM(alice).Text, "Nothing is waiting")
	r.noPurchases(alice)
	r.charged(bob, 1)
	r.dm(alice, "cancel")
	r.settle()
	mustContain(t, "second cancel", r.lastDM(alice).Text, "nothing to cancel")
}

func TestHelpAndOrders(t *testing.T) { eachAPI(t, testHelpAndOrders) }

func testHelpAndOrders(t *testing.T, api string) {
	r := newRig(t, api)
	r.dm(alice, "help")
	r.settle()
	help := r.lastDM(alice).Text
	mustContain(t, "help", help, "#BuyKindleFireHD", "Kindle Fire HD", "199.00 USD", "#BuyGiftCard", "Gift Card", "yes", "cancel", "orders")
	r.dm(alice, "orders")
	r.settle()
	mustContain(t, "orders", r.lastDM(alice).Text, "no orders")
	r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD")
	r.dm(alice, "#BuyGiftCard")
	r.settle()
	r.dm(alice, "Orders")
	r.settle()
	orders := r.lastDM(alice).Text
	mustContain(t, "orders", orders, "Kindle Fire HD", "199.00 USD", "paid", "Gift Card", "25.00 USD", "awaiting your confirmation")
	if strings.Index(orders, "Gift Card") > strings.Index(orders, "Kindle Fire HD") {
		t.Errorf("orders are not newest first: %q", orders)
	}
}

func TestUnknownDMGetsOnePointerPerTurn(t *testing.T) { eachAPI(t, testUnknownDMGetsOnePointerPerTurn) }

func testUnknownDMGetsOnePointerPerTurn(t *testing.T, api string) {
	r := newRig(t, api)
	r.dm(alice, "hello bot")
	r.dm(alice, "are you there?")
	r.dm(alice, "hello??")
	r.settle()
	dms := r.dmsTo(alice)
	if len(dms) != 1 {
		t.Fatalf("the bot sent %d DMs to three unknown messages, want 1: %+v", len(dms), dms)
	}
	mustContain(t, "pointer", dms[0].Text, "help")
	// A command ends the turn; the next unknown message gets a pointer again.
	r.dm(alice, "help")
	r.dm(alice, "thanks!")
	r.settle()
	if dms := r.dmsTo(alice); len(dms) != 3 {
		t.Errorf("DMs = %d, want 3", len(dms))
	}
}

func TestPrivacyModeKeepsCardDigitsOutOfPublicTweets(t *testing.T) {
	eachAPI(t, testPrivacyModeKeepsCardDigitsOutOfPublicTweets)
}

func testPrivacyModeKeepsCardDigitsOutOfPublicTweets(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Privacy = config.PrivacyDM }))
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	pointer := r.reply(buy.ID)
	req := r.lastDM(alice)
	orderID := orderIn(t, req.Text)
	mustContain(t, "public pointer", pointer.Text, "@alice ", "direct message", orderID)
	mustContain(t, "request DM", req.Text, "1005", "199.00 USD", "#ConfirmKindleFireHD")
	// A public confirmation still counts; the receipt goes by DM.
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", pointer.ID)
	r.settle()
	mustContain(t, "receipt DM", r.lastDM(alice).Text, "Done", orderID, "1005")
	mustContain(t, "public note", r.reply(confirm.ID).Text, orderID, "direct messages")
	r.charged(alice, 1)
	// A decline and a DM purchase too; then no public tweet holds digits or amounts.
	r.buyAndConfirm(erin, "#BuyGiftCard", "#ConfirmGiftCard")
	r.dm(bob, "#BuyGiftCard")
	r.settle()
	r.dm(bob, "yes")
	r.settle()
	for _, tw := range r.tw.TweetsBy(botUser.ID) {
		mustNotContain(t, "public tweet", tw.Text, "1005", "2002", "5005", "199.00", "25.00", "insufficient")
	}
}

func TestMoreThanAPageOfDMsBetweenPolls(t *testing.T) { eachAPI(t, testMoreThanAPageOfDMsBetweenPolls) }

func testMoreThanAPageOfDMsBetweenPolls(t *testing.T, api string) {
	r := newRig(t, api)
	const n = 120 // more than two pages of 50
	for i := 0; i < n; i++ {
		r.dm(carol, "note "+itoa(i))
	}
	r.dm(alice, "#BuyGiftCard")
	r.settle()
	msgs, _ := r.d.DB.Inbox(context.Background(), "")
	if len(msgs) != n+1 {
		t.Fatalf("stored %d DMs, want %d", len(msgs), n+1)
	}
	mustContain(t, "request", r.lastDM(alice).Text, "Gift Card")
	if dms := r.dmsTo(carol); len(dms) != 1 {
		t.Errorf("carol got %d pointers for %d unknown messages in one turn", len(dms), n)
	}
}

func TestDMListStaysWithinItsBudget(t *testing.T) { eachAPI(t, testDMListStaysWithinItsBudget) }

func testDMListStaysWithinItsBudget(t *testing.T, api string) {
	r := newRig(t, api, twitterLimits)
	for i := 0; i < 30; i++ {
		r.d.Bot.PollNow()
	}
	// Over budget, the poll is skipped rather than refused by Twitter.
	for _, req := range r.tw.Requests() {
		if req.Endpoint == r.ep(twitterapi.CallDMList) && req.Status == 429 {
			t.Fatalf("the DM list was asked past its budget: %+v", req)
		}
	}
	// After the window, polling resumes and DMs are read.
	r.dm(alice, "help")
	r.clock.Advance(16 * 60e9)
	r.settle()
	mustContain(t, "help", r.lastDM(alice).Text, "#BuyGiftCard")
}

func TestBotsOwnDMsAreNeverActedOn(t *testing.T) { eachAPI(t, testBotsOwnDMsAreNeverActedOn) }

func testBotsOwnDMsAreNeverActedOn(t *testing.T, api string) {
	r := newRig(t, api)
	// The bot's sent DMs are in the same list as received ones.
	if _, err := r.tw.SendDM(botUser.ID, alice.ID, "#BuyKindleFireHD yes help"); err != nil {
		t.Fatal(err)
	}
	r.settle()
	if dms := r.dmsTo(alice); len(dms) != 1 {
		t.Errorf("the bot acted on its own DM: %+v", dms)
	}
	orders, _ := r.d.DB.Orders(context.Background(), storageFilter())
	if len(orders) != 0 {
		t.Errorf("orders = %+v", orders)
	}
}

func TestDMFromSomeoneNotEnrolled(t *testing.T) { eachAPI(t, testDMFromSomeoneNotEnrolled) }

func testDMFromSomeoneNotEnrolled(t *testing.T, api string) {
	r := newRig(t, api)
	r.dm(carol, "#BuyKindleFireHD")
	r.settle()
	mustContain(t, "answer", r.lastDM(carol).Text, "https://issuer.example/link-twitter")
	r.noPurchases(carol)
}
