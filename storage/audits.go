package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// AuditOrdersBefore makes every order that a daemon running before t
// could have acted on (one made before t, or made from a buy message
// posted before t) get an audit when it ends unpaid: expired or cancelled.
// The daemon calls it with its start time. After a restore from a replica
// the database has lost what that earlier daemon did: an order it
// confirmed and charged may be pending here, its confirmation judged too
// early against a request posted again, and end unpaid while the issuer
// holds its purchase. The audit looks the order's reference up, and
// records what it finds (see RecordFoundPurchase). Orders of buys posted
// later than t were only ever this daemon's, and are not audited. (A buy
// refused when read again has no order to end: the decision carries the
// order it would have made, conversations.Decision.Audit.)
func (db *DB) AuditOrdersBefore(t time.Time) { db.auditBefore.Store(ms(t)) }

// auditIfInherited queues the audit of an order that transition t ended
// unpaid, when a daemon before this one could have charged it.
func (tx *Tx) auditIfInherited(t conversations.Transition) error {
	if tx.auditBefore == 0 || t.From != conversations.Pending || (t.To != conversations.Expired && t.To != conversations.Cancelled) {
		return nil
	}
	_, err := tx.tx.Exec(`INSERT OR IGNORE INTO issuer_audits (order_id, ended_as, next_at, created_at)
		SELECT o.id, ?1, ?2, ?2 FROM orders o WHERE o.id = ?3 AND (o.created_at < ?4
			OR EXISTS (SELECT 1 FROM inbox i WHERE i.channel = o.channel AND i.message_id = o.buy_message_id AND i.posted_at < ?4))`,
		t.To, ms(tx.now), t.OrderID, tx.auditBefore)
	return err
}

// auditRefused queues the audit of the order a refused buy would have
// made (see conversations.Decision.Audit).
func (tx *Tx) auditRefused(o conversations.Order) error {
	wouldBe, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = tx.tx.Exec(`INSERT OR IGNORE INTO issuer_audits (order_id, ended_as, would_be, next_at, created_at)
		SELECT ?1, 'refused', ?2, ?3, ?3 WHERE NOT EXISTS (SELECT 1 FROM orders WHERE id = ?1)`, o.ID, string(wouldBe), ms(tx.now))
	if err != nil {
		return fmt.Errorf("audit refused buy %s: %w", o.ID, err)
	}
	return nil
}

// Refused is how an audit says the order was never made: its buy was
// refused when read again.
const Refused conversations.State = "refused"

// Audit is an order that ended unpaid and whose reference is to be looked
// up at the issuer.
type Audit struct {
	// Order is the order as it ended, or the order a refused buy would
	// have made.
	conversations.Order
	EndedAs  conversations.State // Expired, Cancelled, or Refused
	Attempts int                 // look-ups tried before, whose answer was not known
}

// DueAudits returns up to limit audits whose look-up is due, oldest first.
func (db *DB) DueAudits(ctx context.Context, now time.Time, limit int) ([]Audit, error) {
	var out []Audit
	err := db.view(ctx, func(tx *Tx) error {
		type row struct {
			Audit
			wouldBe *string
		}
		due, err := queryAll(tx, func(r scanner) (row, error) {
			var a row
			return a, r.Scan(&a.ID, &a.EndedAs, &a.wouldBe, &a.Attempts)
		}, `SELECT order_id, ended_as, would_be, attempts FROM issuer_audits WHERE state = 'due' AND next_at <= ? ORDER BY next_at, order_id LIMIT ?`, ms(now), limit)
		if err != nil {
			return err
		}
		for _, a := range due {
			orders, err := tx.queryOrders(`WHERE id = ?`, a.ID)
			switch {
			case err != nil:
				return err
			case len(orders) == 1:
				a.Order = orders[0]
			case a.wouldBe != nil:
				if err := json.Unmarshal([]byte(*a.wouldBe), &a.Order); err != nil {
					return fmt.Errorf("audit %s: %w", a.ID, err)
				}
			default:
				continue
			}
			out = append(out, a.Audit)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due audits: %w", err)
	}
	return out, nil
}

// NextAuditAt returns when the earliest audit is due, and false when none
// is waiting.
func (db *DB) NextAuditAt(ctx context.Context) (time.Time, bool, error) {
	var at *int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT MIN(next_at) FROM issuer_audits WHERE state = 'due'`).Scan(&at)
	})
	if err != nil || at == nil {
		return time.Time{}, false, err
	}
	return fromMS(*at), true, nil
}

// DeferAudit records a look-up whose answer is not known, and when to try
// again.
func (db *DB) DeferAudit(ctx context.Context, orderID string, retryAt time.Time, detail string) error {
	return db.finishAudit(ctx, orderID, `attempts = attempts + 1, next_at = ?, detail = ?`, ms(retryAt), detail)
}

// ClearAudit records that the issuer has no approved purchase for the
// order: it ended unpaid, as recorded.
func (db *DB) ClearAudit(ctx context.Context, orderID, detail string) error {
	return db.finishAudit(ctx, orderID, `state = 'clear', checked_at = ?, detail = ?`, ms(db.now()), detail)
}

// MismatchAudit records that the issuer holds a purchase under the order's
// reference that is not the order's: an operator must look.
func (db *DB) MismatchAudit(ctx context.Context, orderID, detail string) error {
	return db.finishAudit(ctx, orderID, `state = 'mismatch', checked_at = ?, detail = ?`, ms(db.now()), detail)
}

func (db *DB) finishAudit(ctx context.Context, orderID, set string, args ...any) error {
	err := db.update(ctx, func(tx *Tx) error {
		return tx.execOne(`UPDATE issuer_audits SET `+set+` WHERE order_id = ? AND state = 'due'`, append(args, orderID)...)
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", orderID, err)
	}
	return nil
}

// RecordFoundPurchase records that the issuer holds an approved purchase
// for an audited order: the order becomes paid with it (a refused buy's
// order is made, paid), and replies (the receipt) are queued, in one
// transaction. The order's unit was released when it ended, or never
// held, so its offer may now be sold one over its quantity: the charge
// happened, and the record must say so. It returns ErrConflict when the
// order or its audit moved meanwhile.
func (db *DB) RecordFoundPurchase(ctx context.Context, a Audit, purchaseID, detail string, replies []conversations.Reply) error {
	err := db.update(ctx, func(tx *Tx) error {
		from := a.EndedAs
		if a.EndedAs == Refused {
			var exists bool
			if err := tx.tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM orders WHERE id = ?)`, a.ID).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return ErrConflict
			}
			o := a.Order
			o.State, from = conversations.Paid, conversations.Paid
			if err := tx.insertOrder(o); err != nil {
				return err
			}
		}
		if err := tx.execOne(`UPDATE orders SET state = 'paid', purchase_id = ?, settled_at = ?, last_error = ?, updated_at = ?
			WHERE id = ? AND state = ?`, purchaseID, ms(tx.now), detail, ms(tx.now), a.ID, from); err != nil {
			return err
		}
		if err := tx.execOne(`UPDATE issuer_audits SET state = 'found', checked_at = ?, detail = ? WHERE order_id = ? AND state = 'due'`,
			ms(tx.now), detail, a.ID); err != nil {
			return err
		}
		return tx.enqueue(replies)
	})
	if err != nil {
		return fmt.Errorf("record found purchase %s: %w", a.ID, err)
	}
	return nil
}
