// Package daemon wires the parts of a running paybytweet together from a
// configuration: the database, the Twitter and issuer clients, and the bot.
// `paybytweet run` and `paybytweet sandbox` both run through it.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/metrics"
	"github.com/paybytweet/paybytweet/push"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
	"github.com/paybytweet/paybytweet/twitterv2"
	"github.com/paybytweet/paybytweet/xauth"
)

// Options adjust a daemon; the zero value is the production daemon.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Bot, when set, adjusts the bot's options (tests shorten its waits).
	Bot func(*bot.Options)
}

// Twitter is the adapter of the configured API (twitter.api), as the bot
// and the daemon use it.
type Twitter interface {
	bot.Twitter
	Close()
}

// newTwitter returns the adapter of the API cfg names. On v2 with
// twitter.oauth2, every call in the bot account's name carries its OAuth
// 2.0 user token from src (X's recommended method; OAuth 1.0a signs
// beneath it, so a refused token falls back to it).
func newTwitter(cfg *config.Config, src *xauth.Source, now func() time.Time, logger *slog.Logger) (Twitter, error) {
	tc := twitterapi.Config{
		APIURL: cfg.Twitter.APIURL, ConsumerKey: cfg.Twitter.ConsumerKey, ConsumerSecret: cfg.Twitter.ConsumerSecret,
		AccessToken: cfg.Twitter.AccessToken, AccessSecret: cfg.Twitter.AccessSecret, Now: now, Logger: logger,
	}
	if cfg.Twitter.API == config.APIv2 {
		if src != nil {
			tc.Transport = xauth.NewTransport(src, http.DefaultTransport.(*http.Transport).Clone())
		}
		return twitterapi.NewV2(tc)
	}
	return twitterapi.New(tc)
}

// newPush returns the client of X's Activity API when the configuration
// turns push on (v2 only), else nil. Subscriptions are made in the bot
// account's name: with its OAuth 2.0 token where there is one (X's pages
// say private events need it), else OAuth 1.0a.
func newPush(cfg *config.Config, src *xauth.Source, now func() time.Time, logger *slog.Logger) (*push.Client, error) {
	if !cfg.Twitter.Push.On() || cfg.Twitter.API != config.APIv2 {
		return nil, nil
	}
	t := cfg.Twitter
	// OAuth 1.0a signs first; beneath it, the OAuth 2.0 token (when
	// there is one) replaces the signature, or leaves it when refused.
	var base *http.Client
	if src != nil {
		base = &http.Client{Transport: xauth.NewTransport(src, http.DefaultTransport.(*http.Transport).Clone()), Timeout: 30 * time.Second}
	}
	user := twitterv2.OAuth1Client(t.ConsumerKey, t.ConsumerSecret, t.AccessToken, t.AccessSecret, base)
	return push.New(push.Config{BaseURL: t.APIURL, BearerToken: t.Push.BearerToken, UserClient: user,
		ConsumerSecret: t.ConsumerSecret, Logger: logger.With("component", "push"), Now: now})
}

// newOAuth2 returns the bot account's OAuth 2.0 token source when the
// configuration has twitter.oauth2 on v2, else nil. Its clock is the
// wall clock: a token's life is X's, whatever clock the bot runs on.
func newOAuth2(cfg *config.Config, db *storage.DB, logger *slog.Logger) *xauth.Source {
	if cfg.Twitter.OAuth2 == nil || cfg.Twitter.API != config.APIv2 {
		return nil
	}
	return xauth.NewSource(xauth.FromConfig(*cfg.Twitter.OAuth2), db, xauth.Options{Logger: logger.With("component", "oauth2")})
}

// Daemon is a running paybytweet.
type Daemon struct {
	DB      *storage.DB
	Bot     *bot.Bot
	Twitter Twitter
	Issuer  *issuer.Client
	// Metrics is this daemon's own registry, served on /metrics.
	Metrics *metrics.Metrics

	cfg        atomic.Pointer[config.Config]
	now        func() time.Time
	log        *slog.Logger
	health     *http.Server
	healthAddr string
	lock       *lockFile
	writes     writeCheck    // readiness's check that the database takes writes
	grace      time.Duration // how long Close waits for the bot
	stopOAuth2 func()        // stops the OAuth 2.0 refresher and waits for it; nil without one
}

