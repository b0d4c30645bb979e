// Package xauth holds the bot account's OAuth 2.0 user token for X
// (twitter-push.md, "OAuth 2.0 user context"), so that it never locks
// the bot out. golang.org/x/oauth2 speaks the protocol; this package
// keeps the token in the database and decides when to refresh:
//
//   - Each refresh token works once. The pair X answers is committed to
//     the database the moment it arrives, before either token is used or
//     returned, so that a process killed right after a refresh starts
//     again with the pair it got (only a kill between X's answer and the
//     commit loses it, which is a refusal at the next refresh).
//   - Only one refresh is ever in flight: a mutex within a process, and
//     a lease in the database across processes (storage.TakeOAuth2Lease).
//     A process that finds the lease held re-reads the database (the
//     holder's pair lands there) and meanwhile uses the token it has
//     while it is still valid.
//   - The database's pair wins over the configuration's refresh token
//     once it has one; the configuration's is used for the first refresh
//     only. x-login (Login) stores a new pair that every process adopts
//     at its next read.
//   - A refused refresh (400 invalid_grant, or invalid_request as X's
//     live API answers) or a revoked authorization (401 for an access
//     token that has not expired) is ErrRefused: the Source logs
//     ALERT alert=oauth2_refused once, records the refusal so that no
//     process tries that refresh token again, and Transport sends every
//     call with the OAuth 1.0a signature beneath it until x-login runs.
//   - No token value appears in a log record or an error: X's answers
//     are reduced to their status and error code, and any token, the
//     client secret or the configuration's refresh token found in a
//     message is replaced by [redacted].
package xauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/paybytweet/paybytweet/storage"
)

// X's addresses and the scopes the bot asks for.
const (
	DefaultTokenURL     = "https://api.x.com/2/oauth2/token"
	DefaultAuthorizeURL = "https://x.com/i/oauth2/authorize"
)

// DefaultScopes are what the bot needs: read and post, read and send
// DMs, read users, and offline.access for a refresh token.
var DefaultScopes = []string{"tweet.read", "tweet.write", "users.read", "dm.read", "dm.write", "offline.access"}

// Config is the app's OAuth 2.0 client and the bot account's first
// refresh token: twitter.oauth2 in the configuration.
type Config struct {
	// ClientID and ClientSecret are the app's (a confidential client:
	// they go as HTTP Basic auth).
	ClientID, ClientSecret string
	// RefreshToken is the first refresh token, used only while the
	// database holds none; empty when x-login gets the first pair.
	RefreshToken string
	// TokenURL is X's token endpoint (default DefaultTokenURL),
	// AuthorizeURL its authorize page (default DefaultAuthorizeURL).
	TokenURL, AuthorizeURL string
	// RedirectURI is the app's registered callback (x-login).
	RedirectURI string
	// Scopes asked for by x-login; default DefaultScopes.
	Scopes []string
}

// OAuth2 returns the golang.org/x/oauth2 configuration of c.
func (c Config) OAuth2() *oauth2.Config {
	conf := &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.AuthorizeURL,
			TokenURL:  c.TokenURL,
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		RedirectURL: c.RedirectURI,
		Scopes:      c.Scopes,
	}
	if conf.Endpoint.AuthURL == "" {
		conf.Endpoint.AuthURL = DefaultAuthorizeURL
	}
	if conf.Endpoint.TokenURL == "" {
		conf.Endpoint.TokenURL = DefaultTokenURL
	}
	if len(conf.Scopes) == 0 {
		conf.Scopes = DefaultScopes
	}
	return conf
}

// Store is where the pair lives: *storage.DB.
type Store interface {
	OAuth2Token(ctx context.Context) (storage.OAuth2Token, error)
	TakeOAuth2Lease(ctx context.Context, holder string, d time.Duration) (storage.OAuth2Lease, error)
	ReleaseOAuth2Lease(ctx context.Context, holder string) error
	CommitOAuth2Refresh(ctx context.Context, holder, spent string, t storage.OAuth2Token) (bool, error)
	RefuseOAuth2(ctx context.Context, holder, refreshToken, reason string) error
}

var _ Store = (*storage.DB)(nil)

