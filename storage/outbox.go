package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// The states of an outbox message.
const (
	OutboxPending = "pending" // not tried, or known not to have been posted
	OutboxSending = "sending" // a post began; whether it reached Twitter is not known
	OutboxSent    = "sent"
	OutboxFailed  = "failed" // Twitter refused it for good
)

// OutboxMessage is one queued reply, DM or announcement.
type OutboxMessage struct {
	ID            int64
	Channel       conversations.Channel
	UserID        int64
	ScreenName    string
	InReplyTo     int64
	Kind          string
	OrderID       string
	IsRequest     bool
	Text          string
	State         string
	Attempts      int
	NextAttemptAt time.Time
	SendingSince  time.Time
	SentID        int64
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
}

const outboxColumns = `id, channel, user_id, screen_name, in_reply_to, kind, order_id, is_request, text, state,
	attempts, next_attempt_at, sending_since, COALESCE(sent_id, 0), last_error, created_at, sent_at`

func scanOutbox(r scanner) (OutboxMessage, error) {
	var m OutboxMessage
	var next, since, created, sent int64
	err := r.Scan(&m.ID, &m.Channel, &m.UserID, &m.ScreenName, &m.InReplyTo, &m.Kind, &m.OrderID, &m.IsRequest, &m.Text, &m.State,
		&m.Attempts, &next, &since, &m.SentID, &m.LastError, &created, &sent)
	m.NextAttemptAt, m.SendingSince, m.CreatedAt, m.SentAt = fromMS(next), fromMS(since), fromMS(created), fromMS(sent)
	return m, err
}

func (tx *Tx) enqueue(replies []conversations.Reply) error { return tx.enqueueAnswering(replies, 0) }

