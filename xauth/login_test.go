package xauth

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
)

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestLoginLoopback: x-login prints X's authorize address (PKCE S256, a
// state, the bot's scopes), the owner approves in a browser, X redirects
// to the loopback listener, and the pair is stored: a Source on the
// database uses it, with no refresh.
func TestLoginLoopback(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{})
	r.cfg.RedirectURI = "http://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/callback"
	r.emu.SetOAuth2(twitteremu.OAuth2Config{RedirectURI: r.cfg.RedirectURI})
	var out testkit.Buffer
	var page string
	var printed string
	browsed := make(chan struct{})
	res, err := Login(ctx, r.cfg, r.db, LoginOptions{Out: &out, OnAuthorizeURL: func(u string) {
		defer close(browsed)
		printed = u
		resp, err := http.Get(u) // the browser: X's page, then its redirect
		if err != nil {
			t.Error(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page = string(b)
	}})
	if err != nil {
		t.Fatalf("Login = %v\n%s", err, out.String())
	}
	<-browsed
	if !res.Loopback || !strings.Contains(res.Scope, "offline.access") || res.Expiry.Before(time.Now().Add(time.Hour)) {
		t.Errorf("result %+v", res)
	}
	u, _ := url.Parse(printed)
	q := u.Query()
	if !strings.HasPrefix(printed, r.emu.OAuth2AuthorizeURL()+"?") || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		q.Get("state") == "" || q.Get("redirect_uri") != r.cfg.RedirectURI || q.Get("response_type") != "code" ||
		q.Get("scope") != "tweet.read tweet.write users.read dm.read dm.write offline.access" {
		t.Errorf("authorize address %s", printed)
	}
	if !strings.Contains(out.String(), printed) || !strings.Contains(page, "authorized") {
		t.Errorf("output %q, page %q", out.String(), page)
	}
	stored, _ := r.db.OAuth2Token(ctx)
	if stored.AccessToken == "" || stored.RefreshToken == "" || stored.Generation != 1 {
		t.Fatalf("stored %v", stored)
	}
	noSecrets(t, "the output", out.String()+page, r.allTokens()...)
	tok, err := r.source(r.db, Options{}).Token()
	if err != nil || tok.AccessToken != stored.AccessToken {
		t.Fatalf("Token after login = %v", err)
	}
	if reqs := r.emu.TokenRequests(); len(reqs) != 1 || reqs[0].GrantType != "authorization_code" || reqs[0].Status != 200 {
		t.Errorf("token requests %+v", reqs)
	}
}

// TestLoginPasted: a redirect_uri that is not this machine's loopback:
// the operator pastes the redirected address; junk and another login's
// address are asked for again.
func TestLoginPasted(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{})
	in, w := io.Pipe()
	var out testkit.Buffer
	res, err := Login(ctx, r.cfg, r.db, LoginOptions{In: in, Out: &out, OnAuthorizeURL: func(u string) {
		to, err := r.emu.Authorize(u)
		if err != nil {
			t.Error(err)
		}
		other := strings.Replace(to, "state=", "state=x", 1)
		io.WriteString(w, "not an address at all %%%\n"+other+"\n\n"+to+"\n")
	}})
	if err != nil || res.Loopback {
		t.Fatalf("Login = %+v, %v", res, err)
	}
	if !strings.Contains(out.String(), "state does not match") {
		t.Errorf("output %q", out.String())
	}
	if stored, _ := r.db.OAuth2Token(ctx); stored.RefreshToken == "" {
		t.Fatalf("nothing stored")
	}
	noSecrets(t, "the output", out.String(), r.allTokens()...)
}

// TestLoginRefused: a code past its 30 s, the owner declining, no
// input: errors that name no secret, and nothing stored.
func TestLoginRefused(t *testing.T) {
	r := newRig(t, twitteremu.OAuth2Config{CodeLifetime: time.Nanosecond})
	// paste answers the authorize address with what answer makes of it.
	paste := func(answer func(authorizeURL string) string) LoginOptions {
		in, w := io.Pipe()
		return LoginOptions{In: in, OnAuthorizeURL: func(u string) { io.WriteString(w, answer(u)+"\n") }}
	}
	var code string
	_, err := Login(ctx, r.cfg, r.db, paste(func(u string) string {
		to, _ := r.emu.Authorize(u)
		p, _ := url.Parse(to)
		code = p.Query().Get("code")
		return to
	}))
	if err == nil || !strings.Contains(err.Error(), "30 seconds") {
		t.Fatalf("an expired code: %v", err)
	}
	noSecrets(t, "the error", err.Error(), code, r.cfg.ClientSecret)

	_, err = Login(ctx, r.cfg, r.db, paste(func(u string) string {
		p, _ := url.Parse(u)
		return r.cfg.RedirectURI + "?error=access_denied&state=" + url.QueryEscape(p.Query().Get("state"))
	}))
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("declined: %v", err)
	}
	if _, err := Login(ctx, r.cfg, r.db, LoginOptions{}); err == nil || !strings.Contains(err.Error(), "no redirected address") {
		t.Fatalf("no input: %v", err)
	}
	if _, err := Login(ctx, Config{ClientID: "x"}, r.db, LoginOptions{}); err == nil {
		t.Fatalf("no redirect_uri: no error")
	}
	if stored, _ := r.db.OAuth2Token(ctx); !stored.Empty() {
		t.Fatalf("stored %v", stored)
	}
}
