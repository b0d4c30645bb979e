package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// jobDeps is what the scheduled jobs (expiry, announcements, retention)
// share.
type jobDeps struct {
	// settings gives the offers, the replies' texts and the retention, as
	// the last reload left them.
	settings func() *settings
	now      func() time.Time
	log      *slog.Logger
	// work gives the context of a run's storage calls: cancelled when
	// work in flight is abandoned (the bot makes it when it opens).
	work func() context.Context
}

// expiryStore is what the expiry job needs of storage; *storage.DB is
// the real one.
type expiryStore interface {
	ExpireDue(ctx context.Context, b conversations.ExpiryBounds, now time.Time) (int64, error)
}

// expirer releases the units of requests whose window closed.
type expirer struct {
	jobDeps
	store       expiryStore
	progress    pollProgress  // how far the polls have read
	grace       time.Duration // Options.ExpiryGrace
	wakeAuditor func()        // expired requests may need auditing
}

// expire releases the requests whose window closed more than ExpiryGrace
// ago and before the expiry horizon (every message posted before it is
// read: a confirmation sent in time still counts). Whatever holds them
// (polling stalled, a request never delivered, a message stuck), units are
// released all the same once their window closed maxPollStall ago: stock
// cannot be held for ever on the chance of an unread confirmation. A
// buyer arriving just after a window closed does not wait for this job:
// processing their message releases what may be released.
func (e *expirer) expire() {
	ctx := e.work()
	now := e.now()
	mc, dc, err := e.progress.cursors(ctx)
	if err != nil {
		e.log.Error("read poll cursors", "component", "expiry", "err", err)
		return
	}
	bounds := conversations.ExpiryBounds{Before: minTime(now.Add(-e.grace), e.progress.expiryHorizon(mc, dc, now)), Hard: now.Add(-maxPollStall)}
	n, err := e.store.ExpireDue(ctx, bounds, now)
	if err != nil {
		e.log.Error("expire requests", "component", "expiry", "err", err)
		return
	}
	if n > 0 {
		e.log.Info("requests expired; their units are back on sale", "component", "expiry", "count", n)
		e.wakeAuditor()
	}
	e.log.Debug("expiry done", "component", "expiry")
}

// maxPollStall is how long after a window closed its unit is released
// whatever holds it, and how old a channel's last complete poll may be
// before the expiry horizon stops waiting for that channel.
const maxPollStall = 10 * time.Minute

// announceStore is what the announcement job needs of storage;
// *storage.DB is the real one.
type announceStore interface {
	Announce(ctx context.Context, offerID string, at time.Time, r conversations.Reply) (bool, error)
}

// announcer queues each offer's announcement tweet once.
type announcer struct {
	jobDeps
	store      announceStore
	wakeSender func() // an announcement was queued

	mu        sync.Mutex
	announced map[string]bool // announcements the database has recorded, by offer and time
}

// announce queues the tweet of every offer whose announcement time has
// come, once per offer and time, whatever restarts happen. An offer that
// has ended is not announced.
func (a *announcer) announce() {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.settings()
	now := a.now()
	for _, o := range st.catalog.Offers() {
		if o.AnnounceAt.IsZero() || now.Before(o.AnnounceAt) || (!o.Ends.IsZero() && !now.Before(o.Ends)) {
			continue
		}
		// The database decides once; this process remembers its answer,
		// so that every tick after it costs no write transaction.
		key := o.ID + "@" + o.AnnounceAt.UTC().Format(time.RFC3339Nano)
		if a.announced[key] {
			continue
		}
		queued, err := a.store.Announce(a.work(), o.ID, o.AnnounceAt, conversations.AnnounceTweet(st.messages, o))
		if err != nil {
			a.log.Error("announce offer", "component", "announce", "offer", o.ID, "err", err)
			continue
		}
		if a.announced == nil {
			a.announced = map[string]bool{}
		}
		a.announced[key] = true
		if queued {
			a.log.Info("offer announced", "component", "announce", "offer", o.ID)
			a.wakeSender()
		}
	}
	a.log.Debug("announcements done", "component", "announce")
}
