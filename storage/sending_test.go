package storage

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestSendingSinceKeepsTheFirstPost: a post whose outcome is unknown may
// show on Twitter only after a later post of the same message began, so
// each later attempt, one alone or in a batch, keeps when the first began
// (the search for it reaches back that far), while counting the attempt.
func TestSendingSinceKeepsTheFirstPost(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	if err := db.Enqueue(ctx, []conversations.Reply{
		{Channel: conversations.DM, UserID: 1, Kind: "help", Text: "one"},
		{Channel: conversations.DM, UserID: 2, Kind: "help", Text: "two"},
	}); err != nil {
		t.Fatal(err)
	}
	box, _ := db.Outbox(ctx)
	ids := []int64{box[0].ID, box[1].ID}
	if _, err := db.MarkSendingAll(ctx, ids); err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Time{t0.Add(time.Minute), t0.Add(20 * time.Minute)} {
		db.now = func() time.Time { return at }
		if err := db.Reschedule(ctx, ids[0], at, false, "timeout"); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkSending(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		if marked, err := db.MarkSendingAll(ctx, ids[1:]); err != nil || !marked[ids[1]] {
			t.Fatalf("attempt %d: MarkSendingAll = %v, %v", i+2, marked, err)
		}
	}
	box, _ = db.Outbox(ctx)
	for i, m := range box {
		if !m.SendingSince.Equal(t0) || m.Attempts != 3 || m.State != OutboxSending {
			t.Errorf("message %d: sending since %s, %d attempts, %s; want since %s (the first post), 3, sending", i, m.SendingSince, m.Attempts, m.State, t0)
		}
	}
}

// TestRequestWindowCountsFromItsPost: a request recorded as sent long
// after it was posted (a batch, a search that found it) has its window
// counted from the post, one alone or in a batch; a post dated after its
// record (Twitter's clock ahead of ours) counts from the record.
func TestRequestWindowCountsFromItsPost(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	for i, id := range []string{"ord_a", "ord_b", "ord_c"} {
		o := pendingOrder(id, int64(i+1), t0.Add(15*time.Minute))
		req := conversations.Reply{Channel: conversations.Tweet, UserID: int64(i + 1), Kind: "confirm_request", OrderID: id, Request: true, Text: id}
		if _, err := processOne(t, db, mention(int64(10+i), int64(i+1)), conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{req}}); err != nil {
			t.Fatal(err)
		}
	}
	box, _ := db.Outbox(ctx)
	recorded := t0.Add(10 * time.Minute)
	db.now = func() time.Time { return recorded }
	if err := db.MarkSent(ctx, box[0].ID, Post{ID: 100, At: t0.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkSentAll(ctx, map[int64]Post{box[1].ID: {ID: 101, At: t0.Add(3 * time.Minute)}, box[2].ID: {ID: 102, At: recorded.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]time.Time{"ord_a": t0.Add(17 * time.Minute), "ord_b": t0.Add(18 * time.Minute), "ord_c": recorded.Add(15 * time.Minute)} {
		o, err := db.Order(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !o.ExpiresAt.Equal(want) || o.RequestMessageID == 0 {
			t.Errorf("%s expires at %s (request %d), want %s", id, o.ExpiresAt, o.RequestMessageID, want)
		}
	}
}
