package storage

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestCompactKeepsWhatDedupeNeeds compacts old messages in small batches
// and checks that only their text went: a repeated poll stores nothing
// again, a sent reply is still known by its id, the budget still counts
// it, and nothing newer, unfinished or about money is touched.
func TestCompactKeepsWhatDedupeNeeds(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	seedOrders(t, db, 5, "kindle") // 5 orders, 10 done inbox rows, 10 sent replies, a day old
	if _, err := db.SavePage(ctx, []conversations.Inbound{mention(1<<40, 9, "BuyKindle")}, "mentions", 1); err != nil {
		t.Fatal(err)
	}
	if err := db.Enqueue(ctx, []conversations.Reply{{Channel: conversations.DM, UserID: 9, Kind: "help", Text: "unsent"}}); err != nil {
		t.Fatal(err)
	}
	before := t0.Add(-time.Hour)
	if n, full := compactAll(t, db, before, 3); full != 3 || n.Inbox != 10 || n.Outbox != 10 {
		t.Errorf("compacted %+v in %d full batches of 3, want 10 inbox and 10 outbox rows in 3", n, full)
	}
	inbox, _ := db.Inbox(ctx, "")
	for _, m := range inbox {
		if old := m.State == "done"; old != (m.Text == "") || (old && len(m.Hashtags) != 0) {
			t.Errorf("inbox %d (%s): text %q, hashtags %v", m.Inbound.ID, m.State, m.Text, m.Hashtags)
		}
	}
	box, _ := db.Outbox(ctx)
	for _, m := range box {
		if sent := m.State == OutboxSent; sent != (m.Text == "") || (sent && (m.SentID == 0 || m.OrderID == "" || m.Kind == "")) {
			t.Errorf("outbox %d (%s): %+v", m.ID, m.State, m)
		}
	}
	// A poll that reads the old messages again stores none of them.
	again := []conversations.Inbound{mention(3000000000+4, 1000001), mention(3000000000+4+2, 1000001)}
	if n, err := db.SavePage(ctx, again, "mentions", 2); err != nil || n != 0 {
		t.Errorf("re-read messages stored %d, %v; want 0", n, err)
	}
	if ok, _ := db.SentIDRecorded(ctx, conversations.Tweet, 3000000000+4+1); !ok {
		t.Errorf("a compacted reply's sent id is forgotten")
	}
	byUser, _ := db.SentByUserSince(ctx, conversations.Tweet, t0.Add(-48*time.Hour))
	sent := 0
	for _, n := range byUser {
		sent += n
	}
	if sent != 10 {
		t.Errorf("the posting budget counts %d compacted replies, want 10", sent)
	}
	orders, _ := db.Orders(ctx, OrderFilter{})
	if len(orders) != 5 || orders[0].Title != "Kindle" || orders[0].PurchaseID == "" {
		t.Errorf("orders after compaction = %+v", orders)
	}
	if n, _ := db.Compact(ctx, before, 3); n != (Compacted{}) {
		t.Errorf("a second pass compacted %+v", n)
	}
}

// compactAll runs Compact until a pass leaves every batch unfilled, as the
// bot does, and returns what it changed and how many passes were full.
func compactAll(t *testing.T, db *DB, before time.Time, batch int) (total Compacted, full int) {
	t.Helper()
	for {
		n, err := db.Compact(context.Background(), before, batch)
		if err != nil {
			t.Fatal(err)
		}
		total = total.Add(n)
		if !n.Full(batch) {
			return total, full
		}
		full++
	}
}

// TestCompactDropsOldUsage counts API usage on days past the retention,
// on the day it ends in and on recent days, and checks that compaction
// deletes only the days that ended before it, a batch at a time, and that
// what `paybytweet usage` reports for the days kept (in all, per offer,
// and the orders paid) is what it was.
func TestCompactDropsOldUsage(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	seedOrders(t, db, 5, "kindle")
	const fm = 3000000000 // benchdb.FirstMessage: order i's buy is fm+4i, its request fm+4i+1
	var buys, requests []int64
	for i := int64(1); i <= 5; i++ {
		buys, requests = append(buys, fm+4*i), append(requests, fm+4*i+1)
	}
	before := t0.Add(-90 * 24 * time.Hour) // 2026-08-29 12:00 UTC
	record := func(at time.Time, kind string, ids ...int64) {
		t.Helper()
		if err := db.RecordUsages(ctx, []Usage{{Kind: kind, At: at, IDs: ids}}); err != nil {
			t.Fatal(err)
		}
	}
	// Past the retention: 5+5+2 rows on 2026-08-01, 1 on 2026-08-28.
	record(before.Add(-28*24*time.Hour), "mention_read", buys...)
	record(before.Add(-28*24*time.Hour), "reply", requests...)
	record(before.Add(-28*24*time.Hour), "own_tweet_read", 42, 43)
	record(before.Add(-13*time.Hour), "dm_read", 44) // 2026-08-28 23:00
	// Kept: the day retention ends in, though this row is older than before,
	// and the days the orders were made on.
	record(before.Add(-time.Hour), "mention_read", buys[0], 45)
	record(t0.Add(-24*time.Hour), "mention_read", buys...)
	record(t0.Add(-24*time.Hour), "reply", requests...)
	record(t0, "dm_sent", 46)

	counts, paid, err := db.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kept []UsageCount
	for _, c := range counts {
		if c.Day >= "2026-08-29" {
			kept = append(kept, c)
		}
	}
	if len(kept) == len(counts) || len(kept) == 0 {
		t.Fatalf("usage before compaction = %+v: want days on both sides of the retention", counts)
	}
	if n, full := compactAll(t, db, before, 3); n.Usage != 13 || full != 4 {
		t.Errorf("compaction deleted %d usage rows in %d full batches of 3, want 13 in 4", n.Usage, full)
	}
	countsAfter, paidAfter, err := db.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(countsAfter, kept) {
		t.Errorf("usage after compaction:\n  %+v\nwant the days kept as they were:\n  %+v", countsAfter, kept)
	}
	if !reflect.DeepEqual(paidAfter, paid) || len(paid) == 0 {
		t.Errorf("orders paid after compaction = %+v, want %+v", paidAfter, paid)
	}
	if n, _ := db.Compact(ctx, before, 3); n.Usage != 0 {
		t.Errorf("a second pass deleted %d usage rows", n.Usage)
	}
}
