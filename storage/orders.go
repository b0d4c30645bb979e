package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

const orderColumns = `id, offer_id, user_id, screen_name, state, channel, buy_message_id, request_message_id,
	title, buy_hashtag, confirm_hashtag, amount, currency, merchant, cardholder, card_last4,
	created_at, expires_at, confirm_message_id, confirm_channel, confirmed_at, COALESCE(idempotency_key, ''),
	purchase_id, decline_code, refunded_amount,
	approval, risk_reasons, risk_rules, risk_signals, approval_status, approval_channel, approval_expires, approval_told`

func scanOrder(r scanner) (conversations.Order, error) {
	var o conversations.Order
	var created, expires, confirmed, approvalExpires int64
	var approval, reasons, rules, signals string
	err := r.Scan(&o.ID, &o.OfferID, &o.UserID, &o.ScreenName, &o.State, &o.Channel, &o.BuyMessageID, &o.RequestMessageID,
		&o.Title, &o.BuyHashtag, &o.ConfirmHashtag, &o.Amount, &o.Currency, &o.Merchant, &o.Cardholder, &o.CardLast4,
		&created, &expires, &o.ConfirmMessageID, &o.ConfirmChannel, &confirmed, &o.IdempotencyKey,
		&o.PurchaseID, &o.DeclineCode, &o.RefundedAmount,
		&approval, &reasons, &rules, &signals, &o.Approval.Status, &o.Approval.Channel, &approvalExpires, &o.Approval.Told)
	if err != nil {
		return o, err
	}
	o.CreatedAt, o.ExpiresAt, o.ConfirmedAt = fromMS(created), fromMS(expires), fromMS(confirmed)
	o.Approval.Expires = fromMS(approvalExpires)
	o.Risk = conversations.Risk{Approval: approval != "", Reasons: splitList(reasons), Rules: splitList(rules)}
	if signals != "" {
		if err := json.Unmarshal([]byte(signals), &o.Risk.Signals); err != nil {
			return o, fmt.Errorf("order %s risk signals: %w", o.ID, err)
		}
	}
	return o, nil
}

// splitList reads a comma-separated column; nil when empty.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (tx *Tx) queryOrders(query string, args ...any) ([]conversations.Order, error) {
	return queryAll(tx, scanOrder, `SELECT `+orderColumns+` FROM orders `+query, args...)
}

