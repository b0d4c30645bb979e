package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/issuer"
)

// TestAuditorRecordsAPurchaseALostHistoryMade: an order made before this
// daemon started is cancelled; the issuer holds its purchase, made by a
// daemon whose record was lost. The audit records the order paid with
// that purchase, queues the receipt, wakes the sender and raises an ALERT.
func TestAuditorRecordsAPurchaseALostHistoryMade(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	r.db.AuditOrdersBefore(r.clock.Now().Add(time.Minute))
	o := r.pendingOrder("ord_a", 1)
	o.IdempotencyKey = conversations.IdempotencyKey(o.ID)
	p, err := r.iss.CreatePurchase(context.Background(), o.IdempotencyKey, purchaseRequest(o))
	if err != nil {
		t.Fatal(err)
	}
	r.transition("ord_a", 1, "cancel", conversations.Cancelled)
	a := r.auditor()

	r.step(a.stepIn, true)
	if got := r.order("ord_a"); got.State != conversations.Paid || got.PurchaseID != p.ID {
		t.Fatalf("order %s (purchase %q); want paid with %s", got.State, got.PurchaseID, p.ID)
	}
	if n := len(r.outbox()); n != 1 {
		t.Errorf("%d replies queued; want the receipt", n)
	}
	r.woken(true)
	if !strings.Contains(r.logs.String(), "alert=charge_found_unrecorded") {
		t.Errorf("no ALERT logged:\n%s", r.logs)
	}
	r.step(a.stepIn, false)
}

// TestAuditorClearsAnOrderNeverCharged: the issuer holds nothing under
// the cancelled order's reference; the audit is done, the order stays
// cancelled and nobody is told anything.
func TestAuditorClearsAnOrderNeverCharged(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	r.db.AuditOrdersBefore(r.clock.Now().Add(time.Minute))
	r.pendingOrder("ord_a", 1)
	r.transition("ord_a", 1, "cancel", conversations.Cancelled)
	a := r.auditor()

	r.step(a.stepIn, true)
	if got := r.order("ord_a"); got.State != conversations.Cancelled {
		t.Fatalf("order %s; want still cancelled", got.State)
	}
	r.clock.Advance(time.Hour)
	r.step(a.stepIn, false)
	r.woken(false)
	if n := len(r.outbox()); n != 0 {
		t.Errorf("%d replies queued; want none", n)
	}
}

// TestAuditorAsksAgainWhenTheIssuerCannotSay: the look-up fails (503);
// the audit is asked again after its backoff, not before, and then done.
func TestAuditorAsksAgainWhenTheIssuerCannotSay(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	r.db.AuditOrdersBefore(r.clock.Now().Add(time.Minute))
	r.pendingOrder("ord_a", 1)
	r.transition("ord_a", 1, "cancel", conversations.Cancelled)
	r.sb.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", Status: 503})
	a := r.auditor()

	r.step(a.stepIn, true)
	r.step(a.stepIn, false) // not due again yet
	if !strings.Contains(r.logs.String(), "asking again later") {
		t.Errorf("the wait is not logged:\n%s", r.logs)
	}
	r.clock.Advance(2 * time.Minute)
	r.step(a.stepIn, true)
	r.clock.Advance(time.Hour)
	r.step(a.stepIn, false)
	if n := strings.Count(r.calls("ord_a"), "GET"); n != 2 {
		t.Errorf("%d look-ups; want 2", n)
	}
}

// TestAuditorParksAPurchaseThatIsNotTheOrders: the issuer holds a
// purchase under the order's reference for another amount: the audit
// ends as a mismatch for an operator, and the order stays cancelled.
func TestAuditorParksAPurchaseThatIsNotTheOrders(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	r.db.AuditOrdersBefore(r.clock.Now().Add(time.Minute))
	o := r.pendingOrder("ord_a", 1)
	req := purchaseRequest(o)
	req.Amount = 100
	if _, err := r.iss.CreatePurchase(context.Background(), "k_other", req); err != nil {
		t.Fatal(err)
	}
	r.transition("ord_a", 1, "cancel", conversations.Cancelled)
	a := r.auditor()

	r.step(a.stepIn, true)
	if got := r.order("ord_a"); got.State != conversations.Cancelled {
		t.Fatalf("order %s; want still cancelled", got.State)
	}
	if !strings.Contains(r.logs.String(), "alert=issuer_mismatch") {
		t.Errorf("no ALERT logged:\n%s", r.logs)
	}
	r.clock.Advance(time.Hour)
	r.step(a.stepIn, false)
}

func (r *moneyRig) auditor() *auditor {
	return newAuditorOf(auditorDeps{store: r.db, iss: r.iss, now: r.clock.Now, log: r.logger(), settings: r.settings,
		work: context.Background, wakeSender: r.wake})
}

// TestAuditorFollowsAPendingApprovalToItsOutcome: after a restore, the
// order ended unpaid while the issuer holds its purchase waiting for the
// cardholder's approval. The audit looks again at the contract's pace
// until the cardholder answers: approved, it is recorded paid with the
// receipt; declined, the account's decline is recorded (its hold), and
// nobody is told anything.
func TestAuditorFollowsAPendingApprovalToItsOutcome(t *testing.T) {
	for _, approve := range []bool{true, false} {
		name := "declined"
		if approve {
			name = "approved"
		}
		t.Run(name, func(t *testing.T) {
			r := newMoneyRig(t, "sk_test")
			r.db.AuditOrdersBefore(r.clock.Now().Add(time.Minute))
			o := r.pendingOrder("ord_a", 1)
			o.IdempotencyKey = conversations.IdempotencyKey(o.ID)
			req := purchaseRequest(o)
			req.Approval = issuer.ApprovalRequired
			p, err := r.iss.CreatePurchase(context.Background(), o.IdempotencyKey, req)
			if err != nil || p.Status != issuer.PurchaseApprovalPending {
				t.Fatalf("purchase %+v, %v; want pending approval", p, err)
			}
			r.transition("ord_a", 1, "cancel", conversations.Cancelled)
			a := r.auditor()

			r.step(a.stepIn, true)
			r.step(a.stepIn, false) // not before the contract's pace
			r.clock.Advance(approvalPoll)
			r.step(a.stepIn, true) // still pending: asked again later
			answer := r.sb.Decline
			if approve {
				answer = r.sb.Approve
			}
			if _, err := answer(p.ID); err != nil {
				t.Fatal(err)
			}
			r.clock.Advance(approvalPoll)
			r.step(a.stepIn, true)
			got := r.order("ord_a")
			_, _, declined, err := r.db.LastDecline(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%s %s, 1 told, decline recorded false", conversations.Paid, p.ID)
			if !approve {
				want = fmt.Sprintf("%s , 0 told, decline recorded true", conversations.Cancelled)
			}
			if got := fmt.Sprintf("%s %s, %d told, decline recorded %v", got.State, got.PurchaseID, len(r.outbox()), declined); got != want {
				t.Errorf("after the audit: %s; want %s", got, want)
			}
			r.clock.Advance(time.Hour)
			r.step(a.stepIn, false)
		})
	}
}
