package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// Facts is what the database knows that a decision about one message
// needs, read in the transaction that records it: the conversation's own
// type, which conversations.Situation embeds.
type Facts = conversations.History

// RecentOrders is how many orders besides those holding stock a decision
// sees: enough for "orders", limits and "already confirmed".
const RecentOrders = 20

// Process decides about one inbox message and records the decision, in
// one transaction: pending requests due to expire under expiry (see
// conversations.Expires) are released first, so that a buyer arriving after a window closed can have its
// unit; then decide is called with the facts, and the new order, the
// order transitions, the replies and the message's done mark are written
// together. decide must be pure: it may run again after a crash.
//
// When decide returns a Decision that waits, nothing is written and the
// message stays pending. It returns ErrConflict when an order was not in
// the state a transition expected.
func (db *DB) Process(ctx context.Context, m InboxMessage, expiry conversations.ExpiryBounds, now time.Time, decide func(Facts) conversations.Decision) (conversations.Decision, error) {
	res, err := db.ProcessBatch(ctx, []BatchItem{{Msg: m, Expiry: expiry, Decide: func(f Facts) (conversations.Decision, error) {
		return decide(f), nil
	}}}, now)
	if err != nil {
		return conversations.Decision{}, err
	}
	return res[0].Decision, res[0].Err
}

func (tx *Tx) facts(m InboxMessage) (Facts, error) {
	var f Facts
	var err error
	if f.Orders, err = tx.userOrders(m.UserID); err != nil {
		return f, err
	}
	if f.Taken, err = tx.taken(); err != nil {
		return f, err
	}
	if f.Held, err = tx.countByOffer(`SELECT offer_id, held FROM holdings WHERE user_id = ?`, m.UserID); err != nil {
		return f, err
	}
	if f.Lapsed, err = tx.queryOrders(`WHERE state = 'pending' AND expires_at < ?`, ms(m.PostedAt)); err != nil {
		return f, err
	}
	f.RequestsSent = map[string]int{}
	if err := tx.requestsSent(m.UserID, f.RequestsSent); err != nil {
		return f, err
	}
	if m.InReplyTo != 0 {
		if err := tx.inReplyToFacts(m, &f); err != nil {
			return f, err
		}
	}
	var pointer, inflight int
	if err := tx.tx.QueryRow(`SELECT
		COALESCE((SELECT help_pointer_sent FROM conversations WHERE user_id = ?1), 0),
		(SELECT COUNT(*) FROM outbox WHERE user_id = ?1 AND is_request = 1 AND state = 'sending')`, m.UserID).Scan(&pointer, &inflight); err != nil {
		return f, err
	}
	f.HelpPointerSent, f.RequestInFlight = pointer != 0, inflight > 0
	if f.HintedAt, err = tx.hintedAt(m.UserID); err != nil {
		return f, err
	}
	return f, tx.riskFacts(m, &f)
}

// requestsSent counts, into sent by order, the requests already sent for
// the cardholder's pending orders.
func (tx *Tx) requestsSent(userID int64, sent map[string]int) error {
	rows, err := tx.tx.Query(`SELECT o.order_id, COUNT(*) FROM outbox o JOIN orders r ON r.id = o.order_id
		WHERE r.user_id = ? AND r.state = 'pending' AND o.is_request = 1 GROUP BY o.order_id`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		sent[id] = n
	}
	return rows.Err()
}

// inReplyToFacts tells whether the tweet m replies to is another
// cardholder's, or one not known yet while others' answers are being sent.
func (tx *Tx) inReplyToFacts(m InboxMessage, f *Facts) error {
	var n int
	err := tx.tx.QueryRow(`SELECT
			(SELECT COUNT(*) FROM orders WHERE buy_message_id = ?1 AND user_id != ?2) +
			(SELECT COUNT(*) FROM outbox WHERE channel = 'tweet' AND sent_id = ?1 AND user_id != ?2 AND user_id != 0)`,
		m.InReplyTo, m.UserID).Scan(&n)
	if err != nil {
		return err
	}
	f.InReplyToOthers = n > 0
	if f.InReplyToOthers {
		return nil
	}
	var known, othersSending int
	err = tx.tx.QueryRow(`SELECT
				(SELECT COUNT(*) FROM orders WHERE buy_message_id = ?1) +
				(SELECT COUNT(*) FROM outbox WHERE channel = 'tweet' AND sent_id = ?1),
				(SELECT COUNT(*) FROM outbox WHERE channel = 'tweet' AND state = 'sending' AND user_id != ?2 AND user_id != 0)`,
		m.InReplyTo, m.UserID).Scan(&known, &othersSending)
	if err != nil {
		return err
	}
	f.InReplyToUnknown = known == 0 && othersSending > 0
	return nil
}

func (tx *Tx) apply(m InboxMessage, d conversations.Decision) error {
	if o := d.NewOrder; o != nil {
		if err := tx.insertOrder(*o); err != nil {
			return err
		}
	}
	if err := tx.applyTransitions(d.Transitions, m.UserID); err != nil {
		return err
	}
	if d.Refused != "" {
		if err := tx.countMetric("risk_refused", d.Refused); err != nil {
			return err
		}
	}
	if o := d.Audit; o != nil {
		if err := tx.auditRefused(*o); err != nil {
			return err
		}
	}
	if err := tx.enqueueAnswering(d.Replies, m.ID); err != nil {
		return err
	}
	if d.Hinted != "" {
		if err := tx.recordHint(m.UserID, d.Hinted); err != nil {
			return err
		}
	}
	if d.HelpPointerSent != nil {
		if err := tx.setHelpPointerSent(m.UserID, *d.HelpPointerSent); err != nil {
			return err
		}
	}
	return tx.markDone(m, d.Action)
}

// applyTransitions moves the decision's orders on, recording the risk
// each transition was judged with.
func (tx *Tx) applyTransitions(ts []conversations.Transition, userID int64) error {
	for _, t := range ts {
		if err := tx.transition(t); err != nil {
			return err
		}
		if t.Risk != nil {
			if err := tx.recordRisk(t, userID); err != nil {
				return err
			}
		}
	}
	return nil
}

// setHelpPointerSent stores the conversation's "pointer to help already
// given" flag, which keeps two bots from talking each other into a loop.
func (tx *Tx) setHelpPointerSent(userID int64, sent bool) error {
	v := 0
	if sent {
		v = 1
	}
	_, err := tx.tx.Exec(`INSERT INTO conversations (user_id, help_pointer_sent, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET help_pointer_sent = excluded.help_pointer_sent, updated_at = excluded.updated_at`,
		userID, v, ms(tx.now))
	return err
}

// markDone closes the inbox message with the action taken; ErrConflict
// when it was no longer pending.
func (tx *Tx) markDone(m InboxMessage, action string) error {
	res, err := tx.tx.Exec(`UPDATE inbox SET state = 'done', action = ?, processed_at = ? WHERE id = ? AND state = 'pending'`, action, ms(tx.now), m.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("inbox %d: %w", m.ID, ErrConflict)
	}
	return nil
}
