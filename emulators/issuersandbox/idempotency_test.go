package issuersandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
)

func TestReplaySameBody(t *testing.T) {
	e := newEnv(t)
	first := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"), header("X-Request-Id", "req_a"))
	// The same request re-encoded: other key order and spacing.
	same := `{ "reference": "ord_1", "amount": 19900, "currency": "USD", "merchant": "mer_amazon",
		"metadata": {"twitter_user_id": "783214", "offer": "kindle-fire-hd"},
		"description": "Kindle Fire HD", "cardholder": "chd_7Hq2" }`
	e.clock.Advance(time.Hour)
	again := e.must("POST", "v1/purchases", same, idem("k"), header("X-Request-Id", "req_b"))
	if again.status != 201 || string(again.body) != string(first.body) {
		t.Fatalf("replay %d %s, want 201 %s", again.status, again.body, first.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay without Idempotent-Replayed: true")
	}
	if again.header.Get("X-Request-Id") != "req_b" {
		t.Error("replay echoed another request id")
	}
	if n := len(e.sb.Purchases()); n != 1 {
		t.Fatalf("%d purchases, want 1", n)
	}
	reqs := e.sb.Requests()
	if len(reqs) != 2 || reqs[0].Replayed || !reqs[1].Replayed || reqs[1].Status != 201 || reqs[1].IdempotencyKey != "k" {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestReplayDecline(t *testing.T) {
	e := newEnv(t)
	e.sb.DeclineCard(testCardholder, "suspected_fraud")
	first := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	// The card would now be approved, but the stored 402 stands.
	e.sb.DeclineCard(testCardholder, "")
	again := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if first.status != 402 || again.status != 402 || string(again.body) != string(first.body) ||
		again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("first %d %s, again %d %s replayed=%q", first.status, first.body, again.status, again.body,
			again.header.Get("Idempotent-Replayed"))
	}
	if n := len(e.sb.Purchases()); n != 1 {
		t.Fatalf("%d purchases, want 1", n)
	}
}

func TestReplayOfValidationError(t *testing.T) {
	e := newEnv(t)
	bad := `{"cardholder":"chd_new","merchant":"m","amount":5,"currency":"USD","reference":"r"}`
	if a := e.must("POST", "v1/purchases", bad, idem("k")); a.status != 400 {
		t.Fatalf("got %d", a.status)
	}
	// "Whatever it was": enrolling the cardholder afterwards does not
	// change the stored answer for the key.
	e.sb.Enroll(issuersandbox.Enrollment{TwitterUserID: "5", Cardholder: "chd_new"})
	a := e.must("POST", "v1/purchases", bad, idem("k"))
	if a.status != 400 || a.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("got %d replayed=%q", a.status, a.header.Get("Idempotent-Replayed"))
	}
}

func TestKeyReusedWithDifferentBody(t *testing.T) {
	e := newEnv(t)
	e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	a := e.must("POST", "v1/purchases", purchaseBody("ord_2"), idem("k"))
	if a.status != 422 || a.apiError(t).Error.Code != "idempotency_key_reused" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	if n := len(e.sb.Purchases()); n != 1 {
		t.Fatalf("%d purchases, want 1", n)
	}
}

func TestKeyReusedOnDifferentPath(t *testing.T) {
	e := newEnv(t)
	id := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")).json(t)["id"].(string)
	a := e.must("POST", "v1/purchases/"+id+"/refunds", purchaseBody("ord_1"), idem("k"))
	if a.status != 422 || a.apiError(t).Error.Code != "idempotency_key_reused" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
}

func TestKeysScopedPerAPIKey(t *testing.T) {
	e := newEnv(t)
	e.sb.AddAPIKey("sk_test_2")
	e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	a := e.must("POST", "v1/purchases", purchaseBody("ord_2"), idem("k"), header("Authorization", "Bearer sk_test_2"))
	if a.status != 201 || a.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("another API key's use of the key: %d %s", a.status, a.body)
	}
}

func TestKeyExpiresAfterTTL(t *testing.T) {
	e := newEnv(t)
	first := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")).json(t)["id"]
	e.clock.Advance(24*time.Hour - time.Second)
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")); a.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("not replayed just within 24h: %d %s", a.status, a.body)
	}
	e.clock.Advance(time.Second)
	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if a.status != 201 || a.header.Get("Idempotent-Replayed") != "" || a.json(t)["id"] == first {
		t.Fatalf("after 24h: %d %s replayed=%q", a.status, a.body, a.header.Get("Idempotent-Replayed"))
	}
	if n := len(e.sb.Purchases()); n != 2 {
		t.Fatalf("%d purchases, want 2", n)
	}
}

func TestIdempotencyTTLOption(t *testing.T) {
	e := newEnvWith(t, func(o *issuersandbox.Options) { o.IdempotencyTTL = time.Minute })
	e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	e.clock.Advance(time.Minute)
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")); a.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("replayed after the configured TTL")
	}
}

// TestInProgressWhileHanging holds a key with a hanging first request and
// checks that a concurrent retry gets 409, and that once the first request
// fails with a 5xx having done nothing, a retry runs afresh.
func TestInProgressWhileHanging(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Hang: time.Minute, Status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.send("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"), withContext(ctx))
		done <- err
	}()
	waitFor(t, "the first request to hold the key", func() bool { return len(e.sb.Requests()) == 1 })

	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if a.status != 409 || a.apiError(t).Error.Code != "request_in_progress" {
		t.Fatalf("concurrent retry: %d %s", a.status, a.body)
	}
	cancel() // the client gives up: the hang ends, the fault answers 503
	if err := <-done; err == nil {
		t.Fatal("cancelled request succeeded")
	}
	waitFor(t, "the first request to finish", func() bool { return e.sb.Requests()[0].Status == 503 })

	retry := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if retry.status != 201 || retry.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after the 503: %d %s", retry.status, retry.body)
	}
	if n := len(e.sb.Purchases()); n != 1 {
		t.Fatalf("%d purchases, want 1", n)
	}
}

func TestServerErrorNotStored(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 500})
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")); a.status != 500 {
		t.Fatalf("got %d", a.status)
	}
	if n := len(e.sb.Purchases()); n != 0 {
		t.Fatalf("a 5xx fault made %d purchases", n)
	}
	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if a.status != 201 || a.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry: %d %s replayed=%q", a.status, a.body, a.header.Get("Idempotent-Replayed"))
	}
}
