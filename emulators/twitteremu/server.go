package twitteremu

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxBodyBytes bounds a request body; a 10,000-character DM in JSON fits
// many times over.
const maxBodyBytes = 1 << 20

// Server is the emulator. All its methods are safe for concurrent use.
type Server struct {
	opts   Options
	log    *slog.Logger
	routes []*route

	mu       sync.Mutex // guards everything below
	st       *store
	creds    credentials
	nonces   *nonceCache // answered requests
	dropped  *nonceCache // requests whose connection a fault dropped
	limits   map[string]*rateWindow
	faults   []*Fault
	held     int // requests a Hold fault keeps waiting
	requests []Request
	srv      *http.Server
	baseURL  string
	// postFields: the v2 routes take the posts' field list as post.fields
	// (Options.PostFields, SetPostFields).
	postFields bool
	push       pushState // X Activity API (push*.go)
	// oauth2 is X's OAuth 2.0 for the bot account (oauth2.go).
	oauth2 oauth2State

	closed    chan struct{}
	closeOnce sync.Once
}

// New returns an emulator configured by opts (zero fields take defaults)
// that knows the bot account. It does not listen until Start; Handler can
// be served by any http.Server instead.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:   opts,
		log:    opts.Logger.With("component", "twitteremu"),
		routes: append(routes(), v2Routes()...),
		st:     newStore(opts.FirstID, opts.IDStep),
		creds: credentials{
			consumerKey: opts.ConsumerKey, consumerSecret: opts.ConsumerSecret,
			accessToken: opts.AccessToken, accessSecret: opts.AccessSecret,
		},
		nonces:     newNonceCache(1 << 16),
		dropped:    newNonceCache(1 << 10),
		limits:     map[string]*rateWindow{},
		closed:     make(chan struct{}),
		postFields: opts.PostFields,
	}
	s.st.addUser(opts.Bot)
	return s
}

func (s *Server) now() time.Time { return s.opts.Clock() }

// Bot returns the account the access token belongs to, as it stands (a
// RenameUser shows). It cannot fail.
func (s *Server) Bot() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.users[s.opts.Bot.ID].User
}

// AddUser makes u a known account (replacing one with the same id), so that
// it can tweet, be mentioned and exchange direct messages. A zero
// CreatedAt is DefaultAccountCreatedAt. A user without id or screen name
// is ignored (and logged), as it could never be addressed.
func (s *Server) AddUser(u User) {
	if u.ID <= 0 || u.ScreenName == "" {
		s.log.Warn("user ignored: id and screen name are required", "id", u.ID, "screen_name", u.ScreenName)
		return
	}
	if u.Name == "" {
		u.Name = u.ScreenName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.addUser(u)
}

// Handler returns the emulator's HTTP handler, serving the v1.1 API under
// /1.1/ and the X API v2 under /2/. It never fails; unknown paths get 404
// code 34 (a 404 problem under /2/).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Start listens on 127.0.0.1 on a free port and serves in the background.
// It returns the API base URL ("http://127.0.0.1:PORT/1.1/"), or an error if
// it cannot listen or was already started.
func (s *Server) Start() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", errors.New("twitteremu: already started")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.baseURL = "http://" + ln.Addr().String() + apiPrefix
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	s.log.Info("listening", "url", s.baseURL)
	return s.baseURL, nil
}

// URL returns the API base URL ending in "/1.1/", or "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// URLv2 returns the X API v2 base URL of the same server, ending in "/2/"
// ("http://127.0.0.1:PORT/2/"), or "" before Start.
func (s *Server) URLv2() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseURL == "" {
		return ""
	}
	return strings.TrimSuffix(s.baseURL, apiPrefix) + v2Prefix
}

