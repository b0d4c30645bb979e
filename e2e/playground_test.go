package e2e

// X's own API emulator (xdevplatform/playground, OpenAPI 2.166) and X's
// newest OpenAPI file (2.167) answer some requests otherwise than the live
// API. The project's emulator answers so too when asked; these tests run
// the daemon on v2 against it and read what the cardholder sees.

import (
	"testing"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestPlaygroundReceiptAfterTheTweetsWereDeleted: alice deletes her buy
// tweet and her confirmation while the charge waits on the issuer; the
// receipt's reply is refused as the playground refuses it, 400 "Your reply
// tweet ID is invalid.". The receipt still reaches her, once, as a plain
// mention, and she is charged once.
func TestPlaygroundReceiptAfterTheTweetsWereDeleted(t *testing.T) {
	r := newRig(t, config.APIv2, emuOption(func(o *twitteremu.Options) { o.ReplyGoneAs400 = true }))
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
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
	from := len(r.tw.Requests())
	for _, id := range []int64{confirm.ID, buy.ID} {
		if err := r.tw.DeleteTweet(id); err != nil {
			t.Fatal(err)
		}
	}
	r.settleAdvancing()
	r.checkOneUnthreadedReceipt(alice)
	refused := 0
	for _, q := range r.requests(r.ep(twitterapi.CallPost), from) {
		if q.Status == 400 && !q.Fault {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("the emulator refused %d replies with the playground's 400, want 1", refused)
	}
	mustContain(t, "log", r.logs.String(), "sending it as a mention instead")
}

// TestPlaygroundTooLongReceiptSentMinimal: the receipt is refused 400
// "text field exceeds maximum length of 280 characters", the playground's
// words; alice still gets a receipt, its minimal text, once.
func TestPlaygroundTooLongReceiptSentMinimal(t *testing.T) {
	r := newRig(t, config.APIv2)
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settle()
	req := r.reply(buy.ID)
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallPost), Status: 400, Message: twitteremu.DetailTextTooLong})
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
	r.settleAdvancing()
	if !r.charged(alice, 1) {
		t.FailNow()
	}
	minimal, _ := messages.Minimal(messages.Receipt, r.purchases(alice)[0].Reference)
	receipts := r.repliesTo(confirm.ID)
	if len(receipts) != 1 || receipts[0].Text != "@alice "+minimal {
		t.Errorf("receipts = %+v; want one, the minimal %q", receipts, "@alice "+minimal)
	}
	mustContain(t, "log", r.logs.String(), "sending its minimal text instead")
}

// TestPostFieldsPurchase: the emulator names the posts' field list as
// OpenAPI 2.167 does and refuses tweet.fields as unknown. The bot switches
// to post.fields, keeps it, and alice's whole purchase goes through; when
// the API takes tweet.fields again, the bot goes back, and bob's purchase
// goes through too.
func TestPostFieldsPurchase(t *testing.T) {
	r := newRig(t, config.APIv2, emuOption(func(o *twitteremu.Options) { o.PostFields = true }))
	receipt := r.buyAndConfirm(alice, "#BuyGiftCard", "#ConfirmGiftCard")
	mustContain(t, "alice's receipt", receipt.Text, "Done!")
	r.charged(alice, 1)
	// The two timelines may be read at once before the first refusal is
	// back: each may have tweet.fields refused once, no more.
	names, statuses := r.fieldsSent(0)
	refused := 0
	for i, name := range names {
		if name == "tweet.fields" {
			refused++
			if statuses[i] != 400 {
				t.Errorf("tweet.fields was answered %d", statuses[i])
			}
		}
	}
	if refused == 0 || refused > 2 || names[len(names)-1] != "post.fields" {
		t.Errorf("timelines asked with %v, answered %v: want tweet.fields refused once per timeline at most, then post.fields", names, statuses)
	}

	r.tw.SetPostFields(false)
	from := len(r.tw.Requests())
	receipt = r.buyAndConfirm(bob, "#BuyGiftCard", "#ConfirmGiftCard")
	mustContain(t, "bob's receipt", receipt.Text, "Done!")
	r.charged(bob, 1)
	if names, statuses := r.fieldsSent(from); len(names) < 2 || names[len(names)-1] != "tweet.fields" || statuses[len(names)-1] != 200 {
		t.Errorf("after the API went back, timelines asked with %v, answered %v", names, statuses)
	}
}

// fieldsSent returns the posts' field list parameter each timeline request
// from index from on sent, and the status answered.
func (r *rig) fieldsSent(from int) (names []string, statuses []int) {
	all := r.tw.Requests()
	for _, q := range all[min(from, len(all)):] {
		if q.Endpoint != r.ep(twitterapi.CallMentions) && q.Endpoint != r.ep(twitterapi.CallOwnTweets) {
			continue
		}
		name := "none"
		for _, n := range []string{"tweet.fields", "post.fields"} {
			if q.Query.Has(n) {
				name = n
			}
		}
		names, statuses = append(names, name), append(statuses, q.Status)
	}
	return names, statuses
}
