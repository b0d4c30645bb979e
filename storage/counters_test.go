package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// checkCounters fails the test when a counter disagrees with a recount of
// the orders.
func checkCounters(t *testing.T, db *DB, after string) {
	t.Helper()
	drift, err := db.CounterDrift(context.Background())
	if err != nil {
		t.Fatalf("after %s: %v", after, err)
	}
	for _, d := range drift {
		t.Errorf("after %s: %s", after, d)
	}
}

// TestCountersFollowEveryTransition makes each kind of change an order
// goes through, through the methods the bot and the admin commands use,
// and recounts after each: the counters are right whatever path moved the
// order, and they say what the decisions and `offers` expect.
func TestCountersFollowEveryTransition(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	msg := int64(100)
	reserve := func(id string, user int64) {
		t.Helper()
		msg++
		o := pendingOrder(id, user, t0.Add(time.Hour))
		r := conversations.Reply{Channel: conversations.Tweet, UserID: user, Kind: "confirm_request", OrderID: id, Request: true, Text: "confirm " + id}
		if _, err := processOne(t, db, mention(msg, user), conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{r}}); err != nil {
			t.Fatal(err)
		}
		checkCounters(t, db, "reserve "+id)
	}
	move := func(id string, from, to conversations.State) {
		t.Helper()
		msg++
		tr := conversations.Transition{OrderID: id, From: from, To: to, At: t0}
		if to == conversations.Confirmed {
			tr.ConfirmMessageID, tr.ConfirmChannel, tr.IdempotencyKey = msg, conversations.Tweet, "pbt-"+id
		}
		if _, err := processOne(t, db, mention(msg, 1), conversations.Decision{Action: string(to), Transitions: []conversations.Transition{tr}}); err != nil {
			t.Fatal(err)
		}
		checkCounters(t, db, fmt.Sprintf("%s %s -> %s", id, from, to))
	}
	settle := func(id string, to conversations.State) {
		t.Helper()
		move(id, conversations.Pending, conversations.Confirmed)
		attempt, err := db.StartCharge(ctx, id, "purchase", t0)
		if err != nil {
			t.Fatal(err)
		}
		checkCounters(t, db, "start charge "+id)
		if err := db.SettleCharge(ctx, id, attempt, conversations.Outcome{State: to, PurchaseID: "pur_" + id}, "", nil); err != nil {
			t.Fatal(err)
		}
		checkCounters(t, db, "settle "+id+" "+string(to))
	}
	want := func(reserved, charging, sold, revenue, held int64) {
		t.Helper()
		s, err := db.OfferStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := s["kindle"]
		if got.Reserved != reserved || got.Charging != charging || got.Sold != sold || got.Revenue != revenue || got.Currency != "USD" {
			t.Errorf("stats = %+v, want reserved %d charging %d sold %d revenue %d USD", got, reserved, charging, sold, revenue)
		}
		msg++
		f, err := processOne(t, db, mention(msg, 1), conversations.Decision{Action: "look"})
		if err != nil {
			t.Fatal(err)
		}
		if f.Taken["kindle"] != reserved+sold {
			t.Errorf("facts.Taken = %d, want %d", f.Taken["kindle"], reserved+sold)
		}
		if h := db.holding(t, 1, "kindle"); h != held {
			t.Errorf("cardholder 1 holds %d, want %d", h, held)
		}
	}

	for i := 1; i <= 7; i++ {
		reserve(fmt.Sprintf("ord_%d", i), 1)
	}
	want(7, 0, 0, 0, 7)
	settle("ord_1", conversations.Paid)
	settle("ord_2", conversations.Declined)
	settle("ord_3", conversations.Failed)
	settle("ord_4", conversations.Parked)
	want(4, 1, 1, 19900, 5)
	move("ord_5", conversations.Pending, conversations.Cancelled)
	want(3, 1, 1, 19900, 4)

	// Expiry: by the scheduled job, and by a request that cannot be
	// delivered.
	box, _ := db.Outbox(ctx)
	requests := map[string]int64{}
	for _, m := range box {
		requests[m.OrderID] = m.ID
	}
	if err := db.MarkSent(ctx, requests["ord_6"], Post{ID: 9001, At: db.now()}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.ExpireDue(ctx, conversations.ExpiryBounds{Before: t0.Add(2 * time.Hour)}, t0.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("ExpireDue = %d, %v; want 1", n, err)
	}
	checkCounters(t, db, "expiry")
	if err := db.MarkFailed(ctx, requests["ord_7"], "refused"); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, db, "undeliverable request")
	want(1, 1, 1, 19900, 2)

	// A refund changes the revenue, not the units sold.
	r, err := db.BeginRefund(ctx, "ord_1", 5000, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SettleRefund(ctx, r, true, "ref_1", 5000, "", nil); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, db, "refund")
	want(1, 1, 1, 14900, 2)

	// Another cardholder and another offer are counted apart.
	reserve("ord_8", 2)
	if _, err := db.db.Exec(`UPDATE orders SET offer_id = 'echo', user_id = 3, amount = 100 WHERE id = 'ord_1'`); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, db, "an order moved by hand to another offer and cardholder")
	if _, err := db.db.Exec(`DELETE FROM charge_attempts WHERE order_id = 'ord_8'; DELETE FROM orders WHERE id = 'ord_8'`); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, db, "an order deleted by hand")
	// A counter set wrong is reported.
	if _, err := db.db.Exec(`UPDATE offer_stock SET sold = sold + 1 WHERE offer_id = 'echo'`); err != nil {
		t.Fatal(err)
	}
	if drift, _ := db.CounterDrift(ctx); len(drift) != 1 {
		t.Errorf("drift after breaking a counter = %q, want one line", drift)
	}
}

func (db *DB) holding(t *testing.T, user int64, offer string) int64 {
	t.Helper()
	var n int64
	if err := db.db.QueryRow(`SELECT COALESCE((SELECT held FROM holdings WHERE user_id = ? AND offer_id = ?), 0)`, user, offer).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCountersMigrationCountsExistingOrders opens a database made before
// the counters existed, with orders in every state, and finds them
// counted.
func TestCountersMigrationCountsExistingOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(path, func() time.Time { return t0 }, 6)
	if err != nil {
		t.Fatal(err)
	}
	states := []conversations.State{conversations.Pending, conversations.Confirmed, conversations.Paid, conversations.Declined,
		conversations.Failed, conversations.Parked, conversations.Expired, conversations.Cancelled}
	err = old.update(context.Background(), func(tx *Tx) error {
		for i, s := range states {
			for u := int64(1); u <= 3; u++ {
				o := pendingOrder(fmt.Sprintf("ord_%d_%d", i, u), u, t0)
				o.State = s
				if err := tx.insertOrder(o); err != nil {
					return err
				}
			}
		}
		_, err := tx.tx.Exec(`UPDATE orders SET refunded_amount = 900 WHERE state = 'paid' AND user_id = 1`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	db, err := Open(path, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkCounters(t, db, "migration")
	s, _ := db.OfferStats(context.Background())
	if k := s["kindle"]; k.Reserved != 9 || k.Charging != 6 || k.Sold != 3 || k.Revenue != 3*19900-900 {
		t.Errorf("stats after migration = %+v", k)
	}
	// The triggers count the states conversations says hold stock.
	if h := db.holding(t, 2, "kindle"); h != int64(len(conversations.StockStates)) {
		t.Errorf("cardholder 2 holds %d, want one order in each of %v", h, conversations.StockStates)
	}
}
