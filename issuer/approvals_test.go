package issuer_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/issuer"
)

// risky is an order the bot wants the cardholder to approve.
func risky(ref string) issuer.PurchaseRequest {
	req := order(ref)
	req.Approval = issuer.ApprovalRequired
	req.Metadata["risk"] = "amount,handle_changed"
	return req
}

// created is the sandbox clock's time in every test.
var created = time.Date(2026, 11, 26, 18, 3, 11, 0, time.UTC)

func TestCreatePurchasePendingApproval(t *testing.T) {
	e := newEnv(t)
	p, err := e.c.CreatePurchase(e.ctx, "k", risky("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	want := issuer.Purchase{
		ID: p.ID, Status: issuer.PurchaseApprovalPending, Cardholder: testCardholder, Merchant: "mer_amazon",
		Amount: 19900, Currency: "USD", Description: "Kindle Fire HD", Reference: "ord_1",
		Metadata: map[string]string{"offer": "kindle-fire-hd", "twitter_user_id": "783214", "risk": "amount,handle_changed"},
		Created:  created,
		Approval: issuer.Approval{Channel: issuer.ApprovalChannelApp, Expires: created.Add(10 * time.Minute)},
	}
	if p.ID == "" || !reflect.DeepEqual(p, want) {
		t.Fatalf("got  %+v\nwant %+v", p, want)
	}
	if err := issuer.CheckPurchase(risky("ord_1"), p); err != nil {
		t.Fatal(err)
	}
	if r := e.sb.Requests(); r[0].Status != 202 {
		t.Fatalf("answered %d", r[0].Status)
	}
}

// TestApprovalSentOnlyWhenAsked: "approval" is in the body only when the
// request sets it, so that an issuer without approvals sees the body it
// always saw.
func TestApprovalSentOnlyWhenAsked(t *testing.T) {
	e := newEnv(t)
	if _, err := e.c.CreatePurchase(e.ctx, "k1", order("ord_1")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.CreatePurchase(e.ctx, "k2", risky("ord_2")); err != nil {
		t.Fatal(err)
	}
	for i, want := range []any{nil, "required"} {
		var body map[string]any
		if err := json.Unmarshal(e.sb.Requests()[i].Body, &body); err != nil {
			t.Fatal(err)
		}
		if body["approval"] != want {
			t.Errorf("request %d: approval %v, want %v", i, body["approval"], want)
		}
	}
}

// TestApprovalSettledByGet follows a pending purchase to each outcome as
// the bot does, by GetPurchase and FindPurchases; a replay of the POST
// still answers the stored 202.
func TestApprovalSettledByGet(t *testing.T) {
	tests := []struct {
		name   string
		answer func(e *env, id string)
		status string
		code   string
	}{
		{"approved", func(e *env, id string) {
			if _, err := e.sb.Approve(id); err != nil {
				e.t.Fatal(err)
			}
		}, issuer.PurchaseApproved, ""},
		{"declined", func(e *env, id string) {
			if _, err := e.sb.Decline(id); err != nil {
				e.t.Fatal(err)
			}
		}, issuer.PurchaseDeclined, issuer.DeclineApprovalDeclined},
		{"expired", func(e *env, id string) { e.clock.Advance(10 * time.Minute) },
			issuer.PurchaseDeclined, issuer.DeclineApprovalExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p, err := e.c.CreatePurchase(e.ctx, "k", risky("ord_1"))
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(2 * time.Second)
			if still, err := e.c.GetPurchase(e.ctx, p.ID); err != nil || !reflect.DeepEqual(still, p) {
				t.Fatalf("while pending: %+v, %v", still, err)
			}
			tt.answer(e, p.ID)

			got, err := e.c.GetPurchase(e.ctx, p.ID)
			if err != nil || got.Status != tt.status || got.DeclineCode != tt.code || got.Approval != p.Approval {
				t.Fatalf("GetPurchase: %+v, %v", got, err)
			}
			if err := issuer.CheckPurchase(risky("ord_1"), got); err != nil {
				t.Fatal(err)
			}
			ps, err := e.c.FindPurchases(e.ctx, "ord_1")
			if err != nil || len(ps) != 1 || !reflect.DeepEqual(ps[0], got) {
				t.Fatalf("FindPurchases: %+v, %v", ps, err)
			}

			again, err := e.c.CreatePurchase(e.ctx, "k", risky("ord_1"))
			if err != nil || !reflect.DeepEqual(again, p) {
				t.Fatalf("replay: %+v, %v; want the stored pending %+v", again, err, p)
			}
			if r := e.sb.Requests(); !r[len(r)-1].Replayed || len(e.sb.Purchases()) != 1 {
				t.Fatalf("not a replay: %+v", r[len(r)-1])
			}

			_, err = e.c.CreateRefund(e.ctx, "r", p.ID, 0, "")
			if tt.status == issuer.PurchaseApproved && err != nil {
				t.Fatalf("refund of the approved purchase: %v", err)
			}
			if tt.status != issuer.PurchaseApproved && apiErr(t, err).Code != issuer.CodePurchaseNotRefundable {
				t.Fatalf("refund: %v", err)
			}
		})
	}
}

func TestRefundPendingPurchase(t *testing.T) {
	e := newEnv(t)
	p, err := e.c.CreatePurchase(e.ctx, "k", risky("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.CreateRefund(e.ctx, "r", p.ID, 0, "")
	if ae := apiErr(t, err); ae.Status != 400 || ae.Code != issuer.CodePurchaseNotRefundable {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Final)
}

// TestIssuerAsksOnItsOwn: a purchase sent without "approval" may still
// come back pending, by the issuer's rules.
func TestIssuerAsksOnItsOwn(t *testing.T) {
	e := newEnvWith(t, func(o *issuersandbox.Options) { o.ApproveOver = map[string]int64{"USD": 10000} })
	e.sb.Enroll(issuersandbox.Enrollment{TwitterUserID: "783214", Cardholder: testCardholder, ApprovalChannel: issuersandbox.ChannelSMS})
	p, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if err != nil || p.Status != issuer.PurchaseApprovalPending || p.Approval.Channel != issuer.ApprovalChannelSMS {
		t.Fatalf("got %+v, %v", p, err)
	}
	small := order("ord_2")
	small.Amount = 500
	if p, err := e.c.CreatePurchase(e.ctx, "k2", small); err != nil || p.Status != issuer.PurchaseApproved {
		t.Fatalf("under the rule: %+v, %v", p, err)
	}
}

func TestApprovalUnsupported(t *testing.T) {
	e := newEnvWith(t, func(o *issuersandbox.Options) { o.NoApprovals = true })
	p, err := e.c.CreatePurchase(e.ctx, "k", risky("ord_1"))
	ae := apiErr(t, err)
	if ae.Status != 400 || ae.Code != issuer.CodeInvalidRequest || ae.Param != "approval" || p.ID != "" {
		t.Fatalf("got %+v, %+v", ae, p)
	}
	wantKind(t, err, issuer.Final)
	if !issuer.ApprovalUnsupported(err) || !issuer.ApprovalUnsupported(fmt.Errorf("charge: %w", err)) {
		t.Fatal("ApprovalUnsupported is false for the issuer's refusal")
	}
	if n := len(e.sb.Purchases()); n != 0 {
		t.Fatalf("%d purchases made", n)
	}
	// Other refusals are not that one.
	bad := order("ord_2")
	bad.Cardholder = "chd_nobody"
	_, err = e.c.CreatePurchase(e.ctx, "k2", bad)
	if apiErr(t, err).Param != "cardholder" || issuer.ApprovalUnsupported(err) {
		t.Fatalf("unknown cardholder: %v", err)
	}
	for _, other := range []error{nil, &issuer.Error{Status: 402, Code: issuer.CodeCardDeclined, Param: "approval"},
		&issuer.Error{Code: issuer.CodeInvalidArgument, Param: "approval"}} {
		if issuer.ApprovalUnsupported(other) {
			t.Errorf("ApprovalUnsupported(%v) is true", other)
		}
	}
}

func TestMalformedPendingAnswer(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Malformed: true})
	p, err := e.c.CreatePurchase(e.ctx, "k", risky("ord_1"))
	ae := apiErr(t, err)
	if ae.Status != 202 || ae.Code != issuer.CodeInvalidResponse || p.ID != "" {
		t.Fatalf("got %+v, %+v", ae, p)
	}
	wantKind(t, err, issuer.Unknown)
	got, err := e.c.CreatePurchase(e.ctx, "k", risky("ord_1"))
	if err != nil || got.Status != issuer.PurchaseApprovalPending || got.ID != e.sb.Purchases()[0].ID {
		t.Fatalf("retry with the same key: %+v, %v", got, err)
	}
}

func TestPurchaseArguments(t *testing.T) {
	e := newEnv(t)
	many := map[string]string{}
	for i := range 21 {
		many["k"+strconv.Itoa(i)] = "v"
	}
	tests := []struct {
		name string
		edit func(*issuer.PurchaseRequest)
		ok   bool
	}{
		{"approval of another value", func(r *issuer.PurchaseRequest) { r.Approval = "yes" }, false},
		{"approval in upper case", func(r *issuer.PurchaseRequest) { r.Approval = "REQUIRED" }, false},
		{"21 metadata keys", func(r *issuer.PurchaseRequest) { r.Metadata = many }, false},
		{"a 501-character value", func(r *issuer.PurchaseRequest) { r.Metadata["risk"] = strings.Repeat("a", 501) }, false},
		{"a 501-character key", func(r *issuer.PurchaseRequest) { r.Metadata[strings.Repeat("k", 501)] = "v" }, false},
		{"20 keys", func(r *issuer.PurchaseRequest) {
			for i := len(r.Metadata); i < 20; i++ {
				r.Metadata["k"+strconv.Itoa(i)] = "v"
			}
		}, true},
		{"500 characters of two bytes", func(r *issuer.PurchaseRequest) { r.Metadata["risk"] = strings.Repeat("é", 500) }, true},
		{"approval required", func(r *issuer.PurchaseRequest) { r.Approval = issuer.ApprovalRequired }, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.sb.Requests())
			req := order("ord_" + strconv.Itoa(i))
			tt.edit(&req)
			_, err := e.c.CreatePurchase(e.ctx, "k"+strconv.Itoa(i), req)
			sent := len(e.sb.Requests()) - before
			if tt.ok && (err != nil || sent != 1) {
				t.Fatalf("refused: %v (%d sent)", err, sent)
			}
			if !tt.ok {
				if apiErr(t, err).Code != issuer.CodeInvalidArgument || sent != 0 {
					t.Fatalf("got %v, %d sent", err, sent)
				}
				wantKind(t, err, issuer.Bug)
			}
		})
	}
}
