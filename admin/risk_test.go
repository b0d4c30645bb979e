package admin

import (
	"bytes"
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

var riskT0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// riskSeeder puts orders in a real database the way the daemon does:
// each buy and confirmation is a stored message processed with its
// decision (the risk stored with the confirmation), and the charge goes
// through StartCharge, AwaitApproval and SettleCharge.
type riskSeeder struct {
	t   *testing.T
	db  *storage.DB
	msg int64
}

func openRiskDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "orders.db"), func() time.Time { return riskT0 })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// process stores one tweet of user's and records decision d about it.
func (s *riskSeeder) process(user int64, d conversations.Decision) {
	s.t.Helper()
	ctx := context.Background()
	s.msg++
	in := conversations.Inbound{Channel: conversations.Tweet, ID: s.msg, UserID: user, ScreenName: "u", Text: "t", PostedAt: riskT0}
	if _, err := s.db.SavePage(ctx, []conversations.Inbound{in}, "c", 0); err != nil {
		s.t.Fatal(err)
	}
	m, ok, err := s.db.NextInbox(ctx, map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}, nil, time.Time{})
	if err != nil || !ok || m.UserID != user {
		s.t.Fatalf("NextInbox = %+v, %v, %v", m, ok, err)
	}
	if _, err := s.db.Process(ctx, m, conversations.ExpiryBounds{Before: riskT0}, riskT0,
		func(storage.Facts) conversations.Decision { return d }); err != nil {
		s.t.Fatal(err)
	}
}

// confirmed reserves a unit for order id, of user, and confirms it with
// what the risk rules made of it.
func (s *riskSeeder) confirmed(id string, user int64, created time.Time, risk conversations.Risk) {
	s.t.Helper()
	o := conversations.Order{ID: id, OfferID: "kindle", UserID: user, ScreenName: "u", State: conversations.Pending,
		Channel: conversations.Tweet, BuyMessageID: s.msg + 1, Title: "Kindle", BuyHashtag: "BuyKindle", ConfirmHashtag: "ConfirmKindle",
		Amount: 39900, Currency: "USD", Merchant: "mer", Cardholder: "chd", CardLast4: "1005", CreatedAt: created, ExpiresAt: riskT0.Add(time.Hour)}
	s.process(user, conversations.Decision{Action: "reserve", NewOrder: &o})
	s.process(user, conversations.Decision{Action: "confirm", Transitions: []conversations.Transition{{OrderID: id,
		From: conversations.Pending, To: conversations.Confirmed, ConfirmMessageID: s.msg + 1, ConfirmChannel: conversations.Tweet,
		IdempotencyKey: "pbt-" + id, At: riskT0, Risk: &risk}}})
}

// awaiting has the issuer put order id's purchase to the cardholder,
// until expires.
func (s *riskSeeder) awaiting(id string, expires time.Time) {
	s.t.Helper()
	ctx := context.Background()
	attempt, err := s.db.StartCharge(ctx, id, "purchase", riskT0.Add(time.Minute))
	if err != nil {
		s.t.Fatal(err)
	}
	a := conversations.Approval{Status: conversations.ApprovalPending, Channel: "app", Expires: expires}
	if err := s.db.AwaitApproval(ctx, id, attempt, "pur_"+id, a, riskT0.Add(2*time.Second), nil); err != nil {
		s.t.Fatal(err)
	}
}

func (s *riskSeeder) settle(id string, out conversations.Outcome) {
	s.t.Helper()
	ctx := context.Background()
	attempt, err := s.db.StartCharge(ctx, id, "lookup", riskT0.Add(time.Minute))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.SettleCharge(ctx, id, attempt, out, "test", nil); err != nil {
		s.t.Fatal(err)
	}
}

// approvalRisk is what the rules make of a purchase that needs the
// cardholder's approval, with the rules that asked for it.
func approvalRisk(rules ...string) conversations.Risk {
	return conversations.Risk{Approval: true, Reasons: []string{conversations.ReasonAmount}, Rules: rules,
		Signals: map[string]string{"spend_24h": "0", "purchases_1h": "0"}}
}

