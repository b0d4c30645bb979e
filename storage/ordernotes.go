package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// OrderNote returns what the last issuer call recorded on an order: for
// a parked or failed order, why (for a mismatch, what the issuer
// answered). It returns ErrNotFound when there is no such order.
func (db *DB) OrderNote(ctx context.Context, orderID string) (string, error) {
	var note string
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT last_error FROM orders WHERE id = ?`, orderID).Scan(&note)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	return note, err
}
