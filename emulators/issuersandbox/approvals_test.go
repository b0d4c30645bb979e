package issuersandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
)

// approvalBody is purchaseBody asking for the cardholder's approval.
func approvalBody(reference string) string {
	return strings.TrimSuffix(purchaseBody(reference), "}") + `,"approval":"required"}`
}

// wirePurchase is the purchase object as a client reads it.
type wirePurchase struct {
	ID, Status, Reference string
	DeclineCode           string `json:"decline_code"`
	Approval              *struct {
		Channel, Expires string
	}
}

func (a answer) purchase(t *testing.T) wirePurchase {
	t.Helper()
	var p wirePurchase
	if err := json.Unmarshal(a.body, &p); err != nil || p.ID == "" {
		t.Fatalf("body %s is not a purchase (%v)", a.body, err)
	}
	return p
}

// pendingPurchase makes a purchase that waits for approval and returns the
// 202 answer.
func (e *env) pendingPurchase(ref, key string) answer {
	e.t.Helper()
	a := e.must("POST", "v1/purchases", approvalBody(ref), idem(key))
	if a.status != 202 {
		e.t.Fatalf("purchase with approval: %d %s", a.status, a.body)
	}
	return a
}

func TestApprovalRequested(t *testing.T) {
	e := newEnv(t)
	a := e.pendingPurchase("ord_1", "k")
	p := a.purchase(t)
	if p.Status != "pending_approval" || p.DeclineCode != "" || p.Approval == nil ||
		p.Approval.Channel != "app" || p.Approval.Expires != "2026-11-26T18:13:11Z" {
		t.Fatalf("202 body %s", a.body)
	}
	if m := a.json(t); m["amount"] != float64(19900) || m["reference"] != "ord_1" || m["created"] != "2026-11-26T18:03:11Z" {
		t.Fatalf("202 body %s", a.body)
	}
	g := e.must("GET", "v1/purchases/"+p.ID, "")
	if g.status != 200 || string(g.body) != string(a.body) {
		t.Fatalf("GET: %d %s, want %s", g.status, g.body, a.body)
	}
	pend := e.sb.PendingApprovals()
	want := time.Date(2026, 11, 26, 18, 13, 11, 0, time.UTC)
	if len(pend) != 1 || pend[0].ID != p.ID || pend[0].Status != issuersandbox.StatusPendingApproval ||
		pend[0].Approval == nil || !pend[0].Approval.Expires.Equal(want) || pend[0].Approval.ByIssuer ||
		pend[0].Cardholder != testCardholder || pend[0].Description != "Kindle Fire HD" {
		t.Fatalf("PendingApprovals() = %+v", pend)
	}
	// A copy: changing it changes nothing in the sandbox.
	pend[0].Approval.Channel = "x"
	if e.sb.PendingApprovals()[0].Approval.Channel != "app" {
		t.Fatal("PendingApprovals shares its approval with the sandbox")
	}
}

