package xauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
)

var ctx = context.Background()

// TestFirstRefreshFromConfigThenRotation: with an empty database the
// configuration's refresh token gives the first pair, committed at once;
// every later refresh spends the database's token, never the
// configuration's again, and rotates it.
func TestFirstRefreshFromConfigThenRotation(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{})
	_, first := r.emu.GrantOAuth2Token()
	r.granted = append(r.granted, first)
	r.cfg.RefreshToken = first
	src := r.source(r.db, Options{})
	tok, err := src.Token()
	if err != nil || tok.AccessToken == "" || tok.RefreshToken != "" || tok.Expiry.Before(time.Now().Add(time.Hour)) {
		t.Fatalf("Token = %+v, %v; want a 2-hour access token without its refresh token", tok, err)
	}
	stored, _ := r.db.OAuth2Token(ctx)
	if stored.AccessToken != tok.AccessToken || stored.RefreshToken == "" || stored.RefreshToken == first || stored.Generation != 1 {
		t.Fatalf("stored %+v", stored)
	}
	if again, err := src.Token(); err != nil || again.AccessToken != tok.AccessToken {
		t.Fatalf("a second Token refreshed again: %v", err)
	}
	for i := 0; i < 3; i++ {
		nt, err := src.Refresh(ctx)
		if err != nil || nt.AccessToken == tok.AccessToken {
			t.Fatalf("Refresh %d = %v", i, err)
		}
		tok = nt
	}
	// A restart: a new Source with the configuration still naming the
	// first (spent) token uses the database's.
	if _, err := r.source(r.open(t), Options{}).Refresh(ctx); err != nil {
		t.Fatalf("a new Source: %v", err)
	}
	if ok, refused, _ := r.refreshes(); ok != 5 || refused != 0 {
		t.Fatalf("%d refreshes, %d refused; want 5 and none", ok, refused)
	}
	if s, _ := src.Status(ctx); !s.HasToken || s.Refused {
		t.Errorf("Status = %+v", s)
	}
}

// TestNoToken: no pair anywhere is ErrNoToken, and nothing is asked of X.
func TestNoToken(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{})
	if _, err := r.source(r.db, Options{}).Token(); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Token = %v, want ErrNoToken", err)
	}
	if n := len(r.emu.TokenRequests()); n != 0 {
		t.Fatalf("%d token requests", n)
	}
}

