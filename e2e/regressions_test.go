package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// An order asked for by DM and confirmed by a public tweet is answered in
// public, in reply to the confirmation, addressed to its author.
func TestDMBuyConfirmedInPublic(t *testing.T) { eachAPI(t, testDMBuyConfirmedInPublic) }

func testDMBuyConfirmedInPublic(t *testing.T, api string) {
	r := newRig(t, api)
	r.dm(alice, "#BuyKindleFireHD")
	r.settle()
	orderID := orderIn(t, r.lastDM(alice).Text)
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD")
	r.settle()
	receipt := r.reply(confirm.ID)
	if !strings.HasPrefix(receipt.Text, "@alice ") {
		t.Errorf("receipt %q does not start with @alice", receipt.Text)
	}
	mustContain(t, "receipt", receipt.Text, orderID, "Done")
	r.charged(alice, 1)
}

// A cardholder with an old order of their own who answers another's
// request with the confirm hashtag confirms nothing and is not answered.
func TestConfirmationBySomeoneElseWithAnOldOrder(t *testing.T) {
	eachAPI(t, testConfirmationBySomeoneElseWithAnOldOrder)
}

func testConfirmationBySomeoneElseWithAnOldOrder(t *testing.T, api string) {
	r := newRig(t, api)
	r.dm(bob, "#BuyKindleFireHD")
	r.settle()
	r.dm(bob, "cancel")
	r.settle()
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
	hijack := r.tweet(bob, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	r.settle()
	if rs := r.repliesTo(hijack.ID); len(rs) != 0 {
		t.Errorf("bob was answered: %+v", rs)
	}
	r.noPurchases(bob)
	r.noPurchases(alice)
}

// The cardholder deletes their confirmation before the receipt goes out:
// the receipt, which tells of money taken, reaches them as a mention.
func TestReceiptAfterTheConfirmationWasDeleted(t *testing.T) {
	eachAPI(t, testReceiptAfterTheConfirmationWasDeleted)
}

func testReceiptAfterTheConfirmationWasDeleted(t *testing.T, api string) {
	r := newRig(t, api)
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
	// The charge waits on the issuer while the tweet is deleted.
	r.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 503})
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	r.d.Bot.PollNow()
	r.waitFor("the first charge attempt", func() bool {
		for _, q := range r.iss.Requests() {
			if q.Method == "POST" && q.Status == 503 {
				return true
			}
		}
		return false
	})
	if err := r.tw.DeleteTweet(confirm.ID); err != nil {
		t.Fatal(err)
	}
	r.settleAdvancing()
	r.checkOneUnthreadedReceipt(alice)
}

// In privacy mode a cardholder whose DMs are closed is told in public,
// without amounts or card digits, that the receipt could not reach them.
func TestReceiptDMUndeliverable(t *testing.T) { eachAPI(t, testReceiptDMUndeliverable) }

func testReceiptDMUndeliverable(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Privacy = config.PrivacyDM }))
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	pointer := r.reply(buy.ID)
	r.tw.InjectFault(withTimes(r.refusal(twitterapi.CallSendDM, 349), -1))
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", pointer.ID)
	r.settle()
	if !r.charged(alice, 1) {
		t.FailNow()
	}
	var note string
	for _, tw := range r.tw.TweetsBy(botUser.ID) {
		mustNotContain(t, "public tweet", tw.Text, "1005", "199.00")
		if strings.Contains(tw.Text, "could not send you a direct message") {
			note = tw.Text
		}
	}
	if note == "" || !strings.HasPrefix(note, "@alice ") {
		t.Errorf("no public note to alice; the bot tweeted %+v", r.tw.TweetsBy(botUser.ID))
	}
	if rs := r.repliesTo(confirm.ID); len(rs) == 0 {
		t.Errorf("the confirmation got no public answer")
	}
}

// A DM confirmation sent in time but read late (the DM list failing for
// the last moments of the window) still counts: another cardholder's
// mention after the window must not release the request first.
func TestConfirmationInTimeReadLate(t *testing.T) { eachAPI(t, testConfirmationInTimeReadLate) }

func testConfirmationInTimeReadLate(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Schedules.Expiry = "@every 1s" }))
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	r.reply(buy.ID)
	r.clock.Advance(14*time.Minute + 50*time.Second)
	r.d.Bot.PollNow()  // both channels read, nothing new
	r.dm(alice, "yes") // within the window, which closes ten seconds later
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallDMList), Status: 503, Times: -1})
	r.clock.Advance(15 * time.Second)
	r.tweet(bob, "@AmexOffers hello") // a mention after the window
	r.d.Bot.PollNow()
	r.waitFor("bob's mention processed", func() bool {
		pending, _ := r.d.DB.Inbox(context.Background(), storage.InboxPending)
		ms, _ := r.d.DB.Inbox(context.Background(), "")
		return len(pending) == 0 && len(ms) == 2
	})
	r.awaitJob("expiry done")
	r.tw.ClearFaults()
	r.settle()
	mustContain(t, "alice's receipt", r.lastDM(alice).Text, "Done!")
	r.charged(alice, 1)
}

// A buyer a few seconds after a window closed gets the unit even when
// the other channel was last read before the window closed: the bot reads
// it again rather than answer "sold out".
func TestLateBuyerWaitsForBothChannels(t *testing.T) { eachAPI(t, testLateBuyerWaitsForBothChannels) }