// Errors, for errors.Is. None of them, nor any error of this package,
// holds a token.
var (
	// ErrRefused: X refused the authorization (a spent or revoked
	// refresh token, a revoked access token, or the client itself).
	// Calls go on with OAuth 1.0a; `paybytweet x-login` must be run.
	ErrRefused = errors.New("X refused the bot's OAuth 2.0 authorization: run paybytweet x-login again")
	// ErrNoToken: neither the database nor the configuration has a
	// token yet.
	ErrNoToken = errors.New("no OAuth 2.0 token yet: run paybytweet x-login")
	// ErrRefreshFailed: a refresh did not get an answer from X that
	// settles it (network, 5xx, 429, the database); it is tried again.
	ErrRefreshFailed = errors.New("refreshing the OAuth 2.0 token failed")
)

// Options tune a Source; every zero field takes a default.
type Options struct {
	// Margin: a token is refreshed this long before it expires, or half
	// its lifetime before when that is shorter (a test's seconds-long
	// tokens); default 5 minutes. A call made within a quarter of the
	// margin of expiry waits for the refresh; one before that gets the
	// current token while Run refreshes.
	Margin time.Duration
	// Lease is how long a refresh may hold the lease (default 30 s); X
	// is given half of it to answer.
	Lease time.Duration
	// Poll is how often Run reads the database at most, so that a pair
	// x-login stored is adopted within it; default 5 s.
	Poll time.Duration
	// CacheFor is how long a read of the database serves calls; default
	// 1 s.
	CacheFor time.Duration
	// HTTPClient reaches the token endpoint; default one with a 15 s
	// timeout.
	HTTPClient *http.Client
	// Logger receives the ALERT and the refresh failures, never a token;
	// default discards them.
	Logger *slog.Logger
	// Now is the clock expiry is judged by; default time.Now.
	Now func() time.Time
	// Holder names this process in the lease; default host:pid:random.
	Holder string

	// Test hooks: right after X answered a refresh (nothing committed),
	// and right after the commit.
	afterExchange, afterCommit func()
}

// Source is the bot account's OAuth 2.0 token, kept in the database. It
// is an oauth2.TokenSource whose tokens carry no refresh token (only it
// refreshes). It is safe for concurrent use.
type Source struct {
	cfg    Config
	conf   *oauth2.Config
	store  Store
	opts   Options
	log    *slog.Logger
	holder string

	refreshMu sync.Mutex // one refresh at a time in this process
	kick      chan struct{}
	running   atomic.Int32

	mu       sync.Mutex // guards below
	cached   storage.OAuth2Token
	cachedAt time.Time
	pending  *pendingCommit
	retryAt  time.Time
	backoff  time.Duration
	lastErr  error
	alerted  bool
}

// pendingCommit is a pair X gave that the database did not take yet.
type pendingCommit struct {
	spent string
	tok   storage.OAuth2Token
}

// NewSource returns the token source of cfg on store. It does nothing
// until asked: Token, or Run in the background.
func NewSource(cfg Config, store Store, opts Options) *Source {
	if opts.Margin <= 0 {
		opts.Margin = 5 * time.Minute
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.CacheFor <= 0 {
		opts.CacheFor = time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 6)
		rand.Read(b)
		opts.Holder = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	return &Source{
		cfg: cfg, conf: cfg.OAuth2(), store: store, opts: opts,
		log: opts.Logger.With("component", "oauth2"), holder: opts.Holder,
		kick: make(chan struct{}, 1),
	}
}

// Token returns a valid access token (oauth2.TokenSource), refreshing
// first when it is about to expire; see TokenContext.
func (s *Source) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Lease*3/2)
	defer cancel()
	return s.TokenContext(ctx)
}

