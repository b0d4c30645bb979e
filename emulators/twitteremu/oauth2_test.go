package twitteremu

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// tokenCall posts form to the token endpoint with Basic auth id:secret
// and returns the status and the decoded answer.
func tokenCall(t *testing.T, e *env, id, secret string, form url.Values) (int, tokenAnswer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.OAuth2TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans tokenAnswer
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &ans); err != nil {
		t.Fatalf("token answer %q: %v", raw, err)
	}
	return resp.StatusCode, ans
}

func refreshCall(t *testing.T, e *env, refresh string) (int, tokenAnswer) {
	return tokenCall(t, e, DefaultOAuth2ClientID, DefaultOAuth2ClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
}

// bearerMe calls GET 2/users/me with the access token and returns the
// status.
func bearerMe(t *testing.T, e *env, access string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URLv2()+"users/me", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestOAuth2CodeExchange: the authorize page redirects with the code and
// the state; the code gives a pair once, only with the verifier of its
// challenge, the same redirect_uri and the client's Basic auth, and only
// within its 30 s.
func TestOAuth2CodeExchange(t *testing.T) {
	e := newEnv(t, Options{})
	const cb = "http://127.0.0.1:8723/callback"
	e.srv.SetOAuth2(OAuth2Config{RedirectURI: cb})
	verifier := strings.Repeat("v", 50)
	authorize := func(redirect string) (*http.Response, error) {
		q := url.Values{"response_type": {"code"}, "client_id": {DefaultOAuth2ClientID}, "redirect_uri": {redirect},
			"scope": {"tweet.read users.read offline.access"}, "state": {"st-1"},
			"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}}
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		return hc.Get(e.srv.OAuth2AuthorizeURL() + "?" + q.Encode())
	}
	if resp, err := authorize("http://127.0.0.1:9999/other"); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("authorize with another callback: %v, %v; want 400", resp, err)
	}
	resp, err := authorize(cb)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %v, %v; want 302", resp, err)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if !strings.HasPrefix(loc.String(), cb+"?") || loc.Query().Get("state") != "st-1" || code == "" {
		t.Fatalf("redirected to %s", loc)
	}
	exchange := func(id, secret, redirect, verifier string) (int, tokenAnswer) {
		return tokenCall(t, e, id, secret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}})
	}
	if st, ans := exchange(DefaultOAuth2ClientID, "wrong", cb, verifier); st != 401 || ans.Error != "unauthorized_client" {
		t.Fatalf("a wrong client secret: %d %+v", st, ans)
	}
	st, ans := exchange(DefaultOAuth2ClientID, DefaultOAuth2ClientSecret, cb, verifier)
	if st != 200 || ans.TokenType != "bearer" || ans.AccessToken == "" || ans.RefreshToken == "" || ans.ExpiresIn != 7200 || ans.Scope != "tweet.read users.read offline.access" {
		t.Fatalf("exchange: %d %+v", st, ans)
	}
	if st, ans := exchange(DefaultOAuth2ClientID, DefaultOAuth2ClientSecret, cb, verifier); st != 400 || ans.Error != "invalid_grant" {
		t.Fatalf("the same code again: %d %+v; want 400 invalid_grant", st, ans)
	}
	if got := bearerMe(t, e, ans.AccessToken); got != 200 {
		t.Fatalf("users/me with the access token: %d", got)
	}

	// A wrong verifier, another redirect_uri, an expired code: refused.
	for _, c := range []struct {
		name, redirect, verifier string
		wait                     time.Duration
		cause                    string
	}{
		{"wrong verifier", cb, strings.Repeat("w", 50), 0, "verifier"},
		{"other redirect_uri", cb + "x", verifier, 0, "redirect_uri"},
		{"expired code", cb, verifier, 31 * time.Second, "code"},
	} {
		resp, _ := authorize(cb)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		code = loc.Query().Get("code")
		e.clock.Advance(c.wait)
		if st, ans := exchange(DefaultOAuth2ClientID, DefaultOAuth2ClientSecret, c.redirect, c.verifier); st != 400 || ans.Error != "invalid_grant" {
			t.Errorf("%s: %d %+v", c.name, st, ans)
		}
		reqs := e.srv.TokenRequests()
		if last := reqs[len(reqs)-1]; last.Cause != c.cause || !last.Refused() {
			t.Errorf("%s: recorded %+v", c.name, last)
		}
	}

	// Authorize as a rig method, for a test without a browser.
	to, err := e.srv.Authorize(e.srv.OAuth2AuthorizeURL() + "?response_type=code&client_id=" + DefaultOAuth2ClientID +
		"&redirect_uri=" + url.QueryEscape(cb) + "&scope=users.read&state=s2&code_challenge=" + challenge(verifier) + "&code_challenge_method=S256")
	if err != nil || !strings.Contains(to, "state=s2") {
		t.Fatalf("Authorize = %q, %v", to, err)
	}
	if _, err := e.srv.Authorize(e.srv.OAuth2AuthorizeURL() + "?response_type=code&client_id=" + DefaultOAuth2ClientID + "&redirect_uri=" + url.QueryEscape(cb) + "&scope=users.read&state=s&code_challenge=x&code_challenge_method=plain"); err == nil {
		t.Errorf("Authorize took the plain PKCE method")
	}
	loc, _ = url.Parse(to)
	code = loc.Query().Get("code")
	if st, ans := exchange(DefaultOAuth2ClientID, DefaultOAuth2ClientSecret, cb, verifier); st != 200 || ans.RefreshToken != "" {
		t.Fatalf("a grant without offline.access: %d %+v; want no refresh token", st, ans)
	}
}

