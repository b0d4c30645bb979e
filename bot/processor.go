package bot

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
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
	limits, err := b.inboxLimits(ctx)
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
	expireBefore := m.PostedAt
	if expireBefore.After(now) {
		expireBefore = now
	}
	d, err := b.db.Process(ctx, m, expireBefore, func(f storage.Facts) conversations.Decision {
		if f.RequestInFlight && (intent.Kind == conversations.ConfirmTag || intent.Kind == conversations.Yes) {
			return conversations.Decision{Action: "wait"}
		}
		if f.InReplyToUnknown && intent.Kind == conversations.ConfirmTag {
			// It may answer another cardholder's request whose id is not
			// recorded yet: a confirmation of somebody else's request
			// must not be answered.
			return conversations.Decision{Action: "wait"}
		}
		return conversations.Decide(conversations.Situation{
			Now: now, Catalog: st.catalog, Messages: st.messages, Privacy: cfg.Privacy,
			Window: cfg.Confirmation.Window, EnrollURL: cfg.Issuer.EnrollURL,
			Enrollment: enrollment, Orders: f.Orders, Taken: f.Taken,
			InReplyToOthers: f.InReplyToOthers, HelpPointerSent: f.HelpPointerSent,
			NewOrderID: newOrderID(now),
		}, m.Inbound, intent)
	})
	if err != nil {
		log.Error("process message", "err", err)
		return false, b.opt.Idle
	}
	if d.Action == "wait" {
		log.Info("waiting: a reply this message may answer is being sent, and its outcome is not known yet")
		b.wait(m.UserID, time.Now().Add(500*time.Millisecond))
		return true, 0
	}
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
// every message is stored: messages above it belong to a poll that is
// still walking back through pages.
func (b *Bot) inboxLimits(ctx context.Context) (map[conversations.Channel]int64, error) {
	mc, err := b.mentionCursor(ctx)
	if err != nil {
		return nil, err
	}
	dc, err := b.dmCursor(ctx)
	if err != nil {
		return nil, err
	}
	return map[conversations.Channel]int64{conversations.Tweet: mc.SinceID, conversations.DM: dc.HighWater}, nil
}

// enrollment asks the issuer whether the user has a card linked. It
// returns an error only when the answer is not known.
func (b *Bot) enrollment(ctx context.Context, userID int64) (conversations.Enrollment, error) {
	ctx, cancel := context.WithTimeout(ctx, b.settings().cfg.Issuer.Timeout)
	defer cancel()
	e, err := b.iss.Enrollment(ctx, userID)
	if err != nil {
		if issuer.Outcome(err) == issuer.Final {
			// not_enrolled, or anything else the issuer says for good:
			// the cardholder is told how to link a card.
			return conversations.Enrollment{}, nil
		}
		return conversations.Enrollment{}, err
	}
	return conversations.Enrollment{Enrolled: true, Active: e.Active(), Cardholder: e.Cardholder, CardLast4: e.CardLast4}, nil
}

var orderIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newOrderID returns "ord_" and 16 characters: 48 bits of milliseconds, so
// ids sort by time, and 32 random bits.
func newOrderID(now time.Time) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:])
	return "ord_" + strings.ToLower(orderIDEncoding.EncodeToString(b[:]))
}
