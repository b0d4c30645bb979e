package storage

import (
	"context"
	"errors"
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
		var err error
		out, err = tx.refunds(orderID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("refunds of %s: %w", orderID, err)
	}
	return out, nil
}

// ErrRefundUnderWay means another run is asking the issuer about the
// order's pending refund: a second run asking too could only confuse its
// outcome, so it does nothing.
var ErrRefundUnderWay = errors.New("another refund of this order is under way")

// RefundCheck decides, inside the transaction that would begin a refund,
// from the order's refunded amount and its refunds so far, the amount to
// refund, or returns why none.
type RefundCheck func(refunded int64, earlier []Refund) (int64, error)

// RefundStart is a refund StartRefund took up.
type RefundStart struct {
	Refund   Refund
	Resume   bool  // an earlier run began it; its outcome is not recorded
	Refunded int64 // the order's refunded amount, as the refund started
}

// StartRefund takes up a refund of a paid order, in one transaction, and
// holds it for this run until hold has passed (or NoteRefundError or
// SettleRefund lets it go). A pending refund that no other run holds is
// resumed: it is returned with Resume set. One that another run holds
// is returned with ErrRefundUnderWay. Otherwise check decides the amount
// and a new refund is recorded, with the idempotency key every attempt at
// it will carry ("pbt-refund-" plus the order id and the refund's
// number). Checking and beginning in one immediate transaction is what
// keeps two runs asking at once from both passing a check that the
// other's refund would fail. It returns ErrConflict when the order is not
// paid, and check's error, as it is, when check refuses.
func (db *DB) StartRefund(ctx context.Context, orderID, reason string, hold time.Duration, check RefundCheck) (RefundStart, error) {
	var st RefundStart
	var refused error
	err := db.update(ctx, func(tx *Tx) error {
		var state string
		if err := tx.tx.QueryRow(`SELECT state, refunded_amount FROM orders WHERE id = ?`, orderID).Scan(&state, &st.Refunded); err != nil {
			return err
		}
		if state != string(conversations.Paid) {
			return ErrConflict
		}
		earlier, err := tx.refunds(orderID)
		if err != nil {
			return err
		}
		until := ms(tx.now.Add(hold))
		for _, p := range earlier {
			if p.State == RefundPending {
				st.Refund, st.Resume = p, true
				return tx.holdRefund(p, until)
			}
		}
		amount, err := check(st.Refunded, earlier)
		if err != nil {
			refused = err
			return err
		}
		r := Refund{OrderID: orderID, IdempotencyKey: fmt.Sprintf("pbt-refund-%s-%d", orderID, len(earlier)+1), Amount: amount, Reason: reason, State: RefundPending, CreatedAt: tx.now}
		res, err := tx.tx.Exec(`INSERT INTO refunds (order_id, idempotency_key, amount, reason, created_at, held_until) VALUES (?, ?, ?, ?, ?, ?)`,
			orderID, r.IdempotencyKey, amount, reason, ms(tx.now), until)
		if err != nil {
			return err
		}
		r.ID, err = res.LastInsertId()
		st.Refund = r
		return err
	})
	switch {
	case refused != nil:
		return st, refused
	case err != nil:
		return st, fmt.Errorf("start refund of %s: %w", orderID, err)
	}
	return st, nil
}

// holdRefund holds a pending refund for this run until the given time
// (Unix ms), or returns ErrRefundUnderWay when another run holds it.
func (tx *Tx) holdRefund(r Refund, until int64) error {
	err := tx.execOne(`UPDATE refunds SET held_until = ? WHERE id = ? AND state = 'pending' AND held_until <= ?`, until, r.ID, ms(tx.now))
	if errors.Is(err, ErrConflict) {
		return ErrRefundUnderWay
	}
	return err
}

// refunds lists an order's refunds, oldest first.
func (tx *Tx) refunds(orderID string) ([]Refund, error) {
	return queryAll(tx, scanRefund, `SELECT id, order_id, idempotency_key, amount, reason, state, refund_id, refunded, last_error, created_at, settled_at
		FROM refunds WHERE order_id = ? ORDER BY id`, orderID)
}

func scanRefund(row scanner) (Refund, error) {
	var r Refund
	var c, s int64
	err := row.Scan(&r.ID, &r.OrderID, &r.IdempotencyKey, &r.Amount, &r.Reason, &r.State, &r.RefundID, &r.Refunded, &r.LastError, &c, &s)
	r.CreatedAt, r.SettledAt = fromMS(c), fromMS(s)
	return r, err
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

// NoteRefundError records why a pending refund's outcome is not known
// yet, and lets the refund go for the next run to settle.
func (db *DB) NoteRefundError(ctx context.Context, refund Refund, detail string) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.Exec(`UPDATE refunds SET last_error = ?, held_until = 0 WHERE id = ? AND state = 'pending'`, detail, refund.ID)
		return err
	})
}
