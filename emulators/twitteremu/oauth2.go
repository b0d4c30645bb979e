package twitteremu

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// X's OAuth 2.0 for the bot account's user context (twitter-push.md,
// "OAuth 2.0 user context"): the authorize page (GET /i/oauth2/authorize,
// which here approves at once and redirects), the token endpoint (POST
// /2/oauth2/token: authorization_code with PKCE S256, refresh_token with
// rotation, each refresh token good once), and v2 routes that take
// "Authorization: Bearer <access token>" beside OAuth 1.0a.

// Defaults of OAuth2Config's zero fields.
const (
	DefaultOAuth2ClientID     = "oauth2-client-id"
	DefaultOAuth2ClientSecret = "oauth2-client-secret"
	DefaultOAuth2ExpiresIn    = 2 * time.Hour
	DefaultOAuth2CodeLifetime = 30 * time.Second
)

// Paths of the OAuth 2.0 endpoints, as on X (the authorize page is on
// x.com, the token endpoint on api.x.com; here both are on the emulator).
const (
	oauth2TokenPath     = "/2/oauth2/token"
	oauth2AuthorizePath = "/i/oauth2/authorize"
)

// OAuth2Config configures the emulator's OAuth 2.0 (SetOAuth2). Every
// zero field takes a default.
type OAuth2Config struct {
	// ClientID and ClientSecret are the app's (a confidential client: the
	// token endpoint takes them as HTTP Basic auth only); defaults
	// DefaultOAuth2ClientID and DefaultOAuth2ClientSecret.
	ClientID, ClientSecret string
	// RedirectURI is the app's registered callback, which the authorize
	// page and the code exchange must name exactly; empty takes any.
	RedirectURI string
	// ExpiresIn is how long an access token lives, answered as expires_in
	// in whole seconds (rounded up); default DefaultOAuth2ExpiresIn. Tests
	// use seconds.
	ExpiresIn time.Duration
	// CodeLifetime is how long an authorization code can be exchanged;
	// default DefaultOAuth2CodeLifetime (X's 30 s).
	CodeLifetime time.Duration
	// TokenDelay holds every token request this long (real time) before
	// it is answered, so that a test can see two refreshes in flight at
	// once (MaxConcurrentRefreshes) if a client ever sends them.
	TokenDelay time.Duration
	// RefusalAsInvalidRequest answers a refused code or refresh token 400
	// with error "invalid_request" ("Value passed for the token was
	// invalid."), as X's live API has, instead of the contract's
	// "invalid_grant": a client must take both as a refusal.
	RefusalAsInvalidRequest bool
}

func (c OAuth2Config) withDefaults() OAuth2Config {
	if c.ClientID == "" {
		c.ClientID = DefaultOAuth2ClientID
	}
	if c.ClientSecret == "" {
		c.ClientSecret = DefaultOAuth2ClientSecret
	}
	if c.ExpiresIn <= 0 {
		c.ExpiresIn = DefaultOAuth2ExpiresIn
	}
	if c.CodeLifetime <= 0 {
		c.CodeLifetime = DefaultOAuth2CodeLifetime
	}
	return c
}

// TokenRequest is the record of one call to the token endpoint.
type TokenRequest struct {
	// GrantType is the grant_type sent ("authorization_code",
	// "refresh_token").
	GrantType string
	// Status is the HTTP status answered; Error the OAuth error code
	// ("invalid_grant", "invalid_request", "unauthorized_client"), empty
	// on success; Cause why it was refused: "client" (Basic auth),
	// "spent" (a refresh token used before), "revoked", "unknown",
	// "code" (unknown, used or expired code), "redirect_uri", "verifier",
	// "grant_type".
	Status int
	Error  string
	Cause  string
	// RefreshToken is the refresh token presented (refresh_token grant);
	// IssuedAccess and IssuedRefresh the pair answered, if any.
	RefreshToken  string
	IssuedAccess  string
	IssuedRefresh string
	// Start and End are when it arrived and was answered (real time,
	// TokenDelay included).
	Start, End time.Time
}

