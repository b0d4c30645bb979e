package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

var everything = map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}

// TestNextInboxBatchKeepsEachCardholdersOrder: a batch is a run of
// consecutive messages of different cardholders, so that deciding them
// together changes nobody's order.
func TestNextInboxBatchKeepsEachCardholdersOrder(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	msgs := []conversations.Inbound{mention(1, 10), mention(2, 20), mention(3, 30), mention(4, 20), mention(5, 40)}
	if _, err := db.SavePage(ctx, msgs, "c", 0); err != nil {
		t.Fatal(err)
	}
	got, err := db.NextInboxBatch(ctx, everything, nil, t0, MaxBatch)
	if err != nil {
		t.Fatal(err)
	}
	if ids := inboundIDs(got); fmt.Sprint(ids) != "[1 2 3]" {
		t.Errorf("batch = %v, want [1 2 3]: it stops before cardholder 20's second message", ids)
	}
	if got, _ := db.NextInboxBatch(ctx, everything, []int64{10}, t0, 2); fmt.Sprint(inboundIDs(got)) != "[2 3]" {
		t.Errorf("batch skipping 10, at most 2 = %v, want [2 3]", inboundIDs(got))
	}
}

func inboundIDs(ms []InboxMessage) []int64 {
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.Inbound.ID)
	}
	return ids
}

