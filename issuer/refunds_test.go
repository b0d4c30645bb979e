package issuer_test

import (
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/issuer"
)

func TestRefunds(t *testing.T) {
	e := newEnv(t)
	p, err := e.c.CreatePurchase(e.ctx, "p1", order("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)

	r, err := e.c.CreateRefund(e.ctx, "r1", p.ID, 5000, "requested_by_customer")
	want := issuer.Refund{ID: r.ID, Purchase: p.ID, Amount: 5000, Currency: "USD", Status: "succeeded",
		Created: time.Date(2026, 11, 26, 19, 3, 11, 0, time.UTC)}
	if err != nil || r.ID == "" || r != want {
		t.Fatalf("partial: %+v, %v; want %+v", r, err, want)
	}

	_, err = e.c.CreateRefund(e.ctx, "r2", p.ID, 14901, "")
	if ae := apiErr(t, err); ae.Status != 400 || ae.Code != issuer.CodeInvalidRequest || ae.Param != "amount" {
		t.Fatalf("over-refund: %+v", ae)
	}
	wantKind(t, err, issuer.Final)

	rest, err := e.c.CreateRefund(e.ctx, "r3", p.ID, 0, "")
	if err != nil || rest.Amount != 14900 {
		t.Fatalf("default amount: %+v, %v", rest, err)
	}
	got, err := e.c.GetPurchase(e.ctx, p.ID)
	if err != nil || got.RefundedAmount != 19900 {
		t.Fatalf("refunded_amount: %+v, %v", got, err)
	}

	// Replaying a refund refunds nothing more.
	again, err := e.c.CreateRefund(e.ctx, "r3", p.ID, 0, "")
	if err != nil || again != rest {
		t.Fatalf("replayed refund: %+v, %v", again, err)
	}
	if sp := e.sb.Purchases()[0]; sp.RefundedAmount != 19900 || len(sp.Refunds) != 2 {
		t.Fatalf("sandbox purchase %+v", sp)
	}
}

func TestRefundFull(t *testing.T) {
	e := newEnv(t)
	p, err := e.c.CreatePurchase(e.ctx, "p1", order("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.c.CreateRefund(e.ctx, "r1", p.ID, 0, "requested_by_customer")
	if err != nil || r.Amount != 19900 {
		t.Fatalf("full refund: %+v, %v", r, err)
	}
}

func TestRefundDeclinedPurchase(t *testing.T) {
	e := newEnv(t)
	e.sb.DeclineCard(testCardholder, issuer.DeclineCardExpired)
	p, _ := e.c.CreatePurchase(e.ctx, "p1", order("ord_1"))
	if p.ID == "" {
		t.Fatal("no declined purchase returned")
	}
	_, err := e.c.CreateRefund(e.ctx, "r1", p.ID, 0, "")
	if ae := apiErr(t, err); ae.Status != 400 || ae.Code != issuer.CodePurchaseNotRefundable {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Final)
}

func TestRefundArguments(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		key, id string
		amount  int64
	}{{"", "pur_x", 0}, {"k", "", 0}, {"k", "pur_x", -1}} {
		_, err := e.c.CreateRefund(e.ctx, tc.key, tc.id, tc.amount, "")
		wantKind(t, err, issuer.Bug)
	}
	_, err := e.c.CreateRefund(e.ctx, "k", "pur_nope", 0, "")
	if ae := apiErr(t, err); ae.Status != 404 || ae.Code != issuer.CodeNotFound {
		t.Fatalf("got %+v", ae)
	}
}