func (tx *Tx) insertOrder(o conversations.Order) error {
	_, err := tx.tx.Exec(`INSERT INTO orders (id, offer_id, user_id, screen_name, state, channel, buy_message_id,
		title, buy_hashtag, confirm_hashtag, amount, currency, merchant, cardholder, card_last4, created_at, expires_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.OfferID, o.UserID, o.ScreenName, o.State, o.Channel, o.BuyMessageID,
		o.Title, o.BuyHashtag, o.ConfirmHashtag, o.Amount, o.Currency, o.Merchant, o.Cardholder, o.CardLast4,
		ms(o.CreatedAt), ms(o.ExpiresAt), ms(tx.now))
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.ID, err)
	}
	return nil
}

// transition moves an order only if it is still in the state the decision
// saw, so that two writers can never both act on one order.
func (tx *Tx) transition(t conversations.Transition) error {
	var res sql.Result
	var err error
	if t.To == conversations.Confirmed {
		// The idempotency key is written here, once, in the same commit
		// that confirms the order, before any issuer call can be made.
		// The screen name is the confirmer's own, as of now: an order asked
		// for by DM has none, and the receipt must start with it.
		res, err = tx.tx.Exec(`UPDATE orders SET state = ?, confirm_message_id = ?, confirm_channel = ?, confirmed_at = ?,
			idempotency_key = ?, next_charge_at = 0, updated_at = ?, screen_name = COALESCE(NULLIF(?, ''), screen_name)
			WHERE id = ? AND state = ? AND idempotency_key IS NULL`,
			t.To, t.ConfirmMessageID, t.ConfirmChannel, ms(t.At), t.IdempotencyKey, ms(tx.now), t.ScreenName, t.OrderID, t.From)
	} else {
		res, err = tx.tx.Exec(`UPDATE orders SET state = ?, updated_at = ? WHERE id = ? AND state = ?`, t.To, ms(tx.now), t.OrderID, t.From)
	}
	if err != nil {
		return fmt.Errorf("order %s %s -> %s: %w", t.OrderID, t.From, t.To, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("order %s %s -> %s: %w", t.OrderID, t.From, t.To, ErrConflict)
	}
	if err := tx.auditIfInherited(t); err != nil {
		return fmt.Errorf("order %s %s -> %s: audit: %w", t.OrderID, t.From, t.To, err)
	}
	return nil
}

func (tx *Tx) userOrders(userID int64) ([]conversations.Order, error) {
	// Every order still live (a pending one may be confirmed, or have
	// lapsed), and the most recent of the rest: a cardholder's paid
	// orders are history, which the holdings counter counts.
	return tx.queryOrders(`WHERE id IN (
			SELECT id FROM orders WHERE user_id = ?1 AND state IN ('pending', 'confirmed', 'parked')
			UNION SELECT id FROM (SELECT id FROM orders WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2))
		ORDER BY created_at DESC, id DESC`, userID, RecentOrders)
}

// taken reads the units held per offer from the counters (migration
// 0007): one row per offer, however many orders.
func (tx *Tx) taken() (map[string]int64, error) {
	return tx.countByOffer(`SELECT offer_id, reserved + sold FROM offer_stock`)
}

// countByOffer runs a query of (offer id, count) rows into a map.
func (tx *Tx) countByOffer(query string, args ...any) (map[string]int64, error) {
	rows, err := tx.tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// expireDue releases the pending requests that conversations.Expires
// says are due under b: SQL narrows them to those whose window closed
// before the later bound, with whether their owner has a message posted
// within the window still unprocessed (it may be the confirmation).
func (tx *Tx) expireDue(b conversations.ExpiryBounds) (int64, error) {
	last := conversations.ExpiryCandidatesBefore(b)
	if last.IsZero() {
		return 0, nil
	}
	type candidate struct {
		o       conversations.Order
		waiting bool
	}
	candidates, err := queryAll(tx, func(r scanner) (candidate, error) {
		var c candidate
		o, err := scanOrder(extraColumn{r, &c.waiting})
		c.o = o
		return c, err
	}, `SELECT `+orderColumns+`, EXISTS (SELECT 1 FROM inbox i WHERE i.state = 'pending' AND i.user_id = orders.user_id AND i.posted_at <= orders.expires_at)
		FROM orders WHERE state = 'pending' AND expires_at < ?`, ms(last))
	if err != nil {
		return 0, fmt.Errorf("expire: %w", err)
	}
	var n int64
	for _, c := range candidates {
		if !conversations.Expires(c.o, c.waiting, b) {
			continue
		}
		if err := tx.transition(conversations.Transition{OrderID: c.o.ID, From: conversations.Pending, To: conversations.Expired, At: tx.now}); err != nil {
			return n, fmt.Errorf("expire: %w", err)
		}
		n++
	}
	return n, nil
}

// extraColumn scans one more column after an order's.
type extraColumn struct {
	r    scanner
	dest any
}

func (e extraColumn) Scan(dest ...any) error { return e.r.Scan(append(dest, e.dest)...) }

// ExpireDue releases every pending request that is due under b (see
// conversations.Expires), and returns how many it released. now is the
// time of the release, for the record.
func (db *DB) ExpireDue(ctx context.Context, b conversations.ExpiryBounds, now time.Time) (int64, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		tx.now = now
		var err error
		n, err = tx.expireDue(b)
		return err
	})
	return n, err
}

// Order returns one order; ErrNotFound when there is none.
func (db *DB) Order(ctx context.Context, id string) (conversations.Order, error) {
	var o conversations.Order
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		o, err = scanOrder(tx.tx.QueryRow(`SELECT `+orderColumns+` FROM orders WHERE id = ?`, id))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	return o, err
}

// OrderFilter selects orders for Orders; zero fields match everything.
type OrderFilter struct {
	OfferID string
	State   conversations.State
	// ApprovalPending keeps only confirmed orders whose purchase waits
	// for the cardholder's approval.
	ApprovalPending bool
	UserID          int64
	Limit           int
}

// Orders lists orders, newest first.
func (db *DB) Orders(ctx context.Context, f OrderFilter) ([]conversations.Order, error) {
	var where []string
	var args []any
	if f.OfferID != "" {
		where, args = append(where, "offer_id = ?"), append(args, f.OfferID)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.ApprovalPending {
		where = append(where, "state = 'confirmed' AND approval_status = 'pending'")
	}
	if f.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	q := ""
	if len(where) > 0 {
		q = "WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	var out []conversations.Order
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.queryOrders(q, args...)
		return err
	})
	return out, err
}

// OfferStats is the live state of one offer's stock.
type OfferStats struct {
	Reserved int64 // pending, confirmed or parked: held, not yet sold
	Charging int64 // confirmed or parked: part of Reserved, as good as sold
	Sold     int64 // paid
	Revenue  int64 // paid amounts less refunds, in minor units
	Currency string
}

// OfferStats returns the stock of every offer that has orders.
func (db *DB) OfferStats(ctx context.Context) (map[string]OfferStats, error) {
	out := map[string]OfferStats{}
	err := db.view(ctx, func(tx *Tx) error {
		// Counters kept by migration 0007's triggers: one row per offer,
		// however many orders it has.
		rows, err := tx.tx.Query(`SELECT offer_id, reserved, charging, sold, revenue, currency FROM offer_stock`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var s OfferStats
			if err := rows.Scan(&id, &s.Reserved, &s.Charging, &s.Sold, &s.Revenue, &s.Currency); err != nil {
				return err
			}
			out[id] = s
		}
		return rows.Err()
	})
	return out, err
}
