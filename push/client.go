package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Endpoint names, as errors name them.
const (
	EndpointListSubscriptions  = "GET activity/subscriptions"
	EndpointCreateSubscription = "POST activity/subscriptions"
	EndpointDeleteSubscription = "DELETE activity/subscriptions/:id"
	EndpointStream             = "GET activity/stream"
	EndpointListWebhooks       = "GET webhooks"
	EndpointCreateWebhook      = "POST webhooks"
	EndpointValidateWebhook    = "PUT webhooks/:id"
	EndpointReplay             = "POST webhooks/replay"
)

// defaultTimeout bounds a call (not the stream) when Config.HTTPClient
// sets none.
const defaultTimeout = 30 * time.Second

// maxAnswer bounds the body of an answer read whole.
const maxAnswer = 4 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is the v2 base, such as "https://api.x.com/2/"; a missing
	// trailing "/" is added.
	BaseURL string
	// BearerToken is the app's bearer token (app-only): the stream, the
	// subscription list and the webhook calls take it. Required.
	BearerToken string
	// UserClient sends the requests made in the bot account's name
	// (creating a subscription), signing them itself: OAuth 2.0 with the
	// account's user token, or OAuth 1.0a (twitterv2.OAuth1Client). Ensure needs
	// it; nothing else does.
	UserClient *http.Client
	// HTTPClient optionally gives the transport of the bearer calls and
	// their timeout (default 30 s); the stream takes the transport
	// without the timeout. Default: a transport of its own.
	HTTPClient *http.Client
	// ConsumerSecret is the app's consumer secret, only for redacting it
	// from errors should an answer ever echo it; the webhook handler
	// takes its own copy.
	ConsumerSecret string
	// Logger receives warnings; default discards them.
	Logger *slog.Logger
	// Now tells the time (replay dates, backfill minutes); default
	// time.Now.
	Now func() time.Time
}

// String leaves the tokens out.
func (c Config) String() string {
	return fmt.Sprintf("push.Config{BaseURL: %q, BearerToken: %s, ConsumerSecret: %s, UserClient: %t}",
		c.BaseURL, hidden(c.BearerToken), hidden(c.ConsumerSecret), c.UserClient != nil)
}

// GoString leaves the tokens out.
func (c Config) GoString() string { return c.String() }

// LogValue leaves the tokens out of logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func hidden(s string) string {
	if s == "" {
		return "(none)"
	}
	return "[redacted]"
}

// Client calls X's Activity API and webhook endpoints. It is safe for
// concurrent use.
type Client struct {
	base    *url.URL
	bearer  string
	secret  string
	user    *http.Client
	http    *http.Client // bearer calls
	stream  *http.Client // the stream: no timeout
	ownTr   *http.Transport
	log     *slog.Logger
	now     func() time.Time
	timeout time.Duration
}

