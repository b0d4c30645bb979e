package issuersandbox

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"strings"
	"time"
)

// Fault makes the sandbox misbehave for matching requests, so that tests
// can make failures happen rather than pretend they did.
//
// A fault applies to authenticated requests that reached an endpoint (for a
// POST, with valid headers and after its idempotency key was checked). Without
// AfterCommit, the request does nothing: it waits first if Hang or Hold is
// set (a POST holding its idempotency key in progress meanwhile), then
// answers as the fault says; if the fault says no answer (no Status, Reset or
// Malformed), the request is then handled normally, late, like a slow server.
// With AfterCommit, the request is handled for real first (the purchase is
// made and its idempotent response stored, or a stored one is replayed), then
// it waits and answers as the fault says, or with the real answer.
type Fault struct {
	// Method matches the request's method; empty matches any.
	Method string
	// Path matches requests whose URL path starts with it, such as
	// "/v1/purchases" (which also matches the refunds below it); empty
	// matches any.
	Path string
	// Status answers with this status and the contract's error body for it
	// (500 internal_error, 502/503/504 unavailable, 409 request_in_progress,
	// 429 rate_limited, and so on). A 2xx Status is only used by Malformed.
	Status int
	// RetryAfter is sent as Retry-After, rounded up to whole seconds; a 429
	// without it says 1 second.
	RetryAfter time.Duration
	// AfterCommit does the real work before the fault.
	AfterCommit bool
	// Hang waits this long before answering, or until the client goes away
	// or the server is closed: used to exceed the client's timeout.
	Hang time.Duration
	// Hold keeps the request waiting, after any Hang, until Hold is
	// closed, the client goes away or the server is closed: a slow
	// request whose end the test chooses, where a Hang would race the
	// test's own steps on a busy machine. Held reports how many wait.
	Hold <-chan struct{}
	// Reset closes the connection without answering.
	Reset bool
	// Malformed answers a 2xx (Status if 2xx, else the real answer's if 2xx,
	// else 200) with a truncated, non-JSON body.
	Malformed bool
	// Alter answers the real answer with these fields of its purchase
	// objects replaced by the given JSON values (the purchase of a POST or
	// GET, each purchase of a list, the declined purchase of a 402), as an
	// issuer that mixed up its records would: {"amount": 100} answers
	// another amount than was charged. The request is handled for real
	// first, as with AfterCommit.
	Alter map[string]any
	// OtherReferences answers a look-up by reference (GET
	// /v1/purchases?reference=R) with every purchase whose reference is
	// not R, newest first, and none of R's, as an issuer that ignored or
	// mixed up the filter would: an answer outside the contract. Other
	// requests are handled normally.
	OtherReferences bool
	// Times is how many matching requests the fault applies to; 0 means once.
	Times int
}

// pendingFault is a queued Fault and how many more requests it applies to.
type pendingFault struct {
	f    Fault
	left int
}

// answers reports whether the fault replaces the real answer.
func (f *Fault) answers() bool {
	return f.Reset || f.Malformed || f.Status >= 400
}

// InjectFault queues a fault. Faults are matched in the order injected; each
// request consumes at most one.
func (s *Server) InjectFault(f Fault) {
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		f.Path = "/" + f.Path
	}
	left := f.Times
	if left <= 0 {
		left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{f: f, left: left})
}

// ClearFaults drops every queued fault. Requests already hanging keep
// hanging until their time is up.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault consumes and returns the first fault matching the request, or
// nil if none does.
func (s *Server) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, pf := range s.faults {
		if pf.f.Method != "" && !strings.EqualFold(pf.f.Method, method) {
			continue
		}
		if !strings.HasPrefix(path, pf.f.Path) {
			continue
		}
		pf.left--
		if pf.left == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		f := pf.f
		return &f
	}
	return nil
}

// delay keeps a faulted request waiting as f says: for f.Hang, then
// until f.Hold is closed, each cut short when the client goes away or
// the server closes.
func (s *Server) delay(ctx context.Context, f *Fault) {
	s.hang(ctx, f.Hang)
	s.hold(ctx, f.Hold)
}

// hold waits until release is closed (nil: not at all), or until the
// client goes away or the server closes, counted by Held meanwhile.
func (s *Server) hold(ctx context.Context, release <-chan struct{}) {
	if release == nil {
		return
	}
	s.mu.Lock()
	s.held++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.held--
		s.mu.Unlock()
	}()
	select {
	case <-release:
	case <-ctx.Done():
	case <-s.closing:
	}
}

// Held reports how many requests a Hold fault keeps waiting now.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// hang waits for d, or until the client goes away or the server closes.
func (s *Server) hang(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.closing:
	}
}

// emitFault answers as f says. real is the real answer when the work was
// done (AfterCommit), else nil.
func (x *exchange) emitFault(f *Fault, real *response) {
	switch {
	case f.Reset:
		x.reset()
	case f.Malformed:
		x.writeMalformed(f, real)
	case f.Status >= 400:
		x.write(statusError(f.Status, f.RetryAfter))
	case real != nil && f.Alter != nil:
		x.write(alterPurchases(*real, f.Alter))
	case real != nil:
		x.write(*real)
	}
}

// alterPurchases returns resp with fields of every purchase object in its
// body replaced. A body that is not JSON, or holds no purchase, is kept.
func alterPurchases(resp response, fields map[string]any) response {
	var body map[string]any
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return resp
	}
	alter := func(v any) {
		if p, ok := v.(map[string]any); ok {
			maps.Copy(p, fields)
		}
	}
	switch {
	case body["data"] != nil:
		list, _ := body["data"].([]any)
		for _, p := range list {
			alter(p)
		}
	case body["error"] != nil:
		if e, ok := body["error"].(map[string]any); ok {
			alter(e["purchase"])
		}
	case body["status"] != nil && body["cardholder"] != nil:
		alter(body)
	}
	resp.body = mustJSON(body)
	return resp
}

// writeMalformed answers a 2xx whose body a client cannot decode: the first
// half of the real answer if there is one, else the start of an object.
func (x *exchange) writeMalformed(f *Fault, real *response) {
	status := http.StatusOK
	switch {
	case f.Status >= 200 && f.Status < 300:
		status = f.Status
	case real != nil && real.status >= 200 && real.status < 300:
		status = real.status
	}
	body := []byte(`{"id": "pur_`)
	if real != nil && len(real.body) > 2 {
		body = real.body[:len(real.body)/2]
	}
	x.write(response{status: status, body: body})
}

// reset drops the connection without an answer. Hijacking and closing with
// zero linger sends a TCP RST, the harshest case for a client; where the
// connection cannot be hijacked (HTTP/2, a test recorder) the handler aborts
// instead, which drops the stream.
func (x *exchange) reset() {
	conn, _, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // best effort: a plain close is a drop too
	}
	_ = conn.Close()
}
