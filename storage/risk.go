package storage

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// riskFacts records the sender's account as the message described it (a
// sighting, in the order messages are decided), and reads into f what
// the risk rules check a purchase on: the account, the sender's recent
// spending and approvals, and the pause switch.
func (tx *Tx) riskFacts(m InboxMessage, f *Facts) error {
	if m.UserID > 0 {
		acc, err := tx.seeAccount(AccountSighting{UserID: m.UserID, Username: m.Author.Username,
			CreatedAt: m.Author.CreatedAt, Automated: m.Author.Automated, At: m.PostedAt})
		if err != nil {
			return fmt.Errorf("account %d: %w", m.UserID, err)
		}
		f.Account = conversations.Account{CreatedAt: acc.CreatedAt, HandleChangedAt: acc.HandleChangedAt,
			Automated: acc.Automated != nil && *acc.Automated}
	}
	h, err := tx.riskHistory(m.UserID, tx.now)
	if err != nil {
		return err
	}
	f.RiskHistory = h
	f.Paused, err = tx.paused()
	return err
}

// spendingStates are the orders that count toward a cardholder's spend:
// paid, being charged, or waiting for the cardholder's approval.
const spendingStates = `('confirmed', 'parked', 'paid')`

// riskHistory counts the cardholder's purchases confirmed in the rolling
// windows before now, and their approvals.
func (tx *Tx) riskHistory(userID int64, now time.Time) (conversations.RiskHistory, error) {
	h := conversations.RiskHistory{Spend24h: map[string]int64{}}
	rows, err := tx.tx.Query(`SELECT currency, SUM(amount), SUM(confirmed_at >= ?3) FROM orders
		WHERE user_id = ?1 AND state IN `+spendingStates+` AND confirmed_at >= ?2 GROUP BY currency`,
		userID, ms(now.Add(-24*time.Hour)), ms(now.Add(-time.Hour)))
	if err != nil {
		return h, fmt.Errorf("spend of %d: %w", userID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var currency string
		var spend, lastHour int64
		if err := rows.Scan(&currency, &spend, &lastHour); err != nil {
			return h, err
		}
		h.Spend24h[currency] = spend
		h.Purchases1h += int(lastHour)
	}
	if err := rows.Err(); err != nil {
		return h, err
	}
	if h.ApprovalsAsked24h, err = tx.approvalsAsked(userID, now.Add(-24*time.Hour)); err != nil {
		return h, err
	}
	at, noticed, ok, err := tx.lastDecline(userID)
	if err != nil {
		return h, err
	}
	if ok {
		h.DeclinedAt, h.ChargedSinceDecline = at, noticed
	}
	return h, nil
}

// recordRisk stores what the rules made of order t.OrderID as its
// confirmation was decided, with what follows: an approval counted as
// asked, a decline noticed.
func (tx *Tx) recordRisk(t conversations.Transition, userID int64) error {
	k := t.Risk
	signals, err := json.Marshal(k.Signals)
	if err != nil {
		return err
	}
	approval := ""
	if k.Approval {
		approval = "required"
	}
	if _, err := tx.tx.Exec(`UPDATE orders SET approval = ?, risk_reasons = ?, risk_rules = ?, risk_signals = ? WHERE id = ?`,
		approval, strings.Join(k.Reasons, ","), strings.Join(k.Rules, ","), string(signals), t.OrderID); err != nil {
		return fmt.Errorf("record risk of %s: %w", t.OrderID, err)
	}
	if k.Approval {
		if _, err := tx.askedApproval(userID, t.OrderID, t.At); err != nil {
			return err
		}
	}
	for _, r := range k.Reasons {
		if r == conversations.ReasonDeclinedApproval {
			if _, err := tx.noticeDecline(userID); err != nil {
				return err
			}
		}
	}
	return nil
}

// askedApproval records that the cardholder is asked to approve an
// order, once per order, and counts it.
func (tx *Tx) askedApproval(userID int64, orderID string, at time.Time) (bool, error) {
	added, err := tx.recordApproval(userID, orderID, ApprovalAsked, at)
	if err != nil || !added {
		return false, err
	}
	return true, tx.countMetric("approvals", "asked")
}

// countMetric adds one to a counter of /metrics (migration 0005's table).
func (tx *Tx) countMetric(name, label string) error {
	_, err := tx.tx.Exec(`INSERT INTO metric_counts (name, label, value) VALUES (?, ?, 1)
		ON CONFLICT (name, label) DO UPDATE SET value = value + 1`, name, label)
	if err != nil {
		return fmt.Errorf("count %s %s: %w", name, label, err)
	}
	return nil
}
