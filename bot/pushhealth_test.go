package bot

import (
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
)

// TestPollsFollowPushHealth: the polls run on twitter.poll until push is
// healthy, on push.reconcile while it is, and back on twitter.poll once
// it is not; each change of health (and only a change) retimes them.
func TestPollsFollowPushHealth(t *testing.T) {
	cfg := &config.Config{}
	cfg.Twitter.Poll.Mentions = "@every 15s"
	cfg.Twitter.Push = config.Push{Mode: config.PushStream, Reconcile: "@every 5m"}
	changes := 0
	h := &pushHealth{on: true, changed: func() { changes++ }}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		healthy bool
		spec    string
		changes int
	}{
		{false, "@every 15s", 0},
		{true, "@every 5m", 1},
		{true, "@every 5m", 1},
		{false, "@every 15s", 2},
	}
	for i, s := range steps {
		if i > 0 {
			h.set(s.healthy, "dropped", now)
		}
		if got := h.pollSpec(cfg, cfg.Twitter.Poll.Mentions); got != s.spec || changes != s.changes {
			t.Errorf("step %d: polls on %q after %d changes; want %q after %d", i, got, changes, s.spec, s.changes)
		}
	}
	// Push off: twitter.poll whatever the health says.
	cfg.Twitter.Push = config.Push{}
	h.set(true, "", now)
	if got := h.pollSpec(cfg, cfg.Twitter.Poll.Mentions); got != "@every 15s" {
		t.Errorf("push off: polls on %q", got)
	}
}
