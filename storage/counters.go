package storage

import (
	"context"
	"fmt"
)

// CounterDrift recounts, from the orders themselves, what the counters of
// migration 0007 (stock per offer, holdings per cardholder) say, and
// returns one line for every counter that disagrees: none when they are
// right. It reads every order, so it is for tests and operators, never
// for the message path.
func (db *DB) CounterDrift(ctx context.Context) ([]string, error) {
	var drift []string
	err := db.view(ctx, func(tx *Tx) error {
		stock, err := queryAll(tx, scanDrift, `SELECT 'offer ' || offer_id, printf('%d/%d/%d/%d/%s', reserved, charging, sold, revenue, currency),
				COALESCE((SELECT printf('%d/%d/%d/%d/%s', SUM(state IN ('pending', 'confirmed', 'parked')), SUM(state IN ('confirmed', 'parked')),
					SUM(state = 'paid'), SUM(CASE WHEN state = 'paid' THEN amount - refunded_amount ELSE 0 END), COALESCE(MAX(currency), s.currency))
					FROM orders o WHERE o.offer_id = s.offer_id), 'none')
			FROM offer_stock s
			UNION ALL
			SELECT 'offer ' || offer_id, 'no counter', 'orders' FROM orders
			WHERE offer_id NOT IN (SELECT offer_id FROM offer_stock) GROUP BY offer_id`)
		if err != nil {
			return err
		}
		holdings, err := queryAll(tx, scanDrift, `SELECT printf('holding %d %s', user_id, offer_id), held,
				(SELECT COUNT(*) FROM orders o WHERE o.user_id = h.user_id AND o.offer_id = h.offer_id AND o.state IN ('pending', 'confirmed', 'parked', 'paid'))
			FROM holdings h
			UNION ALL
			SELECT printf('holding %d %s', user_id, offer_id), 0, COUNT(*) FROM orders o
			WHERE state IN ('pending', 'confirmed', 'parked', 'paid')
			  AND NOT EXISTS (SELECT 1 FROM holdings h WHERE h.user_id = o.user_id AND h.offer_id = o.offer_id)
			GROUP BY user_id, offer_id`)
		if err != nil {
			return err
		}
		for _, d := range append(stock, holdings...) {
			if d.counted != d.recounted {
				drift = append(drift, fmt.Sprintf("%s: counter says %s, the orders %s", d.what, d.counted, d.recounted))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counter drift: %w", err)
	}
	return drift, nil
}

type drift struct{ what, counted, recounted string }

func scanDrift(r scanner) (drift, error) {
	var d drift
	err := r.Scan(&d.what, &d.counted, &d.recounted)
	return d, err
}
