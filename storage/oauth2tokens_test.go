package storage

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOAuth2Lease: one holder at a time, its own take extends it, a
// lapsed lease goes to the next, and a release or a commit frees it.
func TestOAuth2Lease(t *testing.T) {
	ctx := context.Background()
	c := &clock{t0}
	db, err := Open(filepath.Join(t.TempDir(), "o.db"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tok, err := db.OAuth2Token(ctx)
	if err != nil || !tok.Empty() || tok.Generation != 0 {
		t.Fatalf("a new database: %v, %v; want an empty token", tok, err)
	}
	a, err := db.TakeOAuth2Lease(ctx, "a", 30*time.Second)
	if err != nil || !a.Taken || !a.Until.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("a takes: %+v, %v", a, err)
	}
	b, err := db.TakeOAuth2Lease(ctx, "b", 30*time.Second)
	if err != nil || b.Taken || b.Holder != "a" || !b.Until.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("b while a holds it: %+v, %v; want not taken, held by a", b, err)
	}
	c.t = t0.Add(10 * time.Second)
	if a, err = db.TakeOAuth2Lease(ctx, "a", 30*time.Second); err != nil || !a.Taken || !a.Until.Equal(t0.Add(40*time.Second)) {
		t.Fatalf("a again: %+v, %v; want extended", a, err)
	}
	c.t = t0.Add(40 * time.Second) // a's lease lapses: a died mid-refresh
	if b, err = db.TakeOAuth2Lease(ctx, "b", 30*time.Second); err != nil || !b.Taken {
		t.Fatalf("b after a's lease lapsed: %+v, %v", b, err)
	}
	if err := db.ReleaseOAuth2Lease(ctx, "a"); err != nil { // not a's any more: no effect
		t.Fatal(err)
	}
	if a, _ = db.TakeOAuth2Lease(ctx, "a", time.Second); a.Taken {
		t.Fatalf("a's release freed b's lease")
	}
	if err := db.ReleaseOAuth2Lease(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if a, _ = db.TakeOAuth2Lease(ctx, "a", time.Second); !a.Taken {
		t.Fatalf("the lease b released is not free")
	}
}

// TestOAuth2CommitAndLogin: the first refresh commits over an empty row,
// each later one only over the refresh token it spent; a login replaces
// whatever is there and wins over a refresh in flight; a refusal names
// the refused token until a new pair comes.
func TestOAuth2CommitAndLogin(t *testing.T) {
	ctx := context.Background()
	c := &clock{t0}
	db, err := Open(filepath.Join(t.TempDir(), "o.db"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exp := t0.Add(2 * time.Hour)
	if _, err := db.TakeOAuth2Lease(ctx, "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	ok, err := db.CommitOAuth2Refresh(ctx, "a", "rt-config", OAuth2Token{AccessToken: "at-1", RefreshToken: "rt-1", Expiry: exp, Scope: "s"})
	if err != nil || !ok {
		t.Fatalf("first commit = %v, %v", ok, err)
	}
	got, _ := db.OAuth2Token(ctx)
	if got.AccessToken != "at-1" || got.RefreshToken != "rt-1" || !got.Expiry.Equal(exp) || got.Scope != "s" || got.Generation != 1 || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("after the first commit: %+v", got)
	}
	if l, _ := db.TakeOAuth2Lease(ctx, "b", time.Minute); !l.Taken {
		t.Fatalf("the commit kept a's lease")
	}
	c.t = t0.Add(time.Minute)
	if ok, err := db.CommitOAuth2Refresh(ctx, "b", "rt-1", OAuth2Token{AccessToken: "at-2", RefreshToken: "rt-2", Expiry: exp}); err != nil || !ok {
		t.Fatalf("second commit = %v, %v", ok, err)
	}
	// A commit for a spent token that is no longer the database's: kept
	// out (and it frees its holder's lease all the same).
	db.TakeOAuth2Lease(ctx, "c", time.Minute)
	if ok, err := db.CommitOAuth2Refresh(ctx, "c", "rt-1", OAuth2Token{AccessToken: "at-x", RefreshToken: "rt-x"}); err != nil || ok {
		t.Fatalf("a stale commit = %v, %v; want not committed", ok, err)
	}
	if l, _ := db.TakeOAuth2Lease(ctx, "d", time.Minute); !l.Taken || l.Token.RefreshToken != "rt-2" || l.Token.Generation != 2 {
		t.Fatalf("after the stale commit: %+v", l)
	}
	// d refreshes rt-2 while x-login stores a new authorization: the
	// login's pair stays.
	if err := db.StoreOAuth2Login(ctx, OAuth2Token{AccessToken: "at-L", RefreshToken: "rt-L", Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.CommitOAuth2Refresh(ctx, "d", "rt-2", OAuth2Token{AccessToken: "at-3", RefreshToken: "rt-3"}); ok {
		t.Fatalf("a refresh committed over x-login's pair")
	}
	if got, _ := db.OAuth2Token(ctx); got.RefreshToken != "rt-L" || got.Generation != 3 {
		t.Fatalf("after login and refresh: %+v", got)
	}
	// X refuses rt-L.
	db.TakeOAuth2Lease(ctx, "e", time.Minute)
	if err := db.RefuseOAuth2(ctx, "e", "rt-L", "invalid_grant"); err != nil {
		t.Fatal(err)
	}
	got, _ = db.OAuth2Token(ctx)
	if !got.RefusedFor("rt-L") || got.RefusedFor("rt-other") || got.RefusedReason != "invalid_grant" || !got.RefusedAt.Equal(c.t) {
		t.Fatalf("after the refusal: %+v", got)
	}
	if strings.Contains(got.RefusedFingerprint, "rt-L") {
		t.Fatalf("the fingerprint holds the token")
	}
	if l, _ := db.TakeOAuth2Lease(ctx, "f", time.Minute); !l.Taken {
		t.Fatalf("the refusal kept e's lease")
	}
	db.ReleaseOAuth2Lease(ctx, "f")
	if err := db.StoreOAuth2Login(ctx, OAuth2Token{AccessToken: "at-M", RefreshToken: "rt-M", Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.OAuth2Token(ctx); got.RefusedFingerprint != "" || got.RefusedReason != "" || !got.RefusedAt.IsZero() {
		t.Fatalf("a new login left the refusal: %+v", got)
	}
}

// TestOAuth2LeaseTwoHandles: two handles on one file (two processes)
// racing for the lease: exactly one gets it.
func TestOAuth2LeaseTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "o.db")
	var dbs []*DB
	for i := 0; i < 4; i++ {
		db, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	for round := 0; round < 20; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var taken []string
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				holder := fmt.Sprintf("p%d", i)
				l, err := db.TakeOAuth2Lease(ctx, holder, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if l.Taken {
					mu.Lock()
					taken = append(taken, holder)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(taken) != 1 {
			t.Fatalf("round %d: the lease went to %v; want exactly one", round, taken)
		}
		if err := dbs[0].ReleaseOAuth2Lease(ctx, taken[0]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOAuth2TokenNeverPrinted: printing or logging a token shows none of
// its secrets.
func TestOAuth2TokenNeverPrinted(t *testing.T) {
	tok := OAuth2Token{AccessToken: "ACCESS-SECRET-VALUE", RefreshToken: "REFRESH-SECRET-VALUE", Expiry: t0, Generation: 4}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "token", tok)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "token", tok)
	l := OAuth2Lease{Taken: true, Token: tok}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), fmt.Sprintf("%v %+v", l, l), buf.String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("a token shows: %s", s)
		}
	}
	if !strings.Contains(buf.String(), "generation=4") {
		t.Errorf("the log lost what is safe to say: %s", buf.String())
	}
}
