package bot

import (
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// expire releases the requests whose window closed more than ExpiryGrace
// ago and before the expiry horizon (every message posted before it is
// read: a confirmation sent in time still counts). Whatever holds them
// (polling stalled, a request never delivered, a message stuck), units are
// released all the same once their window closed maxPollStall ago: stock
// cannot be held for ever on the chance of an unread confirmation. A
// buyer arriving just after a window closed does not wait for this job:
// processing their message releases what may be released.
func (b *Bot) expire() {
	ctx := b.work
	now := b.now()
	mc, dc, err := b.progress.cursors(ctx)
	if err != nil {
		b.log.Error("read poll cursors", "component", "expiry", "err", err)
		return
	}
	bounds := conversations.ExpiryBounds{Before: minTime(now.Add(-b.opt.ExpiryGrace), b.progress.expiryHorizon(mc, dc, now)), Hard: now.Add(-maxPollStall)}
	n, err := b.db.ExpireDue(ctx, bounds, now)
	if err != nil {
		b.log.Error("expire requests", "component", "expiry", "err", err)
		return
	}
	if n > 0 {
		b.log.Info("requests expired; their units are back on sale", "component", "expiry", "count", n)
		b.wake(b.wakeAuditor)
	}
	b.log.Debug("expiry done", "component", "expiry")
}

// maxPollStall is how long after a window closed its unit is released
// whatever holds it, and how old a channel's last complete poll may be
// before the expiry horizon stops waiting for that channel.
const maxPollStall = 10 * time.Minute

// announce queues the tweet of every offer whose announcement time has
// come, once per offer and time, whatever restarts happen. An offer that
// has ended is not announced.
func (b *Bot) announce() {
	b.announceMu.Lock()
	defer b.announceMu.Unlock()
	st := b.settings()
	now := b.now()
	for _, o := range st.catalog.Offers() {
		if o.AnnounceAt.IsZero() || now.Before(o.AnnounceAt) || (!o.Ends.IsZero() && !now.Before(o.Ends)) {
			continue
		}
		// The database decides once; this process remembers its answer,
		// so that every tick after it costs no write transaction.
		key := o.ID + "@" + o.AnnounceAt.UTC().Format(time.RFC3339Nano)
		if b.announced[key] {
			continue
		}
		queued, err := b.db.Announce(b.work, o.ID, o.AnnounceAt, conversations.AnnounceTweet(st.messages, o))
		if err != nil {
			b.log.Error("announce offer", "component", "announce", "offer", o.ID, "err", err)
			continue
		}
		if b.announced == nil {
			b.announced = map[string]bool{}
		}
		b.announced[key] = true
		if queued {
			b.log.Info("offer announced", "component", "announce", "offer", o.ID)
			b.wake(b.wakeSender)
		}
	}
	b.log.Debug("announcements done", "component", "announce")
}
