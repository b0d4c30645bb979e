package storage

import (
	"context"
	"fmt"
	"time"
)

// Compact removes the text of up to batch processed inbox messages
// processed before before, and of up to batch outbox messages sent before
// it, in one short transaction, and returns how many rows it compacted;
// fewer than batch of each means none is left. What dedupe needs stays:
// an inbox row keeps its channel and message id (a poll that reads the
// message again stores nothing), an outbox row its sent id, recipient,
// kind and order (the sender never takes a tweet on Twitter for a second
// message of its own, and the posting budget counts what was sent).
// Orders, charge attempts and refunds are never touched.
func (db *DB) Compact(ctx context.Context, before time.Time, batch int) (inbox, outbox int64, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`UPDATE inbox SET text = '', hashtags = '[]' WHERE id IN (
			SELECT id FROM inbox WHERE state = 'done' AND text != '' AND processed_at < ? LIMIT ?)`, ms(before), batch)
		if err != nil {
			return err
		}
		inbox, _ = res.RowsAffected()
		res, err = tx.tx.Exec(`UPDATE outbox SET text = '' WHERE id IN (
			SELECT id FROM outbox WHERE state = 'sent' AND text != '' AND sent_at < ? LIMIT ?)`, ms(before), batch)
		if err != nil {
			return err
		}
		outbox, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("compact: %w", err)
	}
	return inbox, outbox, nil
}