// TestSpentRefreshTokenRefused: a refresh token X refuses (a spent one,
// in both of X's ways of saying so) is ErrRefused with one ALERT, is
// recorded so that no process spends a request on it again, and a new
// x-login is adopted at once.
func TestSpentRefreshTokenRefused(t *testing.T) {
	for _, xStyle := range []bool{false, true} {
		r := newRig(t, twitteremu.OAuth2Config{RefusalAsInvalidRequest: xStyle})
		access, refresh := r.login(t)
		// Another copy of the database (a restore) spends the pair first.
		other := r.source(&spender{r.db}, Options{})
		if _, err := other.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r.db.StoreOAuth2Login(ctx, storage.OAuth2Token{AccessToken: access, RefreshToken: refresh, Expiry: time.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		src := r.source(r.db, Options{})
		for i := 0; i < 3; i++ {
			_, err := src.Token()
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("x style %v, Token %d = %v; want ErrRefused", xStyle, i, err)
			}
			noSecrets(t, "the error", err.Error(), r.allTokens()...)
		}
		if _, refused, causes := r.refreshes(); refused != 1 || causes[0] != "spent" {
			t.Fatalf("refused requests %d %v; want the spent token tried once", refused, causes)
		}
		// A second process on the database does not try it either.
		if _, err := r.source(r.open(t), Options{}).Token(); !errors.Is(err, ErrRefused) {
			t.Fatalf("a second process: %v", err)
		}
		if _, refused, _ := r.refreshes(); refused != 1 {
			t.Fatalf("the second process tried the refused token")
		}
		logs := r.logs.String()
		if n := strings.Count(logs, "alert=oauth2_refused"); n != 2 { // once per process
			t.Errorf("%d ALERTs; want one per process:\n%s", n, logs)
		}
		noSecrets(t, "the log", logs, r.allTokens()...)
		if s, _ := src.Status(ctx); !s.Refused || s.RefusedReason == "" {
			t.Errorf("Status = %+v", s)
		}
		// x-login again: adopted by the next read.
		access, _ = r.login(t)
		time.Sleep(1100 * time.Millisecond) // the cache
		if tok, err := src.Token(); err != nil || tok.AccessToken != access {
			t.Fatalf("after x-login: %v", err)
		}
	}
}

// spender is a Store whose refresh commits go nowhere: a copy of the
// database that spends the pair and is then lost.
type spender struct{ *storage.DB }

func (s *spender) CommitOAuth2Refresh(ctx context.Context, holder, _ string, _ storage.OAuth2Token) (bool, error) {
	return true, s.ReleaseOAuth2Lease(ctx, holder)
}

// failingStore fails the first commits it is asked for.
type failingStore struct {
	*storage.DB
	fail atomic.Int32
}

func (s *failingStore) CommitOAuth2Refresh(ctx context.Context, holder, spent string, t storage.OAuth2Token) (bool, error) {
	if s.fail.Add(-1) >= 0 {
		return false, errors.New("disk I/O error")
	}
	return s.DB.CommitOAuth2Refresh(ctx, holder, spent, t)
}

// TestCommitFailureKeepsThePair: a pair X gave that the database could
// not take is kept and committed at the next call, never spent again.
func TestCommitFailureKeepsThePair(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{})
	r.login(t)
	fs := &failingStore{DB: r.db}
	fs.fail.Store(1)
	src := r.source(fs, Options{})
	if _, err := src.Refresh(ctx); !errors.Is(err, ErrRefreshFailed) {
		t.Fatalf("Refresh with the commit failing = %v", err)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := r.db.OAuth2Token(ctx)
	if stored.AccessToken != tok.AccessToken || stored.Generation != 2 {
		t.Fatalf("stored %v, token differs or not committed", stored)
	}
	if ok, refused, _ := r.refreshes(); ok != 1 || refused != 0 {
		t.Fatalf("%d refreshes, %d refused; want the one", ok, refused)
	}
	if _, err := src.Refresh(ctx); err != nil {
		t.Fatalf("the kept pair's refresh token: %v", err)
	}
}

// TestTwoSourcesOneDatabase: two Sources on two handles of one file,
// each with its refresher and callers, through tokens that live 2 s:
// never two refreshes at once, never a spent token, never a 401.
func TestTwoSourcesOneDatabase(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{ExpiresIn: 2 * time.Second, TokenDelay: 50 * time.Millisecond})
	r.login(t)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var calls, failed atomic.Int32
	for i := 0; i < 2; i++ {
		src := r.source(r.open(t), Options{})
		src.Start(ctx)
		hc := src.Client(nil, 5*time.Second)
		for j := 0; j < 3; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					calls.Add(1)
					if err := callMe(context.Background(), hc, r.emu.URLv2()); err != nil {
						failed.Add(1)
						t.Error(err)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
		}
	}
	wg.Wait()
	ok, refused, causes := r.refreshes()
	if refused != 0 || r.emu.MaxConcurrentRefreshes() != 1 {
		t.Errorf("refused %d %v, at most %d refreshes at once; want none refused, one at a time", refused, causes, r.emu.MaxConcurrentRefreshes())
	}
	if ok < 3 || ok > 8 {
		t.Errorf("%d refreshes in 5 s of 2-second tokens; want one about every second", ok)
	}
	if u := r.emu.OAuth2Unauthorized(); len(u) != 0 {
		t.Errorf("401s: %v", u)
	}
	if int(calls.Load()) != r.emu.OAuth2BearerCalls() || failed.Load() != 0 {
		t.Errorf("%d calls, %d with the bearer token, %d failed", calls.Load(), r.emu.OAuth2BearerCalls(), failed.Load())
	}
	noSecrets(t, "the log", r.logs.String(), r.allTokens()...)
}

