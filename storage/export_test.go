package storage

import "context"

// PendingInbox counts messages not processed yet.
func (db *DB) PendingInbox(ctx context.Context) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COUNT(*) FROM inbox WHERE state = 'pending'`).Scan(&n)
	})
	return n, err
}