// seedRiskOrders stores one order of each kind the RISK column tells
// apart, and returns when the waiting one's approval expires.
//
//	ord_plain     paid, no rule applied
//	ord_charging  confirmed over approval_over, not yet sent to the issuer
//	ord_waiting   confirmed, the issuer asking the cardholder (pending_approval)
//	ord_declined  put to the cardholder, who declined it
//	ord_parked    parked by a look-up while its approval was pending
//	ord_refused   refused by daily_limit at its confirmation
func seedRiskOrders(t *testing.T, db *storage.DB) time.Time {
	t.Helper()
	s := &riskSeeder{t: t, db: db}
	plain := conversations.Risk{Signals: map[string]string{"spend_24h": "0", "purchases_1h": "0"}}
	s.confirmed("ord_plain", 101, riskT0.Add(-5*time.Minute), plain)
	s.settle("ord_plain", conversations.Outcome{State: conversations.Paid, PurchaseID: "pur_plain"})

	s.confirmed("ord_charging", 102, riskT0.Add(-4*time.Minute), approvalRisk(conversations.RuleApprovalOver))

	waiting := approvalRisk(conversations.RuleApprovalOver, conversations.RuleHandleChangeHold)
	waiting.Reasons = append(waiting.Reasons, conversations.ReasonHandleChanged)
	s.confirmed("ord_waiting", 103, riskT0.Add(-3*time.Minute), waiting)
	expires := riskT0.Add(10 * time.Minute)
	s.awaiting("ord_waiting", expires)

	s.confirmed("ord_declined", 104, riskT0.Add(-2*time.Minute), approvalRisk(conversations.RuleApprovalOver))
	s.awaiting("ord_declined", expires)
	s.settle("ord_declined", conversations.Outcome{State: conversations.Declined, PurchaseID: "pur_ord_declined",
		DeclineCode: conversations.ApprovalDeclined})

	// Parked by a look-up while the issuer was still asking: its approval
	// status is the last the bot heard, but it is no longer confirmed.
	s.confirmed("ord_parked", 106, riskT0.Add(-90*time.Second), approvalRisk(conversations.RuleApprovalOver))
	s.awaiting("ord_parked", expires)
	s.settle("ord_parked", conversations.Outcome{State: conversations.Parked, PurchaseID: "pur_ord_parked"})

	o := conversations.Order{ID: "ord_refused", OfferID: "kindle", UserID: 105, ScreenName: "u", State: conversations.Pending,
		Channel: conversations.Tweet, BuyMessageID: s.msg + 1, Title: "Kindle", BuyHashtag: "BuyKindle", ConfirmHashtag: "ConfirmKindle",
		Amount: 39900, Currency: "USD", Merchant: "mer", Cardholder: "chd", CardLast4: "1005", CreatedAt: riskT0.Add(-time.Minute),
		ExpiresAt: riskT0.Add(time.Hour)}
	s.process(105, conversations.Decision{Action: "reserve", NewOrder: &o})
	refused := conversations.Risk{Refused: conversations.RuleDailyLimit, Rules: []string{conversations.RuleDailyLimit}}
	s.process(105, conversations.Decision{Action: "refuse", Transitions: []conversations.Transition{{OrderID: "ord_refused",
		From: conversations.Pending, To: conversations.Failed, At: riskT0, Risk: &refused}}})
	return expires
}

// tableCells reads an aligned table into the cells of the named columns,
// per row, keyed by the first column: tabwriter starts every cell of a
// column where its header starts.
func tableCells(t *testing.T, text string, columns ...string) map[string]map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	header := lines[0]
	starts := map[string]int{}
	for _, c := range columns {
		i := strings.Index(header, c)
		if i < 0 {
			t.Fatalf("no column %s in %q", c, header)
		}
		starts[c] = i
	}
	out := map[string]map[string]string{}
	for _, line := range lines[1:] {
		row := map[string]string{}
		for _, c := range columns {
			start := starts[c]
			end := len(line)
			// The cell ends where the next header does (or the line).
			for _, h := range strings.Fields(header) {
				if i := strings.Index(header, h); i > start && i < end {
					end = i
				}
			}
			if start > len(line) {
				start = len(line)
			}
			if end > len(line) {
				end = len(line)
			}
			row[c] = strings.TrimSpace(line[start:end])
		}
		out[strings.Fields(line)[0]] = row
	}
	return out
}

