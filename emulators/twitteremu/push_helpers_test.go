package twitteremu

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testBearer = "bearer-test-AAAA%2F"

// newPushEnv is newEnv with the app's bearer token set and short push
// timings, so that keep-alives and retries take milliseconds.
func newPushEnv(t *testing.T, opts Options) *env {
	t.Helper()
	opts.Push.BearerToken = testBearer
	if opts.Push.KeepAlive == 0 {
		opts.Push.KeepAlive = 100 * time.Millisecond
	}
	if opts.Push.WebhookRetryDelay == 0 {
		opts.Push.WebhookRetryDelay = 10 * time.Millisecond
	}
	if opts.Push.WebhookTimeout == 0 {
		opts.Push.WebhookTimeout = 2 * time.Second
	}
	return newEnv(t, opts)
}

// bearerCall sends a request with the app's bearer token (token "" sends
// none) and returns the answer, its body decoded.
func (e *env) bearerCall(t *testing.T, token, method, pathAndQuery, body string) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URLv2()+pathAndQuery, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, pathAndQuery, raw, err)
	}
	return resp, out
}

// bearer is bearerCall with the app's bearer token, returning the status.
func (e *env) bearer(t *testing.T, method, pathAndQuery, body string) (int, map[string]any) {
	t.Helper()
	resp, out := e.bearerCall(t, testBearer, method, pathAndQuery, body)
	return resp.StatusCode, out
}

// subscribe creates a subscription for the bot in its user context
// (OAuth 1.0a), as the bot does.
func (e *env) subscribe(t *testing.T, eventType, tag, webhookID string) (int, map[string]any) {
	t.Helper()
	body := map[string]any{"event_type": eventType, "filter": map[string]string{"user_id": idStr(e.bot.ID)}}
	if tag != "" {
		body["tag"] = tag
	}
	if webhookID != "" {
		body["webhook_id"] = webhookID
	}
	b, _ := json.Marshal(body)
	return e.rawV2(t, http.MethodPost, "activity/subscriptions", "application/json", string(b))
}

// subscribeAll makes the bot's three subscriptions, tagged paybytweet.
func (e *env) subscribeAll(t *testing.T, webhookID string) {
	t.Helper()
	for _, et := range []string{EventMention, EventReply, EventDMReceived} {
		if st, body := e.subscribe(t, et, "paybytweet", webhookID); st != http.StatusOK {
			t.Fatalf("subscribe %s: %d %v", et, st, body)
		}
	}
}

// path walks a decoded JSON value: string keys index objects, ints
// arrays; nil when the way is not there.
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func decodeEvent(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("event %q is not JSON: %v", b, err)
	}
	return m
}

// streamConn is an open GET activity/stream read by a real client, line
// by line.
type streamConn struct {
	resp   *http.Response
	lines  chan string
	err    chan error // the read's end: io.EOF, or what broke it
	cancel context.CancelFunc
}

// openStream connects to the stream with query (e.g. "backfill_minutes=2").
func (e *env) openStream(t *testing.T, query string) (*streamConn, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	u := e.srv.URLv2() + "activity/stream"
	if query != "" {
		u += "?" + query
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+testBearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		resp.Body.Close()
		return nil, resp
	}
	sc := &streamConn{resp: resp, lines: make(chan string, 100), err: make(chan error, 1), cancel: cancel}
	go func() {
		r := bufio.NewReader(resp.Body)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				sc.lines <- line
			}
			if err != nil {
				sc.err <- err
				return
			}
		}
	}()
	t.Cleanup(sc.close)
	return sc, resp
}

func (sc *streamConn) close() {
	sc.cancel()
	sc.resp.Body.Close()
}

// next returns the next line, keep-alives included, failing after d.
func (sc *streamConn) next(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case l := <-sc.lines:
		return l
	case err := <-sc.err:
		t.Fatalf("stream ended: %v", err)
	case <-time.After(d):
		t.Fatalf("no line within %v", d)
	}
	return ""
}

// nextEvent returns the next event line, skipping keep-alives.
func (sc *streamConn) nextEvent(t *testing.T, d time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		l := sc.next(t, time.Until(deadline))
		if !strings.HasSuffix(l, "\r\n") {
			t.Fatalf("line %q does not end in CRLF", l)
		}
		if l == "\r\n" {
			continue
		}
		return decodeEvent(t, []byte(strings.TrimSuffix(l, "\r\n")))
	}
}

// quiet reports that no event line comes within d (keep-alives may).
func (sc *streamConn) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l := <-sc.lines:
			if l != "\r\n" {
				t.Fatalf("unexpected event line %q", l)
			}
		case err := <-sc.err:
			t.Fatalf("stream ended: %v", err)
		case <-deadline:
			return
		}
	}
}

// ended waits for the end of the stream and returns how it ended.
func (sc *streamConn) ended(t *testing.T, d time.Duration) error {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case <-sc.lines:
		case err := <-sc.err:
			return err
		case <-deadline:
			t.Fatalf("the stream did not end within %v", d)
		}
	}
}

// receiver is the bot's side of a webhook: a real HTTP server that
// answers X's CRC and checks the signature of every call, as the
// contract says the daemon does.
type receiver struct {
	srv    *httptest.Server
	secret string

	mu       sync.Mutex
	crcs     int
	wrongCRC bool
	statuses []int // answers to the next good calls; 200 after
	calls    []receivedCall
}

type receivedCall struct {
	body  []byte
	sigOK bool
	// status is what the receiver answered.
	status int
}

func newReceiver(t *testing.T, secret string) *receiver {
	rc := &receiver{secret: secret}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url() string { return rc.srv.URL + "/x/webhook" }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.URL.Path != "/x/webhook" {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		rc.crcs++
		tok := r.URL.Query().Get("crc_token")
		key := rc.secret
		if rc.wrongCRC {
			key = "wrong"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"response_token": WebhookSignature(key, []byte(tok))})
	case http.MethodPost:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		want := WebhookSignature(rc.secret, body)
		got := r.Header.Get("x-twitter-webhooks-signature")
		call := receivedCall{body: body, sigOK: hmac.Equal([]byte(got), []byte(want))}
		switch {
		case !call.sigOK:
			call.status = http.StatusUnauthorized
		case len(rc.statuses) > 0:
			call.status = rc.statuses[0]
			rc.statuses = rc.statuses[1:]
		default:
			call.status = http.StatusOK
		}
		rc.calls = append(rc.calls, call)
		w.WriteHeader(call.status)
	}
}

func (rc *receiver) setWrongCRC(on bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.wrongCRC = on
}

func (rc *receiver) answer(statuses ...int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.statuses = append(rc.statuses, statuses...)
}

func (rc *receiver) received() []receivedCall {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedCall(nil), rc.calls...)
}

func (rc *receiver) crcCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.crcs
}

// register registers the receiver as a webhook and returns its id.
func (e *env) register(t *testing.T, rc *receiver) string {
	t.Helper()
	st, body := e.bearer(t, http.MethodPost, "webhooks", `{"url":"`+rc.url()+`"}`)
	id, _ := path(body, "data", "id").(string)
	if st != http.StatusOK || id == "" || path(body, "data", "valid") != true {
		t.Fatalf("register webhook: %d %v", st, body)
	}
	return id
}

// waitPushed waits for n deliveries that match accepts.
func (e *env) waitPushed(t *testing.T, n int, match func(PushedEvent) bool) []PushedEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := e.srv.WaitPushEvents(ctx, n, match)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func viaWebhook(p PushedEvent) bool { return p.Via == PushViaWebhook }
