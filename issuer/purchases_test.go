package issuer_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/issuer"
)

func TestCreatePurchaseApproved(t *testing.T) {
	e := newEnv(t)
	p, err := e.c.CreatePurchase(e.ctx, "ord_1-charge", order("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	want := issuer.Purchase{
		ID: p.ID, Status: issuer.PurchaseApproved, Cardholder: testCardholder, Merchant: "mer_amazon",
		Amount: 19900, Currency: "USD", Description: "Kindle Fire HD", Reference: "ord_1",
		Metadata: map[string]string{"offer": "kindle-fire-hd", "twitter_user_id": "783214"},
		Created:  time.Date(2026, 11, 26, 18, 3, 11, 0, time.UTC),
	}
	if p.ID == "" || !reflect.DeepEqual(p, want) {
		t.Fatalf("got %+v, want %+v", p, want)
	}
	ps := e.sb.Purchases()
	if len(ps) != 1 || ps[0].ID != p.ID || ps[0].IdempotencyKey != "ord_1-charge" {
		t.Fatalf("sandbox purchases %+v", ps)
	}
	got, err := e.c.GetPurchase(e.ctx, p.ID)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("GetPurchase: %+v, %v", got, err)
	}
}

func TestCreatePurchaseReplay(t *testing.T) {
	e := newEnv(t)
	p1, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if err != nil || !reflect.DeepEqual(p1, p2) {
		t.Fatalf("replay: %+v, %v; want %+v", p2, err, p1)
	}
	if reqs := e.sb.Requests(); !reqs[1].Replayed || len(e.sb.Purchases()) != 1 {
		t.Fatalf("not a replay: %+v", reqs)
	}
}

func TestCreatePurchaseDeclined(t *testing.T) {
	e := newEnv(t)
	e.sb.DeclineCard(testCardholder, issuer.DeclineInsufficientFunds)
	p, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	ae := apiErr(t, err)
	if ae.Status != 402 || ae.Code != issuer.CodeCardDeclined || ae.DeclineCode != issuer.DeclineInsufficientFunds || ae.Purchase == nil {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Final)
	if p.ID == "" || p.Status != issuer.PurchaseDeclined || p.DeclineCode != issuer.DeclineInsufficientFunds || p.Reference != "ord_1" {
		t.Fatalf("declined purchase %+v", p)
	}
	// The replayed 402 is the same decline, even though the card would now
	// be approved.
	e.sb.DeclineCard(testCardholder, "")
	p2, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if apiErr(t, err).Code != issuer.CodeCardDeclined || p2.ID != p.ID {
		t.Fatalf("replayed decline: %+v, %v", p2, err)
	}
	if n := len(e.sb.Purchases()); n != 1 {
		t.Fatalf("%d purchases, want 1", n)
	}
}

func TestCreatePurchaseSuspended(t *testing.T) {
	e := newEnv(t)
	if err := e.sb.SetEnrollmentStatus("783214", issuersandbox.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	p, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if apiErr(t, err).DeclineCode != issuer.DeclineDoNotHonor || p.DeclineCode != issuer.DeclineDoNotHonor {
		t.Fatalf("got %+v, %v", p, err)
	}
	wantKind(t, err, issuer.Final)
}

func TestCreatePurchaseInvalid(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		edit  func(*issuer.PurchaseRequest)
		param string
	}{
		{"unknown cardholder", func(r *issuer.PurchaseRequest) { r.Cardholder = "chd_nobody" }, "cardholder"},
		{"zero amount", func(r *issuer.PurchaseRequest) { r.Amount = 0 }, "amount"},
		{"lower-case currency", func(r *issuer.PurchaseRequest) { r.Currency = "usd" }, "currency"},
		{"no merchant", func(r *issuer.PurchaseRequest) { r.Merchant = "" }, "merchant"},
		{"no reference", func(r *issuer.PurchaseRequest) { r.Reference = "" }, "reference"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := order("ord_1")
			tt.edit(&req)
			p, err := e.c.CreatePurchase(e.ctx, "k"+string(rune('a'+i)), req)
			ae := apiErr(t, err)
			if ae.Status != 400 || ae.Code != issuer.CodeInvalidRequest || ae.Param != tt.param || p.ID != "" {
				t.Fatalf("got %+v, %+v", ae, p)
			}
			wantKind(t, err, issuer.Final)
		})
	}
}

