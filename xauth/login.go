package xauth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/paybytweet/paybytweet/storage"
)

// LoginStore is where Login stores the pair: *storage.DB.
type LoginStore interface {
	StoreOAuth2Login(ctx context.Context, t storage.OAuth2Token) error
}

// LoginOptions are Login's outside world; zero fields take defaults.
type LoginOptions struct {
	// In is where the operator pastes the redirected address; Out where
	// the authorize address and the outcome are printed.
	In  io.Reader
	Out io.Writer
	// HTTPClient reaches the token endpoint; default a 15 s timeout.
	HTTPClient *http.Client
	// Wait bounds the wait for the operator's approval; default 5
	// minutes.
	Wait time.Duration
	// Listen listens for the redirect; default net.Listen.
	Listen func(network, address string) (net.Listener, error)
	// OnAuthorizeURL, when set, is called with the authorize address once
	// it is printed (and the loopback listener is up): a test plays the
	// browser there.
	OnAuthorizeURL func(string)
}

// LoginResult says what Login stored, without the tokens.
type LoginResult struct {
	Expiry time.Time
	Scope  string
	// Loopback: the redirect came to the listener on redirect_uri
	// (false: it was pasted).
	Loopback bool
}

// Login is `paybytweet x-login`: the Authorization Code flow with PKCE
// (S256) and a state. It prints the authorize address; waits for X's
// redirect on redirect_uri when that is a loopback address (127.0.0.1,
// ::1, localhost) it can listen on, and otherwise (or meanwhile) reads
// the redirected address pasted on In; exchanges the code (X's lives
// 30 s); and stores the pair, which every running Source adopts at its
// next read of the database. Neither its output nor its errors hold a
// token or the code.
func Login(ctx context.Context, cfg Config, store LoginStore, opts LoginOptions) (LoginResult, error) {
	if cfg.ClientID == "" || cfg.RedirectURI == "" {
		return LoginResult{}, errors.New("x-login needs twitter.oauth2.client_id and redirect_uri")
	}
	redirect, err := url.Parse(cfg.RedirectURI)
	if err != nil || !redirect.IsAbs() || redirect.Host == "" {
		return LoginResult{}, fmt.Errorf("twitter.oauth2.redirect_uri %q is not an absolute address", cfg.RedirectURI)
	}
	opts = opts.withDefaults()
	conf := cfg.OAuth2()
	state := randomString()
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))

	ctx, cancel := context.WithTimeout(ctx, opts.Wait)
	defer cancel()
	got := make(chan redirected, 2)
	listening := serveLoopback(redirect, state, opts, got)
	if listening != nil {
		defer listening()
	}
	fmt.Fprintf(opts.Out, "Open this address in a browser signed in as the bot account, and authorize the app:\n\n  %s\n\n", authURL)
	if listening != nil {
		fmt.Fprintf(opts.Out, "Waiting for X to redirect to %s (X's code lives 30 seconds). If the browser runs elsewhere, paste the address it was redirected to here instead:\n", cfg.RedirectURI)
	} else {
		fmt.Fprintf(opts.Out, "Then paste here the address the browser was redirected to (it starts with %s; X's code lives 30 seconds):\n", cfg.RedirectURI)
	}
	go readPasted(opts.In, opts.Out, state, listening == nil, got)
	if opts.OnAuthorizeURL != nil {
		go opts.OnAuthorizeURL(authURL)
	}

	var r redirected
	select {
	case r = <-got:
	case <-ctx.Done():
		return LoginResult{}, fmt.Errorf("no authorization within %s: run x-login again", opts.Wait)
	}
	if r.err != nil {
		return LoginResult{}, r.err
	}
	res, err := exchange(ctx, conf, cfg, opts.HTTPClient, r, verifier, store)
	if err != nil {
		return LoginResult{}, err
	}
	fmt.Fprintf(opts.Out, "Authorized: the bot's OAuth 2.0 token is stored in the database (scope %s; the access token expires %s and is refreshed before). A running daemon adopts it within seconds.\n",
		res.Scope, res.Expiry.UTC().Format(time.RFC3339))
	return res, nil
}

