package bot

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/storage"
)

// TestProcessorSetsAsideAMessageThatPanics breaks the processor's message
// texts (a nil set: rendering any reply panics) and shows that the panic
// costs only the message that needed a reply: it is set aside as failed
// with an ALERT, and the next cardholder's message is processed.
func TestProcessorSetsAsideAMessageThatPanics(t *testing.T) {
	now := time.Now().UTC()
	msgs := []conversations.Inbound{
		{Channel: conversations.DM, ID: 100, UserID: 1, Text: "help", PostedAt: now},                                              // needs a reply: panics
		{Channel: conversations.Tweet, ID: 101, UserID: 2, ScreenName: "two", Text: "@bot hello", PostedAt: now.Add(time.Second)}, // ignored: no reply
	}
	b, db, logs := panickingProcessor(t, now, msgs)
	ctx := context.Background()
	// Two cardholders' messages in a row: one step decides both.
	if busy, _, err := b.processor.step(); !busy || err != nil {
		t.Fatalf("step = %v, %v; want busy and no database error", busy, err)
	}
	all, err := db.Inbox(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].State != storage.InboxFailed || !strings.Contains(all[0].LastError, "panic") || all[1].State != storage.InboxDone {
		t.Fatalf("inbox = %+v; want the panicking message failed, the other done", all)
	}
	if !strings.Contains(logs.String(), "alert=inbox_failed") {
		t.Errorf("no ALERT logged:\n%s", logs)
	}
}

// panickingProcessor returns a bot on a new database at now whose message
// texts are missing (a nil set: rendering any reply panics), with msgs in
// its inbox as a poll stores them and both cursors set, so that a step
// of its processor decides them; and the buffer the bot logs to.
func panickingProcessor(t *testing.T, now time.Time, msgs []conversations.Inbound) (*Bot, *storage.DB, *testkit.Buffer) {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &testkit.Buffer{}
	cfg := &config.Config{Privacy: config.PrivacyPublic}
	cfg.Confirmation.Window = 15 * time.Minute
	b := New(Options{Config: cfg, DB: db, Now: func() time.Time { return now }, MessageAttempts: 1,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	b.ctx, b.work = context.Background(), context.Background()
	b.current.Store(&settings{cfg: cfg, catalog: conversations.NewCatalog(nil)}) // no messages.Set
	ctx := context.Background()
	if _, err := db.SavePage(ctx, msgs, cursorDMs, streamCursor{Stored: 1000, PolledAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCursor(ctx, cursorMentions, streamCursor{Stored: 1000, PolledAt: now}); err != nil {
		t.Fatal(err)
	}
	return b, db, logs
}
