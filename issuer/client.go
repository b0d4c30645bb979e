package issuer

import (
	"bytes"
	"context"
	"crypto/rand"
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

// maxAnswerBytes bounds what the client reads of an answer; a valid one is
// far smaller, and a huge one is treated as undecodable.
const maxAnswerBytes = 4 << 20

// maxRetryAfterSeconds caps Retry-After at a day.
const maxRetryAfterSeconds = 24 * 60 * 60

// Client calls the issuer API. Its fields may be set after New, before
// first use; a Client is then safe for concurrent use.
//
// Each method sends one request and never retries by itself. One exception
// belongs to net/http: when a kept-alive connection turns out to be dead
// before any answer, its Transport resends a request that carries an
// Idempotency-Key once, on a new connection. That is safe for the same
// reason a retry by the caller is: the key is the same.
type Client struct {
	// BaseURL is the API's base, such as "https://issuer.example/"; paths
	// such as "v1/purchases" are resolved against it.
	BaseURL string
	// APIKey is sent as a bearer token and never logged.
	APIKey string
	// HTTPClient sends the requests; http.DefaultClient if nil.
	HTTPClient *http.Client
	// Timeout bounds each request, answer body included; none if zero.
	Timeout time.Duration
	// Logger gets one record per request, with its request_id; nothing is
	// logged if nil.
	Logger *slog.Logger
}

// New returns a Client with its own connection pool, which does not follow
// redirects (a redirected POST would silently become a GET).
func New(baseURL, apiKey string, timeout time.Duration) *Client {
	var transport http.RoundTripper
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = t.Clone()
	}
	return &Client{
		BaseURL: baseURL,
		APIKey:  apiKey,
		HTTPClient: &http.Client{
			Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		Timeout: timeout,
	}
}

// call is one request to make.
type call struct {
	method  string
	path    string // relative to BaseURL, segments already escaped
	query   url.Values
	idemKey string // sent on POSTs
	body    any    // JSON-encoded when not nil
}

// decoder decodes and checks a 2xx answer body; status is the answer's.
type decoder interface {
	decode(status int, raw []byte) error
}

// do makes one request and decodes a 2xx answer into out. Every failure is
// an *Error.
func (c *Client) do(ctx context.Context, cl call, out decoder) error {
	op := cl.method + " /" + cl.path
	requestID := "req_" + rand.Text()
	log := c.logger().With("op", op, "request_id", requestID)
	if cl.idemKey != "" {
		log = log.With("idempotency_key", cl.idemKey)
	}
	start := time.Now()
	ans, e := c.roundTrip(ctx, cl, requestID, out)
	if e == nil {
		log.Info("issuer request", "status", ans.status, "replayed", ans.replayed, "duration", time.Since(start))
		return nil
	}
	e.Op = op
	if e.RequestID == "" {
		e.RequestID = requestID
	}
	level := slog.LevelWarn
	if Outcome(e) == Final {
		level = slog.LevelInfo // a decline or a not-enrolled is business as usual
	}
	attrs := []any{"status", e.Status, "code", e.Code, "kind", Outcome(e).String(), "duration", time.Since(start), "error", e.Error()}
	if e.RequestID != requestID {
		attrs = append(attrs, "answer_request_id", e.RequestID)
	}
	log.Log(ctx, level, "issuer request failed", attrs...)
	return e
}

// answered is what the log says about a successful request.
type answered struct {
	status   int
	replayed bool // the issuer replayed a stored idempotent answer
}

// roundTrip sends the request and reads the answer; the *Error is nil on a
// decoded 2xx.
func (c *Client) roundTrip(ctx context.Context, cl call, requestID string, out decoder) (answered, *Error) {
	target, err := c.endpoint(cl.path, cl.query)
	if err != nil {
		return answered{}, &Error{Code: CodeInvalidArgument, Message: "bad base URL", Err: err}
	}
	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return answered{}, &Error{Code: CodeInvalidArgument, Message: "encode request", Err: err}
		}
		body = bytes.NewReader(b)
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return answered{}, &Error{Code: CodeInvalidArgument, Message: "build request", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Request-Id", requestID)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.idemKey != "" {
		req.Header.Set("Idempotency-Key", cl.idemKey)
	}

	resp, err := c.httpClient().Do(req)
	if err != nil {
		return answered{}, &Error{Err: stripURL(err)}
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if readErr == nil && len(raw) > maxAnswerBytes {
		readErr = errors.New("answer body too large")
	}
	e := &Error{
		Status:     resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-Id"),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fillFromErrorBody(e, raw, readErr)
		return answered{}, e
	}
	if readErr != nil {
		e.Code, e.Message, e.Err = CodeInvalidResponse, "reading the answer failed", readErr
		return answered{}, e
	}
	if err := out.decode(resp.StatusCode, raw); err != nil {
		e.Code, e.Message, e.Err = CodeInvalidResponse, "undecodable answer", err
		return answered{}, e
	}
	return answered{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}, nil
}

// fillFromErrorBody copies the contract's error body into e. A body that is
// not one (a proxy's HTML page, a truncated read) leaves Code empty and says
// why in Err; Outcome then goes by the status alone.
func fillFromErrorBody(e *Error, raw []byte, readErr error) {
	var env errorEnvelope
	if readErr != nil {
		e.Err = fmt.Errorf("read error answer: %w", readErr)
		return
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Error == nil {
		e.Message = "answer without the contract's error body"
		if err == nil {
			err = errors.New(`no "error" object`)
		}
		e.Err = err
		return
	}
	eb := env.Error
	e.Type, e.Code, e.DeclineCode, e.Param, e.Message = eb.Type, eb.Code, eb.DeclineCode, eb.Param, eb.Message
	pj := eb.Purchase
	if pj == nil {
		pj = env.Purchase
	}
	if pj != nil {
		p, err := pj.purchase()
		if err != nil {
			e.Err = fmt.Errorf("purchase in error answer: %w", err)
			return
		}
		e.Purchase = &p
	}
}

// endpoint resolves a relative path against BaseURL, which may lack its
// trailing slash.
func (c *Client) endpoint(path string, query url.Values) (string, error) {
	if c.BaseURL == "" {
		return "", errors.New("no base URL")
	}
	base, err := url.Parse(c.BaseURL)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		base.RawPath = ""
	}
	rel, err := url.Parse(path)
	if err != nil {
		return "", err
	}
	rel.RawQuery = query.Encode()
	return base.ResolveReference(rel).String(), nil
}

// stripURL drops the *url.Error wrapper, whose message repeats the whole
// URL, keeping the cause (and errors.Is through it).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseRetryAfter reads Retry-After as seconds (what the contract sends) or
// as an HTTP date; 0 if absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		// Cap before multiplying, so that an absurd value cannot overflow
		// into a negative wait.
		return time.Duration(min(secs, maxRetryAfterSeconds)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}