// withDefaults fills the options left unset.
func (opts LoginOptions) withDefaults() LoginOptions {
	if opts.In == nil {
		opts.In = strings.NewReader("")
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if opts.Wait <= 0 {
		opts.Wait = 5 * time.Minute
	}
	if opts.Listen == nil {
		opts.Listen = net.Listen
	}
	return opts
}

// serveLoopback waits for X's redirect on redirect when it is a loopback
// address this machine can listen on, and returns what stops it; nil
// when the address must be pasted instead.
func serveLoopback(redirect *url.URL, state string, opts LoginOptions, got chan<- redirected) (stop func()) {
	if !isLoopback(redirect) {
		return nil
	}
	addr := redirect.Host
	if redirect.Port() == "" {
		addr = net.JoinHostPort(redirect.Hostname(), "80")
	}
	ln, err := opts.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(opts.Out, "cannot listen on %s (%v): paste the address instead\n", addr, err)
		return nil
	}
	srv := &http.Server{Handler: callbackHandler(redirect.Path, state, got), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() {
		// Shutdown, not Close: the browser gets its page.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}
}

// exchange trades the redirect's code for the pair and stores it. Its
// errors hold neither a token nor the code.
func exchange(ctx context.Context, conf *oauth2.Config, cfg Config, hc *http.Client, r redirected, verifier string, store LoginStore) (LoginResult, error) {
	hctx := context.WithValue(ctx, oauth2.HTTPClient, hc)
	ot, err := conf.Exchange(hctx, r.code, oauth2.VerifierOption(verifier))
	if err != nil {
		kind, reason := classify(err)
		reason = redact(reason, r.code, verifier, cfg.ClientSecret)
		switch kind {
		case refusedGrant:
			return LoginResult{}, fmt.Errorf("X refused the code (%s): it lives 30 seconds and works once; run x-login again", reason)
		case refusedClient:
			return LoginResult{}, fmt.Errorf("X refused the app's client id or secret (%s): check twitter.oauth2", reason)
		}
		return LoginResult{}, fmt.Errorf("exchanging the code: %s", reason)
	}
	res := LoginResult{Expiry: ot.Expiry, Loopback: r.loopback}
	if sc, ok := ot.Extra("scope").(string); ok {
		res.Scope = sc
	}
	if ot.RefreshToken == "" {
		return LoginResult{}, fmt.Errorf("X gave no refresh token (granted scope %q): the app must ask for offline.access, or the bot would be locked out when this token expires", res.Scope)
	}
	err = store.StoreOAuth2Login(context.WithoutCancel(ctx), storage.OAuth2Token{
		AccessToken: ot.AccessToken, RefreshToken: ot.RefreshToken, Expiry: ot.Expiry, Scope: res.Scope,
	})
	if err != nil {
		return LoginResult{}, fmt.Errorf("the token could not be stored: %s", redact(err.Error(), ot.AccessToken, ot.RefreshToken))
	}
	return res, nil
}

// redirected is X's redirect: the code, or why there is none.
type redirected struct {
	code     string
	loopback bool
	err      error
}

// fromRedirect reads X's redirect's query: the code when the state is
// the one sent, X's error when the owner declined.
func fromRedirect(q url.Values, state string) (string, error) {
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("X did not authorize the app: %s %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state {
		return "", errors.New("the state does not match this x-login's (an old tab, or not X's redirect)")
	}
	if q.Get("code") == "" {
		return "", errors.New("the address has no code")
	}
	return q.Get("code"), nil
}

func callbackHandler(path, state string, got chan<- redirected) http.Handler {
	if path == "" {
		path = "/"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		code, err := fromRedirect(r.URL.Query(), state)
		if err != nil && r.URL.Query().Get("error") == "" {
			// Not this login's redirect: keep waiting for it.
			http.Error(w, "paybytweet x-login: "+err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case got <- redirected{code: code, loopback: true, err: err}:
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			fmt.Fprintf(w, "<p>paybytweet x-login: %s</p>", html.EscapeString(err.Error()))
			return
		}
		fmt.Fprint(w, "<p>paybytweet x-login: the app is authorized for the bot account. You may close this tab.</p>")
	})
}

// readPasted reads pasted addresses from in until one carries this
// login's code. At the end of in it reports an error only when nothing
// else can bring the code (fail).
func readPasted(in io.Reader, out io.Writer, state string, fail bool, got chan<- redirected) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 8192), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		u, err := url.Parse(line)
		if err != nil {
			fmt.Fprintln(out, "That is not an address; paste the whole address the browser shows:")
			continue
		}
		q := u.Query()
		if len(q) == 0 {
			q, _ = url.ParseQuery(strings.TrimPrefix(line, "?"))
		}
		code, err := fromRedirect(q, state)
		if err != nil && q.Get("error") == "" {
			fmt.Fprintf(out, "%v; paste the address again:\n", err)
			continue
		}
		got <- redirected{code: code, err: err}
		return
	}
	if fail {
		got <- redirected{err: errors.New("no redirected address was pasted: run x-login again")}
	}
}

// isLoopback reports an http address on this machine's loopback.
func isLoopback(u *url.URL) bool {
	if u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
