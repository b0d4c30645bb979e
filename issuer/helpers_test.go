package issuer_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/issuer"
)

const (
	testKey        = "sk_test_client_secret"
	testTwitterID  = 783214
	testCardholder = "chd_7Hq2"
)

type fakeClock = testkit.Clock

type syncBuffer = testkit.Buffer

// env is the real client against a started sandbox with one active
// enrollment.
type env struct {
	t     *testing.T
	sb    *issuersandbox.Server
	c     *issuer.Client
	clock *fakeClock
	log   *syncBuffer
	ctx   context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, func(*issuersandbox.Options) {})
}

// newEnvWith is newEnv with the sandbox's options changed by edit.
func newEnvWith(t *testing.T, edit func(*issuersandbox.Options)) *env {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 11, 26, 18, 3, 11, 0, time.UTC))
	opts := issuersandbox.Options{APIKey: testKey, Clock: clock.Now}
	edit(&opts)
	sb := issuersandbox.New(opts)
	if _, err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	sb.Enroll(issuersandbox.Enrollment{
		TwitterUserID: "783214", Cardholder: testCardholder, CardLast4: "1005", CardBrand: "amex",
		EnrolledAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
	})
	e := &env{t: t, sb: sb, clock: clock, log: &syncBuffer{}, ctx: context.Background()}
	e.c = e.client()
	return e
}

// client returns a new client with its own connections, logging to e.log.
func (e *env) client() *issuer.Client {
	c := issuer.New(e.sb.URL(), testKey, 5*time.Second)
	c.Logger = slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return c
}

func order(ref string) issuer.PurchaseRequest {
	return issuer.PurchaseRequest{
		Cardholder: testCardholder, Merchant: "mer_amazon", Amount: 19900, Currency: "USD",
		Description: "Kindle Fire HD", Reference: ref,
		Metadata: map[string]string{"offer": "kindle-fire-hd", "twitter_user_id": "783214"},
	}
}

// apiErr returns err as an *issuer.Error, failing the test if it is not one.
func apiErr(t *testing.T, err error) *issuer.Error {
	t.Helper()
	var e *issuer.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *issuer.Error", err, err)
	}
	return e
}

// wantKind checks the outcome of err.
func wantKind(t *testing.T, err error, want issuer.Kind) {
	t.Helper()
	if got := issuer.Outcome(err); got != want {
		t.Fatalf("Outcome(%v) = %v, want %v", err, got, want)
	}
}

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
