package storage

import (
	"context"
	"fmt"
	"time"
)

// Usage is one call's resources, as RecordUsages takes them.
type Usage struct {
	Kind string
	At   time.Time
	IDs  []int64
}

// RecordUsages counts the resources (post or DM event ids) that calls
// read or wrote, each once per UTC day of its call, as X charges them,
// in one commit: a burst of posts costs the bot one commit of counts,
// not one each.
func (db *DB) RecordUsages(ctx context.Context, us []Usage) error {
	err := db.update(ctx, func(tx *Tx) error {
		for _, u := range us {
			if err := tx.recordUsage(u.Kind, u.At, u.IDs...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	return nil
}

// UsageCount is how many resources of a kind were counted on a day, in
// all (Offer "") or for one offer's messages.
type UsageCount struct {
	Day   string
	Offer string
	Kind  string
	Count int64
}

// PaidCount is how many orders were paid on a day, per offer.
type PaidCount struct {
	Day   string
	Offer string
	Count int64
}

// Usage returns every day's counts: in all, and per offer for the
// resources that belong to one offer's orders (its buy and confirmation
// messages, the replies and DMs about its orders, its announcements),
// with the orders paid each day.
func (db *DB) Usage(ctx context.Context) ([]UsageCount, []PaidCount, error) {
	var counts []UsageCount
	var paid []PaidCount
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.tx.Query(`
			SELECT day, '', kind, COUNT(*) FROM api_usage GROUP BY day, kind
			UNION ALL
			SELECT u.day, o.offer_id, u.kind, COUNT(DISTINCT u.resource_id)
			FROM api_usage u JOIN orders o ON u.resource_id IN (o.buy_message_id, o.confirm_message_id)
			GROUP BY u.day, o.offer_id, u.kind
			UNION ALL
			SELECT u.day, COALESCE(o.offer_id, a.offer_id), u.kind, COUNT(*)
			FROM api_usage u JOIN outbox b ON b.sent_id = u.resource_id AND b.state = 'sent'
			LEFT JOIN orders o ON o.id = b.order_id AND b.order_id != ''
			LEFT JOIN announcements a ON a.outbox_id = b.id
			WHERE COALESCE(o.offer_id, a.offer_id) IS NOT NULL
			GROUP BY u.day, COALESCE(o.offer_id, a.offer_id), u.kind
			ORDER BY 1, 2, 3`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c UsageCount
			if err := rows.Scan(&c.Day, &c.Offer, &c.Kind, &c.Count); err != nil {
				return err
			}
			counts = append(counts, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		prows, err := tx.tx.Query(`SELECT strftime('%Y-%m-%d', settled_at / 1000, 'unixepoch'), offer_id, COUNT(*)
			FROM orders WHERE state = 'paid' AND settled_at > 0 GROUP BY 1, 2 ORDER BY 1, 2`)
		if err != nil {
			return err
		}
		defer prows.Close()
		for prows.Next() {
			var p PaidCount
			if err := prows.Scan(&p.Day, &p.Offer, &p.Count); err != nil {
				return err
			}
			paid = append(paid, p)
		}
		return prows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("usage: %w", err)
	}
	return counts, paid, nil
}

// recordUsage is RecordUsage in tx.
func (tx *Tx) recordUsage(kind string, now time.Time, ids ...int64) error {
	day := now.UTC().Format(time.DateOnly)
	for _, id := range ids {
		if _, err := tx.tx.Exec(`INSERT OR IGNORE INTO api_usage (day, kind, resource_id) VALUES (?, ?, ?)`, day, kind, id); err != nil {
			return err
		}
	}
	return nil
}