// TestOAuth2RefreshRotation: each refresh token works once and gives a
// new pair; a spent, unknown or revoked one is refused 400, and an
// expired or revoked access token is 401 on v2, counted by cause.
func TestOAuth2RefreshRotation(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SetOAuth2(OAuth2Config{ExpiresIn: 3 * time.Second})
	access, refresh := e.srv.GrantOAuth2Token()
	st, ans := refreshCall(t, e, refresh)
	if st != 200 || ans.RefreshToken == "" || ans.RefreshToken == refresh || ans.AccessToken == access || ans.ExpiresIn != 3 {
		t.Fatalf("refresh: %d %+v", st, ans)
	}
	if st, ans := refreshCall(t, e, refresh); st != 400 || ans.Error != "invalid_grant" || ans.ErrorDescription != "Value passed for the token was invalid." {
		t.Fatalf("the spent refresh token: %d %+v", st, ans)
	}
	if st, _ := refreshCall(t, e, "nonsense"); st != 400 {
		t.Fatalf("an unknown refresh token: %d", st)
	}
	e.srv.SetOAuth2(OAuth2Config{ExpiresIn: 3 * time.Second, RefusalAsInvalidRequest: true})
	if st, a := refreshCall(t, e, refresh); st != 400 || a.Error != "invalid_request" {
		t.Fatalf("X's style of refusal: %d %+v", st, a)
	}
	if got := bearerMe(t, e, ans.AccessToken); got != 200 {
		t.Fatalf("the new access token: %d", got)
	}
	e.clock.Advance(3 * time.Second)
	if got := bearerMe(t, e, ans.AccessToken); got != 401 {
		t.Fatalf("an expired access token: %d; want 401", got)
	}
	if got := bearerMe(t, e, "made-up"); got != 401 {
		t.Fatalf("an unknown access token: %d; want 401", got)
	}
	st, ans = refreshCall(t, e, ans.RefreshToken)
	if st != 200 {
		t.Fatalf("refresh after expiry: %d", st)
	}
	e.srv.RevokeOAuth2()
	if got := bearerMe(t, e, ans.AccessToken); got != 401 {
		t.Fatalf("a revoked access token: %d; want 401", got)
	}
	if st, _ := refreshCall(t, e, ans.RefreshToken); st != 400 {
		t.Fatalf("a revoked refresh token: %d; want 400", st)
	}
	want := map[string]int{"expired": 1, "unknown": 1, "revoked": 1}
	if got := e.srv.OAuth2Unauthorized(); len(got) != 3 || got["expired"] != 1 || got["unknown"] != 1 || got["revoked"] != 1 {
		t.Errorf("OAuth2Unauthorized = %v, want %v", got, want)
	}
	if n := e.srv.OAuth2BearerCalls(); n != 1 {
		t.Errorf("OAuth2BearerCalls = %d, want 1", n)
	}
	var causes []string
	for _, r := range e.srv.TokenRequests() {
		causes = append(causes, r.Cause)
	}
	if strings.Join(causes, ",") != ",spent,unknown,spent,,revoked" {
		t.Errorf("causes %q", causes)
	}
	// OAuth 1.0a still works beside it, and a v1.1 route takes no bearer.
	if st, _ := e.rawV2(t, http.MethodGet, "users/me", "", ""); st != 200 {
		t.Errorf("OAuth 1.0a on v2: %d", st)
	}
	access, _ = e.srv.GrantOAuth2Token()
	req, _ := http.NewRequest(http.MethodGet, e.base+"account/verify_credentials.json", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("v1.1 with a bearer user token: %v, %v; want 401", resp, err)
	}
}

// TestOAuth2ConcurrentRefreshesSeen: two refreshes of one token in
// flight at once are seen (MaxConcurrentRefreshes), and only one of them
// gets a pair.
func TestOAuth2ConcurrentRefreshesSeen(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SetOAuth2(OAuth2Config{TokenDelay: 100 * time.Millisecond})
	_, refresh := e.srv.GrantOAuth2Token()
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = refreshCall(t, e, refresh)
		}()
	}
	wg.Wait()
	if e.srv.MaxConcurrentRefreshes() != 2 || statuses[0]+statuses[1] != 600 {
		t.Fatalf("max concurrent %d, statuses %v; want 2, one 200 and one 400", e.srv.MaxConcurrentRefreshes(), statuses)
	}
}
