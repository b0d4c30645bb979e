package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

var (
	stepNow     = time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	stepBackoff = 7 * time.Second
)

// stepCharge is a confirmed order, confirmed an hour before stepNow.
func stepCharge() storage.Charge {
	return storage.Charge{Order: conversations.Order{ID: "ord_1", OfferID: "gift-card", UserID: 7, State: conversations.Confirmed,
		Channel: conversations.DM, Title: "Gift Card", Amount: 2500, Currency: "USD", Merchant: "mer_giftco", Cardholder: "chd_7",
		ConfirmedAt: stepNow.Add(-time.Hour), IdempotencyKey: conversations.IdempotencyKey("ord_1")}, Attempts: 1}
}

// bought is the purchase the issuer would make of stepCharge, in status.
func bought(id, status string) issuer.Purchase {
	return issuer.Purchase{ID: id, Status: status, Cardholder: "chd_7", Merchant: "mer_giftco", Amount: 2500, Currency: "USD", Reference: "ord_1"}
}

func declinedAs(id, code string) issuer.Purchase {
	p := bought(id, issuer.PurchaseDeclined)
	p.DeclineCode = code
	return p
}

// elsewhere is purchase p under another reference.
func elsewhere(p issuer.Purchase, ref string) issuer.Purchase {
	p.Reference = ref
	return p
}

func costing(p issuer.Purchase, amount int64) issuer.Purchase {
	p.Amount = amount
	return p
}

func apiError(status int, code string) *issuer.Error {
	return &issuer.Error{Op: "POST /v1/purchases", Status: status, Code: code}
}

// wantCharge is what a case expects of decideCharge: the action, the outcome
// (settled) or the attempt's outcome and wait (deferred), and the alerts
// logged.
type wantCharge struct {
	action  chargeAction
	out     conversations.Outcome
	attempt string        // the attempt's recorded outcome, deferred or none found
	wait    time.Duration // from stepNow
	detail  string        // a part of the detail recorded
	alerts  []string
}

