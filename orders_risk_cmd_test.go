package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// seedApprovalOrders stores, in the database of the configuration at
// path, orders as the daemon would have left them: each buy and
// confirmation a processed message (the risk stored with the
// confirmation), each charge through the charger's calls.
//
//	ord_plain     paid, no rule applied (user 201)
//	ord_charging  confirmed over approval_over, not yet sent to the issuer (202)
//	ord_waiting   confirmed, the issuer asking the cardholder to approve it (203)
//	ord_approved  approved by the cardholder, paid (204)
//
// It returns when the waiting order's approval expires.
func seedApprovalOrders(t *testing.T, path string) time.Time {
	t.Helper()
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	db, err := storage.Open(filepath.Join(filepath.Dir(path), "p.db"), func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var msg int64
	process := func(user int64, d conversations.Decision) {
		t.Helper()
		msg++
		in := conversations.Inbound{Channel: conversations.Tweet, ID: msg, UserID: user, ScreenName: "u", Text: "t", PostedAt: t0}
		if _, err := db.SavePage(ctx, []conversations.Inbound{in}, "c", 0); err != nil {
			t.Fatal(err)
		}
		m, ok, err := db.NextInbox(ctx, map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}, nil, time.Time{})
		if err != nil || !ok || m.UserID != user {
			t.Fatalf("NextInbox = %+v, %v, %v", m, ok, err)
		}
		if _, err := db.Process(ctx, m, conversations.ExpiryBounds{Before: t0}, t0, func(storage.Facts) conversations.Decision { return d }); err != nil {
			t.Fatal(err)
		}
	}
	confirm := func(id string, user int64, age time.Duration, rules ...string) {
		t.Helper()
		o := conversations.Order{ID: id, OfferID: "kindle-fire-hd", UserID: user, ScreenName: "u", State: conversations.Pending,
			Channel: conversations.Tweet, BuyMessageID: msg + 1, Title: "Kindle Fire HD", BuyHashtag: "BuyKindleFireHD",
			ConfirmHashtag: "ConfirmKindleFireHD", Amount: 39900, Currency: "USD", Merchant: "mer_amazon", Cardholder: "chd",
			CardLast4: "1005", CreatedAt: t0.Add(-age), ExpiresAt: t0.Add(time.Hour)}
		process(user, conversations.Decision{Action: "reserve", NewOrder: &o})
		risk := conversations.Risk{Approval: len(rules) > 0, Rules: rules, Signals: map[string]string{"spend_24h": "0", "purchases_1h": "0"}}
		if len(rules) > 0 {
			risk.Reasons = []string{conversations.ReasonAmount}
		}
		process(user, conversations.Decision{Action: "confirm", Transitions: []conversations.Transition{{OrderID: id,
			From: conversations.Pending, To: conversations.Confirmed, ConfirmMessageID: msg + 1, ConfirmChannel: conversations.Tweet,
			IdempotencyKey: "pbt-" + id, At: t0, Risk: &risk}}})
	}
	expires := t0.Add(10 * time.Minute)
	await := func(id string) {
		t.Helper()
		attempt, err := db.StartCharge(ctx, id, "purchase", t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		a := conversations.Approval{Status: conversations.ApprovalPending, Channel: "app", Expires: expires}
		if err := db.AwaitApproval(ctx, id, attempt, "pur_"+id, a, t0.Add(2*time.Second), nil); err != nil {
			t.Fatal(err)
		}
	}
	pay := func(id string) {
		t.Helper()
		attempt, err := db.StartCharge(ctx, id, "lookup", t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SettleCharge(ctx, id, attempt, conversations.Outcome{State: conversations.Paid, PurchaseID: "pur_" + id}, "paid", nil); err != nil {
			t.Fatal(err)
		}
	}
	confirm("ord_plain", 201, 4*time.Minute)
	pay("ord_plain")
	confirm("ord_charging", 202, 3*time.Minute, conversations.RuleApprovalOver)
	confirm("ord_waiting", 203, 2*time.Minute, conversations.RuleApprovalOver)
	await("ord_waiting")
	confirm("ord_approved", 204, time.Minute, conversations.RuleApprovalOver)
	await("ord_approved")
	pay("ord_approved")
	return expires
}

// orderRisk reads `orders` text output into each order's STATE and RISK
// cells, by where their headers start (tabwriter aligns every cell of a
// column with its header).
func orderRisk(t *testing.T, text string) map[string][2]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	h := lines[0]
	state, offer, risk, note := strings.Index(h, "STATE"), strings.Index(h, "OFFER"), strings.Index(h, "RISK"), strings.Index(h, "NOTE")
	if state < 0 || offer < 0 || risk < 0 || note < 0 {
		t.Fatalf("orders header %q lacks STATE, OFFER, RISK or NOTE", h)
	}
	out := map[string][2]string{}
	for _, l := range lines[1:] {
		l += strings.Repeat(" ", max(0, note-len(l)))
		out[strings.Fields(l)[0]] = [2]string{strings.TrimSpace(l[state:offer]), strings.TrimSpace(l[risk:note])}
	}
	return out
}

// TestOrdersCommandPendingApproval: `orders -state pending_approval`
// lists the confirmed order its cardholder is being asked to approve,
// and no other (not an order still being charged, not one approved and
// paid), as pending_approval with its rules; `orders` shows every order's
// rules in RISK, "-" where none applied; `-json` says the same for
// scripts: the order stays confirmed with "approval": "pending"
// (issuer-api.md: "the order stays confirmed, shown as pending_approval by
// paybytweet orders").
func TestOrdersCommandPendingApproval(t *testing.T) {
	path := writeConfig(t, "http://127.0.0.1:1/1.1/", "http://127.0.0.1:1/")
	expires := seedApprovalOrders(t, path)

	code, out, stderr := run(t, env(nil), "orders", "-config", path, "-state", "pending_approval")
	if code != 0 {
		t.Fatalf("orders -state pending_approval: exit %d, %q", code, stderr)
	}
	want := map[string][2]string{"ord_waiting": {"pending_approval", "approval_over,approval pending"}}
	if got := orderRisk(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("orders -state pending_approval = %v, want %v:\n%s", got, want, out)
	}

	code, out, stderr = run(t, env(nil), "orders", "-config", path)
	if code != 0 {
		t.Fatalf("orders: exit %d, %q", code, stderr)
	}
	want = map[string][2]string{
		"ord_plain":    {"paid", "-"},
		"ord_charging": {"confirmed", "approval_over"},
		"ord_waiting":  {"pending_approval", "approval_over,approval pending"},
		"ord_approved": {"paid", "approval_over,approval approved"},
	}
	if got := orderRisk(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("orders = %v, want %v:\n%s", got, want, out)
	}

	code, out, stderr = run(t, env(nil), "orders", "-config", path, "-state", "pending_approval", "-json")
	if code != 0 {
		t.Fatalf("orders -state pending_approval -json: exit %d, %q", code, stderr)
	}
	var rows []struct {
		ID              string   `json:"id"`
		State           string   `json:"state"`
		Approval        string   `json:"approval"`
		ApprovalExpires string   `json:"approval_expires"`
		RiskRules       []string `json:"risk_rules"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(rows) != 1 {
		t.Fatalf("orders -state pending_approval -json = %s, want ord_waiting alone", out)
	}
	r := rows[0]
	if r.ID != "ord_waiting" || r.State != "confirmed" || r.Approval != "pending" || r.ApprovalExpires != expires.Format(time.RFC3339) ||
		!reflect.DeepEqual(r.RiskRules, []string{"approval_over"}) {
		t.Errorf("orders -state pending_approval -json = %+v; want ord_waiting, confirmed, approval pending until %s, rules [approval_over]",
			r, expires.Format(time.RFC3339))
	}

	// -state confirmed takes the waiting order too: it is confirmed, being
	// charged (configuration.md's order states).
	code, out, _ = run(t, env(nil), "orders", "-config", path, "-state", "confirmed")
	if got := orderRisk(t, out); code != 0 || len(got) != 2 || got["ord_charging"][0] != "confirmed" || got["ord_waiting"][0] != "pending_approval" {
		t.Errorf("orders -state confirmed: exit %d, %v:\n%s", code, got, out)
	}
}