func testLateBuyerWaitsForBothChannels(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(1) }))
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	r.reply(buy.ID)
	r.clock.Advance(14*time.Minute + 55*time.Second)
	r.d.Bot.PollNow() // the DM list is last read here, before the window closes
	r.clock.Advance(10 * time.Second)
	late := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	// Only the mentions are read here (the DM list refuses this one
	// request); nothing else here reads the DM list: the bot must read it
	// itself.
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallDMList), Status: 503})
	r.d.Bot.PollNow()
	r.waitFaulted(r.ep(twitterapi.CallDMList), 0)
	r.waitFor("bob's answer", func() bool { return len(r.repliesTo(late.ID)) > 0 })
	mustContain(t, "bob's answer", r.reply(late.ID).Text, "#ConfirmKindleFireHD")
	mustContain(t, "log", r.logs.String(), "both channels are read up to now")
}

// While posting is refused, a second buy does not make a second order:
// the first request, undelivered, is still live. Once posting is back,
// one confirmation charges once, and the per-user limit holds.
func TestUndeliveredRequestIsRepeatedNotDoubled(t *testing.T) {
	eachAPI(t, testUndeliveredRequestIsRepeatedNotDoubled)
}

func testUndeliveredRequestIsRepeatedNotDoubled(t *testing.T, api string) {
	r := newRig(t, api)
	r.d.Bot.PollNow()
	r.tw.InjectFault(r.refusal(twitterapi.CallPost, 326))
	first := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.d.Bot.PollNow()
	r.waitFaulted(r.ep(twitterapi.CallPost), 0)
	// The emulator records the refusal before the bot has read it, and the
	// bot pauses posting from the moment it does: the clock moves on only
	// once the request is put off, or on a loaded machine the pause would
	// start after the jump and outlast the test.
	r.waitFor("the refused request put off", func() bool {
		box := r.outboxOf(alice)
		return len(box) == 1 && box[0].State == storage.OutboxPending && box[0].LastError != ""
	})
	r.clock.Advance(16 * time.Minute) // past the first order's original window, and the pause
	second := r.tweet(alice, "@AmexOffers #BuyKindleFireHD again")
	r.settle()
	a, b := r.reply(first.ID), r.reply(second.ID)
	if orderIn(t, a.Text) != orderIn(t, b.Text) {
		t.Fatalf("two orders for one cardholder with a limit of one: %q and %q", a.Text, b.Text)
	}
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", b.ID)
	r.settle()
	mustContain(t, "receipt", r.reply(confirm.ID).Text, "Done!")
	third := r.tweet(alice, "@AmexOffers #BuyKindleFireHD once more")
	r.settle()
	mustContain(t, "third answer", r.reply(third.ID).Text, "already bought 1")
	r.charged(alice, 1)
}

// A refusal Twitter does not explain holds up only the message refused,
// not everyone's replies.
func TestUnexpectedRefusalHoldsUpOnlyItsMessage(t *testing.T) {
	eachAPI(t, testUnexpectedRefusalHoldsUpOnlyItsMessage)
}

func testUnexpectedRefusalHoldsUpOnlyItsMessage(t *testing.T, api string) {
	r := newRig(t, api)
	r.tw.InjectFault(r.refusal(twitterapi.CallPost, 433))
	a := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFaulted(r.ep(twitterapi.CallPost), 0)
	b := r.tweet(bob, "@AmexOffers #BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFor("bob's request, while alice's waits", func() bool { return len(r.repliesTo(b.ID)) == 1 })
	if len(r.repliesTo(a.ID)) != 0 {
		t.Fatalf("alice's refused reply went out at once")
	}
	r.clock.Advance(time.Minute + time.Second)
	r.settle()
	r.reply(a.ID)
}

// In privacy mode, a request that cannot reach a cardholder whose DMs are
// closed releases its unit, and they are told in public, without details.
func TestRequestDMUndeliverable(t *testing.T) { eachAPI(t, testRequestDMUndeliverable) }

func testRequestDMUndeliverable(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) {
		c.Privacy = config.PrivacyDM
		c.Offers[0].Quantity = qty(1)
	}))
	r.tw.InjectFault(r.refusal(twitterapi.CallSendDM, 349))
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	pointer := r.reply(buy.ID)
	var note string
	for _, tw := range r.tw.TweetsBy(botUser.ID) {
		mustNotContain(t, "public tweet", tw.Text, "1005", "199.00")
		if strings.Contains(tw.Text, "could not send you a direct message") {
			note = tw.Text
		}
	}
	if !strings.HasPrefix(note, "@alice ") || !strings.Contains(note, orderIn(t, pointer.Text)) {
		t.Errorf("note = %q", note)
	}
	// The unit is back: bob can have it.
	r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	mustContain(t, "bob's request", r.lastDM(bob).Text, "#ConfirmKindleFireHD")
}

// checkOneUnthreadedReceipt: u was charged once and told once, by a
// receipt that mentions them and answers no tweet (the tweet it would
// answer is gone).
func (r *rig) checkOneUnthreadedReceipt(u twitteremu.User) {
	r.t.Helper()
	if !r.charged(u, 1) {
		r.t.FailNow()
	}
	var receipts []twitteremu.Tweet
	for _, tw := range r.tw.TweetsBy(botUser.ID) {
		if strings.Contains(tw.Text, "Done!") {
			receipts = append(receipts, tw)
		}
	}
	if len(receipts) != 1 || receipts[0].InReplyTo != 0 || !strings.HasPrefix(receipts[0].Text, "@"+u.ScreenName+" ") {
		r.t.Errorf("receipts = %+v; want one mention of @%s, not a reply", receipts, u.ScreenName)
	}
}
