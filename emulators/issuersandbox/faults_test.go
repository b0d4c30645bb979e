package issuersandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
)

// TestFaultAfterCommitHang: the purchase is made and its answer stored, the
// client times out, a retry with the key replays it, and the lookup by
// reference finds it once.
func TestFaultAfterCommitHang(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Hang: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := e.send("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"), withContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a timeout", err)
	}
	// The hang ends when the client leaves, not after a minute.
	waitFor(t, "the hung request to end", func() bool { return e.sb.Requests()[0].Status != 0 })
	if time.Since(start) > 10*time.Second {
		t.Fatal("the hang outlived its client")
	}
	if n := len(e.sb.Purchases()); n != 1 {
		t.Fatalf("%d purchases, want 1", n)
	}
	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if a.status != 201 || a.header.Get("Idempotent-Replayed") != "true" || a.json(t)["id"] != e.sb.Purchases()[0].ID {
		t.Fatalf("retry: %d %s", a.status, a.body)
	}
	list := e.must("GET", "v1/purchases?reference=ord_1", "")
	var l struct{ Data []json.RawMessage }
	if err := json.Unmarshal(list.body, &l); err != nil || len(l.Data) != 1 {
		t.Fatalf("lookup: %s", list.body)
	}
}

func TestFaultAfterCommitStatus(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Status: 502})
	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if a.status != 502 || a.apiError(t).Error.Code != "unavailable" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	// The work was done and stored: the retry replays it.
	r := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if r.status != 201 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d replayed=%q", r.status, r.header.Get("Idempotent-Replayed"))
	}
}

func TestFaultReset(t *testing.T) {
	for _, afterCommit := range []bool{false, true} {
		name := "before commit"
		if afterCommit {
			name = "after commit"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: afterCommit, Reset: true})
			if a, err := e.send("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")); err == nil {
				t.Fatalf("reset connection answered %d %s", a.status, a.body)
			}
			wantPurchases := 0
			if afterCommit {
				wantPurchases = 1
			}
			if n := len(e.sb.Purchases()); n != wantPurchases {
				t.Fatalf("%d purchases, want %d", n, wantPurchases)
			}
			if reqs := e.sb.Requests(); reqs[0].Status != 0 {
				t.Errorf("reset recorded as status %d", reqs[0].Status)
			}
			a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
			replayed := a.header.Get("Idempotent-Replayed") == "true"
			if a.status != 201 || replayed != afterCommit {
				t.Fatalf("retry: %d replayed=%v", a.status, replayed)
			}
			if n := len(e.sb.Purchases()); n != 1 {
				t.Fatalf("%d purchases after the retry, want 1", n)
			}
		})
	}
}

func TestFaultMalformed(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Malformed: true})
	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	var v any
	if a.status != 201 || json.Unmarshal(a.body, &v) == nil {
		t.Fatalf("malformed answer: %d %s", a.status, a.body)
	}
	e.sb.InjectFault(issuersandbox.Fault{Method: "GET", Malformed: true})
	g := e.must("GET", "v1/enrollments/twitter/783214", "")
	if g.status != 200 || json.Unmarshal(g.body, &v) == nil {
		t.Fatalf("malformed GET answer: %d %s", g.status, g.body)
	}
}

func TestFaultSlowServer(t *testing.T) {
	e := newEnv(t)
	// A hang with no answer of its own: the request is handled late.
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Hang: 20 * time.Millisecond})
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")); a.status != 201 {
		t.Fatalf("got %d %s", a.status, a.body)
	}
}

func TestFaultMatching(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", Status: 503, Times: 2})
	// A POST to the same path and a GET elsewhere are not matched.
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")); a.status != 201 {
		t.Fatalf("POST got %d", a.status)
	}
	if a := e.must("GET", "v1/enrollments/twitter/783214", ""); a.status != 200 {
		t.Fatalf("other path got %d", a.status)
	}
	for i := 0; i < 2; i++ {
		if a := e.must("GET", "v1/purchases?reference=ord_1", ""); a.status != 503 {
			t.Fatalf("matching GET %d got %d", i, a.status)
		}
	}
	if a := e.must("GET", "v1/purchases?reference=ord_1", ""); a.status != 200 {
		t.Fatalf("after Times, got %d", a.status)
	}
	e.sb.InjectFault(issuersandbox.Fault{Path: "v1/purchases", Status: 500})
	e.sb.ClearFaults()
	if a := e.must("GET", "v1/purchases?reference=ord_1", ""); a.status != 200 {
		t.Fatalf("after ClearFaults, got %d", a.status)
	}
	// Unauthenticated requests never consume a fault.
	e.sb.InjectFault(issuersandbox.Fault{Status: 500})
	if a := e.must("GET", "v1/purchases/x", "", header("Authorization", "")); a.status != 401 {
		t.Fatalf("unauthenticated got %d", a.status)
	}
	if a := e.must("GET", "v1/purchases/x", ""); a.status != 500 {
		t.Fatalf("fault not applied after a 401: %d", a.status)
	}
}

