package issuersandbox_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
)

// TestErrorTable checks every row of the contract's error table: status,
// body shape, type, code, param, and the echoed request id.
func TestErrorTable(t *testing.T) {
	metadata21 := make([]string, 21)
	for i := range metadata21 {
		metadata21[i] = fmt.Sprintf(`"k%d":"v"`, i)
	}
	long := strings.Repeat("x", 501)
	valid := purchaseBody("ord_1")
	replace := func(old, new string) string { return strings.Replace(valid, old, new, 1) }

	tests := []struct {
		name         string
		setup        func(e *env)
		method, path string
		body         string
		opts         []opt
		status       int
		typ, code    string
		param        string
		decline      string
	}{
		{name: "malformed JSON", method: "POST", path: "v1/purchases", body: `{"amount":`, opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request"},
		{name: "body not an object", method: "POST", path: "v1/purchases", body: `[1]`, opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request"},
		{name: "trailing data", method: "POST", path: "v1/purchases", body: valid + "{}", opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request"},
		{name: "unknown field", method: "POST", path: "v1/purchases", body: replace(`"merchant"`, `"merchent":"x","merchant"`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "merchent"},
		{name: "missing cardholder", method: "POST", path: "v1/purchases", body: replace(`"cardholder":"chd_7Hq2",`, ``), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "cardholder"},
		{name: "unknown cardholder", method: "POST", path: "v1/purchases", body: replace(`chd_7Hq2`, `chd_nobody`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "cardholder"},
		{name: "missing merchant", method: "POST", path: "v1/purchases", body: replace(`"merchant":"mer_amazon",`, ``), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "merchant"},
		{name: "zero amount", method: "POST", path: "v1/purchases", body: replace(`19900`, `0`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "amount"},
		{name: "negative amount", method: "POST", path: "v1/purchases", body: replace(`19900`, `-1`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "amount"},
		{name: "fractional amount", method: "POST", path: "v1/purchases", body: replace(`19900`, `199.5`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "amount"},
		{name: "string amount", method: "POST", path: "v1/purchases", body: replace(`19900`, `"19900"`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "amount"},
		{name: "lower-case currency", method: "POST", path: "v1/purchases", body: replace(`"USD"`, `"usd"`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "currency"},
		{name: "two-letter currency", method: "POST", path: "v1/purchases", body: replace(`"USD"`, `"US"`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "currency"},
		{name: "missing reference", method: "POST", path: "v1/purchases", body: replace(`"reference":"ord_1",`, ``), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "reference"},
		{name: "21 metadata keys", method: "POST", path: "v1/purchases",
			body: replace(`"metadata":{"offer":"kindle-fire-hd","twitter_user_id":"783214"}`, `"metadata":{`+strings.Join(metadata21, ",")+`}`),
			opts: []opt{idem("k")}, status: 400, typ: "invalid_request", code: "invalid_request", param: "metadata"},
		{name: "long metadata value", method: "POST", path: "v1/purchases", body: replace(`"kindle-fire-hd"`, `"`+long+`"`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "metadata"},
		{name: "long metadata key", method: "POST", path: "v1/purchases", body: replace(`"offer"`, `"`+long+`"`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "metadata"},
		{name: "non-string metadata value", method: "POST", path: "v1/purchases", body: replace(`"kindle-fire-hd"`, `3`), opts: []opt{idem("k")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "metadata"},
		{name: "no Content-Type", method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("k"), header("Content-Type", "")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "Content-Type"},
		{name: "text/plain", method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("k"), header("Content-Type", "text/plain")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "Content-Type"},
		{name: "latin-1 charset", method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("k"), header("Content-Type", "application/json; charset=iso-8859-1")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "Content-Type"},
		{name: "no Idempotency-Key", method: "POST", path: "v1/purchases", body: valid,
			status: 400, typ: "invalid_request", code: "invalid_request", param: "Idempotency-Key"},
		{name: "Idempotency-Key too long", method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem(strings.Repeat("k", 256))},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "Idempotency-Key"},
		{name: "Idempotency-Key not ASCII", method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("clé")},
			status: 400, typ: "invalid_request", code: "invalid_request", param: "Idempotency-Key"},
		{name: "refund without Idempotency-Key", method: "POST", path: "v1/purchases/pur_x/refunds", body: `{}`,
			status: 400, typ: "invalid_request", code: "invalid_request", param: "Idempotency-Key"},
		{name: "screen name instead of id", method: "GET", path: "v1/enrollments/twitter/jack",
			status: 400, typ: "invalid_request", code: "invalid_request", param: "twitter_user_id"},
		{name: "lookup without reference", method: "GET", path: "v1/purchases",
			status: 400, typ: "invalid_request", code: "invalid_request", param: "reference"},
		{name: "no API key", method: "GET", path: "v1/enrollments/twitter/783214", opts: []opt{header("Authorization", "")},
			status: 401, typ: "auth_error", code: "unauthorized"},
		{name: "wrong API key", method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("k"), header("Authorization", "Bearer sk_wrong")},
			status: 401, typ: "auth_error", code: "unauthorized"},
		{name: "basic auth", method: "GET", path: "v1/purchases/pur_x", opts: []opt{header("Authorization", "Basic "+testKey)},
			status: 401, typ: "auth_error", code: "unauthorized"},
		{name: "declined", setup: func(e *env) { e.sb.DeclineCard(testCardholder, "insufficient_funds") },
			method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("k")},
			status: 402, typ: "card_error", code: "card_declined", decline: "insufficient_funds"},
		{name: "no such purchase", method: "GET", path: "v1/purchases/pur_nope",
			status: 404, typ: "invalid_request", code: "not_found"},
		{name: "refund of no such purchase", method: "POST", path: "v1/purchases/pur_nope/refunds", body: `{}`, opts: []opt{idem("k")},
			status: 404, typ: "invalid_request", code: "not_found"},
		{name: "no such endpoint", method: "GET", path: "v2/things",
			status: 404, typ: "invalid_request", code: "not_found"},
		{name: "wrong method", method: "DELETE", path: "v1/purchases/pur_x",
			status: 404, typ: "invalid_request", code: "not_found"},
		{name: "not enrolled", method: "GET", path: "v1/enrollments/twitter/12",
			status: 404, typ: "invalid_request", code: "not_enrolled"},
		{name: "in progress", setup: func(e *env) {
			e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 409})
		}, method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("k")},
			status: 409, typ: "idempotency_error", code: "request_in_progress"},
		{name: "key reused", setup: func(e *env) {
			e.must("POST", "v1/purchases", purchaseBody("ord_other"), idem("k"))
		}, method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("k")},
			status: 422, typ: "idempotency_error", code: "idempotency_key_reused"},
		{name: "rate limited", setup: func(e *env) {
			e.sb.InjectFault(issuersandbox.Fault{Path: "/v1/enrollments", Status: 429, RetryAfter: 3 * time.Second})
		}, method: "GET", path: "v1/enrollments/twitter/783214",
			status: 429, typ: "rate_limit_error", code: "rate_limited"},
		{name: "internal error", setup: func(e *env) {
			e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Status: 500})
		}, method: "POST", path: "v1/purchases", body: valid, opts: []opt{idem("k")},
			status: 500, typ: "api_error", code: "internal_error"},
		{name: "unavailable", setup: func(e *env) {
			e.sb.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", Status: 503})
		}, method: "GET", path: "v1/purchases?reference=ord_1",
			status: 503, typ: "api_error", code: "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			opts := append([]opt{header("X-Request-Id", "req_test_1")}, tt.opts...)
			a := e.must(tt.method, tt.path, tt.body, opts...)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", a.status, tt.status, a.body)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if rid := a.header.Get("X-Request-Id"); rid != "req_test_1" {
				t.Errorf("X-Request-Id %q not echoed", rid)
			}
			got := a.apiError(t).Error
			if got.Type != tt.typ || got.Code != tt.code || got.Param != tt.param || got.DeclineCode != tt.decline {
				t.Errorf("error type=%q code=%q param=%q decline=%q, want %q %q %q %q (body %s)",
					got.Type, got.Code, got.Param, got.DeclineCode, tt.typ, tt.code, tt.param, tt.decline, a.body)
			}
			if tt.status == http.StatusTooManyRequests && a.header.Get("Retry-After") != "3" {
				t.Errorf("Retry-After %q, want 3", a.header.Get("Retry-After"))
			}
			if tt.status == http.StatusPaymentRequired {
				p := got.Purchase
				if p == nil || p["status"] != "declined" || p["decline_code"] != tt.decline || p["id"] == "" {
					t.Errorf("402 purchase %v", p)
				}
			} else if got.Purchase != nil {
				t.Errorf("purchase in a %d body", a.status)
			}
		})
	}
}

// TestRequestIDGenerated checks that a request without X-Request-Id gets a
// generated one, echoed and recorded.
func TestRequestIDGenerated(t *testing.T) {
	e := newEnv(t)
	a1 := e.must("GET", "v1/enrollments/twitter/783214", "")
	a2 := e.must("GET", "v1/enrollments/twitter/783214", "")
	id1, id2 := a1.header.Get("X-Request-Id"), a2.header.Get("X-Request-Id")
	if id1 == "" || id1 == id2 {
		t.Fatalf("generated request ids %q and %q", id1, id2)
	}
	reqs := e.sb.Requests()
	if len(reqs) != 2 || reqs[0].RequestID != id1 || reqs[1].RequestID != id2 {
		t.Fatalf("recorded %+v", reqs)
	}
}
