package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// AwaitApproval records that order orderID's purchase waits for the
// cardholder's approval at the issuer (how it asks, until when), finishes
// the attempt that learned it, and sets when to look again: in one
// transaction, with the cardholder's one notice (tell) queued the first
// time only. The approval counts as asked of the cardholder once. It
// returns ErrConflict when the order is no longer confirmed.
func (db *DB) AwaitApproval(ctx context.Context, orderID string, attemptID int64, purchaseID string, a conversations.Approval, retryAt time.Time, tell []conversations.Reply) error {
	err := db.update(ctx, func(tx *Tx) error {
		var userID int64
		var told bool
		err := tx.tx.QueryRow(`SELECT user_id, approval_told FROM orders WHERE id = ? AND state = 'confirmed'`, orderID).Scan(&userID, &told)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrConflict // settled meanwhile, by this daemon or another
		}
		if err != nil {
			return err // the database failed: the charger backs off and looks again
		}
		if _, err := tx.tx.Exec(`UPDATE orders SET approval_status = 'pending', approval_channel = ?, approval_expires = ?,
			purchase_id = ?, approval_told = 1, next_charge_at = ?, last_error = '', updated_at = ? WHERE id = ?`,
			a.Channel, ms(a.Expires), purchaseID, ms(retryAt), ms(tx.now), orderID); err != nil {
			return err
		}
		if err := tx.finishAttempt(attemptID, "pending_approval", "waits for the cardholder's approval until "+a.Expires.UTC().Format(time.RFC3339)); err != nil {
			return err
		}
		if _, err := tx.askedApproval(userID, orderID, tx.now); err != nil {
			return err
		}
		if told {
			return nil
		}
		return tx.enqueue(tell)
	})
	if err != nil {
		return fmt.Errorf("await approval %s: %w", orderID, err)
	}
	return nil
}

// settleApproval records how an approval ended, with the order's charge:
// approved when a purchase put to the cardholder was paid, declined or
// expired as the issuer's decline code says. Each outcome is counted
// once; a decline starts the account's decline hold.
func (tx *Tx) settleApproval(s Settlement) error {
	var userID int64
	var status, asked string
	if err := tx.tx.QueryRow(`SELECT user_id, approval_status, approval FROM orders WHERE id = ?`, s.OrderID).Scan(&userID, &status, &asked); err != nil {
		return err
	}
	var kind ApprovalKind
	switch {
	case s.Outcome.State == conversations.Declined && s.Outcome.DeclineCode == conversations.ApprovalDeclined:
		kind = ApprovalDeclined
	case s.Outcome.State == conversations.Declined && s.Outcome.DeclineCode == conversations.ApprovalExpired:
		kind = ApprovalExpired
	case s.Outcome.State == conversations.Paid && (status == conversations.ApprovalPending || asked != ""):
		kind = ApprovalApproved
	default:
		return nil
	}
	if _, err := tx.tx.Exec(`UPDATE orders SET approval_status = ? WHERE id = ?`, string(kind), s.OrderID); err != nil {
		return err
	}
	added, err := tx.recordApproval(userID, s.OrderID, kind, tx.now)
	if err != nil || !added {
		return err
	}
	return tx.countMetric("approvals", string(kind))
}
