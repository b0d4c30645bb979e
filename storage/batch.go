package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// MaxBatch bounds how many messages one ProcessBatch commits together:
// enough that a burst of buyers costs a few fsyncs rather than one each,
// few enough that the write lock is never held for long.
const MaxBatch = 32

// BatchItem is one message of a batch and how to decide about it.
type BatchItem struct {
	Msg InboxMessage
	// Skip, when not empty, marks the message done without acting on it,
	// recording why (see Skip).
	Skip   string
	Expiry conversations.ExpiryBounds
	// Decide must be pure: it may run again after a crash. An error, or a
	// decision that waits, writes nothing for this message.
	Decide func(Facts) (conversations.Decision, error)
}

// BatchResult is what became of one item: its decision, or why nothing
// was written for it.
type BatchResult struct {
	Decision conversations.Decision
	Err      error
}

// ProcessBatch decides about several messages of different cardholders in
// one transaction, one after the other, as Process would one at a time:
// each message's expiry, facts and decision see every decision before it
// in the batch, so stock is counted as if they were committed apart, and
// the whole batch is committed with one fsync. A message whose decision
// fails or waits is rolled back alone (a savepoint each), and the others
// are kept. It returns an error, and writes nothing, when the transaction
// itself fails; the results then say nothing.
func (db *DB) ProcessBatch(ctx context.Context, items []BatchItem, now time.Time) ([]BatchResult, error) {
	users := map[int64]bool{}
	for _, it := range items {
		if users[it.Msg.UserID] {
			return nil, fmt.Errorf("process batch: two messages of cardholder %d: their order would depend on the batch", it.Msg.UserID)
		}
		users[it.Msg.UserID] = true
	}
	results := make([]BatchResult, len(items))
	err := db.update(ctx, func(tx *Tx) error {
		tx.now = now
		for i, it := range items {
			if _, err := tx.tx.Exec(`SAVEPOINT item`); err != nil {
				return err
			}
			d, err := tx.processOne(it)
			results[i] = BatchResult{Decision: d, Err: err}
			if err != nil && Unavailable(err) {
				return err
			}
			release := `RELEASE item`
			if err != nil || d.Wait != conversations.NoWait {
				release = `ROLLBACK TO item; RELEASE item`
			}
			if _, err := tx.tx.Exec(release); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("process batch: %w", err)
	}
	return results, nil
}

func (tx *Tx) processOne(it BatchItem) (conversations.Decision, error) {
	m := it.Msg
	if it.Skip != "" {
		_, err := tx.tx.Exec(`UPDATE inbox SET state = 'done', action = ?, processed_at = ? WHERE id = ? AND state = 'pending'`, "skip: "+it.Skip, ms(tx.now), m.ID)
		return conversations.Decision{Action: "skip: " + it.Skip}, err
	}
	fail := func(err error) error { return fmt.Errorf("process %s %d: %w", m.Channel, m.Inbound.ID, err) }
	if _, err := tx.expireDue(it.Expiry); err != nil {
		return conversations.Decision{}, fail(err)
	}
	f, err := tx.facts(m)
	if err != nil {
		return conversations.Decision{}, fail(err)
	}
	d, err := it.Decide(f)
	if err != nil {
		return d, fail(err)
	}
	if d.Wait != conversations.NoWait {
		return d, nil
	}
	if err := tx.apply(m, d); err != nil {
		return d, fail(err)
	}
	return d, nil
}

// NextInboxBatch returns the oldest unprocessed messages that may go now,
// as NextInbox chooses them, up to n of them and stopping before the
// first whose cardholder already has one in the batch: consecutive
// messages of different cardholders, which ProcessBatch may decide
// together without changing the order anyone's messages are decided in.
func (db *DB) NextInboxBatch(ctx context.Context, limits map[conversations.Channel]int64, skip []int64, now time.Time, n int) ([]InboxMessage, error) {
	query := `SELECT ` + inboxColumns + ` FROM inbox
		WHERE state = 'pending' AND ((channel = 'tweet' AND message_id <= ?) OR (channel = 'dm' AND message_id <= ?))
		  AND user_id NOT IN (SELECT user_id FROM inbox WHERE state = 'pending' AND retry_at > ?)`
	args := []any{limits[conversations.Tweet], limits[conversations.DM], ms(now)}
	if len(skip) > 0 {
		query += ` AND user_id NOT IN (?` + strings.Repeat(", ?", len(skip)-1) + `)`
		for _, u := range skip {
			args = append(args, u)
		}
	}
	query += ` ORDER BY message_id LIMIT ?`
	args = append(args, n)
	var msgs []InboxMessage
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		msgs, err = queryAll(tx, scanInbox, query, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("next inbox: %w", err)
	}
	seen := map[int64]bool{}
	for i, m := range msgs {
		if seen[m.UserID] {
			return msgs[:i], nil
		}
		seen[m.UserID] = true
	}
	return msgs, nil
}

// MarkSendingAll records, and commits, that the posts of the messages ids
// are about to be made, as MarkSending does for one (keeping when the
// first post began), in one transaction.
// It returns the ids it marked: not those already finished.
func (db *DB) MarkSendingAll(ctx context.Context, ids []int64) (map[int64]bool, error) {
	marked := map[int64]bool{}
	if len(ids) == 0 {
		return marked, nil
	}
	err := db.update(ctx, func(tx *Tx) error {
		for _, id := range ids {
			res, err := tx.tx.Exec(`UPDATE outbox SET state = 'sending', attempts = attempts + 1, `+firstSendingSince+`
				WHERE id = ? AND state IN ('pending', 'sending')`, ms(tx.now), id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				marked[id] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark sending: %w", err)
	}
	return marked, nil
}

// StartCharges records, and commits, that a call of kind ("lookup" or
// "purchase") is about to be made to the issuer for each order of retryAt
// (its order id, and when it may be retried), as StartCharge does for
// one, in one transaction. It returns the attempt ids by order id: none
// for an order no longer confirmed.
func (db *DB) StartCharges(ctx context.Context, kind string, retryAt map[string]time.Time) (map[string]int64, error) {
	attempts := map[string]int64{}
	if len(retryAt) == 0 {
		return attempts, nil
	}
	err := db.update(ctx, func(tx *Tx) error {
		for id, at := range retryAt {
			attempt, err := tx.startCharge(id, kind, at)
			if errors.Is(err, ErrConflict) {
				continue
			}
			if err != nil {
				return err
			}
			attempts[id] = attempt
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start charges: %w", err)
	}
	return attempts, nil
}

// MarkSentAll records, as MarkSent does for one, that each outbox message
// of sent (by id) is on Twitter as its value, in one transaction: each
// request's window counts from its own post, not from this commit. It
// returns the ids that were finished already, and so not recorded again;
// on an error nothing is recorded.
func (db *DB) MarkSentAll(ctx context.Context, sent map[int64]Post) (map[int64]bool, error) {
	finished := map[int64]bool{}
	if len(sent) == 0 {
		return finished, nil
	}
	err := db.update(ctx, func(tx *Tx) error {
		for id, p := range sent {
			err := tx.markSent(id, p)
			if errors.Is(err, ErrConflict) {
				finished[id] = true
				continue
			}
			if err != nil {
				return fmt.Errorf("outbox %d: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark sent: %w", err)
	}
	return finished, nil
}

// SettleCharges records several charges' outcomes, as SettleCharge does
// for one, in one transaction. It returns the order ids no longer
// confirmed, for which nothing is written; on an error nothing is.
func (db *DB) SettleCharges(ctx context.Context, settled []Settlement) (map[string]bool, error) {
	gone := map[string]bool{}
	if len(settled) == 0 {
		return gone, nil
	}
	err := db.update(ctx, func(tx *Tx) error {
		for _, s := range settled {
			err := tx.settleCharge(s)
			if errors.Is(err, ErrConflict) {
				gone[s.OrderID] = true
				continue
			}
			if err != nil {
				return fmt.Errorf("order %s: %w", s.OrderID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("settle charges: %w", err)
	}
	return gone, nil
}