// Refused reports a token request answered with a refusal of what it
// presented (a code or refresh token), not of the client.
func (r TokenRequest) Refused() bool {
	return r.Status == http.StatusBadRequest && (r.Error == "invalid_grant" || r.Error == "invalid_request")
}

// oauth2State is the emulator's OAuth 2.0 side, guarded by Server.mu.
type oauth2State struct {
	cfg          OAuth2Config // with defaults once init ran
	ready        bool
	codes        map[string]*oauth2Code
	access       map[string]*oauth2Grant
	refresh      map[string]*oauth2Grant
	requests     []TokenRequest
	unauthorized map[string]int
	bearerCalls  int
	inflight     int
	maxInflight  int
}

type oauth2Code struct {
	redirectURI, challenge, scope string
	expires                       time.Time
	used                          bool
}

// oauth2Grant is an access or a refresh token.
type oauth2Grant struct {
	scope   string
	expires time.Time // access tokens
	spent   bool      // refresh tokens: used once already
	revoked bool
}

// o2 returns the OAuth 2.0 state, set up with defaults on first use. The
// caller holds s.mu.
func (s *Server) o2() *oauth2State {
	o := &s.oauth2
	if !o.ready {
		o.cfg = o.cfg.withDefaults()
		o.codes = map[string]*oauth2Code{}
		o.access = map[string]*oauth2Grant{}
		o.refresh = map[string]*oauth2Grant{}
		o.unauthorized = map[string]int{}
		o.ready = true
	}
	return o
}

// SetOAuth2 configures OAuth 2.0; tokens and codes issued so far stay
// valid. It cannot fail.
func (s *Server) SetOAuth2(c OAuth2Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o2().cfg = c.withDefaults()
}

// OAuth2TokenURL is the token endpoint's address, "" before Start.
func (s *Server) OAuth2TokenURL() string { return s.rootURL(oauth2TokenPath) }

// OAuth2AuthorizeURL is the authorize page's address, "" before Start.
func (s *Server) OAuth2AuthorizeURL() string { return s.rootURL(oauth2AuthorizePath) }

func (s *Server) rootURL(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseURL == "" {
		return ""
	}
	return strings.TrimSuffix(s.baseURL, apiPrefix) + path
}

// Authorize plays the bot account's owner approving the app on the
// authorize page at authorizeURL (as x-login prints it): it checks the
// request as X does and returns the address X redirects the browser to,
// redirect_uri with code and state. GET /i/oauth2/authorize does the
// same over HTTP, answering 302.
func (s *Server) Authorize(authorizeURL string) (string, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "", err
	}
	return s.authorize(u.Query())
}

func (s *Server) authorize(q url.Values) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.o2()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("response_type") != "code":
		return "", fmt.Errorf("response_type %q, want code", q.Get("response_type"))
	case q.Get("client_id") != o.cfg.ClientID:
		return "", fmt.Errorf("unknown client_id %q", q.Get("client_id"))
	case err != nil || !redirect.IsAbs():
		return "", fmt.Errorf("redirect_uri %q is no absolute address", q.Get("redirect_uri"))
	case o.cfg.RedirectURI != "" && q.Get("redirect_uri") != o.cfg.RedirectURI:
		return "", fmt.Errorf("redirect_uri %q is not the app's callback", q.Get("redirect_uri"))
	case q.Get("state") == "":
		return "", fmt.Errorf("no state")
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		return "", fmt.Errorf("PKCE S256 required: code_challenge_method %q", q.Get("code_challenge_method"))
	case q.Get("scope") == "":
		return "", fmt.Errorf("no scope")
	}
	code := newSecret("code")
	o.codes[code] = &oauth2Code{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
		scope: q.Get("scope"), expires: s.now().Add(o.cfg.CodeLifetime)}
	rq := redirect.Query()
	rq.Set("state", q.Get("state"))
	rq.Set("code", code)
	redirect.RawQuery = rq.Encode()
	return redirect.String(), nil
}