// TestDecideChargeAfterALookup: every answer a look-up by reference can
// have, the contract's and the others.
func TestDecideChargeAfterALookup(t *testing.T) {
	paid := func(id string) conversations.Outcome {
		return conversations.Outcome{State: conversations.Paid, PurchaseID: id}
	}
	parked := conversations.Outcome{State: conversations.Parked}
	tests := []struct {
		name  string
		edit  func(*storage.Charge)
		found []issuer.Purchase
		err   error
		want  wantCharge
	}{
		{name: "none found: buy", want: wantCharge{action: chargePurchase, attempt: "none", detail: "no purchase under the reference"}},
		{name: "approved", found: []issuer.Purchase{bought("pur_1", issuer.PurchaseApproved)},
			want: wantCharge{action: chargeSettle, out: paid("pur_1"), detail: "found by reference"}},
		{name: "declined", found: []issuer.Purchase{declinedAs("pur_1", "insufficient_funds")},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Declined, PurchaseID: "pur_1", DeclineCode: "insufficient_funds"}, detail: "found by reference"}},
		{name: "declined then approved: paid", found: []issuer.Purchase{declinedAs("pur_1", "do_not_honor"), bought("pur_2", issuer.PurchaseApproved)},
			want: wantCharge{action: chargeSettle, out: paid("pur_2"), detail: "found by reference"}},
		{name: "two approved: paid by the first, an alert", found: []issuer.Purchase{bought("pur_1", issuer.PurchaseApproved), bought("pur_2", issuer.PurchaseApproved)},
			want: wantCharge{action: chargeSettle, out: paid("pur_1"), detail: "found by reference", alerts: []string{"double_charge"}}},
		{name: "the same approved twice: no alert", found: []issuer.Purchase{bought("pur_1", issuer.PurchaseApproved), bought("pur_1", issuer.PurchaseApproved)},
			want: wantCharge{action: chargeSettle, out: paid("pur_1"), detail: "found by reference"}},
		{name: "not the order's purchase: parked", found: []issuer.Purchase{costing(bought("pur_1", issuer.PurchaseApproved), 100)},
			want: wantCharge{action: chargeSettle, out: parked, detail: "issuer_mismatch: ", alerts: []string{"issuer_mismatch"}}},
		{name: "a mismatch after an approved one: parked", found: []issuer.Purchase{bought("pur_1", issuer.PurchaseApproved), costing(bought("pur_2", issuer.PurchaseApproved), 100)},
			want: wantCharge{action: chargeSettle, out: parked, detail: "amount 100", alerts: []string{"issuer_mismatch"}}},
		{name: "others only, key remembered: buy with the same key", found: []issuer.Purchase{elsewhere(bought("pur_9", issuer.PurchaseApproved), "ord_9")},
			want: wantCharge{action: chargePurchase, attempt: "none", alerts: []string{"issuer_other_reference"}}},
		{name: "others only, key may be forgotten: wait",
			edit:  func(c *storage.Charge) { c.ConfirmedAt = stepNow.Add(-keyRemembered) },
			found: []issuer.Purchase{elsewhere(bought("pur_9", issuer.PurchaseApproved), "ord_9")},
			want:  wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, detail: "only other references", alerts: []string{"issuer_other_reference"}}},
		{name: "others never park, nor pay", found: []issuer.Purchase{elsewhere(costing(bought("pur_9", issuer.PurchaseApproved), 1), "ord_9"), declinedAs("pur_1", "do_not_honor")},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Declined, PurchaseID: "pur_1", DeclineCode: "do_not_honor"}, detail: "found by reference", alerts: []string{"issuer_other_reference"}}},
		{name: "waiting for the cardholder's approval: look again in 2s", found: []issuer.Purchase{bought("pur_1", issuer.PurchaseApprovalPending)},
			want: wantCharge{action: chargeAwaitApproval, attempt: "pending_approval", wait: approvalPoll}},
		{name: "approval declined: declined", found: []issuer.Purchase{declinedAs("pur_1", issuer.DeclineApprovalDeclined)},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Declined, PurchaseID: "pur_1", DeclineCode: issuer.DeclineApprovalDeclined}, detail: "found by reference"}},
		{name: "approval expired: declined", found: []issuer.Purchase{declinedAs("pur_1", issuer.DeclineApprovalExpired)},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Declined, PurchaseID: "pur_1", DeclineCode: issuer.DeclineApprovalExpired}, detail: "found by reference"}},
		{name: "transport failure: wait", err: errors.New("dial tcp: connection refused"),
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, detail: "connection refused"}},
		{name: "503: wait", err: apiError(503, issuer.CodeUnavailable),
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, detail: "503"}},
		{name: "503 with Retry-After", err: &issuer.Error{Status: 503, Code: issuer.CodeUnavailable, RetryAfter: 30 * time.Second},
			want: wantCharge{action: chargeDefer, attempt: "retry_after", wait: 30 * time.Second}},
		{name: "429", err: &issuer.Error{Status: 429, Code: issuer.CodeRateLimited, RetryAfter: 3 * time.Second},
			want: wantCharge{action: chargeDefer, attempt: "retry_after", wait: 3 * time.Second}},
		{name: "401: wait, an alert", err: apiError(401, issuer.CodeUnauthorized),
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, alerts: []string{"issuer_key_refused"}}},
		{name: "an undecodable answer: wait", err: &issuer.Error{Status: 200, Code: issuer.CodeInvalidResponse},
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stepCharge()
			if tt.edit != nil {
				tt.edit(&c)
			}
			got := decideCharge(chargeAttempt{Charge: c, Kind: attemptLookup, Found: tt.found, Err: tt.err, Now: stepNow, Backoff: stepBackoff})
			checkCharge(t, got, tt.want)
		})
	}
}

