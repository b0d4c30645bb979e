package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ApprovalKind is what happened to an approval asked of a cardholder.
type ApprovalKind string

// The kinds of approval event.
const (
	ApprovalAsked    ApprovalKind = "asked"    // the bot sent a purchase needing approval, or the issuer asked for one
	ApprovalApproved ApprovalKind = "approved" // the cardholder approved it
	ApprovalDeclined ApprovalKind = "declined" // the cardholder said no
	ApprovalExpired  ApprovalKind = "expired"  // no answer in time
)

// Known reports whether k is one of the kinds above.
func (k ApprovalKind) Known() bool {
	switch k {
	case ApprovalAsked, ApprovalApproved, ApprovalDeclined, ApprovalExpired:
		return true
	}
	return false
}

// RecordApproval records that an approval of orderID, the cardholder
// userID's, was asked or ended so at at, and says whether it was new: an
// order has at most one event of each kind, so recording it again (a
// retried POST, a settlement run twice) changes nothing. It returns an
// error for an unknown kind or an empty order id.
func (db *DB) RecordApproval(ctx context.Context, userID int64, orderID string, kind ApprovalKind, at time.Time) (bool, error) {
	var added bool
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		added, err = tx.recordApproval(userID, orderID, kind, at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record approval %s of %s: %w", kind, orderID, err)
	}
	return added, nil
}

// ApprovalsAsked counts the approvals asked of the cardholder at or after
// since.
func (db *DB) ApprovalsAsked(ctx context.Context, userID int64, since time.Time) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.approvalsAsked(userID, since)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("approvals asked: %w", err)
	}
	return n, nil
}

// LastDecline returns when the cardholder last declined an approval (when
// the bot learned of it), and whether a purchase since has carried the
// declined_approval reason (see NoticeDecline); ok is false when they
// never declined one.
func (db *DB) LastDecline(ctx context.Context, userID int64) (at time.Time, noticed, ok bool, err error) {
	err = db.view(ctx, func(tx *Tx) error {
		var err error
		at, noticed, ok, err = tx.lastDecline(userID)
		return err
	})
	if err != nil {
		return time.Time{}, false, false, fmt.Errorf("last decline: %w", err)
	}
	return at, noticed, ok, nil
}

// NoticeDecline marks the cardholder's declines as carried by a purchase
// (its reasons hold declined_approval), so that only the next purchase
// after a decline's hold needs approval for it. It says whether any
// decline was not marked yet.
func (db *DB) NoticeDecline(ctx context.Context, userID int64) (bool, error) {
	var changed bool
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		changed, err = tx.noticeDecline(userID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("notice decline: %w", err)
	}
	return changed, nil
}

// recordApproval is RecordApproval in tx, which may be the transaction
// that decides about the order or settles it. A zero at is tx's time.
func (tx *Tx) recordApproval(userID int64, orderID string, kind ApprovalKind, at time.Time) (bool, error) {
	if !kind.Known() {
		return false, fmt.Errorf("unknown approval event %q", kind)
	}
	if orderID == "" {
		return false, errors.New("no order id")
	}
	if at.IsZero() {
		at = tx.now
	}
	res, err := tx.tx.Exec(`INSERT INTO approval_events (user_id, order_id, kind, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (order_id, kind) DO NOTHING`, userID, orderID, string(kind), ms(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// approvalsAsked is ApprovalsAsked in tx.
func (tx *Tx) approvalsAsked(userID int64, since time.Time) (int, error) {
	var n int
	err := tx.tx.QueryRow(`SELECT COUNT(*) FROM approval_events WHERE user_id = ? AND kind = 'asked' AND at >= ?`, userID, ms(since)).Scan(&n)
	return n, err
}

// lastDecline is LastDecline in tx.
func (tx *Tx) lastDecline(userID int64) (at time.Time, noticed, ok bool, err error) {
	var v int64
	err = tx.tx.QueryRow(`SELECT at, noticed FROM approval_events WHERE user_id = ? AND kind = 'declined'
		ORDER BY at DESC LIMIT 1`, userID).Scan(&v, &noticed)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, false, nil
	}
	if err != nil {
		return time.Time{}, false, false, err
	}
	return fromMS(v), noticed, true, nil
}

// noticeDecline is NoticeDecline in tx, which should be the one that
// records the purchase carrying the reason.
func (tx *Tx) noticeDecline(userID int64) (bool, error) {
	res, err := tx.tx.Exec(`UPDATE approval_events SET noticed = 1 WHERE user_id = ? AND kind = 'declined' AND noticed = 0`, userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
