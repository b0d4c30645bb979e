package bot

import (
	"context"
	"errors"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// cursorStore is what reading the poll cursors needs of storage;
// *storage.DB is the real one.
type cursorStore interface {
	Cursor(ctx context.Context, name string, v any) error
}

// readCursor reads the named channel's poll cursor: the zero cursor when
// none is stored yet.
func readCursor(ctx context.Context, store cursorStore, name string) (streamCursor, error) {
	var c streamCursor
	if err := store.Cursor(ctx, name, &c); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return c, err
	}
	c.Stored = max(c.Stored, c.OldSinceID, c.OldHighWater)
	c.OldSinceID, c.OldHighWater = 0, 0
	return c, nil
}

// pollProgress reads how far the polls of both channels have got, which
// the processor (what it may act on) and the expiry job (what may expire)
// both need. It reads the cursors the pollers save; it polls nothing.
type pollProgress struct {
	store   cursorStore
	pollLag time.Duration // Options.PollLag
}

// cursors returns the mentions' and the DMs' cursors.
func (pp pollProgress) cursors(ctx context.Context) (mc, dc streamCursor, err error) {
	mc, err1 := readCursor(ctx, pp.store, cursorMentions)
	dc, err2 := readCursor(ctx, pp.store, cursorDMs)
	return mc, dc, errors.Join(err1, err2)
}

// inboxLimits returns, per channel, the newest message id up to which
// messages may be acted on (see streamCursor.actOnUpTo: messages above it
// belong to a poll that is still walking back through pages), and the
// expiry horizon at the time now gives once the cursors are read.
func (pp pollProgress) inboxLimits(ctx context.Context, now func() time.Time) (map[conversations.Channel]int64, time.Time, error) {
	mc, err := readCursor(ctx, pp.store, cursorMentions)
	if err != nil {
		return nil, time.Time{}, err
	}
	dc, err := readCursor(ctx, pp.store, cursorDMs)
	if err != nil {
		return nil, time.Time{}, err
	}
	return map[conversations.Channel]int64{conversations.Tweet: mc.actOnUpTo(), conversations.DM: dc.actOnUpTo()}, pp.expiryHorizon(mc, dc, now()), nil
}

// expiryHorizon is the moment before which every mention and DM has been
// read: the start of the older of the two channels' last complete polls,
// less PollLag for Twitter's indexing and clocks. No request expires
// later than it, so a confirmation posted in time is read before its
// request is released. A channel whose last complete poll is older than
// maxPollStall (its budget, its credentials, a first walk through a long
// history) is not waited for: its unread confirmations are as late as
// expirer.expire's bound allows anyway. Zero when neither channel counts.
func (pp pollProgress) expiryHorizon(mc, dc streamCursor, now time.Time) time.Time {
	var h time.Time
	for _, polled := range []time.Time{mc.PolledAt, dc.PolledAt} {
		if polled.IsZero() || now.Sub(polled) > maxPollStall {
			continue
		}
		if h.IsZero() || polled.Before(h) {
			h = polled
		}
	}
	if h.IsZero() {
		return h
	}
	return h.Add(-pp.pollLag)
}