// TokenContext returns the access token to send, valid for a while yet.
// It fails with ErrRefused, ErrNoToken or ErrRefreshFailed (errors.Is),
// or the context's error; on any of them the caller goes on with OAuth
// 1.0a (Transport does).
func (s *Source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	pending := s.pending != nil
	s.mu.Unlock()
	if pending {
		s.refreshMu.Lock()
		err := s.flushPending(ctx)
		s.refreshMu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	t, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	if s.refused(t) {
		return nil, s.refusedErr(t)
	}
	if t.AccessToken != "" {
		rem, m := s.remaining(t), s.margin(t)
		if rem > m {
			return s.adopt(t), nil
		}
		if rem > m/4 && s.running.Load() > 0 {
			s.wake()
			return s.adopt(t), nil
		}
	} else if s.candidate(t) == "" {
		return nil, ErrNoToken
	}
	t, err = s.refresh(ctx, t.AccessToken, false)
	if err != nil {
		return nil, err
	}
	return s.adopt(t), nil
}

// Refresh refreshes the token now, whatever its expiry (another process
// that refreshed meanwhile saves this one the trip), and returns the
// token then current.
func (s *Source) Refresh(ctx context.Context) (*oauth2.Token, error) {
	t, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	if t, err = s.refresh(ctx, t.AccessToken, true); err != nil {
		return nil, err
	}
	return s.adopt(t), nil
}

// Rejected is told that X answered 401 to a call made with access (an
// access token that had not expired): it refreshes, unless another
// process already replaced that token, and returns the token to retry
// with; a refusal there is ErrRefused. Transport calls it.
func (s *Source) Rejected(ctx context.Context, access string) (*oauth2.Token, error) {
	t, err := s.refresh(ctx, access, true)
	if err != nil {
		return nil, err
	}
	return s.adopt(t), nil
}

// Status is what can be said of the token without showing it.
type Status struct {
	// HasToken: the database holds a pair; Refused: X refused it (or the
	// configuration's first refresh token), RefusedReason what X said.
	HasToken      bool
	Refused       bool
	RefusedReason string
	Expiry        time.Time
	UpdatedAt     time.Time
}

// Status reads the token's state from the database.
func (s *Source) Status(ctx context.Context) (Status, error) {
	t, err := s.store.OAuth2Token(ctx)
	if err != nil {
		return Status{}, s.dbErr(err)
	}
	r := s.refused(t)
	st := Status{HasToken: !t.Empty(), Refused: r, Expiry: t.Expiry, UpdatedAt: t.UpdatedAt}
	if r {
		st.RefusedReason = t.RefusedReason
	}
	return st, nil
}

// Run refreshes the token ahead of its expiry until ctx ends, so that no
// call meets an expired token: at Margin before expiry (half the
// lifetime for short-lived tokens), re-reading the database at least
// every Poll for what x-login or another process stored.
func (s *Source) Run(ctx context.Context) {
	s.running.Add(1)
	defer s.running.Add(-1)
	for {
		d := s.step(ctx)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// Start runs Run in the background.
func (s *Source) Start(ctx context.Context) { go s.Run(ctx) }

// step does what is due and says when to look again.
func (s *Source) step(ctx context.Context) time.Duration {
	poll := s.opts.Poll
	t, err := s.store.OAuth2Token(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("oauth2: cannot read the token", "err", s.dbErr(err))
		}
		return poll
	}
	s.setCache(t)
	s.mu.Lock()
	pending := s.pending != nil
	s.mu.Unlock()
	switch {
	case s.refused(t):
		s.refusedErr(t)
		return poll
	case !pending && t.AccessToken == "" && s.candidate(t) == "":
		return poll // waiting for x-login
	case !pending && t.AccessToken != "":
		if rem, m := s.remaining(t), s.margin(t); rem > m {
			return min(rem-m, poll)
		}
	}
	nt, err := s.refresh(ctx, t.AccessToken, false)
	switch {
	case ctx.Err() != nil:
		return poll
	case errors.Is(err, ErrRefused), errors.Is(err, ErrNoToken):
		return poll
	case err != nil:
		s.log.Warn("oauth2: refresh failed; trying again", "err", err)
		s.mu.Lock()
		wait := s.retryAt.Sub(s.now())
		s.mu.Unlock()
		return max(wait, 100*time.Millisecond)
	}
	if rem, m := s.remaining(nt), s.margin(nt); rem > m {
		return min(rem-m, poll)
	}
	return 100 * time.Millisecond // another process holds the lease: look again soon
}

func (s *Source) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Source) now() time.Time { return s.opts.Now() }

// remaining is how long t's access token is valid yet.
func (s *Source) remaining(t storage.OAuth2Token) time.Duration {
	if t.Expiry.IsZero() {
		return time.Duration(1<<62 - 1) // X gave no expiry: valid until refused
	}
	return t.Expiry.Sub(s.now())
}

// margin is how long before t's expiry it is refreshed: Margin, or half
// its lifetime when that is shorter.
func (s *Source) margin(t storage.OAuth2Token) time.Duration {
	m := s.opts.Margin
	if life := t.Expiry.Sub(t.UpdatedAt); !t.Expiry.IsZero() && !t.UpdatedAt.IsZero() && life > 0 && life/2 < m {
		m = life / 2
	}
	return m
}

// candidate is the refresh token to spend next: the database's, or the
// configuration's while the database has none.
func (s *Source) candidate(t storage.OAuth2Token) string {
	if t.RefreshToken != "" {
		return t.RefreshToken
	}
	if t.AccessToken == "" {
		return s.cfg.RefreshToken
	}
	return ""
}

// refused reports that X refused the pair t holds (or the configuration's
// first refresh token).
func (s *Source) refused(t storage.OAuth2Token) bool { return t.RefusedFor(s.candidate(t)) }

// refusedErr is ErrRefused with X's reason, logged as an ALERT once
// until a token works again.
func (s *Source) refusedErr(t storage.OAuth2Token) error {
	reason := s.redact(t.RefusedReason)
	s.alert(reason)
	if reason == "" {
		return ErrRefused
	}
	return fmt.Errorf("%w (%s)", ErrRefused, reason)
}

func (s *Source) alert(reason string) {
	s.mu.Lock()
	done := s.alerted
	s.alerted = true
	s.mu.Unlock()
	if !done {
		s.log.Error("ALERT: X refused the bot's OAuth 2.0 authorization; every call goes on with OAuth 1.0a until an operator runs paybytweet x-login",
			"alert", "oauth2_refused", "reason", reason)
	}
}

// adopt is t as an oauth2.Token, without its refresh token: only the
// Source refreshes.
func (s *Source) adopt(t storage.OAuth2Token) *oauth2.Token {
	s.mu.Lock()
	if s.alerted {
		s.alerted = false
		s.log.Info("oauth2: the bot has a working OAuth 2.0 token again")
	}
	s.mu.Unlock()
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer", Expiry: t.Expiry}
}

// read returns the token, from the cache while it is fresh.
func (s *Source) read(ctx context.Context) (storage.OAuth2Token, error) {
	s.mu.Lock()
	if !s.cachedAt.IsZero() && s.now().Sub(s.cachedAt) < s.opts.CacheFor {
		t := s.cached
		s.mu.Unlock()
		return t, nil
	}
	s.mu.Unlock()
	t, err := s.store.OAuth2Token(ctx)
	if err != nil {
		return storage.OAuth2Token{}, s.dbErr(err)
	}
	s.setCache(t)
	return t, nil
}

func (s *Source) setCache(t storage.OAuth2Token) {
	s.mu.Lock()
	s.cached, s.cachedAt = t, s.now()
	s.mu.Unlock()
}

// refresh gets a new pair unless the database has one that makes it
// needless: one other than stale, valid beyond the margin. force
// refreshes even a token far from expiry when it is stale (X refused
// it). It holds the process's mutex and the database's lease throughout.
func (s *Source) refresh(ctx context.Context, stale string, force bool) (storage.OAuth2Token, error) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if err := s.flushPending(ctx); err != nil {
		return storage.OAuth2Token{}, err
	}
	deadline := s.now().Add(s.opts.Lease)
	for {
		l, err := s.store.TakeOAuth2Lease(ctx, s.holder, s.opts.Lease)
		if err != nil {
			return storage.OAuth2Token{}, s.dbErr(err)
		}
		s.setCache(l.Token)
		t, done, err := s.refreshStep(ctx, l, stale, force, deadline)
		if done {
			return t, err
		}
	}
}

