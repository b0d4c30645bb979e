package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// Charge is a confirmed order waiting for its charge.
type Charge struct {
	conversations.Order
	// Attempts counts the issuer calls begun for it: when it is not 0, an
	// earlier call's outcome may be unknown, and the purchase may exist.
	Attempts int
}

// DueCharges returns confirmed orders whose next charge attempt is due,
// oldest confirmation first.
func (db *DB) DueCharges(ctx context.Context, now time.Time, limit int) ([]Charge, error) {
	var out []Charge
	err := db.view(ctx, func(tx *Tx) error {
		orders, err := tx.queryOrders(`WHERE state = 'confirmed' AND next_charge_at <= ? ORDER BY confirmed_at, id LIMIT ?`, ms(now), limit)
		if err != nil {
			return err
		}
		for _, o := range orders {
			c := Charge{Order: o}
			if err := tx.tx.QueryRow(`SELECT charge_attempts FROM orders WHERE id = ?`, o.ID).Scan(&c.Attempts); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due charges: %w", err)
	}
	return out, nil
}

// NextChargeAt returns when the earliest confirmed order is due, and false
// when none is waiting.
func (db *DB) NextChargeAt(ctx context.Context) (time.Time, bool, error) {
	var at *int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT MIN(next_charge_at) FROM orders WHERE state = 'confirmed'`).Scan(&at)
	})
	if err != nil || at == nil {
		return time.Time{}, false, err
	}
	return fromMS(*at), true, nil
}

// StartCharge records, and commits, that an issuer call for the order is
// about to be made (kind "purchase" or "lookup"), before it is made: after
// a crash the record shows an attempt whose outcome is unknown. The order
// is not retried before retryAt. It returns the attempt's id.
func (db *DB) StartCharge(ctx context.Context, orderID, kind string, retryAt time.Time) (int64, error) {
	var id int64
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.startCharge(orderID, kind, retryAt)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start charge %s: %w", orderID, err)
	}
	return id, nil
}

func (tx *Tx) startCharge(orderID, kind string, retryAt time.Time) (int64, error) {
	res, err := tx.tx.Exec(`UPDATE orders SET charge_attempts = charge_attempts + 1, next_charge_at = ?, updated_at = ?
		WHERE id = ? AND state = 'confirmed'`, ms(retryAt), ms(tx.now), orderID)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, ErrConflict
	}
	res, err = tx.tx.Exec(`INSERT INTO charge_attempts (order_id, kind, started_at) VALUES (?, ?, ?)`, orderID, kind, ms(tx.now))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// SettleCharge records the final outcome of an order's charge (Paid,
// Declined, Failed, or Parked for an operator) and queues what the
// cardholder is told, in one transaction. It returns ErrConflict when the
// order is no longer confirmed, and then writes nothing.
func (db *DB) SettleCharge(ctx context.Context, orderID string, attemptID int64, out conversations.Outcome, detail string, replies []conversations.Reply) error {
	return db.Settle(ctx, Settlement{OrderID: orderID, AttemptID: attemptID, Outcome: out, Detail: detail, Replies: replies})
}

// Settle records one charge's outcome on its own, as SettleCharge does.
func (db *DB) Settle(ctx context.Context, s Settlement) error {
	if err := db.update(ctx, func(tx *Tx) error { return tx.settleCharge(s) }); err != nil {
		return fmt.Errorf("settle charge %s: %w", s.OrderID, err)
	}
	return nil
}

// Settlement is one charge's final outcome, as SettleCharge records it.
type Settlement struct {
	OrderID   string
	AttemptID int64
	Outcome   conversations.Outcome
	Detail    string
	Replies   []conversations.Reply
	// ApprovalUnsupported is true when the issuer refused to ask the
	// cardholder (its 400 param approval): counted with the outcome, so
	// that a retry after a crash does not count it twice.
	ApprovalUnsupported bool
}

func (tx *Tx) settleCharge(s Settlement) error {
	res, err := tx.tx.Exec(`UPDATE orders SET state = ?, purchase_id = ?, decline_code = ?, settled_at = ?, last_error = ?, updated_at = ?
		WHERE id = ? AND state = 'confirmed'`,
		s.Outcome.State, s.Outcome.PurchaseID, s.Outcome.DeclineCode, ms(tx.now), s.Detail, ms(tx.now), s.OrderID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	if err := tx.finishAttempt(s.AttemptID, string(s.Outcome.State), s.Detail); err != nil {
		return err
	}
	if s.ApprovalUnsupported {
		if err := tx.countMetric("approvals", "unsupported"); err != nil {
			return err
		}
	}
	if err := tx.settleApproval(s); err != nil {
		return err
	}
	return tx.enqueue(s.Replies)
}

// DeferCharge records an attempt whose outcome is not known, or that must
// wait (a 429), and when to try again.
func (db *DB) DeferCharge(ctx context.Context, orderID string, attemptID int64, retryAt time.Time, outcome, detail string) error {
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.Exec(`UPDATE orders SET next_charge_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND state = 'confirmed'`,
			ms(retryAt), detail, ms(tx.now), orderID); err != nil {
			return err
		}
		return tx.finishAttempt(attemptID, outcome, detail)
	})
	if err != nil {
		return fmt.Errorf("defer charge %s: %w", orderID, err)
	}
	return nil
}

// StartPurchase records that order orderID's look-up (attempt
// lookupAttempt) found no purchase, with its outcome and detail, and
// begins the purchase attempt that follows, retried at retryAt should it
// be interrupted: DeferCharge and StartCharge in one commit, as a charge
// between them has nothing to wait for. It returns the purchase attempt's
// id, or ErrConflict when the order is no longer confirmed (the look-up
// is recorded all the same).
func (db *DB) StartPurchase(ctx context.Context, orderID string, lookupAttempt int64, outcome, detail string, retryAt time.Time) (int64, error) {
	var id int64
	conflict := false
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.finishAttempt(lookupAttempt, outcome, detail); err != nil {
			return err
		}
		var err error
		id, err = tx.startCharge(orderID, "purchase", retryAt)
		if errors.Is(err, ErrConflict) {
			conflict = true
			return nil
		}
		return err
	})
	switch {
	case err != nil:
		return 0, fmt.Errorf("start purchase %s: %w", orderID, err)
	case conflict:
		return 0, fmt.Errorf("start purchase %s: %w", orderID, ErrConflict)
	}
	return id, nil
}

func (tx *Tx) finishAttempt(id int64, outcome, detail string) error {
	_, err := tx.tx.Exec(`UPDATE charge_attempts SET finished_at = ?, outcome = ?, detail = ? WHERE id = ?`, ms(tx.now), outcome, detail, id)
	return err
}
