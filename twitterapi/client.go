// Package twitterapi is the bot's way to Twitter: the dghubble/go-twitter
// client, signed with OAuth 1.0a by dghubble/oauth1, sent to the configured
// API address, with Twitter's answers turned into the few plain types the
// bot needs and its failures into one classified error type.
package twitterapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/dghubble/oauth1"
)

// DefaultAPIURL is the address go-twitter has built in.
const DefaultAPIURL = "https://api.twitter.com/1.1/"

// Config is what the client needs.
type Config struct {
	APIURL         string // every request goes here instead of DefaultAPIURL
	ConsumerKey    string
	ConsumerSecret string
	AccessToken    string
	AccessSecret   string
	Timeout        time.Duration // per request; default 15s
	Now            func() time.Time
	Logger         *slog.Logger
	// Transport is the base transport; nil means a fresh http.Transport.
	Transport http.RoundTripper
}

// Client talks to Twitter's API v1.1. It is safe for concurrent use.
type Client struct {
	api    *twitter.Client
	now    func() time.Time
	log    *slog.Logger
	limits *rateBook
	ctx    context.Context
	cancel context.CancelFunc
}

// withDefaults fills in what cfg leaves out (a 15 s timeout, the system
// clock, the default logger) and returns the transport to build on: both
// APIs' clients start from it.
func (cfg *Config) withDefaults() http.RoundTripper {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Transport != nil {
		return cfg.Transport
	}
	return http.DefaultTransport.(*http.Transport).Clone()
}

// New returns a client. It returns an error for an API URL that does not
// parse or does not end in '/'.
func New(cfg Config) (*Client, error) {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		return nil, fmt.Errorf("twitter api url %q must end with /", cfg.APIURL)
	}
	base := cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	// The address is rewritten before the request is signed, because the
	// signature covers the URL the server receives.
	signed := oauth1.NewConfig(cfg.ConsumerKey, cfg.ConsumerSecret).Client(
		context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: base}),
		oauth1.NewToken(cfg.AccessToken, cfg.AccessSecret))
	hc := &http.Client{
		Timeout:   cfg.Timeout,
		Transport: &rewrite{from: DefaultAPIURL, to: cfg.APIURL, ctx: ctx, next: signed.Transport},
	}
	return &Client{
		api: twitter.NewClient(hc), now: cfg.Now, log: cfg.Logger.With("component", "twitter"),
		limits: newRateBook(), ctx: ctx, cancel: cancel,
	}, nil
}

// Close aborts every request in flight. Their outcomes are unknown to the
// caller, which is what the sender's reconciliation is for.
func (c *Client) Close() { c.cancel() }

// rewrite sends go-twitter's requests, whose base URL is fixed, to the
// configured address, and ties them to the client's lifetime so that Close
// can abort them (go-twitter takes no context of its own).
type rewrite struct {
	from, to string
	ctx      context.Context
	next     http.RoundTripper
}

func (r *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	if strings.HasPrefix(u, r.from) && r.to != r.from {
		nu, err := req.URL.Parse(r.to + strings.TrimPrefix(u, r.from))
		if err != nil {
			return nil, err
		}
		req = req.Clone(r.ctx)
		req.URL, req.Host = nu, nu.Host
	} else {
		req = req.WithContext(r.ctx)
	}
	return r.next.RoundTrip(req)
}

// Call names a kind of call the bot makes, whichever API serves it, so
// that the bot can ask about its budget without knowing endpoint names.
type Call string

// The calls the bot makes.
const (
	CallVerify    Call = "verify_credentials"
	CallMentions  Call = "mentions"
	CallOwnTweets Call = "own_tweets"
	CallPost      Call = "post"
	CallDMList    Call = "dm_list"
	CallSendDM    Call = "send_dm"
	CallUser      Call = "user_lookup" // one account by id: v1.1 users/show, v2 GET users/{id}
)

// RateLimit is what Twitter last said of an endpoint's budget.
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time
}

type rateBook struct {
	mu sync.Mutex
	m  map[Call]RateLimit
}

func newRateBook() *rateBook { return &rateBook{m: map[Call]RateLimit{}} }

func (rb *rateBook) get(call Call) (RateLimit, bool) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	l, ok := rb.m[call]
	return l, ok
}

func (rb *rateBook) record(call Call, h http.Header) (RateLimit, bool) {
	l, ok := parseRateLimit(h)
	if ok {
		rb.mu.Lock()
		rb.m[call] = l
		rb.mu.Unlock()
	}
	return l, ok
}

// spent refuses, without a request, a call whose budget the API said is
// spent until its reset: the answer would be a 429.
func (rb *rateBook) spent(call Call, endpoint string, now time.Time) error {
	l, ok := rb.get(call)
	if ok && l.Remaining <= 0 && now.Before(l.Reset) {
		return &Error{Endpoint: endpoint, Status: http.StatusTooManyRequests, Kind: KindRateLimited, Code: codeRateLimited, Message: "rate limit used up (not sent)", ResetAt: l.Reset, NotSent: true}
	}
	return nil
}

