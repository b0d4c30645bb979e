package storage

// What only the tests read or write: none of it is part of the product.

import (
	"context"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// PendingInbox counts messages not processed yet.
func (db *DB) PendingInbox(ctx context.Context) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COUNT(*) FROM inbox WHERE state = 'pending'`).Scan(&n)
	})
	return n, err
}

// Enqueue queues replies on their own, in one transaction.
func (db *DB) Enqueue(ctx context.Context, replies []conversations.Reply) error {
	return db.update(ctx, func(tx *Tx) error { return tx.enqueue(replies) })
}

// Outbox lists every outbox message, oldest first.
func (db *DB) Outbox(ctx context.Context) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(tx, scanOutbox, `SELECT `+outboxColumns+` FROM outbox ORDER BY id`)
		return err
	})
	return out, err
}

// ChargeAttempt is one recorded issuer call.
type ChargeAttempt struct {
	OrderID    string
	Kind       string
	StartedAt  time.Time
	FinishedAt time.Time
	Outcome    string
	Detail     string
}

// ChargeAttempts lists the issuer calls made for an order, oldest first.
func (db *DB) ChargeAttempts(ctx context.Context, orderID string) ([]ChargeAttempt, error) {
	var out []ChargeAttempt
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.tx.Query(`SELECT order_id, kind, started_at, finished_at, outcome, detail FROM charge_attempts WHERE order_id = ? ORDER BY id`, orderID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a ChargeAttempt
			var s, f int64
			if err := rows.Scan(&a.OrderID, &a.Kind, &s, &f, &a.Outcome, &a.Detail); err != nil {
				return err
			}
			a.StartedAt, a.FinishedAt = fromMS(s), fromMS(f)
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// IntegrityCheck runs PRAGMA integrity_check and returns its answer, "ok"
// for a sound file.
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	var s string
	err := db.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&s)
	return s, err
}

// BeginRefund begins a refund of amount, as StartRefund does when no
// refund of the order is pending.
func (db *DB) BeginRefund(ctx context.Context, orderID string, amount int64, reason string) (Refund, error) {
	st, err := db.StartRefund(ctx, orderID, reason, 0, func(int64, []Refund) (int64, error) { return amount, nil })
	return st.Refund, err
}