// TestApprovalOutcomes follows a pending purchase to each of its outcomes,
// and checks what every reader sees afterwards.
func TestApprovalOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		settle     func(e *env, id string) (issuersandbox.Purchase, error)
		status     string
		code       string
		refundable bool
	}{
		{"approved", func(e *env, id string) (issuersandbox.Purchase, error) { return e.sb.Approve(id) },
			"approved", "", true},
		{"declined by the cardholder", func(e *env, id string) (issuersandbox.Purchase, error) { return e.sb.Decline(id) },
			"declined", issuersandbox.DeclineApprovalDeclined, false},
		{"expired", func(e *env, id string) (issuersandbox.Purchase, error) {
			e.clock.Advance(10 * time.Minute)
			ps := e.sb.Purchases()
			return ps[0], nil
		}, "declined", issuersandbox.DeclineApprovalExpired, false},
		{"approved, but the card now declines", func(e *env, id string) (issuersandbox.Purchase, error) {
			e.sb.DeclineCard(testCardholder, "insufficient_funds")
			return e.sb.Approve(id)
		}, "declined", "insufficient_funds", false},
		{"approved, but the enrollment is now suspended", func(e *env, id string) (issuersandbox.Purchase, error) {
			if err := e.sb.SetEnrollmentStatus(testTwitterID, issuersandbox.StatusSuspended); err != nil {
				return issuersandbox.Purchase{}, err
			}
			return e.sb.Approve(id)
		}, "declined", "do_not_honor", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			first := e.pendingPurchase("ord_1", "k")
			id := first.purchase(t).ID
			e.clock.Advance(time.Minute)
			got, err := tt.settle(e, id)
			if err != nil || got.ID != id || got.Status != tt.status || got.DeclineCode != tt.code {
				t.Fatalf("settled: %+v, %v", got, err)
			}
			if got.Approval == nil || got.Approval.Channel != "app" {
				t.Errorf("approval not kept: %+v", got.Approval)
			}
			// It moved once: neither answer moves it again.
			if _, err := e.sb.Approve(id); !errors.Is(err, issuersandbox.ErrNotPending) {
				t.Errorf("second Approve: %v", err)
			}
			if _, err := e.sb.Decline(id); !errors.Is(err, issuersandbox.ErrNotPending) {
				t.Errorf("second Decline: %v", err)
			}
			if n := len(e.sb.PendingApprovals()); n != 0 {
				t.Errorf("%d still pending", n)
			}

			g := e.must("GET", "v1/purchases/"+id, "").purchase(t)
			if g.Status != tt.status || g.DeclineCode != tt.code || g.Approval == nil {
				t.Errorf("GET: %+v", g)
			}
			l := e.must("GET", "v1/purchases?reference=ord_1", "")
			var list struct{ Data []wirePurchase }
			if err := json.Unmarshal(l.body, &list); err != nil || len(list.Data) != 1 ||
				list.Data[0].Status != tt.status || list.Data[0].DeclineCode != tt.code {
				t.Errorf("lookup by reference: %s", l.body)
			}
			// The POST replayed is the stored 202, whatever happened since.
			again := e.must("POST", "v1/purchases", approvalBody("ord_1"), idem("k"))
			if again.status != 202 || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("replay: %d %s", again.status, again.body)
			}
			r := e.must("POST", "v1/purchases/"+id+"/refunds", `{}`, idem("r"))
			if tt.refundable && r.status != 201 {
				t.Errorf("refund of an approved purchase: %d %s", r.status, r.body)
			}
			if !tt.refundable && (r.status != 400 || r.apiError(t).Error.Code != "purchase_not_refundable") {
				t.Errorf("refund: %d %s", r.status, r.body)
			}
			if n := len(e.sb.Purchases()); n != 1 {
				t.Errorf("%d purchases, want 1", n)
			}
		})
	}
}

func TestApprovalExpiryBoundary(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(500 * time.Millisecond) // expires is whole seconds after the truncated creation
	id := e.pendingPurchase("ord_1", "k").purchase(t).ID
	e.clock.Advance(10*time.Minute - 501*time.Millisecond)
	if g := e.must("GET", "v1/purchases/"+id, "").purchase(t); g.Status != "pending_approval" {
		t.Fatalf("a moment before expires: %+v", g)
	}
	e.clock.Advance(time.Millisecond)
	if g := e.must("GET", "v1/purchases/"+id, "").purchase(t); g.Status != "declined" || g.DeclineCode != "approval_expired" {
		t.Fatalf("at expires: %+v", g)
	}
	if _, err := e.sb.Approve(id); !errors.Is(err, issuersandbox.ErrNotPending) || !strings.Contains(err.Error(), "approval_expired") {
		t.Fatalf("Approve after expiry: %v", err)
	}
}

func TestApprovalAnswerErrors(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sb.Approve("pur_nope"); !errors.Is(err, issuersandbox.ErrNoSuchPurchase) {
		t.Errorf("Approve of no purchase: %v", err)
	}
	if _, err := e.sb.Decline("pur_nope"); !errors.Is(err, issuersandbox.ErrNoSuchPurchase) {
		t.Errorf("Decline of no purchase: %v", err)
	}
	id := e.purchase("ord_1", "k") // approved at once: never pending
	if _, err := e.sb.Approve(id); !errors.Is(err, issuersandbox.ErrNotPending) {
		t.Errorf("Approve of an approved purchase: %v", err)
	}
}