// GrantOAuth2Token issues a pair as if x-login had exchanged a code with
// every scope, for tests that start from a stored token. It cannot fail.
func (s *Server) GrantOAuth2Token() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.o2()
	access, refresh, _ = s.issue(o, "tweet.read tweet.write users.read dm.read dm.write offline.access")
	return access, refresh
}

// RevokeOAuth2 plays the account's owner revoking the app: every access
// and refresh token issued so far stops working (a v2 call with one gets
// 401, a refresh 400). A new authorization works again. It cannot fail.
func (s *Server) RevokeOAuth2() {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.o2()
	for _, g := range o.access {
		g.revoked = true
	}
	for _, g := range o.refresh {
		g.revoked = true
	}
}

// TokenRequests returns every call to the token endpoint so far, in the
// order answered.
func (s *Server) TokenRequests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.o2().requests)
}

// OAuth2Unauthorized counts the v2 calls answered 401 for their bearer
// user token, by cause: "expired", "revoked" or "unknown".
func (s *Server) OAuth2Unauthorized() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.o2().unauthorized {
		out[k] = v
	}
	return out
}

// OAuth2BearerCalls counts the v2 calls authenticated with a valid
// bearer user token.
func (s *Server) OAuth2BearerCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.o2().bearerCalls
}

// MaxConcurrentRefreshes is the most refresh_token requests the token
// endpoint ever held at once (see OAuth2Config.TokenDelay): 1 for a
// client that never refreshes twice at the same time.
func (s *Server) MaxConcurrentRefreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.o2().maxInflight
}

// serveOAuth2 answers the OAuth 2.0 endpoints and reports whether r was
// one of them.
func (s *Server) serveOAuth2(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case oauth2TokenPath:
		s.serveToken(w, r)
	case oauth2AuthorizePath:
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return true
		}
		to, err := s.authorize(r.URL.Query())
		if err != nil {
			http.Error(w, "Something went wrong: "+err.Error(), http.StatusBadRequest)
			return true
		}
		http.Redirect(w, r, to, http.StatusFound)
	default:
		return false
	}
	return true
}

