package e2e

// Issuer answers about another purchase than the one asked for: never
// reported to the cardholder as a charge, parked, and shown to the admin
// with what the issuer said.

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
)

func TestIssuerMismatchParksOrder(t *testing.T) { eachAPI(t, testIssuerMismatchParksOrder) }

func testIssuerMismatchParksOrder(t *testing.T, api string) {
	tests := []struct {
		name   string
		who    twitteremu.User
		faults []issuersandbox.Fault
		note   string // in the order's note: what the issuer said
	}{
		{"approved with another amount", alice,
			[]issuersandbox.Fault{{Method: "POST", Path: "/v1/purchases", Alter: map[string]any{"amount": 100}}},
			`amount 100 (asked 2500)`},
		{"approved for another cardholder and merchant", alice,
			[]issuersandbox.Fault{{Method: "POST", Path: "/v1/purchases", Alter: map[string]any{"cardholder": "chd_bob", "merchant": "mer_other"}}},
			`cardholder "chd_bob" (asked "chd_alice"), merchant "mer_other" (asked "mer_giftco")`},
		{"approved in another currency", alice,
			[]issuersandbox.Fault{{Method: "POST", Path: "/v1/purchases", Alter: map[string]any{"currency": "EUR"}}},
			`currency "EUR" (asked "USD")`},
		{"declined with another reference", erin,
			[]issuersandbox.Fault{{Method: "POST", Path: "/v1/purchases", Alter: map[string]any{"reference": "ord_someone_else"}}},
			`reference "ord_someone_else"`},
		{"answer lost, look-up finds another amount", alice, []issuersandbox.Fault{
			{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Malformed: true},
			// Twice: the look-up before the first POST finds nothing; the
			// one after the lost answer finds the purchase, altered.
			{Method: "GET", Path: "/v1/purchases", Alter: map[string]any{"amount": 2499}, Times: 2},
		}, `amount 2499 (asked 2500)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api)
			buy := r.tweet(tt.who, "@AmexOffers #BuyGiftCard")
			r.settle()
			req := r.reply(buy.ID)
			ref := orderIn(t, req.Text)
			for _, f := range tt.faults {
				r.iss.InjectFault(f)
			}
			confirm := r.tweet(tt.who, "@AmexOffers #ConfirmGiftCard", req.ID)
			r.settleAdvancing()

			if rs := r.repliesTo(confirm.ID); len(rs) != 0 {
				t.Errorf("the cardholder was told %+v", rs)
			}
			if dms := r.dmsTo(tt.who); len(dms) != 0 {
				t.Errorf("the cardholder was sent %+v", dms)
			}
			o, err := r.d.DB.Order(context.Background(), ref)
			if err != nil {
				t.Fatal(err)
			}
			if o.State != conversations.Parked {
				t.Fatalf("order %s is %s, want parked", ref, o.State)
			}
			if !strings.Contains(r.logs.String(), "alert=issuer_mismatch") {
				t.Error("no alert=issuer_mismatch logged")
			}

			// What `paybytweet orders -state parked` prints, text and JSON.
			parked, err := r.d.DB.Orders(context.Background(), storage.OrderFilter{State: conversations.Parked})
			if err != nil {
				t.Fatal(err)
			}
			notes, err := admin.OrderNotes(context.Background(), r.d.DB, parked)
			if err != nil {
				t.Fatal(err)
			}
			var text, js bytes.Buffer
			if err := admin.WriteOrders(&text, parked, notes, false); err != nil {
				t.Fatal(err)
			}
			mustContain(t, "orders -state parked", text.String(), ref, "NOTE", "issuer_mismatch", tt.note)
			if err := admin.WriteOrders(&js, parked, notes, true); err != nil {
				t.Fatal(err)
			}
			var rows []admin.OrderRow
			if err := json.Unmarshal(js.Bytes(), &rows); err != nil || len(rows) != 1 {
				t.Fatalf("orders -json = %s, %v", js.String(), err)
			}
			mustContain(t, "the order's note", rows[0].Note, "issuer_mismatch", tt.note)

			// Later, it stays parked and nothing more is told.
			r.clock.Advance(time.Hour)
			r.settleAdvancing()
			if rs := r.repliesTo(confirm.ID); len(rs) != 0 {
				t.Errorf("later, the cardholder was told %+v", rs)
			}
		})
	}
}
