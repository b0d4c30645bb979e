package twitterv2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dghubble/oauth1"
)

// Endpoint names, the keys of the rate-limit tracker and APIError.Endpoint.
const (
	EndpointMe         = "GET users/me"
	EndpointUser       = "GET users/:id"
	EndpointMentions   = "GET users/:id/mentions"
	EndpointUserTweets = "GET users/:id/tweets"
	EndpointPostTweet  = "POST tweets"
	EndpointDMEvents   = "GET dm_events"
	EndpointSendDM     = "POST dm_conversations/with/:participant_id/messages"
)

// defaultTimeout bounds a call when Config.HTTPClient sets none.
const defaultTimeout = 30 * time.Second

// maxBody bounds an answer's body; a page of 100 Tweets is far smaller.
const maxBody = 8 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is the v2 base, such as "https://api.x.com/2/"; a missing
	// trailing "/" is added.
	BaseURL string
	// The bot account's OAuth 1.0a credentials; all four are required.
	ConsumerKey, ConsumerSecret, AccessToken, AccessSecret string
	// HTTPClient optionally gives the transport and timeout; requests are
	// signed on top of its transport. Default: http.DefaultTransport and a
	// 30-second timeout.
	HTTPClient *http.Client
	// Logger receives warnings about skipped entries and partial errors;
	// default discards them.
	Logger *slog.Logger
	// Clock tells Spent the time; default time.Now.
	Clock func() time.Time
}

// Client is an X API v2 client. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	http  *http.Client
	log   *slog.Logger
	clock func() time.Time
	rates rateTracker
	// postFields: the posts' field list goes as post.fields, since the
	// API refused tweet.fields (see Client.timeline).
	postFields atomic.Bool
}

// OAuth1Client returns a client that signs every request with the bot
// account's OAuth 1.0a credentials (HMAC-SHA1): New's, and push's where
// the account has no OAuth 2.0 user token. base optionally gives the
// transport and timeout (default http.DefaultTransport, 30 s).
func OAuth1Client(consumerKey, consumerSecret, accessToken, accessSecret string, base *http.Client) *http.Client {
	inner := &http.Client{}
	timeout := defaultTimeout
	if base != nil {
		inner.Transport = base.Transport
		if base.Timeout > 0 {
			timeout = base.Timeout
		}
	}
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, inner)
	hc := oauth1.NewConfig(consumerKey, consumerSecret).Client(ctx, oauth1.NewToken(accessToken, accessSecret))
	hc.Timeout = timeout
	return hc
}

// New returns a client for cfg, or an error when the base URL is not an
// absolute http(s) URL or a credential is missing.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("twitterv2: base URL must be an absolute http(s) URL, such as https://api.x.com/2/")
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	if cfg.ConsumerKey == "" || cfg.ConsumerSecret == "" || cfg.AccessToken == "" || cfg.AccessSecret == "" {
		return nil, errors.New("twitterv2: the four OAuth 1.0a credentials are required")
	}
	hc := OAuth1Client(cfg.ConsumerKey, cfg.ConsumerSecret, cfg.AccessToken, cfg.AccessSecret, cfg.HTTPClient)
	c := &Client{base: base, http: hc, log: cfg.Logger, clock: cfg.Clock}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	return c, nil
}

// do sends one request and decodes a 2xx body into out. path is relative
// to the base URL; body, when not nil, is sent as JSON. It returns an
// *APIError, *TransportError or *MalformedError.
func (c *Client) do(ctx context.Context, endpoint, method, path string, query url.Values, body, out any) error {
	u := c.base.JoinPath(path)
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return &TransportError{Endpoint: endpoint, Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return &TransportError{Endpoint: endpoint, Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return &TransportError{Endpoint: endpoint, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &TransportError{Endpoint: endpoint, Err: err}
	}
	rl, hasRL := parseRateLimit(resp.Header)
	if hasRL {
		c.rates.update(endpoint, rl)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(endpoint, resp.StatusCode, raw, rl)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &MalformedError{Endpoint: endpoint, Status: resp.StatusCode, Err: err}
	}
	return nil
}

// problemBody is an error answer's body; every field is optional.
type problemBody struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Detail string            `json:"detail"`
	Errors []json.RawMessage `json:"errors"`
}

func newAPIError(endpoint string, status int, raw []byte, rl RateLimit) *APIError {
	e := &APIError{Endpoint: endpoint, Status: status, RateLimit: rl}
	e.Body = string(raw[:min(len(raw), maxErrorBody)])
	var pb problemBody
	// A body that is not a problem (an HTML page from a proxy, nothing at
	// all) leaves only the status to classify by.
	if json.Unmarshal(raw, &pb) == nil {
		e.Type, e.Title, e.Detail = pb.Type, pb.Title, pb.Detail
		e.Errors, _ = decodeProblems(pb.Errors)
	}
	return e
}

// decodeProblems decodes an errors array entry by entry, leaving out (and
// counting) entries that are not problem objects.
func decodeProblems(raws []json.RawMessage) ([]Problem, int) {
	var out []Problem
	bad := 0
	for _, r := range raws {
		var p Problem
		if err := json.Unmarshal(r, &p); err != nil {
			bad++
			continue
		}
		out = append(out, p)
	}
	return out, bad
}

// logPartial logs the errors a 200 carried beside its data.
func (c *Client) logPartial(endpoint string, raws []json.RawMessage) []Problem {
	if len(raws) == 0 {
		return nil
	}
	ps, bad := decodeProblems(raws)
	first := ""
	if len(ps) > 0 {
		first = firstNonEmpty(ps[0].Detail, ps[0].Message, ps[0].Title)
	}
	c.log.Warn("answer carried partial errors; tolerated", "endpoint", endpoint,
		"errors", len(raws), "undecodable", bad, "first", first)
	return ps
}
