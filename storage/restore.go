package storage

import (
	"context"
	"fmt"

	"github.com/paybytweet/paybytweet/conversations"
)

// NewestSentID returns the largest id the bot has recorded as sent on a
// channel, 0 when none: whatever Twitter holds of the bot's above it was
// posted after this database's last record of a post (a restore from a
// replica that lost the end, or another daemon on the same account).
func (db *DB) NewestSentID(ctx context.Context, ch conversations.Channel) (int64, error) {
	var id int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COALESCE(MAX(sent_id), 0) FROM outbox WHERE channel = ? AND sent_id IS NOT NULL`, ch).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("newest sent id: %w", err)
	}
	return id, nil
}

// NewestDoneInboxID returns the largest id of a mention or DM already
// processed, 0 when none.
func (db *DB) NewestDoneInboxID(ctx context.Context) (int64, error) {
	var id int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COALESCE(MAX(message_id), 0) FROM inbox WHERE state = 'done'`).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("newest processed message: %w", err)
	}
	return id, nil
}

// SendingOutbox lists the messages whose post began with an outcome not
// yet known: what Twitter holds of them is the bot's own doing.
func (db *DB) SendingOutbox(ctx context.Context) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(tx, scanOutbox, `SELECT `+outboxColumns+` FROM outbox WHERE state = 'sending' ORDER BY id`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sending outbox: %w", err)
	}
	return out, nil
}

// RandomIDOrders counts the orders made before order ids were derived
// from their buy message: a restore to a point before one of their buys
// would not know it for the same order.
func (db *DB) RandomIDOrders(ctx context.Context) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COUNT(*) FROM orders WHERE random_id = 1`).Scan(&n)
	})
	return n, err
}

// AnyOrderPending reports whether any of the orders named is pending.
func (db *DB) AnyOrderPending(ctx context.Context, ids []string) (bool, error) {
	pending := false
	err := db.view(ctx, func(tx *Tx) error {
		for _, id := range ids {
			if err := tx.tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM orders WHERE id = ? AND state = 'pending')`, id).Scan(&pending); err != nil || pending {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("orders pending: %w", err)
	}
	return pending, nil
}
