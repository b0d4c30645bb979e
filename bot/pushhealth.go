package bot

import (
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/config"
)

// pushHealth says whether push brings the mentions and DMs: connected,
// and a poll run since it connected (X may give less backfill than asked,
// or none, so what a gap missed is read by that poll). While it is
// healthy the pollers run on twitter.push.reconcile, the safety net;
// while it is not, on twitter.poll as without push. The push receiver
// sets it; the scheduler, the metrics and the readiness check read it.
// Safe for concurrent use.
type pushHealth struct {
	mu      sync.Mutex
	on      bool // push is configured
	healthy bool
	since   time.Time // when healthy last changed
	why     string    // why not healthy
	// changed is called, without the lock, when healthy changes: the
	// scheduler puts the other poll schedules in force.
	changed func()
}

// set records whether push is healthy, and why not; it calls changed
// when that changed.
func (h *pushHealth) set(healthy bool, why string, now time.Time) {
	h.mu.Lock()
	flipped := h.healthy != healthy
	h.healthy, h.why = healthy, why
	if flipped {
		h.since = now
	}
	changed := h.changed
	h.mu.Unlock()
	if flipped && changed != nil {
		changed()
	}
}

// state returns whether push is configured, whether it is healthy, since
// when, and why not.
func (h *pushHealth) state() (on, healthy bool, since time.Time, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.on, h.healthy, h.since, h.why
}

// pollSpec is the schedule a poll runs on: its own under twitter.poll,
// or push.reconcile while push is healthy.
func (h *pushHealth) pollSpec(c *config.Config, own string) string {
	if _, healthy, _, _ := h.state(); healthy && c.Twitter.Push.On() && c.Twitter.Push.Reconcile != "" {
		return c.Twitter.Push.Reconcile
	}
	return own
}
