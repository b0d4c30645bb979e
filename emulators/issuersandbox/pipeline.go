package issuersandbox

import (
	"crypto/subtle"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds request bodies; the largest valid purchase (20
// metadata entries of 500 characters) is far below it.
const maxBodyBytes = 1 << 20

// exchange is one request being handled.
type exchange struct {
	s        *Server
	w        *recorder
	r        *http.Request
	rec      *Request  // what Requests reports; guarded by s.mu once admitted
	start    time.Time // wall time, for the log's duration (the clock may be fake)
	admitted bool
	replayed bool
}

// recorder remembers the status written, for Requests and the log.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection for Reset faults.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// serve is the whole request pipeline: request id, body, authentication,
// routing, POST checks, idempotency, faults, then the endpoint.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	x := &exchange{s: s, w: &recorder{ResponseWriter: w}, r: r, start: time.Now()}
	rid := r.Header.Get("X-Request-Id")
	if rid == "" {
		rid = newID("req")
	}
	x.w.Header().Set("X-Request-Id", rid)
	body, bodyErr := io.ReadAll(http.MaxBytesReader(x.w, r.Body, maxBodyBytes))
	x.rec = &Request{
		Method:         r.Method,
		Path:           r.URL.Path,
		Query:          r.URL.RawQuery,
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
		RequestID:      rid,
		Body:           body,
		Time:           s.clock().UTC(),
	}
	defer x.finish()

	scope, ok := s.authenticate(r)
	if !ok {
		x.write(unauthorized())
		return
	}
	if bodyErr != nil {
		x.write(invalidRequest("", "The request body is too large or could not be read."))
		return
	}
	rt, params, ok := matchRoute(r.Method, r.URL.Path)
	if !ok {
		x.write(notFound(codeNotFound, "No such endpoint: "+r.Method+" "+r.URL.Path+"."))
		return
	}
	c := &call{body: body, params: params, query: r.URL.Query()}

	var adm admission
	if rt.post {
		if resp, bad := checkPostHeaders(r); bad {
			x.write(resp)
			return
		}
		c.idemKey = r.Header.Get("Idempotency-Key")
		adm = s.idem.begin(scope, c.idemKey, fingerprint(r.Method, r.URL.Path, body))
	}
	x.admit()

	run := func() response { return s.run(rt, c, adm) }
	f := s.takeFault(r.Method, r.URL.Path)
	switch {
	case f == nil:
		x.write(run())
	case f.OtherReferences:
		s.delay(r.Context(), f)
		if r.Method == http.MethodGet && len(c.params) == 0 { // the look-up by reference
			x.write(s.listPurchasesWhere(c, func(ref string) bool { return ref != c.query.Get("reference") }))
			return
		}
		x.write(run())
	case f.AfterCommit || f.Alter != nil:
		resp := run()
		s.delay(r.Context(), f)
		x.emitFault(f, &resp)
	default:
		// The key stays held while waiting: a concurrent retry gets 409.
		s.delay(r.Context(), f)
		if !f.answers() {
			x.write(run())
			return
		}
		s.idem.abandon(adm)
		x.emitFault(f, nil)
	}
}

// run answers an admitted request: the immediate idempotent answer if there
// is one, else the endpoint's, stored under the key it holds.
func (s *Server) run(rt route, c *call, adm admission) response {
	if adm.immediate != nil {
		return *adm.immediate
	}
	finished := false
	defer func() {
		// An endpoint that panicked must not hold the key forever.
		if !finished {
			s.idem.abandon(adm)
		}
	}()
	resp := rt.handle(s, c)
	s.idem.finish(adm, resp)
	finished = true
	return resp
}

// authenticate checks the bearer token and returns the API key, which scopes
// idempotency keys.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.apiKeys {
		// Constant time, as a real issuer would compare secrets.
		if subtle.ConstantTimeCompare([]byte(token), []byte(k)) == 1 {
			return k, true
		}
	}
	return "", false
}

// checkPostHeaders enforces the contract's POST headers. Failing requests
// are answered before the idempotency store sees them, so they are not
// stored.
func checkPostHeaders(r *http.Request) (response, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return invalidRequest("Content-Type", "A POST body must be sent with Content-Type: application/json."), true
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return invalidRequest("Content-Type", "The body must be UTF-8."), true
	}
	keys := r.Header.Values("Idempotency-Key")
	if len(keys) != 1 || !validIdempotencyKey(keys[0]) {
		return invalidRequest("Idempotency-Key", "Every POST needs one Idempotency-Key of 1 to 255 printable ASCII characters."), true
	}
	return response{}, false
}

func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// admit makes the request visible in Requests. It is called once the
// request holds its idempotency key, so that tests can wait for it.
func (x *exchange) admit() {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.requests = append(x.s.requests, x.rec)
	x.admitted = true
}

// write sends a computed answer.
func (x *exchange) write(resp response) {
	h := x.w.Header()
	h.Set("Content-Type", "application/json")
	if resp.replayed {
		h.Set("Idempotent-Replayed", "true")
		x.replayed = true
	}
	if resp.retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(resp.retryAfter.Seconds())), 10))
	}
	x.w.WriteHeader(resp.status)
	// A write error means the client went away; nothing more to tell it.
	_, _ = x.w.Write(resp.body)
}

// finish records the outcome of the request and logs it.
func (x *exchange) finish() {
	s := x.s
	s.mu.Lock()
	if !x.admitted {
		s.requests = append(s.requests, x.rec)
	}
	x.rec.Status = x.w.status
	x.rec.Replayed = x.replayed
	s.mu.Unlock()
	level := slog.LevelInfo
	if x.w.status == 0 || x.w.status >= 500 {
		level = slog.LevelWarn
	}
	s.log.Log(x.r.Context(), level, "issuer sandbox request",
		"method", x.rec.Method, "path", x.rec.Path, "status", x.w.status,
		"request_id", x.rec.RequestID, "idempotency_key", x.rec.IdempotencyKey,
		"replayed", x.replayed, "duration", time.Since(x.start))
}