// refreshStep acts on the lease just asked for: the token in the
// database serves, or another process's refresh is waited for, or this
// process refreshes. done is false when the lease must be asked for
// again.
func (s *Source) refreshStep(ctx context.Context, l storage.OAuth2Lease, stale string, force bool, deadline time.Time) (t storage.OAuth2Token, done bool, err error) {
	t = l.Token
	release := func() {
		if l.Taken {
			s.release(ctx)
		}
	}
	cand := s.candidate(t)
	if t.RefusedFor(cand) {
		release()
		return t, true, s.refusedErr(t)
	}
	rem, m := s.remaining(t), s.margin(t)
	if t.AccessToken != "" && rem > m && (!force || t.AccessToken != stale) {
		release() // another process refreshed, or x-login stored a pair
		return t, true, nil
	}
	if !l.Taken {
		return s.awaitRefresher(ctx, t, rem > m/4 && !force, deadline)
	}
	if cand == "" {
		release()
		return t, true, ErrNoToken
	}
	if wait, err := s.backingOff(t, force, rem); wait {
		release()
		return t, true, err
	}
	nt, err := s.exchange(ctx, t, cand)
	if err != nil || !nt.Empty() {
		return nt, true, err
	}
	return nt, false, nil // x-login replaced the pair while we refreshed: look again
}

