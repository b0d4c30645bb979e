package e2e

import (
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestReplyRefusedForThisMessageAlone: a reply X will not take for this
// message alone (v1.1's 385; on v2 the summoned-reply rule's 403 "Reply to
// this conversation is not allowed"). A confirmation request so refused is
// recorded as failed and its unit goes to the next buyer; a receipt so
// refused goes out as a plain mention. Nobody else waits.
func TestReplyRefusedForThisMessageAlone(t *testing.T) {
	eachAPI(t, testReplyRefusedForThisMessageAlone)
}

func testReplyRefusedForThisMessageAlone(t *testing.T, api string) {
	t.Run("the request", func(t *testing.T) {
		r := newRig(t, api, rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(1) }))
		r.tw.InjectFault(r.refusal(twitterapi.CallPost, 385))
		buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
		r.settleAdvancing()
		if rs := r.repliesTo(buy.ID); len(rs) != 0 {
			t.Fatalf("the refused request was posted: %+v", rs)
		}
		box := r.outboxOf(alice)
		if len(box) != 1 || box[0].State != "failed" {
			t.Fatalf("alice's request: %+v, want it failed", box)
		}
		bobs := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
		r.settle()
		mustContain(t, "answer to bob", r.reply(bobs.ID).Text, "#ConfirmKindleFireHD", "2002")
		r.checkRig(nil, expectations{failedOK: true})
	})
	t.Run("the receipt", func(t *testing.T) {
		r := newRig(t, api)
		buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
		r.settle()
		req := r.reply(buy.ID)
		r.tw.InjectFault(r.refusal(twitterapi.CallPost, 385))
		confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
		r.settleAdvancing()
		if !r.charged(alice, 1) {
			t.FailNow()
		}
		if rs := r.repliesTo(confirm.ID); len(rs) != 0 {
			t.Errorf("the refused receipt was posted as a reply: %+v", rs)
		}
		var receipts []string
		for _, tw := range r.tw.TweetsBy(botUser.ID) {
			if strings.Contains(tw.Text, "Done!") && tw.InReplyTo == 0 {
				receipts = append(receipts, tw.Text)
			}
		}
		if len(receipts) != 1 || !strings.HasPrefix(receipts[0], "@alice ") {
			t.Errorf("receipts as mentions: %q; want one, to @alice", receipts)
		}
		r.checkRig(map[int64]int64{confirm.ID: alice.ID}, expectations{})
	})
}
