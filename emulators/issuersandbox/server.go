package issuersandbox

import (
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultAPIKey is the bearer token a Server accepts when Options.APIKey is
// empty, so that the interactive sandbox works without configuration.
const DefaultAPIKey = "sk_sandbox"

// DefaultIdempotencyTTL is how long a stored idempotent response is replayed,
// as the contract says.
const DefaultIdempotencyTTL = 24 * time.Hour

// DefaultApprovalTTL is how long a cardholder has to approve a purchase
// unless Options.ApprovalTTL says otherwise.
const DefaultApprovalTTL = 10 * time.Minute

// MaxApprovalTTL is the contract's bound: expires is at most 15 minutes
// after the POST.
const MaxApprovalTTL = 15 * time.Minute

// Options configures a Server. Every field is optional.
type Options struct {
	// APIKey is the bearer token the server accepts; DefaultAPIKey if empty.
	APIKey string
	// Clock stamps purchases, refunds, enrollments and requests and ages
	// idempotency keys; time.Now if nil. Tests inject a fake to expire keys
	// without sleeping.
	Clock func() time.Time
	// IdempotencyTTL is how long a key's stored response is replayed;
	// DefaultIdempotencyTTL if zero or negative.
	IdempotencyTTL time.Duration
	// Logger receives one record per request; nothing is logged if nil.
	Logger *slog.Logger
	// ApprovalTTL is how long a cardholder has to approve a purchase;
	// DefaultApprovalTTL if zero or negative, MaxApprovalTTL at most.
	ApprovalTTL time.Duration
	// ApproveOver is the issuer's own approval rule: a purchase whose
	// amount is more than the entry for its currency waits for the
	// cardholder's approval whatever the request said. A currency without
	// an entry has no such rule. RequireApproval is the per-cardholder rule.
	ApproveOver map[string]int64
	// NoApprovals makes an issuer that does not offer approvals: a POST
	// with "approval": "required" gets 400 invalid_request, param
	// "approval", and charges nothing; ApproveOver and RequireApproval
	// then have no effect.
	NoApprovals bool
}

// Server is an in-memory card issuer speaking the issuer API over HTTP. It is
// safe for concurrent use. Create it with New.
type Server struct {
	clock   func() time.Time
	log     *slog.Logger
	idem    *idempotencyStore
	handler http.Handler
	// closing is closed by Close so that hanging faults end promptly.
	closing   chan struct{}
	closeOnce sync.Once

	approvalTTL time.Duration
	approveOver map[string]int64
	noApprovals bool

	mu          sync.Mutex
	apiKeys     []string
	enrollments map[string]*Enrollment // by Twitter user id
	cardholders map[string]string      // cardholder token -> Twitter user id
	declines    map[string]string      // cardholder token -> decline code
	purchases   []*Purchase            // oldest first
	byID        map[string]*Purchase
	requests    []*Request // guarded by mu: handlers update Status
	faults      []*pendingFault
	held        int // requests a Hold fault keeps waiting
	// alwaysApprove holds the cardholder tokens set by RequireApproval.
	alwaysApprove map[string]bool
	// pending holds the purchases waiting for approval, oldest first.
	pending []*Purchase
	// pendingAdded is closed and replaced whenever a purchase starts
	// waiting for approval, to wake WaitPending.
	pendingAdded chan struct{}

	lifeMu  sync.Mutex
	httpSrv *http.Server
	url     string
	closed  bool
}

// New returns a Server with no enrollments, purchases or faults. It does not
// listen: serve Handler yourself or call Start.
func New(opts Options) *Server {
	key := opts.APIKey
	if key == "" {
		key = DefaultAPIKey
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	ttl := opts.IdempotencyTTL
	if ttl <= 0 {
		ttl = DefaultIdempotencyTTL
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	approvalTTL := opts.ApprovalTTL
	if approvalTTL <= 0 {
		approvalTTL = DefaultApprovalTTL
	}
	s := &Server{
		clock:         clock,
		log:           logger,
		approvalTTL:   min(approvalTTL, MaxApprovalTTL),
		approveOver:   maps.Clone(opts.ApproveOver),
		noApprovals:   opts.NoApprovals,
		alwaysApprove: make(map[string]bool),
		pendingAdded:  make(chan struct{}),
		idem:          newIdempotencyStore(clock, ttl),
		closing:       make(chan struct{}),
		apiKeys:       []string{key},
		enrollments:   make(map[string]*Enrollment),
		cardholders:   make(map[string]string),
		declines:      make(map[string]string),
		byID:          make(map[string]*Purchase),
	}
	s.handler = http.HandlerFunc(s.serve)
	return s
}

// AddAPIKey makes the server also accept key as a bearer token. Idempotency
// keys are scoped per API key, so two API keys may use the same
// Idempotency-Key without conflict. An empty key is ignored.
func (s *Server) AddAPIKey(key string) {
	if key == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKeys = append(s.apiKeys, key)
}

// Handler returns the HTTP handler that implements the issuer API, for
// mounting in a server of the caller's choosing.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on a free port of 127.0.0.1 and serves the API in the
// background. It returns the base URL, ending in "/", or an error if the
// server was already started or closed, or cannot listen.
func (s *Server) Start() (string, error) {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closed {
		return "", errors.New("issuersandbox: start: server is closed")
	}
	if s.httpSrv != nil {
		return "", errors.New("issuersandbox: start: already started")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.url = "http://" + ln.Addr().String() + "/"
	go func(srv *http.Server) {
		// Serve returns ErrServerClosed after Close: nothing to report.
		_ = srv.Serve(ln)
	}(s.httpSrv)
	return s.url, nil
}

// URL returns the base URL, ending in "/", that Start listens on, or "" if
// the server was not started.
func (s *Server) URL() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	return s.url
}

// Close stops listening, drops open connections and ends hanging faults. It
// may be called more than once and on a server that was never started.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.closed = true
	if s.httpSrv != nil {
		_ = s.httpSrv.Close() // only fails with the listener's close error
	}
}
