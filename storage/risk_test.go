package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestApprovalLifecycle follows one purchase the rules put to the
// cardholder: the risk stored with the confirmation, the approval counted
// as asked once and told once however often it is looked up, the decline
// recorded, holding the account and counted; then the history the next
// decision sees.
func TestApprovalLifecycle(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	o := pendingOrder("ord_1", 1, t0.Add(time.Hour))
	if _, err := processOne(t, db, mention(10, 1), conversations.Decision{Action: "reserve", NewOrder: &o}); err != nil {
		t.Fatal(err)
	}
	risk := conversations.Risk{Approval: true, Reasons: []string{"amount"}, Rules: []string{"approval_over"},
		Signals: map[string]string{"spend_24h": "0", "purchases_1h": "0"}}
	confirm := conversations.Transition{OrderID: "ord_1", From: conversations.Pending, To: conversations.Confirmed, ConfirmMessageID: 20,
		ConfirmChannel: conversations.Tweet, IdempotencyKey: "pbt-ord_1", At: t0, Risk: &risk}
	if _, err := processOne(t, db, mention(20, 1), conversations.Decision{Action: "confirm", Transitions: []conversations.Transition{confirm}}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Order(ctx, "ord_1")
	if !got.Risk.Approval || got.Risk.Reasons[0] != "amount" || got.Risk.Rules[0] != "approval_over" || got.Risk.Signals["spend_24h"] != "0" {
		t.Fatalf("stored risk %+v", got.Risk)
	}
	tell := []conversations.Reply{{Channel: conversations.Tweet, UserID: 1, InReplyTo: 20, Kind: "approval_pending", OrderID: "ord_1", Text: "approve it"}}
	expires := t0.Add(10 * time.Minute)
	for i := range 3 {
		attempt, err := db.StartCharge(ctx, "ord_1", "lookup", t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		a := conversations.Approval{Status: conversations.ApprovalPending, Channel: "app", Expires: expires}
		if err := db.AwaitApproval(ctx, "ord_1", attempt, "pur_1", a, t0.Add(time.Duration(i+1)*2*time.Second), tell); err != nil {
			t.Fatal(err)
		}
	}
	box, _ := db.Outbox(ctx)
	if len(box) != 1 {
		t.Errorf("the cardholder is told %d times, want once", len(box))
	}
	got, _ = db.Order(ctx, "ord_1")
	if got.State != conversations.Confirmed || got.Approval.Status != conversations.ApprovalPending || !got.Approval.Expires.Equal(expires) || !got.Approval.Told {
		t.Errorf("pending order %+v", got)
	}
	if f, _ := db.Figures(ctx); f.Counts["approvals"]["asked"] != 1 {
		t.Errorf("approvals asked counted %d, want 1", f.Counts["approvals"]["asked"])
	}
	attempt, _ := db.StartCharge(ctx, "ord_1", "lookup", t0.Add(time.Minute))
	declined := conversations.Outcome{State: conversations.Declined, PurchaseID: "pur_1", DeclineCode: conversations.ApprovalDeclined}
	if err := db.SettleCharge(ctx, "ord_1", attempt, declined, "found by reference", nil); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Order(ctx, "ord_1")
	if got.State != conversations.Declined || got.Approval.Status != conversations.ApprovalRefused {
		t.Errorf("declined order %+v", got)
	}
	f, _ := db.Figures(ctx)
	if f.Counts["approvals"]["declined"] != 1 {
		t.Errorf("approvals declined counted %d, want 1", f.Counts["approvals"]["declined"])
	}
	var h conversations.RiskHistory
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		h, err = tx.riskHistory(1, t0.Add(time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.DeclinedAt.IsZero() || h.ChargedSinceDecline || h.ApprovalsAsked24h != 1 || h.Spend24h["USD"] != 0 {
		t.Errorf("history after the decline %+v", h)
	}
}

// TestRiskHistoryCounts: what counts toward the spend and the hourly
// purchases, in which windows; a refund does not lower the spend.
func TestRiskHistoryCounts(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	orders := []struct {
		id        string
		state     conversations.State
		amount    int64
		currency  string
		confirmed time.Duration // before now
	}{
		{"paid-now", conversations.Paid, 1000, "USD", 10 * time.Minute},
		{"refunded", conversations.Paid, 64000, "USD", 40 * time.Minute}, // refunded in full below: still spent
		{"charging", conversations.Confirmed, 2000, "USD", 30 * time.Minute},
		{"paid-earlier", conversations.Paid, 4000, "USD", 5 * time.Hour},
		{"paid-yesterday", conversations.Paid, 8000, "USD", 25 * time.Hour},
		{"declined", conversations.Declined, 16000, "USD", 10 * time.Minute},
		{"euros", conversations.Paid, 500, "EUR", 20 * time.Minute},
		{"other-user", conversations.Paid, 32000, "USD", time.Minute},
	}
	now := t0.Add(48 * time.Hour)
	err := db.update(ctx, func(tx *Tx) error {
		for i, o := range orders {
			user := int64(1)
			if o.id == "other-user" {
				user = 2
			}
			ord := pendingOrder(o.id, user, now)
			ord.Amount, ord.Currency = o.amount, o.currency
			if err := tx.insertOrder(ord); err != nil {
				return err
			}
			if _, err := tx.tx.Exec(`UPDATE orders SET state = ?, confirmed_at = ?, idempotency_key = ? WHERE id = ?`,
				o.state, ms(now.Add(-o.confirmed)), "k"+string(rune('a'+i)), o.id); err != nil {
				return err
			}
			if o.id == "refunded" {
				if _, err := tx.tx.Exec(`UPDATE orders SET refunded_amount = amount WHERE id = ?`, o.id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var h conversations.RiskHistory
	if err := db.view(ctx, func(tx *Tx) error { h, err = tx.riskHistory(1, now); return err }); err != nil {
		t.Fatal(err)
	}
	if h.Spend24h["USD"] != 71000 || h.Spend24h["EUR"] != 500 || h.Purchases1h != 4 {
		t.Errorf("history %+v; want USD 71000 (paid, refunded, charging, earlier today: a refund does not lower the spend), EUR 500, 4 in the hour", h)
	}
}

// TestApprovalUnsupportedCountedWithItsOutcome: an issuer's refusal to ask
// the cardholder is counted in the commit that records the order's
// outcome, so that the same refusal settled again (a retry after a crash
// meets the order settled) is not counted twice.
func TestApprovalUnsupportedCountedWithItsOutcome(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	o := pendingOrder("ord_1", 1, t0.Add(time.Hour))
	if _, err := processOne(t, db, mention(10, 1), conversations.Decision{Action: "reserve", NewOrder: &o}); err != nil {
		t.Fatal(err)
	}
	confirm := conversations.Transition{OrderID: "ord_1", From: conversations.Pending, To: conversations.Confirmed, ConfirmMessageID: 20,
		ConfirmChannel: conversations.Tweet, IdempotencyKey: "pbt-ord_1", At: t0,
		Risk: &conversations.Risk{Approval: true, Reasons: []string{"amount"}, Rules: []string{"approval_over"}}}
	if _, err := processOne(t, db, mention(20, 1), conversations.Decision{Action: "confirm", Transitions: []conversations.Transition{confirm}}); err != nil {
		t.Fatal(err)
	}
	attempt, err := db.StartCharge(ctx, "ord_1", "purchase", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	s := Settlement{OrderID: "ord_1", AttemptID: attempt, Outcome: conversations.Outcome{State: conversations.Failed},
		Detail: "the issuer does not offer approvals", ApprovalUnsupported: true}
	if err := db.Settle(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ctx, s); !errors.Is(err, ErrConflict) {
		t.Errorf("settled twice: %v, want ErrConflict", err)
	}
	f, err := db.Figures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.Counts["approvals"]["unsupported"]; n != 1 {
		t.Errorf("approvals unsupported counted %d, want 1", n)
	}
}
