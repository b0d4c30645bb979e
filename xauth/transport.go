package xauth

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Transport sends each request with the bot account's OAuth 2.0 user
// token ("Authorization: Bearer"), in place of whatever Authorization
// the request carries. When the Source has no token to give (none yet,
// refused, a refresh failing), it sends the request as it is: put it
// beneath an OAuth 1.0a signing transport (twitterv2.Config.HTTPClient's
// Transport is) and every call goes on with OAuth 1.0a, nothing stops.
//
// A 401 for an access token that had not expired (a revoked
// authorization, or a token another process replaced) is told to the
// Source, which refreshes or records the refusal (ErrRefused, ALERT
// alert=oauth2_refused); the request is then sent once more, with the
// new token or, when refused, as it came (OAuth 1.0a), if its body can
// be sent again. A 401 is never a sign that the request did anything.
// When X refuses the fresh token too, the token is not why: 401s for it
// in the next minute are returned as they come, with no refresh token
// spent.
type Transport struct {
	Source *Source
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// freshRefused is an access token that X refused right after a
	// refresh made for a 401: the token was not why, and a 401 for it
	// spends no refresh token more for freshRefusedFor (after that, one
	// more try: a revocation since is still found within a minute).
	freshRefused atomic.Pointer[refusedToken]
}

// NewTransport returns a Transport of src over base (nil:
// http.DefaultTransport).
func NewTransport(src *Source, base http.RoundTripper) *Transport {
	return &Transport{Source: src, Base: base}
}

// Client returns an *http.Client whose requests carry the OAuth 2.0 user
// token (see Transport), with the given timeout (0: none).
func (s *Source) Client(base http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{Transport: NewTransport(s, base), Timeout: timeout}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.Source.TokenContext(req.Context())
	if err != nil {
		if req.Header.Get("Authorization") != "" {
			return t.base().RoundTrip(req) // OAuth 1.0a
		}
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.base().RoundTrip(withBearer(req, tok.AccessToken))
	if err != nil || !t.rejects(resp, tok) {
		return resp, err
	}
	return t.again(req, resp, tok)
}

// rejects reports whether resp is X refusing tok as such: a 401 for a
// token that had not expired, and not one X refused right after it was
// refreshed (then the token was not why).
func (t *Transport) rejects(resp *http.Response, tok *oauth2.Token) bool {
	if resp.StatusCode != http.StatusUnauthorized || !tok.Expiry.IsZero() && !tok.Expiry.After(t.Source.now()) {
		return false
	}
	p := t.freshRefused.Load()
	return p == nil || p.access != tok.AccessToken || !t.Source.now().Before(p.until)
}

// refusedToken is an access token X refused fresh, and until when a 401
// for it is not taken for the token's.
type refusedToken struct {
	access string
	until  time.Time
}

// freshRefusedFor is how long a token X refused fresh spends no refresh.
const freshRefusedFor = time.Minute

// again tells the Source that X refused tok, and sends req once more,
// with the token it gives or, when it has none, as it came (OAuth
// 1.0a); resp, the refusal, is returned when req cannot be sent again.
func (t *Transport) again(req *http.Request, resp *http.Response, tok *oauth2.Token) (*http.Response, error) {
	ctx := req.Context()
	nt, rerr := t.Source.Rejected(ctx, tok.AccessToken)
	var again *http.Request
	switch {
	case rerr == nil && nt.AccessToken != tok.AccessToken:
		again = withBearer(req, nt.AccessToken)
	case rerr != nil && req.Header.Get("Authorization") != "":
		again = req.Clone(ctx)
	default:
		return resp, nil
	}
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return resp, nil // cannot send the body twice
		}
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		again.Body = body
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	resp, err := t.base().RoundTrip(again)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && rerr == nil {
		t.freshRefused.Store(&refusedToken{access: nt.AccessToken, until: t.Source.now().Add(freshRefusedFor)})
	}
	return resp, err
}

// withBearer is a copy of req carrying access as its Authorization.
func withBearer(req *http.Request, access string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+access)
	return r
}
