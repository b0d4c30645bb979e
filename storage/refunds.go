package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// The states of a refund.
const (
	RefundPending   = "pending" // asked for; the issuer's answer is not recorded yet
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// Refund is one refund of an order, as recorded.
type Refund struct {
	ID             int64
	OrderID        string
	IdempotencyKey string
	Amount         int64
	Reason         string
	State          string
	RefundID       string // the issuer's
	Refunded       int64
	LastError      string
	CreatedAt      time.Time
	SettledAt      time.Time
}

// Refunds lists an order's refunds, oldest first.
func (db *DB) Refunds(ctx context.Context, orderID string) ([]Refund, error) {
	var out []Refund
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.tx.Query(`SELECT id, order_id, idempotency_key, amount, reason, state, refund_id, refunded, last_error, created_at, settled_at
			FROM refunds WHERE order_id = ? ORDER BY id`, orderID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Refund
			var c, s int64
			if err := rows.Scan(&r.ID, &r.OrderID, &r.IdempotencyKey, &r.Amount, &r.Reason, &r.State, &r.RefundID, &r.Refunded, &r.LastError, &c, &s); err != nil {
				return err
			}
			r.CreatedAt, r.SettledAt = fromMS(c), fromMS(s)
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("refunds of %s: %w", orderID, err)
	}
	return out, nil
}

// BeginRefund records, and commits, a refund about to be asked of the
// issuer, with the idempotency key every attempt at it will carry: the
// key is "pbt-refund-" plus the order id and the refund's number. It
// returns ErrConflict when the order is not paid or a refund of it is
// still pending.
func (db *DB) BeginRefund(ctx context.Context, orderID string, amount int64, reason string) (Refund, error) {
	var r Refund
	err := db.update(ctx, func(tx *Tx) error {
		var state string
		var pending, count int
		if err := tx.tx.QueryRow(`SELECT state FROM orders WHERE id = ?`, orderID).Scan(&state); err != nil {
			return err
		}
		if err := tx.tx.QueryRow(`SELECT COALESCE(SUM(state = 'pending'), 0), COUNT(*) FROM refunds WHERE order_id = ?`, orderID).Scan(&pending, &count); err != nil {
			return err
		}
		if state != string(conversations.Paid) || pending > 0 {
			return ErrConflict
		}
		r = Refund{OrderID: orderID, IdempotencyKey: fmt.Sprintf("pbt-refund-%s-%d", orderID, count+1), Amount: amount, Reason: reason, State: RefundPending, CreatedAt: tx.now}
		res, err := tx.tx.Exec(`INSERT INTO refunds (order_id, idempotency_key, amount, reason, created_at) VALUES (?, ?, ?, ?, ?)`,
			orderID, r.IdempotencyKey, amount, reason, ms(tx.now))
		if err != nil {
			return err
		}
		r.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return r, fmt.Errorf("begin refund of %s: %w", orderID, err)
	}
	return r, nil
}

// SettleRefund records the issuer's final answer to a refund: succeeded
// (with the amount refunded, added to the order's, and the cardholder's
// notice queued) or failed. It returns ErrConflict when the refund is
// not pending.
func (db *DB) SettleRefund(ctx context.Context, refund Refund, succeeded bool, refundID string, refunded int64, detail string, notice *conversations.Reply) error {
	state := RefundFailed
	if succeeded {
		state = RefundSucceeded
	}
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`UPDATE refunds SET state = ?, refund_id = ?, refunded = ?, last_error = ?, settled_at = ? WHERE id = ? AND state = 'pending'`,
			state, refundID, refunded, detail, ms(tx.now), refund.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrConflict
		}
		if !succeeded {
			return nil
		}
		if _, err := tx.tx.Exec(`UPDATE orders SET refunded_amount = refunded_amount + ?, updated_at = ? WHERE id = ?`, refunded, ms(tx.now), refund.OrderID); err != nil {
			return err
		}
		if notice != nil {
			_, err = tx.enqueueOne(*notice)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("settle refund %s: %w", refund.IdempotencyKey, err)
	}
	return nil
}

// NoteRefundError records why a pending refund's outcome is not known yet.
func (db *DB) NoteRefundError(ctx context.Context, refund Refund, detail string) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.Exec(`UPDATE refunds SET last_error = ? WHERE id = ? AND state = 'pending'`, detail, refund.ID)
		return err
	})
}
