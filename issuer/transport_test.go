package issuer_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/issuer"
)

func TestRequestHeadersAndIDs(t *testing.T) {
	e := newEnv(t)
	p, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.GetPurchase(e.ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.GetPurchase(e.ctx, "pur_nope")
	reqs := e.sb.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	seen := map[string]bool{}
	for _, r := range reqs {
		if !strings.HasPrefix(r.RequestID, "req_") || seen[r.RequestID] {
			t.Fatalf("request id %q not unique", r.RequestID)
		}
		seen[r.RequestID] = true
	}
	if reqs[0].IdempotencyKey != "k" || reqs[1].IdempotencyKey != "" {
		t.Errorf("idempotency keys %q %q", reqs[0].IdempotencyKey, reqs[1].IdempotencyKey)
	}
	if apiErr(t, err).RequestID != reqs[2].RequestID {
		t.Errorf("error request id %q, sent %q", apiErr(t, err).RequestID, reqs[2].RequestID)
	}
	// The body is the contract's request, amounts as integers.
	var body map[string]any
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["amount"] != float64(19900) || body["reference"] != "ord_1" || body["currency"] != "USD" {
		t.Errorf("body %s", reqs[0].Body)
	}
}

func TestLogging(t *testing.T) {
	e := newEnv(t)
	if _, err := e.c.Enrollment(e.ctx, testTwitterID); err != nil {
		t.Fatal(err)
	}
	_, _ = e.c.Enrollment(e.ctx, 12)
	reqs := e.sb.Requests()
	out := e.log.String()
	for _, r := range reqs {
		if !strings.Contains(out, "request_id="+r.RequestID) {
			t.Errorf("log lacks request_id=%s:\n%s", r.RequestID, out)
		}
	}
	if !strings.Contains(out, "not_enrolled") {
		t.Errorf("failure not logged:\n%s", out)
	}
	if strings.Contains(out, testKey) {
		t.Errorf("log holds the API key:\n%s", out)
	}
}

func TestBaseURLWithPathAndNoSlash(t *testing.T) {
	sb := issuersandbox.New(issuersandbox.Options{APIKey: testKey})
	sb.Enroll(issuersandbox.Enrollment{TwitterUserID: "783214", Cardholder: testCardholder})
	srv := httptest.NewServer(http.StripPrefix("/issuer", sb.Handler()))
	defer srv.Close()
	c := issuer.New(srv.URL+"/issuer", testKey, 5*time.Second)
	en, err := c.Enrollment(t.Context(), testTwitterID)
	if err != nil || en.Cardholder != testCardholder {
		t.Fatalf("got %+v, %v", en, err)
	}
}

func TestZeroClient(t *testing.T) {
	e := newEnv(t)
	// A Client built by hand, without New: default HTTP client, no logger.
	c := &issuer.Client{BaseURL: e.sb.URL(), APIKey: testKey}
	if _, err := c.Enrollment(e.ctx, testTwitterID); err != nil {
		t.Fatal(err)
	}
	c.BaseURL = ""
	_, err := c.Enrollment(e.ctx, testTwitterID)
	wantKind(t, err, issuer.Bug)
}