// TestProcessBatchDecidesInOrderAndRollsBackOnlyWhatFails: buyers race
// for the last units in one batch; each decision sees those before it, so
// exactly the quantity is reserved; a decision that fails or waits writes
// nothing and stays pending; the others are committed together.
func TestProcessBatchDecidesInOrderAndRollsBackOnlyWhatFails(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	const quantity = 3
	var msgs []conversations.Inbound
	for i := 1; i <= 8; i++ {
		msgs = append(msgs, mention(int64(100+i), int64(i)))
	}
	if _, err := db.SavePage(ctx, msgs, "c", 0); err != nil {
		t.Fatal(err)
	}
	batch, err := db.NextInboxBatch(ctx, everything, nil, t0, MaxBatch)
	if err != nil || len(batch) != 8 {
		t.Fatalf("batch = %d, %v", len(batch), err)
	}
	var items []BatchItem
	for i, m := range batch {
		items = append(items, BatchItem{Msg: m, Expiry: conversations.ExpiryBounds{Before: t0}, Decide: func(f Facts) (conversations.Decision, error) {
			switch i {
			case 0:
				return conversations.Decision{}, errors.New("a bug")
			case 1:
				return conversations.Decision{Wait: conversations.WaitHorizon}, nil
			}
			if f.Taken["kindle"] >= quantity {
				return conversations.Decision{Action: "sold-out", Replies: []conversations.Reply{{Channel: conversations.Tweet, UserID: m.UserID, Kind: "not_available", Text: "sold out"}}}, nil
			}
			o := pendingOrder(fmt.Sprintf("ord_%d", i), m.UserID, t0.Add(time.Hour))
			return conversations.Decision{Action: "reserve", NewOrder: &o}, nil
		}})
	}
	res, err := db.ProcessBatch(ctx, items, t0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range res {
		a := r.Decision.Action
		if r.Err != nil {
			a = "error"
		} else if r.Decision.Wait != conversations.NoWait {
			a = "wait"
		}
		actions = append(actions, a)
	}
	if fmt.Sprint(actions) != "[error wait reserve reserve reserve sold-out sold-out sold-out]" {
		t.Errorf("actions = %v", actions)
	}
	stats, _ := db.OfferStats(ctx)
	if stats["kindle"].Reserved != quantity {
		t.Errorf("reserved %d, want %d", stats["kindle"].Reserved, quantity)
	}
	pending, _ := db.Inbox(ctx, InboxPending)
	if fmt.Sprint(inboundIDs(pending)) != "[101 102]" {
		t.Errorf("pending after the batch = %v, want the failed and the waiting one", inboundIDs(pending))
	}
	if box, _ := db.Outbox(ctx); len(box) != 3 {
		t.Errorf("outbox has %d replies, want the 3 sold-out answers", len(box))
	}
	checkCounters(t, db, "a batch")

	// A batch never holds two messages of one cardholder.
	if _, err := db.ProcessBatch(ctx, []BatchItem{{Msg: pending[0]}, {Msg: pending[0]}}, t0); err == nil {
		t.Errorf("a batch with two messages of one cardholder was accepted")
	}
}

// TestMarkSendingAllMarksOnlyUnfinished: the posts a sender step is about
// to make are recorded as begun in one commit; one already finished is
// left alone.
func TestMarkSendingAllMarksOnlyUnfinished(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	replies := []conversations.Reply{
		{Channel: conversations.Tweet, UserID: 1, Kind: "help", Text: "one"},
		{Channel: conversations.DM, UserID: 2, Kind: "help", Text: "two"},
	}
	if err := db.Enqueue(ctx, replies); err != nil {
		t.Fatal(err)
	}
	box, _ := db.Outbox(ctx)
	if err := db.MarkSent(ctx, box[1].ID, Post{ID: 77, At: db.now()}); err != nil {
		t.Fatal(err)
	}
	marked, err := db.MarkSendingAll(ctx, []int64{box[0].ID, box[1].ID})
	if err != nil || !marked[box[0].ID] || marked[box[1].ID] {
		t.Fatalf("marked = %v, %v; want only the unsent one", marked, err)
	}
	box, _ = db.Outbox(ctx)
	if box[0].State != OutboxSending || box[0].Attempts != 1 || box[0].SendingSince.IsZero() || box[1].State != OutboxSent {
		t.Errorf("outbox = %+v", box)
	}
}

// TestStartChargesRecordsEachAttemptFirst: the first attempts of a
// charger step are recorded in one commit; an order no longer confirmed
// gets none.
func TestStartChargesRecordsEachAttemptFirst(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	insertOrdersIn(t, db, conversations.Confirmed, conversations.Confirmed, conversations.Paid)
	later := t0.Add(time.Minute)
	started, err := db.StartCharges(ctx, "purchase", map[string]time.Time{"ord_0": later, "ord_1": later, "ord_2": later})
	if err != nil || len(started) != 2 || started["ord_0"] == 0 || started["ord_1"] == 0 {
		t.Fatalf("started = %v, %v; want attempts for the two confirmed orders", started, err)
	}
	if due, _ := db.DueCharges(ctx, t0, 10); len(due) != 0 {
		t.Errorf("due while their attempts run = %+v", due)
	}
	due, _ := db.DueCharges(ctx, later, 10)
	if len(due) != 2 || due[0].Attempts != 1 {
		t.Errorf("due at the retry time = %+v", due)
	}
	if a, _ := db.ChargeAttempts(ctx, "ord_0"); len(a) != 1 || a[0].Kind != "purchase" || !a[0].FinishedAt.IsZero() {
		t.Errorf("attempts of ord_0 = %+v", a)
	}
}

// TestMarkSentAllRecordsEachAsMarkSent: posts recorded together are each
// recorded as one alone would be (a request delivered starts its order's
// window), and one finished already is reported, not recorded again.
func TestMarkSentAllRecordsEachAsMarkSent(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	o := pendingOrder("ord_1", 1, t0.Add(15*time.Minute))
	request := conversations.Reply{Channel: conversations.Tweet, UserID: 1, Kind: "confirm_request", OrderID: "ord_1", Request: true, Text: "confirm?"}
	if _, err := processOne(t, db, mention(10, 1), conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{request}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Enqueue(ctx, []conversations.Reply{{Channel: conversations.DM, UserID: 2, Kind: "help", Text: "help"}}); err != nil {
		t.Fatal(err)
	}
	box, _ := db.Outbox(ctx)
	if err := db.MarkFailed(ctx, box[1].ID, "refused"); err != nil {
		t.Fatal(err)
	}
	finished, err := db.MarkSentAll(ctx, map[int64]Post{box[0].ID: {ID: 500, At: db.now()}, box[1].ID: {ID: 501, At: db.now()}})
	if err != nil || !finished[box[1].ID] || finished[box[0].ID] {
		t.Fatalf("finished = %v, %v; want only the failed one", finished, err)
	}
	box, _ = db.Outbox(ctx)
	if box[0].State != OutboxSent || box[0].SentID != 500 || box[1].State != OutboxFailed {
		t.Errorf("outbox = %+v", box)
	}
	if got, _ := db.Order(ctx, "ord_1"); got.RequestMessageID != 500 {
		t.Errorf("the order's request = %d, want 500", got.RequestMessageID)
	}
}

// TestSettleChargesRecordsEachAsSettleCharge: outcomes recorded together
// are each recorded as one alone would be, receipts queued with them; an
// order no longer confirmed is reported and left alone.
func TestSettleChargesRecordsEachAsSettleCharge(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	insertOrdersIn(t, db, conversations.Confirmed, conversations.Confirmed, conversations.Expired)
	started, err := db.StartCharges(ctx, "purchase", map[string]time.Time{"ord_0": t0, "ord_1": t0})
	if err != nil {
		t.Fatal(err)
	}
	receipt := func(user int64) []conversations.Reply {
		return []conversations.Reply{{Channel: conversations.Tweet, UserID: user, Kind: "receipt", Text: "paid"}}
	}
	gone, err := db.SettleCharges(ctx, []Settlement{
		{OrderID: "ord_0", AttemptID: started["ord_0"], Outcome: conversations.Outcome{State: conversations.Paid, PurchaseID: "pur_0"}, Replies: receipt(1)},
		{OrderID: "ord_1", AttemptID: started["ord_1"], Outcome: conversations.Outcome{State: conversations.Declined, DeclineCode: "insufficient_funds"}, Replies: receipt(2)},
		{OrderID: "ord_2", Outcome: conversations.Outcome{State: conversations.Paid}, Replies: receipt(3)},
	})
	if err != nil || len(gone) != 1 || !gone["ord_2"] {
		t.Fatalf("gone = %v, %v; want only the expired order", gone, err)
	}
	for id, want := range map[string]conversations.State{"ord_0": conversations.Paid, "ord_1": conversations.Declined, "ord_2": conversations.Expired} {
		if o, _ := db.Order(ctx, id); o.State != want {
			t.Errorf("%s is %s, want %s", id, o.State, want)
		}
	}
	if box, _ := db.Outbox(ctx); len(box) != 2 {
		t.Errorf("outbox has %d replies, want the two settled orders'", len(box))
	}
	if a, _ := db.ChargeAttempts(ctx, "ord_0"); len(a) != 1 || a[0].Outcome != "paid" {
		t.Errorf("attempts of ord_0 = %+v", a)
	}
	checkCounters(t, db, "settled together")
}

// insertOrdersIn adds an order in each of states, in one transaction:
// ord_0 of cardholder 1, ord_1 of cardholder 2, and so on, each with an
// hour's window from t0.
func insertOrdersIn(t *testing.T, db *DB, states ...conversations.State) {
	t.Helper()
	err := db.update(context.Background(), func(tx *Tx) error {
		for i, s := range states {
			o := pendingOrder(fmt.Sprintf("ord_%d", i), int64(i+1), t0.Add(time.Hour))
			o.State = s
			if err := tx.insertOrder(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