// enqueueAnswering queues the replies of the decision about inbox row
// inboxID (0: none), so that the answer time on /metrics is measured from
// that very message, even when several cardholders' messages are decided
// in one transaction.
func (tx *Tx) enqueueAnswering(replies []conversations.Reply, inboxID int64) error {
	for _, r := range replies {
		if _, err := tx.insertOutbox(r, inboxID); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) enqueueOne(r conversations.Reply) (int64, error) { return tx.insertOutbox(r, 0) }

func (tx *Tx) insertOutbox(r conversations.Reply, inboxID int64) (int64, error) {
	res, err := tx.tx.Exec(`INSERT INTO outbox (channel, user_id, screen_name, in_reply_to, kind, order_id, is_request, text, created_at, answers_inbox_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Channel, r.UserID, r.ScreenName, r.InReplyTo, string(r.Kind), r.OrderID, r.Request, r.Text, ms(tx.now), inboxID)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", r.Kind, err)
	}
	return res.LastInsertId()
}

// NextOutbox returns up to limit messages that may be sent now: each the
// oldest unfinished message of its recipient (so that each cardholder's
// messages keep their order), due by now, those of the kinds in first
// before the rest, then oldest first.
func (db *DB) NextOutbox(ctx context.Context, now time.Time, limit int, first []string) ([]OutboxMessage, error) {
	priority, args := ``, []any{ms(now)}
	if len(first) > 0 {
		priority = `kind IN (?` + strings.Repeat(", ?", len(first)-1) + `) DESC, `
		for _, k := range first {
			args = append(args, k)
		}
	}
	args = append(args, limit)
	var out []OutboxMessage
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(tx, scanOutbox, `SELECT `+outboxColumns+` FROM outbox o
			WHERE state IN ('pending', 'sending') AND next_attempt_at <= ?
			  AND id = (SELECT MIN(id) FROM outbox p WHERE p.user_id = o.user_id AND p.state IN ('pending', 'sending'))
			ORDER BY `+priority+`id LIMIT ?`, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("next outbox: %w", err)
	}
	return out, nil
}

// MarkSending records, and commits, that a post of message id is about to
// be made. From here until MarkSent or Reschedule the outcome is unknown,
// and a restart must look for the message on Twitter before posting it
// again. SendingSince stays when the first post began: a post whose
// outcome was unknown may show on Twitter only after a later one was
// made, so every search must reach back to the first.
func (db *DB) MarkSending(ctx context.Context, id int64) error {
	return db.outboxUpdate(ctx, id, func(tx *Tx) error {
		return tx.execOne(`UPDATE outbox SET state = 'sending', attempts = attempts + 1, `+firstSendingSince+`
			WHERE id = ? AND state IN ('pending', 'sending')`, ms(tx.now), id)
	})
}

// firstSendingSince sets sending_since to its one argument unless an
// earlier post set it already.
const firstSendingSince = `sending_since = CASE WHEN sending_since = 0 THEN ? ELSE sending_since END`

// Post is a message's copy on Twitter: its id, and when Twitter made it.
type Post struct {
	ID int64
	// At is when the post was made, as near as the sender knows it and
	// never later: a confirmation request's window runs from it.
	At time.Time
}

// MarkSent records that message id is on Twitter as post p. When it is
// an order's confirmation request, the order is delivered at p.At, or now
// if that is later than now (see conversations.Delivered): its window
// counts from when the cardholder could first see it, not from this
// record, which may come long after (a batch, a search). It returns
// ErrConflict when the message was already finished.
func (db *DB) MarkSent(ctx context.Context, id int64, p Post) error {
	err := db.update(ctx, func(tx *Tx) error { return tx.markSent(id, p) })
	if err != nil {
		return fmt.Errorf("mark sent %d: %w", id, err)
	}
	return nil
}

func (tx *Tx) markSent(id int64, p Post) error {
	if err := tx.execOne(`UPDATE outbox SET state = 'sent', sent_id = ?, sent_at = ?, last_error = '' WHERE id = ? AND state IN ('pending', 'sending')`,
		p.ID, ms(tx.now), id); err != nil {
		return err
	}
	o, ok, err := tx.requestOrder(id)
	if err != nil || !ok {
		return err
	}
	at := p.At
	if at.After(tx.now) || at.IsZero() {
		at = tx.now // Twitter's clock ahead of ours (no post is made after its record), or its time not known
	}
	if o, ok = conversations.Delivered(o, p.ID, at); !ok {
		return nil
	}
	_, err = tx.tx.Exec(`UPDATE orders SET request_message_id = ?, expires_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'`,
		o.RequestMessageID, ms(o.ExpiresAt), ms(tx.now), o.ID)
	return err
}

// MarkFailed records that Twitter refused message id for good (a reply to
// a deleted tweet, say), and queues notes (what to tell the cardholder
// instead) in the same commit. A confirmation request that cannot be
// delivered releases its order's unit (see conversations.Undeliverable).
func (db *DB) MarkFailed(ctx context.Context, id int64, why string, notes ...conversations.Reply) error {
	err := db.update(ctx, func(tx *Tx) error { return tx.markFailed(id, why, notes) })
	if err != nil {
		return fmt.Errorf("mark failed %d: %w", id, err)
	}
	return nil
}

func (tx *Tx) markFailed(id int64, why string, notes []conversations.Reply) error {
	if err := tx.enqueue(notes); err != nil {
		return err
	}
	if err := tx.execOne(`UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ? AND state IN ('pending', 'sending')`, why, id); err != nil {
		return err
	}
	o, ok, err := tx.requestOrder(id)
	if err != nil || !ok {
		return err
	}
	if t, ok := conversations.Undeliverable(o, tx.now); ok {
		return tx.transition(t)
	}
	return nil
}

// Delivery is what becomes of an unfinished outbox message after an
// attempt to post it: exactly one of Sent, Failed, or put off until
// RetryAt; Text and Unthread change it first.
type Delivery struct {
	Sent *Post // on Twitter as this post (see MarkSent)
	// Failed: Twitter refuses it for good; Notes are queued instead (see
	// MarkFailed).
	Failed bool
	Notes  []conversations.Reply
	// RetryAt: tried again then; NotPosted as for Reschedule.
	RetryAt   time.Time
	NotPosted bool
	Text      string // a new text; "" keeps it
	Unthread  bool   // no longer a reply (see Unthread)
	Why       string // the error that led here, kept as last_error
}

// ApplyDelivery records d for message id in one commit. It returns
// ErrConflict when the message was already finished, and then changes
// nothing.
func (db *DB) ApplyDelivery(ctx context.Context, id int64, d Delivery) error {
	err := db.update(ctx, func(tx *Tx) error {
		if d.Text != "" {
			if err := tx.execOne(`UPDATE outbox SET text = ? WHERE id = ? AND state IN ('pending', 'sending')`, d.Text, id); err != nil {
				return err
			}
		}
		if d.Unthread {
			if err := tx.execOne(`UPDATE outbox SET in_reply_to = 0 WHERE id = ? AND state IN ('pending', 'sending')`, id); err != nil {
				return err
			}
		}
		switch {
		case d.Sent != nil:
			return tx.markSent(id, *d.Sent)
		case d.Failed:
			return tx.markFailed(id, d.Why, d.Notes)
		}
		state := OutboxSending
		if d.NotPosted {
			state = OutboxPending
		}
		return tx.execOne(`UPDATE outbox SET state = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND state IN ('pending', 'sending')`,
			state, ms(d.RetryAt), d.Why, id)
	})
	if err != nil {
		return fmt.Errorf("apply delivery %d: %w", id, err)
	}
	return nil
}

// Reschedule puts message id off until at. notPosted says the message is
// known not to be on Twitter (the request was refused), so it may simply
// be posted again; otherwise it stays "sending" and must be looked for
// first.
func (db *DB) Reschedule(ctx context.Context, id int64, at time.Time, notPosted bool, why string) error {
	state := OutboxSending
	if notPosted {
		state = OutboxPending
	}
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.Exec(`UPDATE outbox SET state = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND state IN ('pending', 'sending')`,
			state, ms(at), why, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("reschedule %d: %w", id, err)
	}
	return nil
}

// requestOrder returns the order whose confirmation request outbox
// message id is; ok is false when it is no request.
func (tx *Tx) requestOrder(id int64) (conversations.Order, bool, error) {
	o, err := scanOrder(tx.tx.QueryRow(`SELECT `+orderColumns+` FROM orders
		WHERE id = (SELECT order_id FROM outbox WHERE id = ? AND is_request = 1)`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, false, nil
	}
	return o, err == nil, err
}

// outboxUpdate runs one statement on an unfinished message (with
// execOne: ErrConflict when it changed nothing).
func (db *DB) outboxUpdate(ctx context.Context, id int64, exec func(tx *Tx) error) error {
	if err := db.update(ctx, exec); err != nil {
		return fmt.Errorf("outbox %d: %w", id, err)
	}
	return nil
}

// SentIDRecorded reports whether sentID (a tweet or DM event id) is
// already recorded as the sent copy of an outbox message, so that the
// sender never takes one message on Twitter for two of its own.
func (db *DB) SentIDRecorded(ctx context.Context, ch conversations.Channel, sentID int64) (bool, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COUNT(*) FROM outbox WHERE channel = ? AND sent_id = ?`, ch, sentID).Scan(&n)
	})
	if err != nil {
		return false, fmt.Errorf("sent id %d: %w", sentID, err)
	}
	return n > 0, nil
}

// SentByUserSince counts the messages of a channel sent since t, by
// recipient (0 for announcements): the bot's own record of how much of
// Twitter's posting budget it has used, and for whom.
func (db *DB) SentByUserSince(ctx context.Context, ch conversations.Channel, t time.Time) (map[int64]int, error) {
	out := map[int64]int{}
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.tx.Query(`SELECT user_id, COUNT(*) FROM outbox WHERE state = 'sent' AND channel = ? AND sent_at >= ? GROUP BY user_id`, ch, ms(t))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var user int64
			var n int
			if err := rows.Scan(&user, &n); err != nil {
				return err
			}
			out[user] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sent by user: %w", err)
	}
	return out, nil
}

// OldestSentSince returns when the oldest message of a channel sent since
// t went out, so the sender knows when budget comes back.
func (db *DB) OldestSentSince(ctx context.Context, ch conversations.Channel, t time.Time) (time.Time, error) {
	var at *int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT MIN(sent_at) FROM outbox WHERE state = 'sent' AND channel = ? AND sent_at >= ?`, ch, ms(t)).Scan(&at)
	})
	if err != nil || at == nil {
		return time.Time{}, err
	}
	return fromMS(*at), nil
}

