package issuer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/issuer"
)

// settle is what the bot's charger does after an Unknown outcome: retry
// with the same key, then check that the lookup by reference finds exactly
// that one purchase.
func (e *env) settle(key string, req issuer.PurchaseRequest) issuer.Purchase {
	e.t.Helper()
	p, err := e.c.CreatePurchase(e.ctx, key, req)
	if err != nil {
		e.t.Fatalf("retry with the same key: %v", err)
	}
	ps, err := e.c.FindPurchases(e.ctx, req.Reference)
	if err != nil || len(ps) != 1 || ps[0].ID != p.ID {
		e.t.Fatalf("lookup by reference: %+v, %v; want exactly %s", ps, err, p.ID)
	}
	if n := len(e.sb.Purchases()); n != 1 {
		e.t.Fatalf("%d purchases, want 1", n)
	}
	return p
}

func TestTimeoutAfterCommit(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Hang: time.Minute})
	c := e.client()
	c.Timeout = 150 * time.Millisecond
	p, err := c.CreatePurchase(e.ctx, "k", order("ord_1"))
	ae := apiErr(t, err)
	if ae.Status != 0 || ae.Err == nil || !errors.Is(err, context.DeadlineExceeded) || p.ID != "" {
		t.Fatalf("got %+v, %+v", ae, p)
	}
	wantKind(t, err, issuer.Unknown)
	got := e.settle("k", order("ord_1"))
	if got.ID != e.sb.Purchases()[0].ID {
		t.Fatalf("settled on %s", got.ID)
	}
	if r := e.sb.Requests(); !r[1].Replayed {
		t.Fatal("the retry was not a replay")
	}
}

func TestResetAfterCommit(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Reset: true})
	// A fresh client: on a reused connection Go's transport itself retries a
	// request carrying Idempotency-Key once, which would hide the reset.
	_, err := e.client().CreatePurchase(e.ctx, "k", order("ord_1"))
	if ae := apiErr(t, err); ae.Status != 0 || ae.Err == nil {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Unknown)
	e.settle("k", order("ord_1"))
}

func TestResetBeforeCommit(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Reset: true})
	_, err := e.client().CreatePurchase(e.ctx, "k", order("ord_1"))
	wantKind(t, err, issuer.Unknown)
	if n := len(e.sb.Purchases()); n != 0 {
		t.Fatalf("%d purchases before the retry", n)
	}
	e.settle("k", order("ord_1"))
}

func TestMalformedAfterCommit(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Malformed: true})
	p, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	ae := apiErr(t, err)
	if ae.Status != 201 || ae.Code != issuer.CodeInvalidResponse || ae.Err == nil || p.ID != "" {
		t.Fatalf("got %+v, %+v", ae, p)
	}
	wantKind(t, err, issuer.Unknown)
	e.settle("k", order("ord_1"))
}

func TestMalformedGet(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "GET", Malformed: true, Times: 3})
	if _, err := e.c.Enrollment(e.ctx, testTwitterID); apiErr(t, err).Code != issuer.CodeInvalidResponse {
		t.Fatalf("enrollment: %v", err)
	}
	if _, err := e.c.GetPurchase(e.ctx, "pur_x"); apiErr(t, err).Code != issuer.CodeInvalidResponse {
		t.Fatalf("purchase: %v", err)
	}
	ps, err := e.c.FindPurchases(e.ctx, "ord_1")
	if apiErr(t, err).Code != issuer.CodeInvalidResponse || ps != nil {
		t.Fatalf("lookup: %v, %v", ps, err)
	}
}

func TestServerErrorThenRetry(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 503, RetryAfter: 2 * time.Second})
	_, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	ae := apiErr(t, err)
	if ae.Status != 503 || ae.Code != issuer.CodeUnavailable || ae.RetryAfter != 2*time.Second {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Unknown)
	e.settle("k", order("ord_1"))
	if r := e.sb.Requests(); r[1].Replayed {
		t.Fatal("a 5xx that did nothing was stored")
	}
}

func TestInternalErrorAfterCommit(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Status: 500})
	_, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if ae := apiErr(t, err); ae.Code != issuer.CodeInternalError {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Unknown)
	e.settle("k", order("ord_1"))
}

func TestRateLimited(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Status: 429, RetryAfter: 3 * time.Second})
	_, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	ae := apiErr(t, err)
	if ae.Status != 429 || ae.Code != issuer.CodeRateLimited || ae.Type != "rate_limit_error" || ae.RetryAfter != 3*time.Second {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.RetryLater)
	e.settle("k", order("ord_1"))
}

func TestInProgress(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Hang: time.Minute, Status: 503})
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	first := make(chan error, 1)
	go func() {
		_, err := e.client().CreatePurchase(ctx, "k", order("ord_1"))
		first <- err
	}()
	waitFor(t, "the first request to hold the key", func() bool { return len(e.sb.Requests()) == 1 })

	_, err := e.c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if ae := apiErr(t, err); ae.Status != 409 || ae.Code != issuer.CodeRequestInProgress {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Unknown)

	cancel()
	err = <-first
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v", err)
	}
	wantKind(t, err, issuer.Unknown)
	waitFor(t, "the first request to release the key", func() bool { return e.sb.Requests()[0].Status != 0 })
	e.settle("k", order("ord_1"))
}

func TestUnauthorized(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.APIKey = "sk_wrong"
	_, err := c.CreatePurchase(e.ctx, "k", order("ord_1"))
	if ae := apiErr(t, err); ae.Status != 401 || ae.Code != issuer.CodeUnauthorized {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.RetryLater)
	// Nothing was done: with the right key the same request goes through.
	e.settle("k", order("ord_1"))
}

func TestConnectionRefused(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	e.sb.Close()
	_, err := c.GetPurchase(e.ctx, "pur_x")
	if ae := apiErr(t, err); ae.Status != 0 || ae.Err == nil || ae.RequestID == "" {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Unknown)
}