// Limit returns the last rate-limit headers seen for a call, and false
// when none were seen.
func (c *Client) Limit(call Call) (RateLimit, bool) { return c.limits.get(call) }

func (c *Client) guard(call Call, endpoint string) error {
	return c.limits.spent(call, endpoint, c.now())
}

// call finishes a go-twitter call: it records the rate-limit headers and
// turns every kind of failure, including a 4xx or 5xx whose body go-twitter
// did not read as an error, into an *Error.
func (c *Client) call(call Call, endpoint string, resp *http.Response, err error) error {
	var reset time.Time
	if resp != nil {
		if l, ok := c.limits.record(call, resp.Header); ok {
			reset = l.Reset
		}
	}
	if err == nil && resp != nil && resp.StatusCode < 300 {
		return nil
	}
	e := &Error{Endpoint: endpoint, ResetAt: reset, Err: err}
	if resp != nil {
		e.Status = resp.StatusCode
	}
	var apiErr twitter.APIError
	if errors.As(err, &apiErr) && !apiErr.Empty() {
		e.Code, e.Message, e.Err = apiErr.Errors[0].Code, apiErr.Errors[0].Message, nil
	} else if err == nil {
		e.Message = http.StatusText(e.Status)
	}
	if e.Status == http.StatusTooManyRequests && e.Code == 0 {
		e.Code = codeRateLimited
	}
	e.Kind = v1Kind(e.Status, e.Code, e.Err)
	return e
}

// Twitter's v1.1 error codes the bot treats deliberately. They are this
// adapter's alone: v1Kind turns them into kinds.
const (
	codeBadAuth         = 32  // could not authenticate you
	codeRateLimited     = 88  // rate limit exceeded
	codeInvalidToken    = 89  // invalid or expired token
	codeOverCapacity    = 130 // over capacity
	codeInternal        = 131 // internal error
	codePostingLimit    = 185 // over daily status update limit
	codeTooLong         = 186 // status is over 280 characters
	codeDuplicate       = 187 // status is a duplicate
	codeAutomated       = 226 // this request looks like it might be automated
	codeAccountLocked   = 326 // account temporarily locked
	codeReplyToDeleted  = 385 // reply to a deleted or invisible tweet
	codeCannotDM        = 349 // you cannot send messages to this user
	codeDMNotFollowing  = 150 // you cannot send messages to users who are not following you
	codeRecipientAbsent = 108 // cannot find specified user
	codeDMTooLong       = 354 // the text of the direct message is too long
	codeSuspended       = 64  // your account is suspended
	codeNoDMAccess      = 93  // this application is not allowed to access direct messages
	codeNotAllowed      = 220 // your credentials do not allow access to this resource
	codeCannotWrite     = 261 // this application cannot perform write actions
	codeUserNotFound    = 50  // user not found (a lookup)
	codeUserSuspended   = 63  // user has been suspended (a lookup)
)

// v1CodeKinds is what each code means to the bot.
var v1CodeKinds = map[int]Kind{
	codeRateLimited: KindRateLimited, codePostingLimit: KindPostingLimit,
	codeBadAuth: KindAuth, codeInvalidToken: KindAuth,
	codeReplyToDeleted: KindGone, codeDuplicate: KindDuplicate,
	codeAutomated: KindPaused, codeAccountLocked: KindPaused,
	codeOverCapacity: KindTransient, codeInternal: KindTransient,
	codeTooLong: KindTooLong, codeDMTooLong: KindTooLong,
	codeCannotDM: KindRefused, codeDMNotFollowing: KindRefused, codeRecipientAbsent: KindRefused,
	codeSuspended: KindAccount, codeNoDMAccess: KindAccount, codeNotAllowed: KindAccount, codeCannotWrite: KindAccount,
	codeUserNotFound: KindNotFound, codeUserSuspended: KindNotFound,
}

// v1Precedence settles a code and a status that say different things:
// the kind earlier in the list wins. A rate limit, the posting limit and
// refused credentials come first; a server error or no answer outweighs
// a refusal of the message or the account, so that a post which may have
// been made is looked for.
var v1Precedence = []Kind{
	KindRateLimited, KindPostingLimit, KindAuth, KindGone, KindDuplicate, KindPaused, KindTransient,
	KindUnknown, KindTooLong, KindRefused, KindAccount, KindNotFound, KindUnexpected,
}

// v1Kind classifies a v1.1 failure by Twitter's code and the HTTP status
// (statusKind), whichever comes first in v1Precedence; KindUnknown when
// neither says anything.
func v1Kind(status, code int, err error) Kind {
	byCode, byStatus := v1CodeKinds[code], statusKind(status, err)
	for _, k := range v1Precedence {
		if k == byCode || k == byStatus {
			return k
		}
	}
	return KindUnknown
}