// Open opens the database and starts the bot, and the health listener
// when one is configured. It returns an error when the database cannot be
// opened, the issuer's TLS files cannot be loaded, the health address
// cannot be bound, or the bot cannot start.
func Open(ctx context.Context, cfg *config.Config, opt Options) (*Daemon, error) {
	opt = opt.withDefaults()
	m := metrics.New()
	logger := slog.New(m.CountAlerts(opt.Logger.Handler()))
	tlsCfg, err := cfg.Issuer.TLS.Load()
	if err != nil {
		return nil, err
	}
	// The health address is bound first: a port already taken must fail
	// the start, not leave a daemon running that no probe can see.
	ln, err := listenHealth(cfg.Health.Listen)
	if err != nil {
		return nil, err
	}
	fail := func(err error, undo ...func()) (*Daemon, error) {
		for _, f := range undo {
			f()
		}
		if ln != nil {
			ln.Close()
		}
		return nil, err
	}
	lk, err := lock(cfg.Storage.Path)
	if err != nil {
		return fail(err)
	}
	db, err := storage.Open(cfg.Storage.Path, opt.Now)
	if err != nil {
		return fail(err, lk.release)
	}
	oauth2 := newOAuth2(cfg, db, logger)
	tw, err := newTwitter(cfg, oauth2, opt.Now, logger)
	if err != nil {
		return fail(err, func() { db.Close() }, lk.release)
	}
	iss := issuer.New(cfg.Issuer.URL, cfg.Issuer.APIKey, cfg.Issuer.Timeout)
	iss.Logger = logger.With("component", "issuer")
	if err := iss.UseTLS(tlsCfg); err != nil {
		return fail(err, tw.Close, func() { db.Close() }, lk.release)
	}
	pc, err := newPush(cfg, oauth2, opt.Now, logger)
	if err != nil {
		return fail(err, tw.Close, func() { db.Close() }, lk.release)
	}
	bo := bot.Options{Config: cfg, DB: db, Twitter: m.Twitter(tw), Issuer: m.Issuer(iss), Now: opt.Now, Logger: logger, Push: pc}
	if opt.Bot != nil {
		opt.Bot(&bo)
	}
	d := &Daemon{DB: db, Bot: bot.New(bo), Twitter: tw, Issuer: iss, Metrics: m, now: opt.Now,
		log: logger.With("component", "daemon"), lock: lk, grace: shutdownGrace(bo)}
	d.cfg.Store(cfg)
	m.WatchDatabase(metrics.Source{
		DB: db, Config: d.cfg.Load, Now: opt.Now, Twitter: tw, Ready: d.Ready,
		Credentials: func() bool { v, r := d.Bot.TwitterState(); return v && !r },
		Push:        func() (bool, bool) { on, healthy, _ := d.Bot.PushState(); return on, healthy },
	})
	if err := d.Bot.Open(ctx); err != nil {
		return fail(err, tw.Close, func() { db.Close() }, lk.release)
	}
	d.runOAuth2(ctx, oauth2)
	if ln != nil {
		d.serveHealth(ln)
	}
	d.log.Info("paybytweet running", "offers", len(cfg.Offers), "database", cfg.Storage.Path, "twitter_api", cfg.Twitter.API, "twitter", cfg.Twitter.APIURL,
		"issuer", cfg.Issuer.URL, "health", cfg.Health.Listen)
	return d, nil
}

// withDefaults fills what the caller left out: the default logger and the
// real clock.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// listenHealth binds the health address; none without one configured.
func listenHealth(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health listener (health.listen): %w", err)
	}
	return ln, nil
}

// shutdownGrace is how long the bot has to finish its work at shutdown.
func shutdownGrace(bo bot.Options) time.Duration {
	if bo.ShutdownGrace <= 0 {
		return bot.DefaultShutdownGrace
	}
	return bo.ShutdownGrace
}

// runOAuth2 refreshes the OAuth 2.0 token ahead of expiry, so that no call
// meets an expired one, until the daemon closes; nothing without OAuth 2.0.
func (d *Daemon) runOAuth2(ctx context.Context, src *xauth.Source) {
	if src == nil {
		return
	}
	refresher, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		src.Run(refresher)
	}()
	d.stopOAuth2 = func() { stop(); <-done }
}

// SetConfig puts a reloaded configuration in force: the bot's, and the
// readiness thresholds and budgets the health endpoints read.
func (d *Daemon) SetConfig(cfg *config.Config) {
	d.cfg.Store(cfg)
	d.Bot.SetConfig(cfg)
}

// Close stops the bot (work in flight is finished or left resumable) and
// closes the database. It waits for the bot a bounded time (its shutdown
// grace and as long again): a bot that still has not stopped by then is
// left behind with an error, and the database and its lock stay open so
// that no other daemon starts on it while this process lives.
func (d *Daemon) Close() error {
	if d.health != nil {
		d.health.Close()
	}
	stopped := make(chan error, 1)
	go func() { stopped <- d.Bot.Close() }()
	var err error
	select {
	case err = <-stopped:
	case <-time.After(2 * d.grace):
		d.log.Error("shutdown: the bot did not stop in time; exiting without waiting for it", "waited", (2 * d.grace).String(), "alert", "shutdown_stuck")
		return errors.New("shutdown: the bot did not stop in time")
	}
	d.Twitter.Close()
	if d.stopOAuth2 != nil {
		d.stopOAuth2()
	}
	if cerr := d.DB.Close(); err == nil {
		err = cerr
	}
	d.lock.release()
	d.log.Info("paybytweet stopped")
	return err
}

// CheckStock returns a problem for every offer whose new quantity would be
// below the units already sold or being charged: lowering a quantity
// under what is sold cannot unsell it. Units merely reserved by pending
// requests are kept: those requests can still be confirmed, and new buyers
// see the offer sold out until the count falls under the new quantity.
func (d *Daemon) CheckStock(ctx context.Context, cfg *config.Config) ([]string, error) {
	stats, err := d.DB.OfferStats(ctx)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, o := range cfg.Offers {
		s := stats[o.ID]
		if o.Quantity != nil && *o.Quantity < s.Sold+s.Charging {
			problems = append(problems, fmt.Sprintf("%s:%d: offer %s: quantity %d is below the %d units already sold or being charged",
				cfg.Path, o.Line, o.ID, *o.Quantity, s.Sold+s.Charging))
		}
	}
	return problems, nil
}