func TestRefundOfPendingPurchase(t *testing.T) {
	e := newEnv(t)
	id := e.pendingPurchase("ord_1", "k").purchase(t).ID
	r := e.must("POST", "v1/purchases/"+id+"/refunds", `{"amount":100}`, idem("r"))
	if r.status != 400 || r.apiError(t).Error.Code != "purchase_not_refundable" {
		t.Fatalf("refund while pending: %d %s", r.status, r.body)
	}
	// The refused refund was stored under its key; a new key refunds once
	// approved.
	if _, err := e.sb.Approve(id); err != nil {
		t.Fatal(err)
	}
	if r := e.must("POST", "v1/purchases/"+id+"/refunds", `{"amount":100}`, idem("r2")); r.status != 201 {
		t.Fatalf("refund once approved: %d %s", r.status, r.body)
	}
}

// TestIssuerRules: the issuer asks for approval on its own, whatever the
// request says.
func TestIssuerRules(t *testing.T) {
	tests := []struct {
		name     string
		opts     func(*issuersandbox.Options)
		setup    func(*issuersandbox.Server)
		body     string
		status   int
		byIssuer bool
	}{
		{"over the amount", func(o *issuersandbox.Options) { o.ApproveOver = map[string]int64{"USD": 10000} }, nil,
			purchaseBody("ord_1"), 202, true},
		{"at the amount", func(o *issuersandbox.Options) { o.ApproveOver = map[string]int64{"USD": 19900} }, nil,
			purchaseBody("ord_1"), 201, false},
		{"another currency", func(o *issuersandbox.Options) { o.ApproveOver = map[string]int64{"EUR": 1} }, nil,
			purchaseBody("ord_1"), 201, false},
		{"over the amount and asked", func(o *issuersandbox.Options) { o.ApproveOver = map[string]int64{"USD": 1} }, nil,
			approvalBody("ord_1"), 202, false},
		{"per cardholder", nil, func(s *issuersandbox.Server) { s.RequireApproval(testCardholder, true) },
			purchaseBody("ord_1"), 202, true},
		{"per cardholder, another one", nil, func(s *issuersandbox.Server) { s.RequireApproval("chd_other", true) },
			purchaseBody("ord_1"), 201, false},
		{"per cardholder, turned off", nil, func(s *issuersandbox.Server) {
			s.RequireApproval(testCardholder, true)
			s.RequireApproval(testCardholder, false)
		}, purchaseBody("ord_1"), 201, false},
		{"without approvals", func(o *issuersandbox.Options) {
			o.NoApprovals = true
			o.ApproveOver = map[string]int64{"USD": 1}
		}, func(s *issuersandbox.Server) { s.RequireApproval(testCardholder, true) },
			purchaseBody("ord_1"), 201, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, func(o *issuersandbox.Options) {
				if tt.opts != nil {
					tt.opts(o)
				}
			})
			if tt.setup != nil {
				tt.setup(e.sb)
			}
			a := e.must("POST", "v1/purchases", tt.body, idem("k"))
			if a.status != tt.status {
				t.Fatalf("got %d %s, want %d", a.status, a.body, tt.status)
			}
			p := e.sb.Purchases()[0]
			if tt.status == 202 && (p.Approval == nil || p.Approval.ByIssuer != tt.byIssuer) {
				t.Errorf("approval %+v, want ByIssuer %v", p.Approval, tt.byIssuer)
			}
			if tt.status == 201 && (p.Approval != nil || a.json(t)["approval"] != nil) {
				t.Errorf("an approved purchase carries an approval: %s", a.body)
			}
		})
	}
}

func TestNoApprovals(t *testing.T) {
	e := newEnvWith(t, func(o *issuersandbox.Options) { o.NoApprovals = true })
	a := e.must("POST", "v1/purchases", approvalBody("ord_1"), idem("k"))
	got := a.apiError(t).Error
	if a.status != 400 || got.Type != "invalid_request" || got.Code != "invalid_request" || got.Param != "approval" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	if n := len(e.sb.Purchases()); n != 0 {
		t.Fatalf("%d purchases made", n)
	}
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k2")); a.status != 201 {
		t.Fatalf("without approval: %d %s", a.status, a.body)
	}
}

