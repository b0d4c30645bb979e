package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestFailedMessageHoldsBackOnlyItsSender: a message waiting for a retry
// holds back its sender's later messages, nobody else's; set aside as
// failed it holds back nobody, and retried it is first in line again.
func TestFailedMessageHoldsBackOnlyItsSender(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	if _, err := db.SavePage(ctx, []conversations.Inbound{mention(10, 1), mention(11, 2), mention(12, 1)}, "c", 0); err != nil {
		t.Fatal(err)
	}
	all := map[conversations.Channel]int64{conversations.Tweet: 1 << 62}
	wall := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	first, _, _ := db.NextInbox(ctx, all, nil, wall)
	if err := db.InboxFailed(ctx, first.ID, "boom", wall.Add(time.Second), false); err != nil {
		t.Fatal(err)
	}
	if m, ok, _ := db.NextInbox(ctx, all, nil, wall); !ok || m.Inbound.ID != 11 {
		t.Fatalf("while user 1 backs off, next = %d %v; want user 2's 11", m.Inbound.ID, ok)
	}
	if m, _, _ := db.NextInbox(ctx, all, nil, wall.Add(time.Second)); m.Inbound.ID != 10 || m.Attempts != 1 || m.LastError != "boom" {
		t.Fatalf("after the backoff, next = %+v; want 10 again, with its attempt", m)
	}
	if err := db.RetryInbox(ctx, first.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("retry of a message not failed = %v, want ErrConflict", err)
	}
	if err := db.InboxFailed(ctx, first.ID, "boom again", wall.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := db.NextInbox(ctx, all, []int64{2}, wall); m.Inbound.ID != 12 {
		t.Fatalf("with 10 failed, next of user 1 = %d; want 12", m.Inbound.ID)
	}
	failed, _ := db.Inbox(ctx, InboxFailed)
	if len(failed) != 1 || failed[0].Inbound.ID != 10 || failed[0].Attempts != 2 || failed[0].LastError != "boom again" {
		t.Fatalf("failed = %+v", failed)
	}
	if err := db.InboxFailed(ctx, first.ID, "x", wall, true); !errors.Is(err, ErrConflict) {
		t.Errorf("a failed message failed again: %v", err)
	}
	if err := db.RetryInbox(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry of no message = %v, want ErrNotFound", err)
	}
	if err := db.RetryInbox(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := db.NextInbox(ctx, all, nil, wall); m.Inbound.ID != 10 || m.Attempts != 0 {
		t.Errorf("after retry, next = %+v; want 10 with its attempts cleared", m)
	}
}