// Announce queues the tweet that announces an offer, once per offer and
// announcement time whatever restarts happen. It returns false when that
// announcement was queued before.
func (db *DB) Announce(ctx context.Context, offerID string, at time.Time, r conversations.Reply) (bool, error) {
	queued := false
	err := db.update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.tx.QueryRow(`SELECT COUNT(*) FROM announcements WHERE offer_id = ? AND announce_at = ?`, offerID, ms(at)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		id, err := tx.enqueueOne(r)
		if err != nil {
			return err
		}
		if _, err := tx.tx.Exec(`INSERT INTO announcements (offer_id, announce_at, outbox_id, created_at) VALUES (?, ?, ?, ?)`,
			offerID, ms(at), id, ms(tx.now)); err != nil {
			return err
		}
		queued = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("announce %s: %w", offerID, err)
	}
	return queued, nil
}

// Quiet reports whether nothing is left to do: no message unprocessed, no
// confirmed order uncharged (one waiting for the cardholder's approval
// waits for a person, not the bot), no message unsent, no audit at the issuer
// due now (one put off while the issuer cannot answer does not count).
func (db *DB) Quiet(ctx context.Context) (bool, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT
			(SELECT COUNT(*) FROM inbox WHERE state = 'pending') +
			(SELECT COUNT(*) FROM orders WHERE state = 'confirmed' AND approval_status != 'pending') +
			(SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')) +
			(SELECT COUNT(*) FROM issuer_audits WHERE state = 'due' AND next_at <= ?)`, ms(db.now())).Scan(&n)
	})
	return n == 0, err
}
