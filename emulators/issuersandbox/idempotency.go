package issuersandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// idempotencyStore remembers, per API key and Idempotency-Key, which request
// used the key and what it was answered.
type idempotencyStore struct {
	clock func() time.Time
	ttl   time.Duration

	mu        sync.Mutex
	entries   map[idemKey]*idemEntry
	lastSweep time.Time
}

type idemKey struct {
	scope string // the API key: keys of different API keys never collide
	key   string
}

type idemEntry struct {
	fingerprint [sha256.Size]byte // method, path and canonical body
	started     time.Time
	done        bool
	resp        response // valid once done
}

// admission is the store's decision about one request: either the caller
// now holds the key (entry set) and must finish or abandon it, or the
// request is answered at once with immediate (a replay, 409 or 422).
type admission struct {
	k         idemKey
	entry     *idemEntry
	immediate *response
}

func newIdempotencyStore(clock func() time.Time, ttl time.Duration) *idempotencyStore {
	return &idempotencyStore{clock: clock, ttl: ttl, entries: make(map[idemKey]*idemEntry)}
}

// begin admits a POST carrying an idempotency key.
func (st *idempotencyStore) begin(scope, key string, fp [sha256.Size]byte) admission {
	now := st.clock()
	k := idemKey{scope: scope, key: key}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked(now)
	e := st.entries[k]
	if e != nil && st.expired(e, now) {
		delete(st.entries, k)
		e = nil
	}
	switch {
	case e == nil:
		e = &idemEntry{fingerprint: fp, started: now}
		st.entries[k] = e
		return admission{k: k, entry: e}
	case e.fingerprint != fp:
		// Checked before "in progress": a different request under the same
		// key is a client bug whether or not the first one is finished.
		r := keyReused()
		return admission{k: k, immediate: &r}
	case !e.done:
		r := inProgress()
		return admission{k: k, immediate: &r}
	default:
		r := e.resp
		r.replayed = true
		return admission{k: k, immediate: &r}
	}
}

// finish stores the answer of an admitted request, except a 5xx: the
// handlers answer 5xx only when they did nothing, so a retry must run afresh.
func (st *idempotencyStore) finish(a admission, resp response) {
	if a.entry == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.entries[a.k] != a.entry {
		return
	}
	if resp.status >= 500 {
		delete(st.entries, a.k)
		return
	}
	resp.retryAfter = 0
	a.entry.resp = resp
	a.entry.done = true
}

// abandon releases a key held by a request that did nothing, as if it had
// never been used.
func (st *idempotencyStore) abandon(a admission) {
	if a.entry == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.entries[a.k] == a.entry {
		delete(st.entries, a.k)
	}
}

// expired reports whether a finished entry is older than the TTL. A running
// one never expires: its request still holds the key.
func (st *idempotencyStore) expired(e *idemEntry, now time.Time) bool {
	return e.done && !now.Before(e.started.Add(st.ttl))
}

// sweepLocked drops expired entries now and then, so that a long-running
// sandbox does not keep every key forever.
func (st *idempotencyStore) sweepLocked(now time.Time) {
	if now.Sub(st.lastSweep) < time.Hour {
		return
	}
	st.lastSweep = now
	for k, e := range st.entries {
		if st.expired(e, now) {
			delete(st.entries, k)
		}
	}
}

// fingerprint identifies a request for idempotency. The body is compared as
// JSON (key order, spacing and escapes ignored) because "the same body"
// means the same request, not the same bytes; a body that is not JSON is
// compared byte for byte.
func fingerprint(method, path string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	io.WriteString(h, method)
	h.Write([]byte{0})
	io.WriteString(h, path)
	h.Write([]byte{0})
	h.Write(canonicalJSON(body))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

func canonicalJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep 19900 exact rather than through float64
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	if _, err := dec.Token(); err != io.EOF {
		return body
	}
	b, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return b
}