// tokenAnswer is the token endpoint's JSON, success or error.
type tokenAnswer struct {
	TokenType        string `json:"token_type,omitempty"`
	ExpiresIn        int64  `json:"expires_in,omitempty"`
	AccessToken      string `json:"access_token,omitempty"`
	Scope            string `json:"scope,omitempty"`
	RefreshToken     string `json:"refresh_token,omitempty"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	form, _ := url.ParseQuery(string(body))
	grant := form.Get("grant_type")
	s.mu.Lock()
	o := s.o2()
	delay := o.cfg.TokenDelay
	if grant == "refresh_token" {
		o.inflight++
		o.maxInflight = max(o.maxInflight, o.inflight)
	}
	s.mu.Unlock()
	if delay > 0 {
		s.sleep(r.Context(), delay)
	}

	s.mu.Lock()
	o = s.o2()
	if grant == "refresh_token" {
		o.inflight--
	}
	rec := TokenRequest{GrantType: grant, RefreshToken: form.Get("refresh_token"), Start: start}
	status, ans := s.token(o, r, form, &rec)
	rec.Status, rec.Error, rec.IssuedAccess, rec.IssuedRefresh, rec.End = status, ans.Error, ans.AccessToken, ans.RefreshToken, time.Now()
	o.requests = append(o.requests, rec)
	s.mu.Unlock()

	b, _ := json.Marshal(ans)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// token answers one token request. The caller holds s.mu.
func (s *Server) token(o *oauth2State, r *http.Request, form url.Values, rec *TokenRequest) (int, tokenAnswer) {
	refused := func(cause, what string) (int, tokenAnswer) {
		rec.Cause = cause
		code := "invalid_grant"
		if o.cfg.RefusalAsInvalidRequest {
			code = "invalid_request"
		}
		return http.StatusBadRequest, tokenAnswer{Error: code, ErrorDescription: "Value passed for the " + what + " was invalid."}
	}
	if r.Method != http.MethodPost || !isForm(r) {
		rec.Cause = "request"
		return http.StatusBadRequest, tokenAnswer{Error: "invalid_request", ErrorDescription: "Missing required parameter [grant_type]."}
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		// golang.org/x/oauth2 form-escapes both, as RFC 6749 2.3.1 says.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(o.cfg.ClientID)) != 1 || subtle.ConstantTimeCompare([]byte(secret), []byte(o.cfg.ClientSecret)) != 1 {
		rec.Cause = "client"
		return http.StatusUnauthorized, tokenAnswer{Error: "unauthorized_client", ErrorDescription: "Missing valid authorization header"}
	}
	now := s.now()
	switch form.Get("grant_type") {
	case "authorization_code":
		c := o.codes[form.Get("code")]
		if c == nil || c.used || !now.Before(c.expires) {
			return refused("code", "authorization code")
		}
		c.used = true // single use, whatever follows
		if form.Get("redirect_uri") != c.redirectURI {
			return refused("redirect_uri", "authorization code")
		}
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		if form.Get("code_verifier") == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			return refused("verifier", "authorization code")
		}
		return s.answerIssued(o, c.scope)
	case "refresh_token":
		g := o.refresh[form.Get("refresh_token")]
		switch {
		case g == nil:
			return refused("unknown", "token")
		case g.revoked:
			return refused("revoked", "token")
		case g.spent:
			return refused("spent", "token")
		}
		g.spent = true
		return s.answerIssued(o, g.scope)
	default:
		rec.Cause = "grant_type"
		return http.StatusBadRequest, tokenAnswer{Error: "invalid_request", ErrorDescription: "Value passed for the grant type was invalid."}
	}
}

func (s *Server) answerIssued(o *oauth2State, scope string) (int, tokenAnswer) {
	access, refresh, expiresIn := s.issue(o, scope)
	return http.StatusOK, tokenAnswer{TokenType: "bearer", ExpiresIn: expiresIn, AccessToken: access, Scope: scope, RefreshToken: refresh}
}

// issue makes a new access token, and a refresh token when scope has
// offline.access, returning expires_in. The caller holds s.mu.
func (s *Server) issue(o *oauth2State, scope string) (access, refresh string, expiresIn int64) {
	expiresIn = int64((o.cfg.ExpiresIn + time.Second - 1) / time.Second)
	access = newSecret("at")
	o.access[access] = &oauth2Grant{scope: scope, expires: s.now().Add(time.Duration(expiresIn) * time.Second)}
	if slices.Contains(strings.Fields(scope), "offline.access") {
		refresh = newSecret("rt")
		o.refresh[refresh] = &oauth2Grant{scope: scope}
	}
	return access, refresh, expiresIn
}

// newSecret returns a random token, kind-prefixed so that a test can
// tell which kind leaked.
func newSecret(kind string) string {
	b := make([]byte, 24)
	rand.Read(b)
	return "emu" + kind + hex.EncodeToString(b)
}

// verifyOAuth2Bearer authenticates a v2 call made with the bot account's
// OAuth 2.0 user token, counting the refusals by cause. The caller holds
// s.mu.
func (s *Server) verifyOAuth2Bearer(c *call) bool {
	h := c.r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	o := s.o2()
	g := o.access[strings.TrimSpace(h[len(prefix):])]
	switch {
	case g == nil:
		o.unauthorized["unknown"]++
	case g.revoked:
		o.unauthorized["revoked"]++
	case !c.now.Before(g.expires):
		o.unauthorized["expired"]++
	default:
		o.bearerCalls++
		return true
	}
	return false
}