// TestDecideChargeAfterAPurchase: every kind of answer to a purchase
// (issuer.Outcome), and the codes that tell apart what each must do.
func TestDecideChargeAfterAPurchase(t *testing.T) {
	declinedPurchase := declinedAs("pur_1", "insufficient_funds")
	mismatched := costing(declinedAs("pur_1", "insufficient_funds"), 1)
	pending := bought("pur_1", "pending")
	tests := []struct {
		name     string
		purchase issuer.Purchase
		err      error
		want     wantCharge
	}{
		{name: "ok: approved", purchase: bought("pur_1", issuer.PurchaseApproved),
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Paid, PurchaseID: "pur_1"}, detail: "approved"}},
		{name: "ok: declined", purchase: declinedAs("pur_1", "do_not_honor"),
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Declined, PurchaseID: "pur_1", DeclineCode: "do_not_honor"}, detail: "declined"}},
		{name: "ok: not the purchase asked for", purchase: elsewhere(bought("pur_1", issuer.PurchaseApproved), "ord_9"),
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Parked}, detail: "issuer_mismatch: ", alerts: []string{"issuer_mismatch"}}},
		{name: "ok: a status outside the contract", purchase: pending,
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, detail: `purchase status "pending"`}},
		{name: "final: 402 declined with its purchase", err: &issuer.Error{Status: 402, Code: issuer.CodeCardDeclined, DeclineCode: "insufficient_funds", Purchase: &declinedPurchase},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Declined, PurchaseID: "pur_1", DeclineCode: "insufficient_funds"}, detail: "declined"}},
		{name: "final: 402 declined without a purchase", err: &issuer.Error{Status: 402, Code: issuer.CodeCardDeclined, DeclineCode: "do_not_honor"},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Declined, DeclineCode: "do_not_honor"}, detail: "declined"}},
		{name: "final: 402 declined with another purchase", err: &issuer.Error{Status: 402, Code: issuer.CodeCardDeclined, DeclineCode: "insufficient_funds", Purchase: &mismatched},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Parked}, detail: "issuer_mismatch: ", alerts: []string{"issuer_mismatch"}}},
		{name: "final: 400 invalid request fails the order", err: apiError(400, issuer.CodeInvalidRequest),
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Failed}, detail: "400"}},
		{name: "ok: waiting for the cardholder's approval", purchase: bought("pur_1", issuer.PurchaseApprovalPending),
			want: wantCharge{action: chargeAwaitApproval, attempt: "pending_approval", wait: approvalPoll}},
		{name: "final: an issuer without approvals refuses, nothing charged", err: &issuer.Error{Status: 400, Code: issuer.CodeInvalidRequest, Param: "approval"},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Failed}, detail: "offers no approvals", alerts: []string{"approval_unsupported"}}},
		{name: "final: a 404 outside the contract waits", err: apiError(404, issuer.CodeNotFound),
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, alerts: []string{"issuer_off_contract"}}},
		{name: "final: a 400 with no code waits", err: apiError(400, ""),
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, alerts: []string{"issuer_off_contract"}}},
		{name: "bug: 422 key reused parks", err: apiError(422, issuer.CodeIdempotencyKeyReused),
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Parked}, detail: "422", alerts: []string{"charge_parked"}}},
		{name: "bug: an argument the client refused parks", err: &issuer.Error{Code: issuer.CodeInvalidArgument},
			want: wantCharge{action: chargeSettle, out: conversations.Outcome{State: conversations.Parked}, alerts: []string{"charge_parked"}}},
		{name: "unknown: transport", err: fmt.Errorf("post: %w", errors.New("connection reset")),
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, detail: "connection reset"}},
		{name: "unknown: timeout", err: &issuer.Error{Code: "timeout", Err: errors.New("context deadline exceeded")},
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff}},
		{name: "unknown: 500", err: apiError(500, issuer.CodeInternalError), want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff}},
		{name: "unknown: 409 in progress", err: apiError(409, issuer.CodeRequestInProgress), want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff}},
		{name: "unknown: 408", err: apiError(408, ""), want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff}},
		{name: "unknown: an undecodable 201", err: apiError(201, issuer.CodeInvalidResponse), want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff}},
		{name: "unknown: 503 with Retry-After", err: &issuer.Error{Status: 503, Code: issuer.CodeUnavailable, RetryAfter: time.Minute},
			want: wantCharge{action: chargeDefer, attempt: "retry_after", wait: time.Minute}},
		{name: "retry later: 429", err: &issuer.Error{Status: 429, Code: issuer.CodeRateLimited, RetryAfter: 2 * time.Second},
			want: wantCharge{action: chargeDefer, attempt: "retry_after", wait: 2 * time.Second}},
		{name: "retry later: 401", err: apiError(401, issuer.CodeUnauthorized),
			want: wantCharge{action: chargeDefer, attempt: "unknown", wait: stepBackoff, alerts: []string{"issuer_key_refused"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decideCharge(chargeAttempt{Charge: stepCharge(), Kind: attemptPurchase, Purchase: tt.purchase, Err: tt.err, Now: stepNow, Backoff: stepBackoff})
			checkCharge(t, got, tt.want)
		})
	}
}

