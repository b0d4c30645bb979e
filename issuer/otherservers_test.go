package issuer_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/issuer"
)

// These servers answer in ways the sandbox does not but a server (or a
// proxy in front of it) may: the client must classify them, never panic,
// and never take an empty or partial answer for a purchase.

func fixedServer(t *testing.T, status int, header map[string]string, body string) *issuer.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return issuer.New(srv.URL, testKey, 5*time.Second)
}

// purchaseWith is a purchase object of the given status with extra fields
// (such as `,"approval":{...}`).
func purchaseWith(status, extra string) string {
	return `{"id":"pur_1","status":"` + status + `","cardholder":"chd_7Hq2","merchant":"m","amount":100,"currency":"USD","reference":"ord_1","metadata":{},"created":"2026-11-26T18:03:11Z","refunded_amount":0` + extra + `}`
}

const pendingApproval = `,"approval":{"channel":"app","expires":"2026-11-26T18:13:11Z"}`

const declinedPurchase = `{"id":"pur_1","status":"declined","cardholder":"chd_7Hq2","merchant":"m","amount":100,"currency":"USD","reference":"ord_1","decline_code":"limit_exceeded","metadata":{},"created":"2026-11-26T18:03:11Z","refunded_amount":0}`

func TestOtherServers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		kind   issuer.Kind
		check  func(t *testing.T, p issuer.Purchase, e *issuer.Error)
	}{
		{name: "proxy 502 page", status: 502, body: "<html>Bad Gateway</html>", kind: issuer.Unknown,
			check: func(t *testing.T, p issuer.Purchase, e *issuer.Error) {
				if e.Code != "" || e.Err == nil {
					t.Errorf("got %+v", e)
				}
			}},
		{name: "empty 201", status: 201, body: `{}`, kind: issuer.Unknown},
		{name: "null 201", status: 201, body: `null`, kind: issuer.Unknown},
		{name: "float amount", status: 201, body: `{"id":"pur_1","status":"approved","amount":199.0,"currency":"USD","created":"2026-11-26T18:03:11Z"}`, kind: issuer.Unknown},
		{name: "declined status in a 201", status: 201, body: declinedPurchase, kind: issuer.Unknown},
		{name: "bad timestamp", status: 201, body: `{"id":"pur_1","status":"approved","amount":1,"currency":"USD","created":"yesterday"}`, kind: issuer.Unknown},
		{name: "402 with the purchase at the top level", status: 402,
			body: `{"error":{"type":"card_error","code":"card_declined","decline_code":"limit_exceeded","message":"no"},"purchase":` + declinedPurchase + `}`,
			kind: issuer.Final,
			check: func(t *testing.T, p issuer.Purchase, e *issuer.Error) {
				if p.ID != "pur_1" || p.DeclineCode != "limit_exceeded" || e.Purchase == nil {
					t.Errorf("purchase %+v", p)
				}
			}},
		{name: "402 without a purchase", status: 402,
			body: `{"error":{"type":"card_error","code":"card_declined","decline_code":"card_expired","message":"no"}}`,
			kind: issuer.Final,
			check: func(t *testing.T, p issuer.Purchase, e *issuer.Error) {
				if p.ID != "" || e.DeclineCode != "card_expired" {
					t.Errorf("got %+v, %+v", p, e)
				}
			}},
		{name: "429 with an HTTP date", status: 429, header: map[string]string{"Retry-After": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)},
			body: `{"error":{"type":"rate_limit_error","code":"rate_limited","message":"slow down"}}`, kind: issuer.RetryLater,
			check: func(t *testing.T, p issuer.Purchase, e *issuer.Error) {
				if e.RetryAfter < 58*time.Minute || e.RetryAfter > time.Hour {
					t.Errorf("RetryAfter %v", e.RetryAfter)
				}
			}},
		{name: "approved in a 202", status: 202, body: purchaseWith("approved", ""), kind: issuer.Unknown},
		{name: "declined in a 202", status: 202, body: purchaseWith("declined", pendingApproval), kind: issuer.Unknown},
		{name: "empty 202", status: 202, body: `{}`, kind: issuer.Unknown},
		{name: "truncated 202", status: 202, body: purchaseWith("pending_approval", pendingApproval)[:60], kind: issuer.Unknown},
		{name: "pending in a 201", status: 201, body: purchaseWith("pending_approval", pendingApproval), kind: issuer.Unknown},
		{name: "pending in a 202 with an unreadable expires", status: 202,
			body: purchaseWith("pending_approval", `,"approval":{"channel":"app","expires":"in ten minutes"}`), kind: issuer.Unknown},
		{name: "402 approval_expired", status: 402,
			body: `{"error":{"type":"card_error","code":"card_declined","decline_code":"approval_expired","message":"no","purchase":` +
				purchaseWith("declined", `,"decline_code":"approval_expired"`+pendingApproval) + `}}`,
			kind: issuer.Final,
			check: func(t *testing.T, p issuer.Purchase, e *issuer.Error) {
				if e.DeclineCode != issuer.DeclineApprovalExpired || p.DeclineCode != issuer.DeclineApprovalExpired || p.Approval.Channel != "app" {
					t.Errorf("got %+v, %+v", p, e)
				}
			}},
		{name: "redirect", status: 302, header: map[string]string{"Location": "/elsewhere"}, kind: issuer.Unknown},
		{name: "403", status: 403, body: `{"error":{"type":"auth_error","code":"forbidden","message":"no"}}`, kind: issuer.Final},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fixedServer(t, tt.status, tt.header, tt.body)
			p, err := c.CreatePurchase(t.Context(), "k", order("ord_1"))
			e := apiErr(t, err)
			if e.Status != tt.status {
				t.Errorf("status %d, want %d", e.Status, tt.status)
			}
			wantKind(t, err, tt.kind)
			if tt.check != nil {
				tt.check(t, p, e)
			} else if p.ID != "" {
				t.Errorf("a failure returned purchase %+v", p)
			}
		})
	}
}

