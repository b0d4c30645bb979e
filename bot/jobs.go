package bot

import (
	"github.com/paybytweet/paybytweet/conversations"
)

// expire releases the requests whose window closed more than ExpiryGrace
// ago. A buyer who arrives just after a window closed does not wait for
// this: processing their message releases due requests first.
func (b *Bot) expire() {
	n, err := b.db.ExpireDue(b.work, b.now().Add(-b.opt.ExpiryGrace))
	if err != nil {
		b.log.Error("expire requests", "component", "expiry", "err", err)
		return
	}
	if n > 0 {
		b.log.Info("requests expired; their units are back on sale", "component", "expiry", "count", n)
	}
}

// announce queues the tweet of every offer whose announcement time has
// come, once per offer and time, whatever restarts happen. An offer that
// has ended is not announced.
func (b *Bot) announce() {
	st := b.settings()
	now := b.now()
	for _, o := range st.catalog.Offers() {
		if o.AnnounceAt.IsZero() || now.Before(o.AnnounceAt) || (!o.Ends.IsZero() && !now.Before(o.Ends)) {
			continue
		}
		queued, err := b.db.Announce(b.work, o.ID, o.AnnounceAt, conversations.AnnounceTweet(st.messages, o))
		if err != nil {
			b.log.Error("announce offer", "component", "announce", "offer", o.ID, "err", err)
			continue
		}
		if queued {
			b.log.Info("offer announced", "component", "announce", "offer", o.ID)
			b.wake(b.wakeSender)
		}
	}
}
