package bot

import (
	"context"
	"errors"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// processNext decides about the oldest unprocessed message. A message
// whose decision cannot be made now (the issuer is down, a request's
// outcome is not known yet) stays first in line and is tried again.
func (b *Bot) processNext() (bool, time.Duration) {
	ctx := b.work
	log := b.log.With("component", "processor")
	limits, horizon, err := b.inboxLimits(ctx)
	if err != nil {
		log.Error("read poll cursors", "err", err)
		return false, b.opt.Idle
	}
	// Waiting is for work in flight elsewhere, so it is measured on the
	// wall clock, not the business clock (which tests hold still).
	skip, nextWake := b.waitingUsers(time.Now())
	m, ok, err := b.db.NextInbox(ctx, limits, skip)
	if err != nil {
		log.Error("read inbox", "err", err)
		return false, b.opt.Idle
	}
	if !ok {
		return false, nextWake
	}
	log = log.With("channel", m.Channel, "message_id", m.Inbound.ID, "user_id", m.UserID)
	now := b.now()
	if skip := b.skipReason(m, now); skip != "" {
		if err := b.db.Skip(ctx, m.ID, skip); err != nil {
			log.Error("skip message", "err", err)
			return false, b.opt.Idle
		}
		log.Info("message not acted on", "why", skip)
		return true, 0
	}
	st := b.settings()
	intent := conversations.Classify(m.Inbound, st.catalog)
	var enrollment conversations.Enrollment
	if intent.NeedsEnrollment() {
		enrollment, err = b.enrollment(ctx, m.UserID)
		if err != nil {
			log.Warn("issuer enrollment lookup failed; this cardholder's messages wait", "err", err)
			b.wait(m.UserID, time.Now().Add(2*time.Second))
			return true, 0
		}
	}
	cfg := st.cfg
	// Requests whose window closed before this message was posted are
	// released first, so that a buyer arriving after a window closed can
	// have the unit: but only up to the horizon, before which every
	// message of both channels is read, so that a confirmation sent in
	// time by the other channel is never beaten to it.
	expireBefore := minTime(m.PostedAt, now, horizon)
	d, err := b.db.Process(ctx, m, expireBefore, now.Add(-maxPollStall), now, func(f storage.Facts) conversations.Decision {
		if f.RequestInFlight && (intent.Kind == conversations.ConfirmTag || intent.Kind == conversations.Yes) {
			return conversations.Decision{Action: "wait"}
		}
		if b.sender.guard.holdsUp(m, intent, f.Orders) {
			return conversations.Decision{Action: "wait"}
		}
		if f.InReplyToUnknown && intent.Kind == conversations.ConfirmTag {
			// It may answer another cardholder's request whose id is not
			// recorded yet: a confirmation of somebody else's request
			// must not be answered.
			return conversations.Decision{Action: "wait"}
		}
		if intent.Kind == conversations.Buy && intent.Offer.Quantity != nil && f.Taken[intent.Offer.ID] >= *intent.Offer.Quantity &&
			f.ExpiredHeld[intent.Offer.ID] > 0 && b.mayWaitForHorizon(m) {
			// Sold out only because windows that closed before this buy
			// cannot be released yet: read both channels up to now, then
			// decide.
			return conversations.Decision{Action: "wait-horizon"}
		}
		return conversations.Decide(conversations.Situation{
			Now: now, Catalog: st.catalog, Messages: st.messages, Privacy: cfg.Privacy,
			Window: cfg.Confirmation.Window, EnrollURL: cfg.Issuer.EnrollURL,
			Enrollment: enrollment, Orders: f.Orders, Taken: f.Taken,
			InReplyToOthers: f.InReplyToOthers, HelpPointerSent: f.HelpPointerSent,
			NewOrderID: orderIDFor(m.Channel, m.Inbound.ID, intent.Offer.ID),
		}, m.Inbound, intent)
	})
	if err != nil {
		log.Error("process message", "err", err)
		return false, b.opt.Idle
	}
	switch d.Action {
	case "wait":
		log.Info("waiting: a reply this message may answer is being sent, and its outcome is not known yet")
		b.wait(m.UserID, time.Now().Add(500*time.Millisecond))
		return true, 0
	case "wait-horizon":
		log.Info("waiting: units whose window closed may be released once both channels are read up to now")
		b.pokePolls()
		b.wait(m.UserID, time.Now().Add(500*time.Millisecond))
		return true, 0
	}
	delete(b.horizonWaits, m.ID)
	crashpoint.Hit(crashpoint.AfterProcess)
	log.Info("processed", "action", d.Action, "replies", len(d.Replies))
	if len(d.Replies) > 0 {
		b.wake(b.wakeSender)
	}
	if len(d.Transitions) > 0 {
		b.wake(b.wakeCharger)
	}
	return true, 0
}

// wait puts a cardholder's messages off until at; only the processor's
// goroutine uses the map.
func (b *Bot) wait(user int64, at time.Time) {
	if b.waiting == nil {
		b.waiting = map[int64]time.Time{}
	}
	b.waiting[user] = at
}

// waitingUsers returns the cardholders whose messages wait now, and how
// long until the first of them may go again.
func (b *Bot) waitingUsers(now time.Time) ([]int64, time.Duration) {
	var users []int64
	var next time.Duration
	for u, at := range b.waiting {
		if !now.Before(at) {
			delete(b.waiting, u)
			continue
		}
		users = append(users, u)
		if d := at.Sub(now); next == 0 || d < next {
			next = d
		}
	}
	return users, next
}

// skipReason says why a stored message is not acted on, or "".
func (b *Bot) skipReason(m storage.InboxMessage, now time.Time) string {
	if id := b.botID.Load(); id != 0 && m.UserID == id {
		return "the bot's own message"
	}
	if now.Sub(m.PostedAt) > b.opt.MaxAge {
		return "older than " + b.opt.MaxAge.String()
	}
	return ""
}

// inboxLimits returns, per channel, the newest message id up to which
// every message is stored (messages above it belong to a poll that is
// still walking back through pages), and the expiry horizon.
func (b *Bot) inboxLimits(ctx context.Context) (map[conversations.Channel]int64, time.Time, error) {
	mc, err := b.mentionCursor(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	dc, err := b.dmCursor(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	return map[conversations.Channel]int64{conversations.Tweet: mc.SinceID, conversations.DM: dc.HighWater}, b.expiryHorizon(mc, dc, b.now()), nil
}

// expiryHorizon is the moment before which every mention and DM has been
// read: the start of the older of the two channels' last complete polls,
// less PollLag for Twitter's indexing and clocks. No request expires
// later than it, so a confirmation posted in time is read before its
// request is released. A channel whose last complete poll is older than
// maxPollStall (its budget, its credentials, a first walk through a long
// history) is not waited for: its unread confirmations are as late as
// Bot.expire's bound allows anyway. Zero when neither channel counts.
func (b *Bot) expiryHorizon(mc mentionCursor, dc dmCursor, now time.Time) time.Time {
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
	return h.Add(-b.opt.PollLag)
}

// mayWaitForHorizon reports whether a buy may still wait for the expiry
// horizon to pass the windows that closed before it: for at most
// maxHorizonWait of wall time, after which it is decided on what is known.
func (b *Bot) mayWaitForHorizon(m storage.InboxMessage) bool {
	if b.horizonWaits == nil {
		b.horizonWaits = map[int64]time.Time{}
	}
	first, ok := b.horizonWaits[m.ID]
	if !ok {
		b.horizonWaits[m.ID] = time.Now()
		return true
	}
	if time.Since(first) < maxHorizonWait {
		return true
	}
	delete(b.horizonWaits, m.ID)
	return false
}

// maxHorizonWait bounds how long a buy waits for both channels to be read
// (a DM poll that keeps failing must not hold a buyer for ever).
const maxHorizonWait = 30 * time.Second

// pokePolls starts a poll of both channels now, so that the horizon
// catches up with a waiting buyer: at most every pokeEvery, and only a
// channel with budget to spare beyond what its schedule and the sender
// need, so that waiting buyers never starve the DM list.
func (b *Bot) pokePolls() {
	if time.Since(b.lastPoke) < pokeEvery {
		return
	}
	b.lastPoke = time.Now()
	spare := func(endpoint string, keep int) bool {
		l, ok := b.tw.Limit(endpoint)
		return !ok || l.Remaining > keep || !b.now().Before(l.Reset)
	}
	dms, mentions := spare("direct_messages/events/list", pokeReserve), spare("statuses/mentions_timeline", pokeReserve)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if dms {
			b.pollDMs()
		}
		if mentions {
			b.pollMentions()
		}
	}()
}

// pokeEvery and pokeReserve pace the polls a waiting buyer asks for: one
// every few seconds, and none that would leave a channel fewer calls than
// its schedule and the sender's searches need.
const (
	pokeEvery   = 5 * time.Second
	pokeReserve = 5
)

func minTime(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.IsZero() {
			return time.Time{}
		}
		if out.IsZero() || t.Before(out) {
			out = t
		}
	}
	return out
}

// enrollment asks the issuer whether the user has a card linked. It
// returns an error only when the answer is not known.
func (b *Bot) enrollment(ctx context.Context, userID int64) (conversations.Enrollment, error) {
	ctx, cancel := context.WithTimeout(ctx, b.settings().cfg.Issuer.Timeout)
	defer cancel()
	e, err := b.iss.Enrollment(ctx, userID)
	if err != nil {
		var ie *issuer.Error
		if errors.As(err, &ie) && ie.Code == issuer.CodeNotEnrolled {
			return conversations.Enrollment{}, nil // told how to link a card
		}
		// Anything else (a misrouted URL's 404, a bad key) says nothing
		// about the cardholder: the buy waits rather than tell them to
		// link a card they have linked.
		return conversations.Enrollment{}, err
	}
	return conversations.Enrollment{Enrolled: true, Active: e.Active(), Cardholder: e.Cardholder, CardLast4: e.CardLast4}, nil
}