func checkCharge(t *testing.T, got chargeNext, w wantCharge) {
	t.Helper()
	if got.Action != w.action {
		t.Fatalf("action = %d; want %d (%+v)", got.Action, w.action, got)
	}
	checkChargeAction(t, got, w)
	if !strings.Contains(got.Detail, w.detail) {
		t.Errorf("detail = %q; want it to hold %q", got.Detail, w.detail)
	}
	if alerts := noteAlerts(got.Notes); strings.Join(alerts, ",") != strings.Join(w.alerts, ",") {
		t.Errorf("alerts = %q; want %q (notes %+v)", alerts, w.alerts, got.Notes)
	}
}

// checkChargeAction checks what got records for its action.
func checkChargeAction(t *testing.T, got chargeNext, w wantCharge) {
	t.Helper()
	// When the attempt is due again, and how it is recorded.
	due := fmt.Sprintf("%q for %s until %s", got.AttemptOutcome, got.Wait, got.RetryAt.Sub(stepNow))
	want := fmt.Sprintf("%q for %s until %s", w.attempt, w.wait, w.wait)
	switch w.action {
	case chargeSettle:
		if got.Outcome != w.out {
			t.Errorf("outcome = %+v; want %+v", got.Outcome, w.out)
		}
	case chargeDefer:
		if due != want || got.Err == nil || got.Detail != got.Err.Error() {
			t.Errorf("deferred as %s (err %v, detail %q); want %s", due, got.Err, got.Detail, want)
		}
	case chargeAwaitApproval:
		if due != want || got.Pending.Status != issuer.PurchaseApprovalPending {
			t.Errorf("awaits approval as %s (purchase %+v); want %s", due, got.Pending, want)
		}
	case chargePurchase:
		if got.AttemptOutcome != w.attempt || !got.RetryAt.Equal(stepNow) {
			t.Errorf("look-up recorded as %q at %s; want %q at once", got.AttemptOutcome, got.RetryAt, w.attempt)
		}
	}
}

// noteAlerts returns the alerts the notes raise, in order.
func noteAlerts(notes []logNote) []string {
	var alerts []string
	for _, n := range notes {
		for i := 0; i+1 < len(n.Args); i += 2 {
			if n.Args[i] == "alert" {
				alerts = append(alerts, n.Args[i+1].(string))
			}
		}
	}
	return alerts
}

// TestPurchaseRequestCarriesTheStoredRisk: the body is built from what
// was stored when the confirmation was decided, so every retry sends the
// same approval, reasons and signals.
func TestPurchaseRequestCarriesTheStoredRisk(t *testing.T) {
	o := stepCharge().Order
	o.Risk = conversations.Risk{Approval: true, Reasons: []string{"amount", "handle_changed"},
		Signals: map[string]string{"spend_24h": "0", "purchases_1h": "0", "account_age_days": "12"}}
	req := purchaseRequest(o)
	if req.Approval != issuer.ApprovalRequired || req.Metadata["risk"] != "amount,handle_changed" ||
		req.Metadata["account_age_days"] != "12" || req.Metadata["spend_24h"] != "0" || req.Metadata["offer"] != "gift-card" {
		t.Errorf("request %+v", req)
	}
	o.Risk = conversations.Risk{Signals: map[string]string{"spend_24h": "2500", "purchases_1h": "1"}}
	req = purchaseRequest(o)
	if req.Approval != "" || req.Metadata["risk"] != "" || req.Metadata["spend_24h"] != "2500" {
		t.Errorf("request without approval %+v", req)
	}
	if _, ok := req.Metadata["risk"]; ok {
		t.Errorf("a purchase needing no approval carries metadata.risk: %+v", req.Metadata)
	}
}