// awaitRefresher waits for another process's refresh, whose pair lands in
// the database; meanwhile the token there serves if usable.
func (s *Source) awaitRefresher(ctx context.Context, t storage.OAuth2Token, usable bool, deadline time.Time) (storage.OAuth2Token, bool, error) {
	if usable && t.AccessToken != "" {
		return t, true, nil
	}
	if !s.now().Before(deadline) {
		return t, true, fmt.Errorf("%w: another process has held the refresh lease for %s", ErrRefreshFailed, s.opts.Lease)
	}
	if err := sleep(ctx, 100*time.Millisecond); err != nil {
		return t, true, err
	}
	return t, false, nil
}

// backingOff says whether the last refresh's back-off still lasts, and
// what the caller gets meanwhile: t while it is valid (unless forced),
// else the last refresh's error.
func (s *Source) backingOff(t storage.OAuth2Token, force bool, rem time.Duration) (bool, error) {
	s.mu.Lock()
	retryAt, lastErr := s.retryAt, s.lastErr
	s.mu.Unlock()
	if !s.now().Before(retryAt) {
		return false, nil
	}
	if !force && t.AccessToken != "" && rem > 0 {
		return true, nil
	}
	return true, lastErr
}

// exchange spends cand at X and commits the new pair. It returns an
// empty token when the database holds a newer pair (x-login's) instead.
// The caller holds the lease, which exchange gives up.
func (s *Source) exchange(ctx context.Context, t storage.OAuth2Token, cand string) (storage.OAuth2Token, error) {
	// Not the caller's cancellation: X may rotate the pair and answer
	// after the caller gave up, and an answer thrown away is a lockout.
	hctx, cancel := context.WithTimeout(context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, s.opts.HTTPClient), s.opts.Lease/2)
	defer cancel()
	ot, err := s.conf.TokenSource(hctx, &oauth2.Token{RefreshToken: cand}).Token()
	if err != nil {
		kind, reason := classify(err)
		reason = s.redact(reason, cand, t.AccessToken)
		switch kind {
		case refusedGrant:
			// That refresh token will never work again: say so in the
			// database, so that no process tries it.
			if rerr := s.store.RefuseOAuth2(context.WithoutCancel(ctx), s.holder, cand, reason); rerr != nil {
				s.release(ctx)
				s.log.Warn("oauth2: cannot record the refusal", "err", s.dbErr(rerr))
			}
			t.RefusedFingerprint, t.RefusedReason, t.RefusedAt = storage.OAuth2Fingerprint(cand), reason, s.now()
			s.setCache(t)
			s.alert(reason)
			return storage.OAuth2Token{}, fmt.Errorf("%w (%s)", ErrRefused, reason)
		case refusedClient:
			// Not the token's fault: nothing is recorded, and the refresh
			// is tried again after the back-off (the operator fixes the
			// configuration).
			s.release(ctx)
			e := fmt.Errorf("%w (%s)", ErrRefused, reason)
			s.fail(e)
			s.alert(reason)
			return storage.OAuth2Token{}, e
		default:
			s.release(ctx)
			e := fmt.Errorf("%w: %s", ErrRefreshFailed, reason)
			s.fail(e)
			return storage.OAuth2Token{}, e
		}
	}
	if s.opts.afterExchange != nil {
		s.opts.afterExchange()
	}
	nt := storage.OAuth2Token{AccessToken: ot.AccessToken, RefreshToken: ot.RefreshToken, Expiry: ot.Expiry}
	if sc, ok := ot.Extra("scope").(string); ok {
		nt.Scope = sc
	}
	committed, err := s.commit(ctx, cand, nt)
	if err != nil {
		return storage.OAuth2Token{}, err
	}
	if !committed {
		return storage.OAuth2Token{}, nil
	}
	return s.committed(nt), nil
}

