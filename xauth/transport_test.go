package xauth

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// TestA401NotAboutTheTokenSpendsOneRefresh: an endpoint answers 401 to
// every bearer token, fresh or not (it is not the token X refuses). The
// first 401 is taken for a token X no longer accepts and refreshed once;
// the fresh token refused too, later 401s spend no refresh token more for
// a minute, then one more.
func TestA401NotAboutTheTokenSpendsOneRefresh(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{})
	r.login(t)
	var skew atomic.Int64 // how far the Source's clock is ahead
	src := r.source(r.db, Options{CacheFor: time.Millisecond, Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"title":"Unauthorized"}`, http.StatusUnauthorized)
	}))
	defer refusing.Close()
	client := src.Client(nil, 5*time.Second)
	for i := range 4 {
		resp, err := client.Get(refusing.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("call %d: %d, want the endpoint's 401", i, resp.StatusCode)
		}
	}
	if ok, refused, _ := r.refreshes(); ok != 1 || refused != 0 {
		t.Errorf("%d refreshes (%d refused) for 4 calls refused whatever the token; want 1", ok, refused)
	}
	// A minute on, a 401 is the token's again until shown otherwise: a
	// revocation since would be found.
	skew.Store(int64(freshRefusedFor + time.Second))
	for range 2 {
		resp, err := client.Get(refusing.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if ok, _, _ := r.refreshes(); ok != 2 {
		t.Errorf("%d refreshes after a minute and two more refused calls; want one more", ok)
	}
	// A token X does refuse is still refreshed: the emulator's own
	// endpoints, with the authorization revoked.
	r.emu.RevokeOAuth2()
	c := r.v2(t, src)
	if _, err := c.Me(ctx); err != nil {
		t.Fatalf("Me after the revocation = %v; want it answered through OAuth 1.0a", err)
	}
	if _, refused, causes := r.refreshes(); refused != 1 || causes[0] != "revoked" {
		t.Errorf("after the revocation: %d refused refreshes %v; want the one", refused, causes)
	}
}
