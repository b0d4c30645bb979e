package bot

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/push"
	"github.com/paybytweet/paybytweet/storage"
)

// TestIgnoredPushedEventsAreCounted: an event the bot does not act on
// (another type than the three it subscribes to) stores nothing and is
// counted as ignored, so that /metrics shows what X pushed, and bills.
func TestIgnoredPushedEventsAreCounted(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	woken := 0
	p := newPusherOf(pusherDeps{store: db, now: time.Now, log: slog.New(slog.DiscardHandler), wakeProcessor: func() { woken++ }})
	ctx := context.Background()
	if err := p.save(ctx, []storage.Pushed{p.pushed(ctx, push.Event{Kind: push.KindIgnored, Type: "follow.create"})}); err != nil {
		t.Fatal(err)
	}
	f, err := db.Figures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Counts["push_events"]; len(got) != 1 || got["follow.create/ignored"] != 1 {
		t.Errorf("push events counted %v, want follow.create/ignored 1", got)
	}
	if f.InboxPending != 0 || woken != 0 {
		t.Errorf("an ignored event stored %d messages and woke the processor %d times", f.InboxPending, woken)
	}
}
