package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
)

// TestOrdersShowIssuerMismatch: the issuer approves alice's Kindle but
// answers another amount. She is told nothing of a charge, and
// `paybytweet orders -state parked` shows the order with what the issuer
// said, in text and in JSON.
func TestOrdersShowIssuerMismatch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon in real time")
	}
	s := startScenario(t)
	s.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Alter: map[string]any{"amount": 100}})
	buy := s.tweet(alice, "@AmexOffers #BuyKindleFireHD", 0)
	req := s.reply(buy.ID)
	confirm := s.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	var rows []struct {
		ID    string `json:"id"`
		State string `json:"state"`
		Note  string `json:"note"`
	}
	s.waitFor("the order parked", func() bool {
		code, out, _ := s.admin("orders", "-state", "parked", "-json")
		return code == 0 && json.Unmarshal([]byte(out), &rows) == nil && len(rows) == 1
	})
	want := "amount 100 (asked 19900)"
	if !strings.Contains(rows[0].Note, "issuer_mismatch") || !strings.Contains(rows[0].Note, want) {
		t.Errorf("note = %q, want the issuer's answer %q", rows[0].Note, want)
	}
	code, out, _ := s.admin("orders", "-state", "parked")
	if code != 0 || !strings.Contains(out, rows[0].ID) || !strings.Contains(out, want) {
		t.Errorf("orders -state parked = %d, %q", code, out)
	}
	if !strings.Contains(s.log.String(), "alert=issuer_mismatch") {
		t.Error("no alert=issuer_mismatch in the daemon's log")
	}
	if rs := s.replies(confirm.ID); len(rs) != 0 {
		t.Errorf("alice was told %+v", rs)
	}
}