// TestPendingAnswers: a 202 pending purchase is a success, with or
// without the approval object it should carry.
func TestPendingAnswers(t *testing.T) {
	for _, tt := range []struct {
		name string
		body string
		want issuer.Approval
	}{
		{"with approval", purchaseWith("pending_approval", `,"approval":{"channel":"sms","expires":"2026-11-26T18:13:11+01:00"}`),
			issuer.Approval{Channel: "sms", Expires: time.Date(2026, 11, 26, 17, 13, 11, 0, time.UTC)}},
		{"without approval", purchaseWith("pending_approval", ""), issuer.Approval{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := fixedServer(t, 202, nil, tt.body)
			p, err := c.CreatePurchase(t.Context(), "k", order("ord_1"))
			if err != nil || p.Status != issuer.PurchaseApprovalPending || p.Approval != tt.want {
				t.Fatalf("got %+v, %v", p, err)
			}
		})
	}
}

func TestTruncatedBody(t *testing.T) {
	// The server promises more bytes than it sends, then drops the
	// connection: the read fails after a 201 status line.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "500")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"pur_1",`)
	}))
	defer srv.Close()
	c := issuer.New(srv.URL, testKey, 5*time.Second)
	_, err := c.CreatePurchase(t.Context(), "k", order("ord_1"))
	if e := apiErr(t, err); e.Status != 201 || e.Code != issuer.CodeInvalidResponse {
		t.Fatalf("got %+v", e)
	}
	wantKind(t, err, issuer.Unknown)
}

func TestEnrollmentForAnotherAccount(t *testing.T) {
	c := fixedServer(t, 200, nil, `{"twitter_user_id":"1","cardholder":"chd_x","card_last4":"0000","card_brand":"visa","status":"active","enrolled_at":"2026-11-20T10:00:00Z"}`)
	_, err := c.Enrollment(t.Context(), testTwitterID)
	if e := apiErr(t, err); e.Code != issuer.CodeInvalidResponse {
		t.Fatalf("got %+v", e)
	}
}

func TestListWithoutData(t *testing.T) {
	c := fixedServer(t, 200, nil, `{"purchases":[]}`)
	ps, err := c.FindPurchases(t.Context(), "ord_1")
	if e := apiErr(t, err); e.Code != issuer.CodeInvalidResponse || ps != nil {
		t.Fatalf("got %+v, %v", e, ps)
	}
}