func TestApprovalBadValue(t *testing.T) {
	e := newEnv(t)
	for i, v := range []string{`"maybe"`, `"REQUIRED"`, `true`} {
		body := strings.TrimSuffix(purchaseBody("ord_1"), "}") + `,"approval":` + v + `}`
		a := e.must("POST", "v1/purchases", body, idem(string(rune('a'+i))))
		if a.status != 400 || a.apiError(t).Error.Param != "approval" {
			t.Errorf("approval %s: %d %s", v, a.status, a.body)
		}
	}
	body := strings.TrimSuffix(purchaseBody("ord_1"), "}") + `,"approval":""}`
	if a := e.must("POST", "v1/purchases", body, idem("empty")); a.status != 201 {
		t.Errorf("empty approval: %d %s", a.status, a.body)
	}
}

func TestApprovalDeclinedCardNotAsked(t *testing.T) {
	e := newEnv(t)
	e.sb.DeclineCard(testCardholder, "card_expired")
	a := e.must("POST", "v1/purchases", approvalBody("ord_1"), idem("k"))
	if a.status != 402 || a.apiError(t).Error.DeclineCode != "card_expired" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	if n := len(e.sb.PendingApprovals()); n != 0 {
		t.Fatalf("%d pending for a card that declines", n)
	}
}

func TestApprovalTTLAndChannel(t *testing.T) {
	tests := []struct {
		ttl     time.Duration
		channel string
		expires string
		want    string
	}{
		{0, "", "2026-11-26T18:13:11Z", "app"},
		{3 * time.Minute, issuersandbox.ChannelSMS, "2026-11-26T18:06:11Z", "sms"},
		{time.Hour, "", "2026-11-26T18:18:11Z", "app"}, // never more than 15 minutes
		{90*time.Second + 700*time.Millisecond, "", "2026-11-26T18:04:41Z", "app"},
	}
	for _, tt := range tests {
		t.Run(tt.ttl.String(), func(t *testing.T) {
			e := newEnvWith(t, func(o *issuersandbox.Options) { o.ApprovalTTL = tt.ttl })
			e.sb.Enroll(issuersandbox.Enrollment{TwitterUserID: testTwitterID, Cardholder: testCardholder, ApprovalChannel: tt.channel})
			p := e.pendingPurchase("ord_1", "k").purchase(t)
			if p.Approval.Expires != tt.expires || p.Approval.Channel != tt.want {
				t.Fatalf("approval %+v, want %s by %s", p.Approval, tt.expires, tt.want)
			}
		})
	}
}

func TestWaitPending(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan answer, 2)
	for _, ref := range []string{"ord_1", "ord_2"} {
		go func() {
			a, _ := e.send("POST", "v1/purchases", approvalBody(ref), idem(ref))
			done <- a
		}()
	}
	ps, err := e.sb.WaitPending(ctx, 2)
	if err != nil || len(ps) != 2 {
		t.Fatalf("WaitPending: %+v, %v", ps, err)
	}
	for range 2 {
		if a := <-done; a.status != 202 {
			t.Fatalf("POST: %d %s", a.status, a.body)
		}
	}
	short, cancelShort := context.WithCancel(context.Background())
	cancelShort()
	if _, err := e.sb.WaitPending(short, 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitPending with a cancelled context: %v", err)
	}
}

// TestApprovalAnsweredOnce races the cardholder's two answers: exactly one
// wins.
func TestApprovalAnsweredOnce(t *testing.T) {
	e := newEnv(t)
	id := e.pendingPurchase("ord_1", "k").purchase(t).ID
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { _, errs[0] = e.sb.Approve(id) })
	wg.Go(func() { _, errs[1] = e.sb.Decline(id) })
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("Approve: %v, Decline: %v; want exactly one to succeed", errs[0], errs[1])
	}
	p := e.sb.Purchases()[0]
	if errs[0] == nil && p.Status != "approved" || errs[1] == nil && p.DeclineCode != "approval_declined" {
		t.Fatalf("purchase %+v", p)
	}
}
