package storage

import (
	"context"
	"fmt"
	"time"
)

// Compacted counts the rows one Compact pass changed, table by table.
type Compacted struct {
	Inbox, Outbox, Usage int64
	Accounts             int64 // accounts deleted past MaxAccounts
}

// Add returns the sum of c and d, for a total over passes.
func (c Compacted) Add(d Compacted) Compacted {
	return Compacted{c.Inbox + d.Inbox, c.Outbox + d.Outbox, c.Usage + d.Usage, c.Accounts + d.Accounts}
}

// Full says whether any table filled its batch of rows: there may be more
// to compact.
func (c Compacted) Full(batch int) bool {
	n := int64(batch)
	return c.Inbox >= n || c.Outbox >= n || c.Usage >= n || c.Accounts >= n
}

// Compact removes the text of up to batch processed inbox messages
// processed before before, and of up to batch outbox messages sent before
// it, and deletes up to batch API usage rows of UTC days that ended by
// then, in one short transaction, and says how many rows of each it
// changed; fewer than batch of each means none is left. What dedupe needs
// stays: an inbox row keeps its channel and message id (a poll that reads
// the message again stores nothing), an outbox row its sent id, recipient,
// kind and order (the sender never takes a tweet on Twitter for a second
// message of its own, and the posting budget counts what was sent). Usage
// is counted per day, so a day goes whole once all of it is older than
// before, and the days kept count as they did. It also deletes up to batch
// accounts past the MaxAccounts most recently updated (see PruneAccounts),
// in a transaction of their own. Orders, charge attempts and refunds are
// never touched.
func (db *DB) Compact(ctx context.Context, before time.Time, batch int) (Compacted, error) {
	var n Compacted
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`UPDATE inbox SET text = '', hashtags = '[]' WHERE id IN (
			SELECT id FROM inbox WHERE state = 'done' AND text != '' AND processed_at < ? LIMIT ?)`, ms(before), batch)
		if err != nil {
			return err
		}
		n.Inbox, _ = res.RowsAffected()
		res, err = tx.tx.Exec(`UPDATE outbox SET text = '' WHERE id IN (
			SELECT id FROM outbox WHERE state = 'sent' AND text != '' AND sent_at < ? LIMIT ?)`, ms(before), batch)
		if err != nil {
			return err
		}
		n.Outbox, _ = res.RowsAffected()
		res, err = tx.tx.Exec(`DELETE FROM api_usage WHERE rowid IN (
			SELECT rowid FROM api_usage WHERE day < ? LIMIT ?)`, before.UTC().Format(time.DateOnly), batch)
		if err != nil {
			return err
		}
		n.Usage, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return Compacted{}, fmt.Errorf("compact: %w", err)
	}
	if n.Accounts, err = db.pruneAccounts(ctx, db.maxAccounts(), batch); err != nil {
		return n, fmt.Errorf("compact accounts: %w", err)
	}
	return n, nil
}
