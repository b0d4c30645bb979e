package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/storage"
)

// TestRetentionCompactsOldTextOnly runs two purchases two months apart,
// lets retention pass the first, and checks that only the first's
// messages lost their text, that the orders and the issuer's record are
// whole, that nothing is answered again after a restart, and that the
// cardholder can buy again.
func TestRetentionCompactsOldTextOnly(t *testing.T) {
	r := newRig(t, rigOption(func(c *config.Config) { c.Storage.Retention = 90 * 24 * time.Hour }))
	ctx := context.Background()
	first := r.buyAndConfirm(alice, "#BuyGiftCard", "#ConfirmGiftCard")
	r.clock.Advance(60 * 24 * time.Hour)
	second := r.buyAndConfirm(bob, "#BuyGiftCard", "#ConfirmGiftCard")
	r.clock.Advance(31 * 24 * time.Hour)
	r.d.Bot.CompactNow()

	box, _ := r.d.DB.Outbox(ctx)
	for _, m := range box {
		old := m.UserID == alice.ID
		if m.State != storage.OutboxSent || old != (m.Text == "") || m.SentID == 0 {
			t.Errorf("outbox %d to %d (%s, sent as %d): text %q; want text only on bob's", m.ID, m.UserID, m.State, m.SentID, m.Text)
		}
	}
	inbox, _ := r.d.DB.Inbox(ctx, "")
	for _, m := range inbox {
		if old := m.UserID == alice.ID; old != (m.Text == "") {
			t.Errorf("inbox %d of %d: text %q; want text only on bob's", m.Inbound.ID, m.UserID, m.Text)
		}
	}
	orders, _ := r.d.DB.Orders(ctx, storage.OrderFilter{})
	if len(orders) != 2 || orders[1].UserID != alice.ID || orders[1].Title != "Gift Card" || orders[1].PurchaseID == "" {
		t.Errorf("orders after compaction = %+v", orders)
	}

	r.restart()
	r.settle()
	before := len(r.tw.TweetsBy(botUser.ID))
	r.buyAndConfirm(alice, "#BuyGiftCard again", "#ConfirmGiftCard again")
	if n := len(r.tw.TweetsBy(botUser.ID)); n != before+2 {
		t.Errorf("the bot tweeted %d times for one purchase, want 2 (request, receipt)", n-before)
	}
	r.reply(first.InReplyTo)
	r.reply(second.InReplyTo)
	if len(r.purchases(alice)) != 2 || len(r.purchases(bob)) != 1 {
		t.Errorf("purchases: alice %d, bob %d; want 2 and 1", len(r.purchases(alice)), len(r.purchases(bob)))
	}
	checkCounters(t, r.d.DB)
}