// TestTwoProcessesOneDatabase: the same with two processes.
func TestTwoProcessesOneDatabase(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{ExpiresIn: 2 * time.Second, TokenDelay: 50 * time.Millisecond})
	r.login(t)
	a := startChild(t, r, "calls", 5*time.Second, 0)
	b := startChild(t, r, "calls", 5*time.Second, 0)
	if err := a.Wait(); err != nil {
		t.Errorf("process a: %v", err)
	}
	if err := b.Wait(); err != nil {
		t.Errorf("process b: %v", err)
	}
	ok, refused, causes := r.refreshes()
	if refused != 0 || r.emu.MaxConcurrentRefreshes() != 1 || ok < 3 {
		t.Errorf("%d refreshes, refused %d %v, at most %d at once", ok, refused, causes, r.emu.MaxConcurrentRefreshes())
	}
	if u := r.emu.OAuth2Unauthorized(); len(u) != 0 || r.emu.OAuth2BearerCalls() < 100 {
		t.Errorf("401s: %v, %d calls", u, r.emu.OAuth2BearerCalls())
	}
}

// TestKilledRightAfterRefresh: a process SIGKILLed right after it
// committed a refresh leaves a database whose next process goes on
// without x-login; one killed between X's answer and the commit (the
// contract's one loss) leaves a refusal with an ALERT, not a hang.
func TestKilledRightAfterRefresh(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{})
	r.login(t)
	if err := startChild(t, r, "kill-after-commit", 0, 0).Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the child: %v; want killed", err)
	}
	stored, _ := r.db.OAuth2Token(ctx)
	if stored.Generation != 2 {
		t.Fatalf("the child's refresh is not in the database: %v", stored)
	}
	src := r.source(r.open(t), Options{})
	if _, err := src.Refresh(ctx); err != nil {
		t.Fatalf("after the kill: %v", err)
	}
	if ok, refused, _ := r.refreshes(); ok != 2 || refused != 0 {
		t.Fatalf("%d refreshes, %d refused", ok, refused)
	}

	// The killed process's lease lapses by itself (after Lease, 30 s by
	// default; 1 s here), then the next refresh finds the token spent.
	if err := startChild(t, r, "kill-after-exchange", 0, time.Second).Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the child: %v; want killed", err)
	}
	src = r.source(r.open(t), Options{})
	if _, err := src.Refresh(ctx); !errors.Is(err, ErrRefused) {
		t.Fatalf("after a kill before the commit: %v; want ErrRefused", err)
	}
	if !strings.Contains(r.logs.String(), "alert=oauth2_refused") {
		t.Errorf("no ALERT")
	}
}

// TestShortTokensBackgroundRefresh: with 2-second tokens and the
// refresher running, a steady stream of calls through the v2 client
// never meets an expired token.
func TestShortTokensBackgroundRefresh(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{ExpiresIn: 2 * time.Second})
	r.login(t)
	src := r.source(r.db, Options{})
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src.Start(rctx)
	c := r.v2(t, src)
	end := time.Now().Add(6 * time.Second)
	calls := 0
	for time.Now().Before(end) {
		if _, err := c.Me(ctx); err != nil {
			t.Fatal(err)
		}
		calls++
		time.Sleep(25 * time.Millisecond)
	}
	if u := r.emu.OAuth2Unauthorized(); len(u) != 0 {
		t.Errorf("401s: %v", u)
	}
	if n := r.emu.OAuth2BearerCalls(); n != calls {
		t.Errorf("%d of %d calls went with the OAuth 2.0 token", n, calls)
	}
	if ok, refused, _ := r.refreshes(); ok < 4 || refused != 0 {
		t.Errorf("%d refreshes, %d refused, over 6 s of 2-second tokens", ok, refused)
	}
}