// TestOrdersShowTheRiskRulesThatApplied: conversation.md's "Every order
// records the rules that applied to it, which orders shows". The RISK
// column gives each order's rules, the refusing one included, and where
// its approval stands; an order no rule applied to shows none; the order
// the issuer is putting to its cardholder shows as pending_approval.
func TestOrdersShowTheRiskRulesThatApplied(t *testing.T) {
	db, ctx := openRiskDB(t), context.Background()
	seedRiskOrders(t, db)
	orders, err := db.Orders(ctx, storage.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteOrders(&out, orders, nil, false); err != nil {
		t.Fatal(err)
	}
	rows := tableCells(t, out.String(), "STATE", "RISK")
	want := map[string][2]string{ // state, risk
		"ord_plain":    {"paid", "-"},
		"ord_charging": {"confirmed", "approval_over"},
		"ord_waiting":  {PendingApproval, "approval_over,handle_change_hold,approval pending"},
		"ord_declined": {"declined", "approval_over,approval declined"},
		"ord_refused":  {"failed", "daily_limit"},
	}
	// A parked order is parked, whatever its approval last was.
	if r := rows["ord_parked"]; r["STATE"] != "parked" || r["RISK"] != "approval_over" {
		t.Errorf("ord_parked: STATE %q RISK %q, want parked and approval_over (no approval pending: it waits for an admin):\n%s", r["STATE"], r["RISK"], out.String())
	}
	delete(rows, "ord_parked")
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d:\n%s", len(rows), len(want), out.String())
	}
	for id, w := range want {
		r, ok := rows[id]
		if !ok {
			t.Errorf("no row for %s:\n%s", id, out.String())
			continue
		}
		if r["STATE"] != w[0] || r["RISK"] != w[1] {
			t.Errorf("%s: STATE %q RISK %q, want %q and %q:\n%s", id, r["STATE"], r["RISK"], w[0], w[1], out.String())
		}
	}
}

// TestOrdersJSONCarriesTheRiskRules: -json gives the same facts for
// scripts: risk_rules, and the approval with when it expires. An order
// waiting for its cardholder keeps its state, confirmed (issuer-api.md:
// "the order stays confirmed, shown as pending_approval by paybytweet
// orders"), with "approval": "pending"; an order no rule applied to has
// neither key.
func TestOrdersJSONCarriesTheRiskRules(t *testing.T) {
	db, ctx := openRiskDB(t), context.Background()
	expires := seedRiskOrders(t, db)
	orders, err := db.Orders(ctx, storage.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteOrders(&out, orders, nil, true); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	byID := map[string]map[string]any{}
	for _, r := range rows {
		byID[r["id"].(string)] = r
	}
	plain := byID["ord_plain"]
	for _, k := range []string{"risk_rules", "approval", "approval_expires"} {
		if v, ok := plain[k]; ok {
			t.Errorf("the plain order has %s %v", k, v)
		}
	}
	w := byID["ord_waiting"]
	if w["state"] != "confirmed" || w["approval"] != "pending" || w["approval_expires"] != expires.Format(time.RFC3339) {
		t.Errorf("the waiting order: state %v approval %v expires %v; want confirmed, pending, %s", w["state"], w["approval"],
			w["approval_expires"], expires.Format(time.RFC3339))
	}
	wantRules := map[string][]any{
		"ord_charging": {"approval_over"},
		"ord_waiting":  {"approval_over", "handle_change_hold"},
		"ord_declined": {"approval_over"},
		"ord_refused":  {"daily_limit"},
		"ord_parked":   {"approval_over"},
	}
	for id, want := range wantRules {
		if got, _ := byID[id]["risk_rules"].([]any); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: risk_rules %v, want %v", id, byID[id]["risk_rules"], want)
		}
	}
	if d := byID["ord_declined"]; d["approval"] != "declined" {
		t.Errorf("the declined order: approval %v, want declined", d["approval"])
	}
}

// TestOrderFilterApprovalPending: storage's filter behind -state
// pending_approval keeps the confirmed order the issuer is asking its
// cardholder about, and no other: not a confirmed one still being
// charged (rules applied, approval not asked yet), nor one whose approval
// ended, nor one parked while its approval was pending.
func TestOrderFilterApprovalPending(t *testing.T) {
	db, ctx := openRiskDB(t), context.Background()
	seedRiskOrders(t, db)
	ids := func(f storage.OrderFilter) []string {
		orders, err := db.Orders(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range orders {
			out = append(out, o.ID)
		}
		return out
	}
	if got := ids(storage.OrderFilter{ApprovalPending: true}); !reflect.DeepEqual(got, []string{"ord_waiting"}) {
		t.Errorf("approval pending: %v, want [ord_waiting]", got)
	}
	if got := ids(storage.OrderFilter{ApprovalPending: true, UserID: 102}); len(got) != 0 {
		t.Errorf("approval pending of user 102: %v, want none", got)
	}
	// confirmed, newest first, takes both: waiting for approval is being
	// charged (configuration.md, order states).
	if got := ids(storage.OrderFilter{State: conversations.Confirmed}); !reflect.DeepEqual(got, []string{"ord_waiting", "ord_charging"}) {
		t.Errorf("confirmed: %v, want [ord_waiting ord_charging]", got)
	}
}
