package e2e

// News of money that Twitter refuses as too long is never dropped: the
// cardholder gets its minimal text instead.

import (
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/twitterapi"
	"github.com/paybytweet/paybytweet/twittertext"
)

// TestTooLongReceiptSentMinimal: the receipt, by tweet or DM, is refused
// for its length (Twitter's 186 or 354 made to happen, or a DM template
// the emulator counts as too long; a tweet is already cut to our own
// count, so only a count differing from ours gets a 186); alice still gets
// a receipt, the minimal one, exactly once, and she is charged once.
func TestTooLongReceiptSentMinimal(t *testing.T) { eachAPI(t, testTooLongReceiptSentMinimal) }

// tooLong is the emulator's refusal, on api, of a tweet (or a DM) as too
// long: v1.1's 186 (354 for a DM), v2's problem details.
func tooLong(api string, dm bool) *twitteremu.Fault {
	switch {
	case api == config.APIv1 && dm:
		return &twitteremu.Fault{Endpoint: endpoint(api, twitterapi.CallSendDM), Status: 403, Code: 354, Message: "The text of your direct message is over the max character limit."}
	case api == config.APIv1:
		return &twitteremu.Fault{Endpoint: endpoint(api, twitterapi.CallPost), Status: 403, Code: 186, Message: "Tweet needs to be a bit shorter."}
	case dm:
		return &twitteremu.Fault{Endpoint: endpoint(api, twitterapi.CallSendDM), Status: 400, Message: "$.text: a non-blank text of at most 10000 characters is required."}
	default:
		return &twitteremu.Fault{Endpoint: endpoint(api, twitterapi.CallPost), Status: 403, Message: "Your Tweet text is too long."}
	}
}

func testTooLongReceiptSentMinimal(t *testing.T, api string) {
	longDM := "{{.OrderID}} " + strings.Repeat("very ", 2100)
	tests := []struct {
		name     string
		byDM     bool
		template string
		fault    *twitteremu.Fault
	}{
		{"tweet refused as too long", false, "", tooLong(api, false)},
		{"DM, template too long for Twitter", true, longDM, nil},
		{"DM refused as too long", true, "", tooLong(api, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, rigOption(func(c *cfgT) {
				if tt.template != "" {
					c.Templates = messages.Overrides{messages.Receipt: tt.template}
				}
			}))
			var receipts []string
			if tt.byDM {
				r.dm(alice, "#BuyGiftCard")
				r.settle()
				if tt.fault != nil {
					r.tw.InjectFault(*tt.fault)
				}
				r.dm(alice, "yes")
				r.settleAdvancing()
				dms := r.dmsTo(alice)
				for _, d := range dms[1:] {
					receipts = append(receipts, d.Text)
				}
			} else {
				buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
				r.settle()
				req := r.reply(buy.ID)
				if tt.fault != nil {
					r.tw.InjectFault(*tt.fault)
				}
				confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
				r.settleAdvancing()
				for _, tw := range r.repliesTo(confirm.ID) {
					receipts = append(receipts, tw.Text)
				}
			}
			if !r.charged(alice, 1) {
				return
			}
			ref := r.purchases(alice)[0].Reference
			minimal, _ := messages.Minimal(messages.Receipt, ref)
			if len(receipts) != 1 {
				t.Fatalf("alice got %d receipts, want 1: %q", len(receipts), receipts)
			}
			want := minimal
			if !tt.byDM {
				want = "@alice " + minimal
			}
			if receipts[0] != want {
				t.Errorf("receipt = %q, want the minimal %q", receipts[0], want)
			}
			if !tt.byDM && !twittertext.FitsTweet(receipts[0]) {
				t.Errorf("receipt %q does not fit a tweet", receipts[0])
			}
			if !strings.Contains(r.logs.String(), "sending its minimal text instead") {
				t.Error("the shortening was not logged")
			}
		})
	}
}

// TestTooLongRequestIsNotShortened: a message that is not about money
// keeps its refusal (the request fails and frees its unit); only news of
// money has a minimal text.
func TestTooLongRequestIsNotShortened(t *testing.T) { eachAPI(t, testTooLongRequestIsNotShortened) }

func testTooLongRequestIsNotShortened(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Privacy = config.PrivacyPublic }))
	r.tw.InjectFault(*tooLong(api, false))
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settleAdvancing()
	if rs := r.repliesTo(buy.ID); len(rs) != 0 {
		t.Errorf("a refused request was posted: %+v", rs)
	}
	if strings.Contains(r.logs.String(), "sending its minimal text instead") {
		t.Error("a request was shortened")
	}
}
