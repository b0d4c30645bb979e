package issuer

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPurchase(t *testing.T) {
	asked := PurchaseRequest{Cardholder: "chd_1", Merchant: "mer_1", Amount: 19900, Currency: "USD", Description: "Kindle", Reference: "ord_1"}
	same := Purchase{ID: "pur_1", Status: PurchaseApproved, Cardholder: "chd_1", Merchant: "mer_1", Amount: 19900, Currency: "USD", Reference: "ord_1",
		Description: "the issuer's own wording"} // the description is not what is charged
	if err := CheckPurchase(asked, same); err != nil {
		t.Fatalf("matching purchase: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*Purchase)
		wants []string
	}{
		{"amount", func(p *Purchase) { p.Amount = 100 }, []string{"amount 100 (asked 19900)"}},
		{"currency", func(p *Purchase) { p.Currency = "usd" }, []string{`currency "usd" (asked "USD")`}},
		{"merchant", func(p *Purchase) { p.Merchant = "mer_2" }, []string{`merchant "mer_2" (asked "mer_1")`}},
		{"cardholder", func(p *Purchase) { p.Cardholder = "" }, []string{`cardholder "" (asked "chd_1")`}},
		{"reference", func(p *Purchase) { p.Reference = "ord_2" }, []string{`reference "ord_2" (asked "ord_1")`}},
		{"several", func(p *Purchase) { p.Amount, p.Reference = 0, "x" }, []string{"amount 0", `reference "x"`, "pur_1 (approved)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := same
			tt.edit(&p)
			err := CheckPurchase(asked, p)
			var m *MismatchError
			if !errors.As(err, &m) || m.PurchaseID != "pur_1" {
				t.Fatalf("err = %v, want a *MismatchError for pur_1", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}
