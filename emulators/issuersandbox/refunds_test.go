package issuersandbox_test

import (
	"testing"
	"time"
)

// purchase makes an approved purchase and returns its id.
func (e *env) purchase(ref, key string) string {
	e.t.Helper()
	a := e.must("POST", "v1/purchases", purchaseBody(ref), idem(key))
	if a.status != 201 {
		e.t.Fatalf("purchase: %d %s", a.status, a.body)
	}
	return a.json(e.t)["id"].(string)
}

func TestRefundPartialThenRest(t *testing.T) {
	e := newEnv(t)
	id := e.purchase("ord_1", "p1")
	e.clock.Advance(time.Hour)

	a := e.must("POST", "v1/purchases/"+id+"/refunds", `{"amount":5000,"reason":"requested_by_customer"}`, idem("r1"))
	want := `{"id":"` + a.json(t)["id"].(string) + `","purchase":"` + id + `","amount":5000,"currency":"USD","status":"succeeded","created":"2026-11-26T19:03:11Z"}`
	if a.status != 201 || string(a.body) != want {
		t.Fatalf("partial refund: %d %s, want %s", a.status, a.body, want)
	}
	if rid := a.json(t)["id"].(string); rid[:4] != "ref_" {
		t.Errorf("refund id %q", rid)
	}

	over := e.must("POST", "v1/purchases/"+id+"/refunds", `{"amount":14901}`, idem("r2"))
	if got := over.apiError(t).Error; over.status != 400 || got.Code != "invalid_request" || got.Param != "amount" {
		t.Fatalf("over-refund: %d %s", over.status, over.body)
	}

	// Without an amount, what is left: 19900 - 5000.
	rest := e.must("POST", "v1/purchases/"+id+"/refunds", `{"reason":"requested_by_customer"}`, idem("r3"))
	if rest.status != 201 || rest.json(t)["amount"] != float64(14900) {
		t.Fatalf("default refund: %d %s", rest.status, rest.body)
	}
	if got := e.must("GET", "v1/purchases/"+id, "").json(t)["refunded_amount"]; got != float64(19900) {
		t.Fatalf("refunded_amount %v", got)
	}

	none := e.must("POST", "v1/purchases/"+id+"/refunds", `{}`, idem("r4"))
	if got := none.apiError(t).Error; none.status != 400 || got.Param != "amount" {
		t.Fatalf("refund of a fully refunded purchase: %d %s", none.status, none.body)
	}

	p := e.sb.Purchases()[0]
	if p.RefundedAmount != 19900 || len(p.Refunds) != 2 || p.Refunds[0].Amount != 5000 ||
		p.Refunds[0].Reason != "requested_by_customer" || p.Refunds[1].IdempotencyKey != "r3" {
		t.Fatalf("Purchases() = %+v", p)
	}
}

func TestRefundFullWithEmptyBody(t *testing.T) {
	e := newEnv(t)
	id := e.purchase("ord_1", "p1")
	a := e.must("POST", "v1/purchases/"+id+"/refunds", " ", idem("r1"), header("Content-Type", "application/json"))
	if a.status != 201 || a.json(t)["amount"] != float64(19900) {
		t.Fatalf("got %d %s", a.status, a.body)
	}
}

func TestRefundBadAmounts(t *testing.T) {
	e := newEnv(t)
	id := e.purchase("ord_1", "p1")
	for i, body := range []string{`{"amount":0}`, `{"amount":-5}`, `{"amount":1.5}`} {
		a := e.must("POST", "v1/purchases/"+id+"/refunds", body, idem(string(rune('a'+i))))
		if a.status != 400 || a.apiError(t).Error.Param != "amount" {
			t.Errorf("%s: %d %s", body, a.status, a.body)
		}
	}
}

func TestRefundOfDeclinedPurchase(t *testing.T) {
	e := newEnv(t)
	e.sb.DeclineCard(testCardholder, "insufficient_funds")
	id := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("p1")).apiError(t).Error.Purchase["id"].(string)
	a := e.must("POST", "v1/purchases/"+id+"/refunds", `{}`, idem("r1"))
	got := a.apiError(t).Error
	if a.status != 400 || got.Type != "invalid_request" || got.Code != "purchase_not_refundable" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
}

func TestRefundReplay(t *testing.T) {
	e := newEnv(t)
	id := e.purchase("ord_1", "p1")
	first := e.must("POST", "v1/purchases/"+id+"/refunds", `{"amount":100}`, idem("r1"))
	again := e.must("POST", "v1/purchases/"+id+"/refunds", `{"amount":100}`, idem("r1"))
	if string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("refund replay %s, want %s", again.body, first.body)
	}
	if p := e.sb.Purchases()[0]; p.RefundedAmount != 100 || len(p.Refunds) != 1 {
		t.Fatalf("refunded twice: %+v", p)
	}
}
