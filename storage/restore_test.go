package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestMigrationKeepsRandomOrderIDs: a database made before order ids were
// derived from their buy message is migrated; its orders keep their
// random ids (their reference at the issuer), are found and refunded by
// them, and are marked as made before; orders made after are not.
func TestMigrationKeepsRandomOrderIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`)
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		v, _ := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if v >= 6 {
			continue
		}
		body, _ := migrations.ReadFile("migrations/" + e.Name())
		exec(string(body))
		exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 1)`, v)
	}
	const oldID = "ord_01h8x2k3m4n5p6q7"
	exec(`INSERT INTO orders (id, offer_id, user_id, screen_name, state, channel, buy_message_id, title, buy_hashtag, confirm_hashtag,
		amount, currency, merchant, cardholder, card_last4, created_at, expires_at, confirm_message_id, confirm_channel, confirmed_at,
		idempotency_key, purchase_id, settled_at, updated_at)
		VALUES (?, 'gift-card', 783214, 'alice', 'paid', 'tweet', 1001, 'Gift Card', '#BuyGiftCard', '#ConfirmGiftCard',
		2500, 'USD', 'mer_1', 'chd_alice', '1005', 1, 2, 1003, 'tweet', 3, ?, 'pur_1', 4, 4)`, oldID, conversations.IdempotencyKey(oldID))
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path, func() time.Time { return time.Unix(100, 0) })
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer db.Close()
	o, err := db.Order(ctx, oldID)
	if err != nil {
		t.Fatalf("the order made before the migration, by its old id: %v", err)
	}
	if o.State != conversations.Paid || o.PurchaseID != "pur_1" || o.IdempotencyKey != conversations.IdempotencyKey(oldID) {
		t.Errorf("old order after the migration: %+v", o)
	}
	r, err := db.BeginRefund(ctx, oldID, 0, "requested_by_customer")
	if err != nil || r.OrderID != oldID || !strings.Contains(r.IdempotencyKey, oldID) {
		t.Errorf("refund of the old order by its old id: %+v, %v", r, err)
	}
	if err := db.update(ctx, func(tx *Tx) error {
		return tx.insertOrder(conversations.Order{ID: "ord_new", OfferID: "gift-card", UserID: 783214, State: conversations.Pending, Channel: conversations.Tweet, BuyMessageID: 2001})
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.RandomIDOrders(ctx); err != nil || n != 1 {
		t.Errorf("orders marked as having a random id: %d, %v; want 1 (the old one)", n, err)
	}
}
