package bot

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
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
	p, db, logs := panickingProcessor(t, now, msgs)
	ctx := context.Background()
	// Two cardholders' messages in a row: one step decides both.
	if busy, _, err := p.step(); !busy || err != nil {
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

// panickingProcessor returns a processor on a new database at now whose
// message texts are missing (a nil set: rendering any reply panics),
// with msgs in its inbox as a poll stores them and both cursors set, so
// that a step decides them; and the buffer it logs to. A message is set
// aside at its first failure.
func panickingProcessor(t *testing.T, now time.Time, msgs []conversations.Inbound) (*processor, *storage.DB, *testkit.Buffer) {
	t.Helper()
	db := inboxWith(t, now, msgs)
	logs := &testkit.Buffer{}
	cfg := &config.Config{Privacy: config.PrivacyPublic}
	cfg.Confirmation.Window = 15 * time.Minute
	st := &settings{cfg: cfg, catalog: conversations.NewCatalog(nil)} // no messages.Set
	p := processorOn(t, db, st, nil, now, slog.New(slog.NewTextHandler(logs, nil)))
	p.messageAttempts = 1
	return p, db, logs
}

// inboxWith returns a new database at now with msgs in its inbox as a
// poll stores them, and both channels' cursors past them, so that a
// processor's step may decide them.
func inboxWith(t *testing.T, now time.Time, msgs []conversations.Inbound) *storage.DB {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if _, err := db.SavePage(ctx, msgs, cursorDMs, streamCursor{Stored: 1000, PolledAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCursor(ctx, cursorMentions, streamCursor{Stored: 1000, PolledAt: now}); err != nil {
		t.Fatal(err)
	}
	return db
}

// processorOn returns a processor on db at now under settings st, built
// from what it uses alone: iss answers its enrollment look-ups; there is
// no Twitter (the polls it starts do nothing) and no other worker (its
// wake-ups go nowhere). The look-ups it starts are abandoned, and waited
// for, when the test ends.
func processorOn(t *testing.T, db *storage.DB, st *settings, iss enroller, now time.Time, log *slog.Logger) *processor {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	nop := func() {}
	return newProcessorOf(processorDeps{
		store: db, iss: iss, progress: pollProgress{store: db, pollLag: 2 * time.Second}, holds: newRestoreHolds(log, 2*time.Minute),
		settings: func() *settings { return st }, now: func() time.Time { return now }, log: log,
		work: func() context.Context { return ctx }, stopped: func() bool { return ctx.Err() != nil }, wg: &wg,
		botID: func() int64 { return 0 }, inheritedBefore: func() time.Time { return time.Time{} },
		limit:        func(twitterapi.Call) (twitterapi.RateLimit, bool) { return twitterapi.RateLimit{}, false },
		pollMentions: nop, pollDMs: nop, wake: processorWakes{processor: nop, sender: nop, charger: nop, auditor: nop},
		maxAge: 24 * time.Hour, messageAttempts: 5, lookupCollect: lookupCollect,
	})
}