func TestCreatePurchaseBadKey(t *testing.T) {
	e := newEnv(t)
	for _, k := range []string{"", " lead", "trail ", "tab\tkey", "clé", string(make([]byte, 256))} {
		_, err := e.c.CreatePurchase(e.ctx, k, order("ord_1"))
		if apiErr(t, err).Code != issuer.CodeInvalidArgument {
			t.Fatalf("key %q: %v", k, err)
		}
		wantKind(t, err, issuer.Bug)
	}
	if n := len(e.sb.Requests()); n != 0 {
		t.Fatalf("%d requests sent for refused keys", n)
	}
}

func TestKeyReused(t *testing.T) {
	e := newEnv(t)
	p, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.CreatePurchase(e.ctx, "k", order("ord_2"))
	if ae := apiErr(t, err); ae.Status != 422 || ae.Code != issuer.CodeIdempotencyKeyReused {
		t.Fatalf("different body: %+v", ae)
	}
	wantKind(t, err, issuer.Bug)
	_, err = e.c.CreateRefund(e.ctx, "k", p.ID, 0, "")
	if ae := apiErr(t, err); ae.Status != 422 || ae.Code != issuer.CodeIdempotencyKeyReused {
		t.Fatalf("different path: %+v", ae)
	}
	wantKind(t, err, issuer.Bug)
}

func TestKeyExpires(t *testing.T) {
	e := newEnv(t)
	p1, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour)
	p2, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if err != nil || p2.ID == p1.ID {
		t.Fatalf("after 24h: %+v, %v", p2, err)
	}
}

func TestGetPurchaseNotFound(t *testing.T) {
	e := newEnv(t)
	_, err := e.c.GetPurchase(e.ctx, "pur_nope")
	if ae := apiErr(t, err); ae.Status != 404 || ae.Code != issuer.CodeNotFound {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Final)
	_, err = e.c.GetPurchase(e.ctx, "")
	wantKind(t, err, issuer.Bug)
}

func TestGetPurchaseEscapesID(t *testing.T) {
	e := newEnv(t)
	_, err := e.c.GetPurchase(e.ctx, "pur_x/refunds")
	if ae := apiErr(t, err); ae.Status != 404 {
		t.Fatalf("got %+v", ae)
	}
	if r := e.sb.Requests(); r[0].Method != "GET" || r[0].Path != "/v1/purchases/pur_x/refunds" {
		t.Fatalf("request %+v", r[0])
	}
}

func TestFindPurchases(t *testing.T) {
	e := newEnv(t)
	none, err := e.c.FindPurchases(e.ctx, "ord_1")
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("empty lookup: %#v, %v", none, err)
	}
	var ids []string
	for _, k := range []string{"k1", "k2", "k3"} {
		p, err := e.c.CreatePurchase(e.ctx, k, order("ord_1"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
		e.clock.Advance(time.Minute)
	}
	if _, err := e.c.CreatePurchase(e.ctx, "k4", order("ord_2")); err != nil {
		t.Fatal(err)
	}
	ps, err := e.c.FindPurchases(e.ctx, "ord_1")
	if err != nil || len(ps) != 3 {
		t.Fatalf("got %d purchases, %v", len(ps), err)
	}
	for i, p := range ps {
		if p.ID != ids[2-i] || p.Reference != "ord_1" {
			t.Fatalf("purchase %d is %s, want newest first %v", i, p.ID, ids)
		}
	}
	if r := e.sb.Requests(); r[len(r)-1].Query != "reference=ord_1" {
		t.Fatalf("query %q", r[len(r)-1].Query)
	}
	_, err = e.c.FindPurchases(e.ctx, "")
	wantKind(t, err, issuer.Bug)
}