// New returns a Client for cfg, or an error when the base URL is not an
// absolute http(s) URL or the bearer token is missing. The error never
// holds a token.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("push: base URL must be an absolute http(s) URL, such as https://api.x.com/2/")
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	if cfg.BearerToken == "" {
		return nil, errors.New("push: the app's bearer token is required")
	}
	c := &Client{base: base, bearer: cfg.BearerToken, secret: cfg.ConsumerSecret, user: cfg.UserClient,
		log: cfg.Logger, now: cfg.Now, timeout: defaultTimeout}
	var tr http.RoundTripper
	if cfg.HTTPClient != nil {
		tr = cfg.HTTPClient.Transport
		if cfg.HTTPClient.Timeout > 0 {
			c.timeout = cfg.HTTPClient.Timeout
		}
	}
	if tr == nil {
		c.ownTr = http.DefaultTransport.(*http.Transport).Clone()
		tr = c.ownTr
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &http.Client{Transport: tr, Timeout: c.timeout, CheckRedirect: noRedirect}
	c.stream = &http.Client{Transport: tr, CheckRedirect: noRedirect}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// String leaves the tokens out.
func (c *Client) String() string { return "push.Client{" + c.base.String() + "}" }

// GoString leaves the tokens out.
func (c *Client) GoString() string { return c.String() }

// LogValue leaves the tokens out of logs.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Close closes the idle connections of the transport the Client made for
// itself (none when Config.HTTPClient gave one).
func (c *Client) Close() {
	if c.ownTr != nil {
		c.ownTr.CloseIdleConnections()
	}
}

// APIError is an answer other than 2xx (but a refusal, *RefusedError).
type APIError struct {
	Endpoint string
	Status   int
	// Reason is what X said: its problem's detail, title or reason.
	Reason string
	// RetryAt is when X said to try again (x-rate-limit-reset,
	// retry-after), zero when it did not.
	RetryAt time.Time
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("push: %s: HTTP %d", e.Endpoint, e.Status)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// ErrRefused is what a refusal by X (401, 403) is: the app or the
// account may not use the Activity API, or its token is not accepted.
// The daemon logs ALERT alert=push_unavailable with the *RefusedError's
// Reason and goes on polling at full pace.
var ErrRefused = errors.New("push: refused by X")

// RefusedError is a 401 or 403; errors.Is(err, ErrRefused) reports it.
type RefusedError struct {
	Endpoint string
	Status   int
	// Reason is X's reason: its problem's reason ("client-not-enrolled"),
	// detail and title.
	Reason string
}

func (e *RefusedError) Error() string {
	s := fmt.Sprintf("push: %s: refused by X (HTTP %d)", e.Endpoint, e.Status)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// MalformedAnswerError is a 2xx answer whose body is not what the
// contract says.
type MalformedAnswerError struct {
	Endpoint string
	Status   int
	Err      error
}

func (e *MalformedAnswerError) Error() string {
	return fmt.Sprintf("push: %s: malformed answer (HTTP %d): %v", e.Endpoint, e.Status, e.Err)
}

func (e *MalformedAnswerError) Unwrap() error { return e.Err }

// problem is the fields of an error answer the client reads.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
	Errors []struct {
		Message string `json:"message"`
		Detail  string `json:"detail"`
		Title   string `json:"title"`
	} `json:"errors"`
}

// maxReason bounds an error's Reason.
const maxReason = 300

// reason is what an error answer says, in a line, tokens redacted.
func (c *Client) reason(status int, raw []byte) string {
	var p problem
	var parts []string
	if json.Unmarshal(raw, &p) == nil {
		if p.Reason != "" {
			parts = append(parts, p.Reason)
		}
		if p.Detail != "" {
			parts = append(parts, p.Detail)
		} else if p.Title != "" {
			parts = append(parts, p.Title)
		}
		if len(parts) == 0 && len(p.Errors) > 0 {
			e := p.Errors[0]
			parts = append(parts, firstNonEmpty(e.Detail, e.Message, e.Title))
		}
	}
	s := strings.Join(parts, ": ")
	if s == "" {
		s = http.StatusText(status)
	}
	if len(s) > maxReason {
		s = s[:maxReason] + "…"
	}
	return c.redact(s)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// redact takes the tokens out of s.
func (c *Client) redact(s string) string {
	for _, secret := range []string{c.bearer, url.QueryEscape(c.bearer), c.secret} {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// redactErr keeps err's chain but redacts its text, for a transport
// error (whose text names the URL, never a header).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (c *Client) transportErr(endpoint string, err error) error {
	return &redactedError{msg: c.redact(fmt.Sprintf("push: %s: %v", endpoint, err)), err: err}
}

// retryAt reads when X says to try again: after a 429 (rateLimited)
// whose window is spent, x-rate-limit-reset (Unix seconds); after any
// answer, retry-after (seconds); zero when neither. X sends
// x-rate-limit-reset with every answer: it is the window's end, a wait
// only when the window is spent (x-rate-limit-remaining 0, or not said);
// a 429 with budget left (the stream's TooManyConnections) waits the
// backoff only.
func retryAt(h http.Header, now time.Time, rateLimited bool) time.Time {
	var at time.Time
	spent := h.Get("x-rate-limit-remaining") == "" || h.Get("x-rate-limit-remaining") == "0"
	if s := h.Get("x-rate-limit-reset"); s != "" && rateLimited && spent {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			at = time.Unix(n, 0)
		}
	}
	if s := h.Get("retry-after"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			if t := now.Add(time.Duration(n) * time.Second); t.After(at) {
				at = t
			}
		}
	}
	return at
}

// statusError is the error of a non-2xx answer.
func (c *Client) statusError(endpoint string, resp *http.Response, raw []byte) error {
	reason := c.reason(resp.StatusCode, raw)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return &RefusedError{Endpoint: endpoint, Status: resp.StatusCode, Reason: reason}
	}
	return &APIError{Endpoint: endpoint, Status: resp.StatusCode, Reason: reason, RetryAt: retryAt(resp.Header, c.now(), resp.StatusCode == http.StatusTooManyRequests)}
}

// call is one request: path relative to the base URL, body (when not
// nil) sent as JSON, with the bearer token, or through the user client
// when user is set. A 2xx body is decoded into out (when not nil); ok
// lists the other statuses answered without an error, and the status is
// returned.
func (c *Client) call(ctx context.Context, endpoint, method, path string, query url.Values, body any, user bool, out any, ok ...int) (int, error) {
	req, err := c.newRequest(ctx, endpoint, method, path, query, body)
	if err != nil {
		return 0, err
	}
	hc := c.http
	if user {
		if c.user == nil {
			return 0, fmt.Errorf("push: %s: no user context (Config.UserClient) to call it in the bot account's name", endpoint)
		}
		hc = c.user
	} else {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, c.transportErr(endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, c.transportErr(endpoint, err)
	}
	return c.answer(endpoint, resp, raw, out, ok)
}

// newRequest builds call's request, without its credentials: the URL,
// the JSON body (when not nil) and the content headers.
func (c *Client) newRequest(ctx context.Context, endpoint, method, path string, query url.Values, body any) (*http.Request, error) {
	u := c.base.JoinPath(path)
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("push: %s: %w", endpoint, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, c.transportErr(endpoint, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// answer turns call's answer, its body read as raw, into the status and
// error: a status in ok is no error, another non-2xx is, a 2xx is decoded
// into out (when not nil).
func (c *Client) answer(endpoint string, resp *http.Response, raw []byte, out any, ok []int) (int, error) {
	for _, s := range ok {
		if resp.StatusCode == s {
			return s, nil
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, c.statusError(endpoint, resp, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, &MalformedAnswerError{Endpoint: endpoint, Status: resp.StatusCode, Err: err}
		}
	}
	return resp.StatusCode, nil
}