// Close stops the server, closing open connections and ending delayed
// answers. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveOAuth2(w, r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	c := &call{r: r, query: r.URL.Query(), body: body, now: s.now()}
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: c.query, Time: c.now}
	if isForm(r) {
		// A malformed body keeps what parsed; the signature check then
		// fails as it would on Twitter.
		c.form, _ = url.ParseQuery(string(body))
		rec.Form = c.form
	} else if len(body) > 0 {
		rec.Body = string(body)
	}

	rt, id := s.lookupRoute(r.Method, r.URL.Path)
	if rt == nil {
		rec.Endpoint = unknownEndpoint(r.Method, r.URL.Path)
		c.fail(errPageNotFound())
		s.answer(w, c, rec)
		return
	}
	c.route, c.pathID = rt, id
	rec.Endpoint = rt.endpoint()
	if s.servePush(w, c, rec) {
		return
	}

	// Go's http.Transport silently replays an idempotent request once when
	// a reused connection closes without an answer; a replay carries the
	// same nonce. Dropping it again keeps a Drop fault visible to the
	// client instead of being papered over.
	var sentNonce string
	if p, ok := parseOAuthHeader(r.Header.Get("Authorization")); ok {
		sentNonce = nonceKey(p)
	}
	s.mu.Lock()
	replay := sentNonce != "" && s.dropped.has(sentNonce)
	s.mu.Unlock()
	if replay {
		rec.Fault = true
		s.drop(w, rec)
		return
	}

	f := s.takeFault(rt)
	if f == nil {
		s.process(c)
		s.answer(w, c, rec)
		return
	}
	rec.Fault = true
	c.dmListLag = f.DMListLag
	var worked *response
	if f.AfterWork {
		s.process(c)
		cp := c.resp
		worked = &cp
	}
	if f.Delay > 0 && !s.sleep(r.Context(), f.Delay) {
		// The client gave up or the server is closing: returning normally
		// would let net/http send an empty 200.
		s.drop(w, rec)
		return
	}
	if f.Hold != nil && !s.hold(r.Context(), f.Hold) {
		s.drop(w, rec)
		return
	}
	switch {
	case f.Drop:
		s.mu.Lock()
		s.dropped.add(sentNonce)
		s.mu.Unlock()
		s.drop(w, rec)
	case f.answers():
		s.faultResponse(c, f, worked)
		s.answer(w, c, rec)
	case f.rewrites():
		if worked == nil {
			s.process(c)
		}
		f.rewrite(c)
		s.answer(w, c, rec)
	case worked != nil:
		s.answer(w, c, rec)
	default:
		s.process(c)
		s.answer(w, c, rec)
	}
}

// process authenticates c, counts it against its rate limit and runs its
// handler, leaving the answer in c.resp.
func (s *Server) process(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.verifyOAuth(c)
	if !ok && c.route.v2 {
		ok = s.verifyOAuth2Bearer(c)
	}
	if !ok {
		c.fail(errNotAuthenticated())
		return
	}
	c.nonce = key
	if c.route.rateLimited && !s.takeRate(c) {
		return
	}
	if c.route.v2 && !checkV2Query(c, s.postFields) {
		return
	}
	c.route.handle(s, c)
}

// answer writes c.resp, marks the request's nonce used and records it.
func (s *Server) answer(w http.ResponseWriter, c *call, rec Request) {
	for k, vs := range c.resp.header {
		w.Header()[k] = vs
	}
	status := c.resp.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(c.resp.body)
	s.mu.Lock()
	s.nonces.add(c.nonce)
	s.mu.Unlock()
	rec.Status = status
	s.record(rec)
	s.log.Debug("request", "endpoint", rec.Endpoint, "status", status, "fault", rec.Fault)
}

// drop closes the connection without an answer.
func (s *Server) drop(w http.ResponseWriter, rec Request) {
	s.record(rec)
	s.log.Debug("request dropped", "endpoint", rec.Endpoint)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// hold waits until release is closed; false when the client or the
// server went away first.
func (s *Server) hold(ctx context.Context, release <-chan struct{}) bool {
	s.mu.Lock()
	s.held++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.held--
		s.mu.Unlock()
	}()
	select {
	case <-release:
		return true
	case <-ctx.Done():
		return false
	case <-s.closed:
		return false
	}
}

// Held reports how many requests a Hold fault is keeping waiting now. It
// cannot fail.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// sleep waits d of real time, as a delay is about the network and not the
// emulated clock; false when the client or the server went away first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closed:
		return false
	}
}
