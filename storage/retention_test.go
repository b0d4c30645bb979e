package storage

import (
	"context"
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
	var in, out int64
	for batches := 0; ; batches++ {
		i, o, err := db.Compact(ctx, before, 3)
		if err != nil {
			t.Fatal(err)
		}
		in, out = in+i, out+o
		if i < 3 && o < 3 {
			if batches != 3 {
				t.Errorf("took %d full batches of 3, want 3 for 10 rows", batches)
			}
			break
		}
	}
	if in != 10 || out != 10 {
		t.Errorf("compacted %d inbox and %d outbox rows, want 10 and 10", in, out)
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
	if i, o, _ := db.Compact(ctx, before, 3); i+o != 0 {
		t.Errorf("a second pass compacted %d rows", i+o)
	}
}
