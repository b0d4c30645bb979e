package storage

import (
	"context"
	"fmt"

	"github.com/paybytweet/paybytweet/conversations"
)

// ResolveParked records what an operator found at the issuer for a
// parked order (out: Paid, Declined, or Failed when no purchase exists),
// as a charge attempt of kind "resolve", and queues what the cardholder
// is told, in one transaction. It returns ErrConflict when the order is
// not parked, and then writes nothing.
func (db *DB) ResolveParked(ctx context.Context, orderID string, out conversations.Outcome, detail string, replies []conversations.Reply) error {
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`UPDATE orders SET state = ?, purchase_id = ?, decline_code = ?, settled_at = ?, last_error = ?, updated_at = ?
			WHERE id = ? AND state = 'parked'`,
			out.State, out.PurchaseID, out.DeclineCode, ms(tx.now), detail, ms(tx.now), orderID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrConflict
		}
		if _, err := tx.tx.Exec(`INSERT INTO charge_attempts (order_id, kind, started_at, finished_at, outcome, detail) VALUES (?, 'resolve', ?, ?, ?, ?)`,
			orderID, ms(tx.now), ms(tx.now), string(out.State), detail); err != nil {
			return err
		}
		return tx.enqueue(replies)
	})
	if err != nil {
		return fmt.Errorf("resolve %s: %w", orderID, err)
	}
	return nil
}
