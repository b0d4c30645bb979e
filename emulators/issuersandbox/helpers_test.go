package issuersandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/internal/testkit"
)

const (
	testKey        = "sk_test_1"
	testTwitterID  = "783214"
	testCardholder = "chd_7Hq2"
)

type fakeClock = testkit.Clock

// env is a started sandbox with one active enrollment and a raw HTTP client.
type env struct {
	t     *testing.T
	sb    *issuersandbox.Server
	url   string
	clock *fakeClock
	http  *http.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, func(*issuersandbox.Options) {})
}

// newEnvWith is newEnv with options changed by edit.
func newEnvWith(t *testing.T, edit func(*issuersandbox.Options)) *env {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 11, 26, 18, 3, 11, 0, time.UTC))
	opts := issuersandbox.Options{APIKey: testKey, Clock: clock.Now}
	edit(&opts)
	sb := issuersandbox.New(opts)
	url, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	sb.Enroll(issuersandbox.Enrollment{
		TwitterUserID: testTwitterID, Cardholder: testCardholder,
		CardLast4: "1005", CardBrand: "amex",
		EnrolledAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
	})
	return &env{
		t: t, sb: sb, url: url, clock: clock,
		// No keep-alive: Go's transport silently retries a request that
		// carries Idempotency-Key when a reused connection drops, which
		// would hide the Reset faults under test.
		http: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second},
	}
}

// opt changes a request before it is sent.
type opt func(*http.Request)

func header(k, v string) opt {
	return func(r *http.Request) {
		if v == "" {
			r.Header.Del(k)
			return
		}
		r.Header.Set(k, v)
	}
}

func idem(k string) opt { return header("Idempotency-Key", k) }

func withContext(ctx context.Context) opt {
	return func(r *http.Request) { *r = *r.WithContext(ctx) }
}

// answer is a received response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", a.body, err)
	}
	return m
}

// apiError is the contract's error body.
type apiError struct {
	Error struct {
		Type        string         `json:"type"`
		Code        string         `json:"code"`
		DeclineCode string         `json:"decline_code"`
		Param       string         `json:"param"`
		Message     string         `json:"message"`
		Purchase    map[string]any `json:"purchase"`
	} `json:"error"`
}

func (a answer) apiError(t *testing.T) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("body %q is not an error body: %v", a.body, err)
	}
	if e.Error.Type == "" || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body %s lacks type, code or message", a.body)
	}
	return e
}

// send makes a request with the test API key, and Content-Type JSON when
// there is a body; opts may change or remove headers.
func (e *env) send(method, path, body string, opts ...opt) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// must is send for requests that must get an answer.
func (e *env) must(method, path, body string, opts ...opt) answer {
	e.t.Helper()
	a, err := e.send(method, path, body, opts...)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

// purchaseBody is a valid purchase request for the test cardholder.
func purchaseBody(reference string) string {
	return `{"cardholder":"chd_7Hq2","merchant":"mer_amazon","amount":19900,"currency":"USD",` +
		`"description":"Kindle Fire HD","reference":"` + reference + `",` +
		`"metadata":{"offer":"kindle-fire-hd","twitter_user_id":"783214"}}`
}

// waitFor polls cond until it holds; it fails the test after 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
