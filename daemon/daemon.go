// Package daemon wires the parts of a running paybytweet together from a
// configuration: the database, the Twitter and issuer clients, and the bot.
// `paybytweet run` and `paybytweet sandbox` both run through it.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
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

// newTwitter returns the adapter of the API cfg names.
func newTwitter(cfg *config.Config, opt Options) (Twitter, error) {
	tc := twitterapi.Config{
		APIURL: cfg.Twitter.APIURL, ConsumerKey: cfg.Twitter.ConsumerKey, ConsumerSecret: cfg.Twitter.ConsumerSecret,
		AccessToken: cfg.Twitter.AccessToken, AccessSecret: cfg.Twitter.AccessSecret, Now: opt.Now, Logger: opt.Logger,
	}
	if cfg.Twitter.API == config.APIv2 {
		return twitterapi.NewV2(tc)
	}
	return twitterapi.New(tc)
}

// Daemon is a running paybytweet.
type Daemon struct {
	DB      *storage.DB
	Bot     *bot.Bot
	Twitter Twitter
	Issuer  *issuer.Client

	cfg    *config.Config
	log    *slog.Logger
	health *http.Server
	lock   *lockFile
}

// Open opens the database and starts the bot. It returns an error when
// the database cannot be opened or the bot cannot start.
func Open(ctx context.Context, cfg *config.Config, opt Options) (*Daemon, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	lk, err := lock(cfg.Storage.Path)
	if err != nil {
		return nil, err
	}
	db, err := storage.Open(cfg.Storage.Path, opt.Now)
	if err != nil {
		lk.release()
		return nil, err
	}
	tw, err := newTwitter(cfg, opt)
	if err != nil {
		db.Close()
		lk.release()
		return nil, err
	}
	iss := issuer.New(cfg.Issuer.URL, cfg.Issuer.APIKey, cfg.Issuer.Timeout)
	iss.Logger = opt.Logger.With("component", "issuer")
	bo := bot.Options{Config: cfg, DB: db, Twitter: tw, Issuer: iss, Now: opt.Now, Logger: opt.Logger}
	if opt.Bot != nil {
		opt.Bot(&bo)
	}
	d := &Daemon{DB: db, Bot: bot.New(bo), Twitter: tw, Issuer: iss, cfg: cfg, log: opt.Logger.With("component", "daemon"), lock: lk}
	if err := d.Bot.Open(ctx); err != nil {
		tw.Close()
		db.Close()
		lk.release()
		return nil, err
	}
	if cfg.Health.Listen != "" {
		d.serveHealth(cfg.Health.Listen)
	}
	d.log.Info("paybytweet running", "offers", len(cfg.Offers), "database", cfg.Storage.Path, "twitter_api", cfg.Twitter.API, "twitter", cfg.Twitter.APIURL, "issuer", cfg.Issuer.URL)
	return d, nil
}

// Close stops the bot (work in flight is finished or left resumable) and
// closes the database.
func (d *Daemon) Close() error {
	err := d.Bot.Close()
	if d.health != nil {
		d.health.Close()
	}
	d.Twitter.Close()
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

func (d *Daemon) serveHealth(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		idle, err := d.Bot.Idle(r.Context())
		if err != nil {
			http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "ok idle=%v\n", idle)
	})
	d.health = &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := d.health.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			d.log.Error("health endpoint", "addr", addr, "err", err)
		}
	}()
}