// commit stores the pair X gave for spent, whatever ctx says: losing it
// is the one way to lock the bot out. On failure the pair is kept for
// the next call to commit first (flushPending).
func (s *Source) commit(ctx context.Context, spent string, nt storage.OAuth2Token) (bool, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	committed, err := s.store.CommitOAuth2Refresh(cctx, s.holder, spent, nt)
	if err != nil {
		s.mu.Lock()
		s.pending = &pendingCommit{spent: spent, tok: nt}
		s.mu.Unlock()
		e := fmt.Errorf("%w: the new token could not be stored (kept in memory, stored at the next try): %w", ErrRefreshFailed, s.dbErr(err))
		s.log.Error("oauth2: the refreshed token could not be stored; trying again", "err", e)
		return false, e
	}
	return committed, nil
}

// committed records a successful commit of nt.
func (s *Source) committed(nt storage.OAuth2Token) storage.OAuth2Token {
	nt.UpdatedAt = s.now()
	s.mu.Lock()
	s.pending, s.retryAt, s.backoff, s.lastErr = nil, time.Time{}, 0, nil
	s.mu.Unlock()
	s.setCache(nt)
	if s.opts.afterCommit != nil {
		s.opts.afterCommit()
	}
	return nt
}

// flushPending commits a pair whose commit failed before. The caller
// holds refreshMu.
func (s *Source) flushPending(ctx context.Context) error {
	s.mu.Lock()
	p := s.pending
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	if _, err := s.commit(ctx, p.spent, p.tok); err != nil {
		return err
	}
	s.committed(p.tok)
	return nil
}

// fail sets the back-off after a refresh that did not settle: 1 s
// doubling to a minute.
func (s *Source) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backoff = min(max(2*s.backoff, time.Second), time.Minute)
	s.retryAt = s.now().Add(s.backoff)
	s.lastErr = err
}

func (s *Source) release(ctx context.Context) {
	if err := s.store.ReleaseOAuth2Lease(context.WithoutCancel(ctx), s.holder); err != nil {
		s.log.Warn("oauth2: cannot release the refresh lease; it lapses by itself", "err", s.dbErr(err))
	}
}

// dbErr is a database error as this package returns it: the storage
// errors hold no token, but whatever they say is passed through redact.
func (s *Source) dbErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: the database: %s", ErrRefreshFailed, s.redact(err.Error()))
}

// redact replaces every secret it knows of in msg.
func (s *Source) redact(msg string, more ...string) string {
	s.mu.Lock()
	known := []string{s.cfg.ClientSecret, s.cfg.RefreshToken, s.cached.AccessToken, s.cached.RefreshToken}
	if s.pending != nil {
		known = append(known, s.pending.tok.AccessToken, s.pending.tok.RefreshToken)
	}
	s.mu.Unlock()
	return redact(msg, append(known, more...)...)
}

func redact(msg string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			msg = strings.ReplaceAll(msg, v, "[redacted]")
		}
	}
	return msg
}

// The kinds of a failed token request.
const (
	transient     = iota
	refusedGrant  // the code or refresh token: never again
	refusedClient // the client id or secret
)

// classify says what a golang.org/x/oauth2 error means, and describes it
// by status and error code only: its message may quote X's whole body.
func classify(err error) (int, string) {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		reason := fmt.Sprintf("X's token endpoint answered %d", status)
		if re.ErrorCode != "" {
			reason += " " + re.ErrorCode
		}
		if re.ErrorDescription != "" {
			reason += ": " + re.ErrorDescription
		}
		switch {
		case status == http.StatusBadRequest && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_request"):
			return refusedGrant, reason
		case status == http.StatusUnauthorized || re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			return refusedClient, reason + " (the client id or secret)"
		}
		return transient, reason
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return transient, "POST the token endpoint: " + ue.Err.Error()
	}
	return transient, err.Error()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
