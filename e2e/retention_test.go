package e2e

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/storage"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver, for reading the file directly
)

// TestRetentionCompactsOldTextOnly runs two purchases two months apart,
// lets retention pass the first, and checks that only the first's
// messages lost their text, that the orders and the issuer's record are
// whole, that nothing is answered again after a restart, and that the
// cardholder can buy again.
func TestRetentionCompactsOldTextOnly(t *testing.T) { eachAPI(t, testRetentionCompactsOldTextOnly) }

func testRetentionCompactsOldTextOnly(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *config.Config) { c.Storage.Retention = 90 * 24 * time.Hour }))
	ctx := context.Background()
	first := r.buyAndConfirm(alice, "#BuyGiftCard", "#ConfirmGiftCard")
	r.clock.Advance(60 * 24 * time.Hour)
	second := r.buyAndConfirm(bob, "#BuyGiftCard", "#ConfirmGiftCard")
	r.clock.Advance(31 * 24 * time.Hour)
	r.d.Bot.CompactNow()

	// Read with SQL of its own: what is on disk, whatever the storage
	// package shows.
	raw, err := sql.Open("sqlite3", "file:"+r.cfg.Storage.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(ctx, `SELECT id, user_id, state, COALESCE(sent_id, 0), text FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, user, sentID int64
		var state, text string
		if err := rows.Scan(&id, &user, &state, &sentID, &text); err != nil {
			t.Fatal(err)
		}
		if old := user == alice.ID; state != storage.OutboxSent || old != (text == "") || sentID == 0 {
			t.Errorf("outbox %d to %d (%s, sent as %d): text %q; want text only on bob's", id, user, state, sentID, text)
		}
	}
	rows.Close()
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
