package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestApplyDelivery: each outcome of a post attempt is recorded in one
// commit, its changes of text or thread with it; a message already
// finished is left as it is, with ErrConflict.
func TestApplyDelivery(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	if err := db.Enqueue(ctx, []conversations.Reply{
		{Channel: conversations.Tweet, UserID: 1, InReplyTo: 50, Kind: "receipt", Text: "@a one"},
		{Channel: conversations.Tweet, UserID: 2, InReplyTo: 51, Kind: "help", Text: "@b two"},
		{Channel: conversations.DM, UserID: 3, Kind: "help", Text: "three"},
	}); err != nil {
		t.Fatal(err)
	}
	box, _ := db.Outbox(ctx)
	if _, err := db.MarkSendingAll(ctx, []int64{box[0].ID, box[1].ID, box[2].ID}); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Minute)
	for _, step := range []struct {
		id int64
		d  Delivery
	}{
		{box[0].ID, Delivery{Unthread: true, RetryAt: t0, NotPosted: true, Why: "385"}},
		{box[1].ID, Delivery{Text: "@b two ·x", RetryAt: later, NotPosted: true, Why: "187"}},
		{box[2].ID, Delivery{RetryAt: later, Why: "timeout"}},
	} {
		if err := db.ApplyDelivery(ctx, step.id, step.d); err != nil {
			t.Fatal(err)
		}
	}
	box, _ = db.Outbox(ctx)
	if m := box[0]; m.InReplyTo != 0 || m.State != OutboxPending || m.LastError != "385" || m.Text != "@a one" {
		t.Errorf("unthreaded: %+v", m)
	}
	if m := box[1]; m.Text != "@b two ·x" || m.State != OutboxPending || !m.NextAttemptAt.Equal(later) || m.InReplyTo != 51 {
		t.Errorf("new text: %+v", m)
	}
	if m := box[2]; m.State != OutboxSending || !m.NextAttemptAt.Equal(later) || m.LastError != "timeout" {
		t.Errorf("put off, maybe posted: %+v", m)
	}

	if err := db.ApplyDelivery(ctx, box[0].ID, Delivery{Sent: &Post{ID: 900, At: t0}}); err != nil {
		t.Fatal(err)
	}
	note := conversations.Reply{Channel: conversations.Tweet, UserID: 3, Kind: "dm_undeliverable", Text: "@c note"}
	if err := db.ApplyDelivery(ctx, box[2].ID, Delivery{Failed: true, Why: "349", Notes: []conversations.Reply{note}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []OutboxMessage{box[0], box[2]} {
		if err := db.ApplyDelivery(ctx, m.ID, Delivery{RetryAt: later, Text: "again", Why: "late"}); !errors.Is(err, ErrConflict) {
			t.Errorf("message %d, finished: ApplyDelivery = %v, want ErrConflict", m.ID, err)
		}
	}
	box, _ = db.Outbox(ctx)
	if len(box) != 4 {
		t.Fatalf("outbox has %d messages, want the three and the note", len(box))
	}
	if m := box[0]; m.State != OutboxSent || m.SentID != 900 {
		t.Errorf("sent: %+v", m)
	}
	if m := box[1]; m.State != OutboxPending || m.Text != "@b two ·x" {
		t.Errorf("changed by the others' deliveries: %+v", m)
	}
	if m := box[2]; m.State != OutboxFailed || m.LastError != "349" || m.Text != "three" {
		t.Errorf("failed: %+v", m)
	}
	if m := box[3]; m.Text != "@c note" || m.State != OutboxPending {
		t.Errorf("the note: %+v", m)
	}
}