func TestFault429DefaultRetryAfter(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Status: 429})
	a := e.must("GET", "v1/purchases/x", "")
	if a.status != 429 || a.header.Get("Retry-After") != "1" {
		t.Fatalf("got %d Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	e.sb.InjectFault(issuersandbox.Fault{Status: 503, RetryAfter: 1500 * time.Millisecond})
	if a := e.must("GET", "v1/purchases/x", ""); a.header.Get("Retry-After") != "2" {
		t.Fatalf("Retry-After %q, want 2 (rounded up)", a.header.Get("Retry-After"))
	}
}

// TestFaultAlter: the purchase is made as asked, but the answer (to the
// POST, and to a look-up by reference) says another amount and merchant.
func TestFaultAlter(t *testing.T) {
	e := newEnv(t)
	alter := map[string]any{"amount": 100, "merchant": "mer_other"}
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Alter: alter})
	e.sb.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", Alter: alter})
	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	if got := a.json(t); a.status != 201 || got["amount"] != 100.0 || got["merchant"] != "mer_other" || got["reference"] != "ord_1" {
		t.Fatalf("answer: %d %s", a.status, a.body)
	}
	ps := e.sb.Purchases()
	if len(ps) != 1 || ps[0].Amount == 100 || ps[0].Merchant == "mer_other" {
		t.Fatalf("the purchase itself was altered: %+v", ps)
	}
	list := e.must("GET", "v1/purchases?reference=ord_1", "")
	var l struct{ Data []map[string]any }
	if err := json.Unmarshal(list.body, &l); err != nil || len(l.Data) != 1 || l.Data[0]["amount"] != 100.0 {
		t.Fatalf("lookup: %s", list.body)
	}
	// The fault is spent: the next answer is the truth.
	if got := e.must("GET", "v1/purchases/"+ps[0].ID, "").json(t); got["amount"] == 100.0 {
		t.Fatalf("unfaulted answer altered: %v", got)
	}
}

// TestFaultOtherReferences: a look-up by reference answers the other
// references' purchases, newest first, and none of its own; a GET by id
// is not affected; the fault is then spent.
func TestFaultOtherReferences(t *testing.T) {
	e := newEnv(t)
	for _, ref := range []string{"ord_1", "ord_2", "ord_3"} {
		e.must("POST", "v1/purchases", purchaseBody(ref), idem("k_"+ref))
	}
	refs := func(path string) []string {
		t.Helper()
		var l struct{ Data []struct{ Reference string } }
		if a := e.must("GET", path, ""); json.Unmarshal(a.body, &l) != nil {
			t.Fatalf("lookup: %d %s", a.status, a.body)
		}
		var out []string
		for _, p := range l.Data {
			out = append(out, p.Reference)
		}
		return out
	}
	e.sb.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", OtherReferences: true, Times: 2})
	if got := e.must("GET", "v1/purchases/"+e.sb.Purchases()[0].ID, "").json(t); got["reference"] != "ord_1" {
		t.Fatalf("GET by id: %v", got)
	}
	if got := refs("v1/purchases?reference=ord_2"); len(got) != 2 || got[0] != "ord_3" || got[1] != "ord_1" {
		t.Fatalf("faulted lookup of ord_2 answered %v, want [ord_3 ord_1]", got)
	}
	if got := refs("v1/purchases?reference=ord_2"); len(got) != 1 || got[0] != "ord_2" {
		t.Fatalf("after the fault, lookup of ord_2 answered %v", got)
	}
}

// TestFaultHold: a held POST does nothing until the test releases it,
// however long that takes, holding its key meanwhile (a retry gets 409);
// other requests are answered; once released it is handled normally. A
// held request whose client gives up ends.
func TestFaultHold(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	e.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Hold: release})
	done := make(chan answer, 1)
	go func() {
		a, err := e.send("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
		if err != nil {
			t.Errorf("held POST: %v", err)
		}
		done <- a
	}()
	waitFor(t, "the POST to be held", func() bool { return e.sb.Held() == 1 })
	if reqs := e.sb.Requests(); len(reqs) != 1 || reqs[0].Status != 0 {
		t.Fatalf("requests while held: %+v", reqs)
	}
	if a := e.must("GET", "v1/purchases?reference=ord_1", ""); a.status != 200 || compact(t, string(a.body)) != `{"data":[]}` {
		t.Fatalf("look-up while held: %d %s", a.status, a.body)
	}
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k")); a.status != 409 {
		t.Fatalf("retry while held: %d %s, want 409", a.status, a.body)
	}
	select {
	case a := <-done:
		t.Fatalf("the held POST answered before its release: %d %s", a.status, a.body)
	default:
	}
	if n := len(e.sb.Purchases()); n != 0 {
		t.Fatalf("%d purchases while held, want none", n)
	}
	close(release)
	if a := <-done; a.status != 201 {
		t.Fatalf("released POST: %d %s", a.status, a.body)
	}
	if n, held := len(e.sb.Purchases()), e.sb.Held(); n != 1 || held != 0 {
		t.Fatalf("after the release: %d purchases, %d held; want 1 and 0", n, held)
	}

	// A client that gives up ends its hold; the channel is never closed.
	e.sb.InjectFault(issuersandbox.Fault{Method: "GET", Hold: make(chan struct{})})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := e.send("GET", "v1/purchases?reference=ord_1", "", withContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a timeout", err)
	}
	waitFor(t, "the hold to end with its client", func() bool { return e.sb.Held() == 0 })
}