// TestRevokedGoesOnWithOAuth1: after the owner revokes the app, the next
// call meets a 401, the refresh is refused (ALERT), and that call and
// every later one, a post included, go with OAuth 1.0a; a new x-login
// brings OAuth 2.0 back.
func TestRevokedGoesOnWithOAuth1(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{})
	r.login(t)
	src := r.source(r.db, Options{CacheFor: time.Millisecond})
	c := r.v2(t, src)
	if _, err := c.Me(ctx); err != nil || r.emu.OAuth2BearerCalls() != 1 {
		t.Fatalf("Me = %v, %d bearer calls", err, r.emu.OAuth2BearerCalls())
	}
	r.emu.RevokeOAuth2()
	if _, err := c.Me(ctx); err != nil {
		t.Fatalf("Me after the revocation = %v; want it answered through OAuth 1.0a", err)
	}
	if _, err := c.PostTweet(ctx, "still here", 0); err != nil {
		t.Fatalf("a post after the revocation = %v", err)
	}
	if u := r.emu.OAuth2Unauthorized(); u["revoked"] != 1 || r.emu.OAuth2BearerCalls() != 1 {
		t.Errorf("401s %v, %d bearer calls; want the one 401, then OAuth 1.0a", u, r.emu.OAuth2BearerCalls())
	}
	if _, refused, causes := r.refreshes(); refused != 1 || causes[0] != "revoked" {
		t.Errorf("refused %d %v", refused, causes)
	}
	if strings.Count(r.logs.String(), "alert=oauth2_refused") != 1 {
		t.Errorf("want one ALERT:\n%s", r.logs.String())
	}
	var posts int
	for _, q := range r.emu.Requests() {
		if q.Endpoint == "POST 2/tweets" && q.Status == 201 {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d posts made; want exactly one", posts)
	}
	r.login(t)
	if _, err := c.Me(ctx); err != nil || r.emu.OAuth2BearerCalls() != 2 {
		t.Errorf("after x-login: %v, %d bearer calls", err, r.emu.OAuth2BearerCalls())
	}
	noSecrets(t, "the log", r.logs.String(), r.allTokens()...)
}

// TestErrorsHoldNoToken: whatever the token endpoint answers, even a body
// quoting the token, no error and no log line shows a token or the
// client secret.
func TestErrorsHoldNoToken(t *testing.T) {
	const refresh, secret = "RT-very-secret-refresh", "CS-very-secret-client"
	for _, c := range []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"refused, quoting the token", 400, `{"error":"invalid_grant","error_description":"token ` + refresh + ` is spent"}`, ErrRefused},
		{"a 500 with the token in its body", 500, `oops ` + refresh + ` ` + secret, ErrRefreshFailed},
		{"the client refused", 401, `{"error":"unauthorized_client","error_description":"secret ` + secret + ` is wrong"}`, ErrRefused},
		{"not JSON", 200, refresh, ErrRefreshFailed},
	} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(c.status)
			w.Write([]byte(c.body))
		}))
		r := newRig(t, twitteremu.OAuth2Config{})
		r.cfg = Config{ClientID: "id", ClientSecret: secret, RefreshToken: refresh, TokenURL: ts.URL}
		_, err := r.source(r.db, Options{}).Token()
		ts.Close()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		noSecrets(t, c.name+": the error", err.Error(), refresh, secret)
		noSecrets(t, c.name+": the log", r.logs.String(), refresh, secret)
	}
	// The token endpoint gone.
	r := newRig(t, twitteremu.OAuth2Config{})
	r.cfg = Config{ClientID: "id", ClientSecret: secret, RefreshToken: refresh, TokenURL: "http://127.0.0.1:1/2/oauth2/token"}
	if _, err := r.source(r.db, Options{}).Token(); !errors.Is(err, ErrRefreshFailed) {
		t.Errorf("no endpoint: %v", err)
	} else {
		noSecrets(t, "no endpoint", err.Error(), refresh, secret)
	}
}
