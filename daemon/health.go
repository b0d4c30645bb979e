package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/storage"
)

// serveHealth serves, on the bound listener:
//   - /healthz: 200 while the process runs and answers;
//   - /readyz: 200 when the bot can do its job, else 503 and one line
//     saying why (see Ready);
//   - /metrics: this daemon's Prometheus registry.
func (d *Daemon) serveHealth(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ok, why := d.Ready(r.Context())
		if !ok {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		if why != "" {
			fmt.Fprintln(w, "ready, degraded: "+why)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", d.Metrics.Handler())
	d.healthAddr = ln.Addr().String()
	d.health = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := d.health.Serve(ln); err != nil && err != http.ErrServerClosed {
			d.log.Error("health endpoint stopped", "addr", ln.Addr().String(), "err", err, "alert", "health_endpoint")
		}
	}()
}

// HealthAddr returns the address the health endpoints listen on (the
// port chosen when health.listen gave port 0), or "" when there is none.
func (d *Daemon) HealthAddr() string { return d.healthAddr }

// Ready reports whether the bot can do its job, and when it cannot, why,
// in one line: Twitter refuses the credentials or has not confirmed them
// yet (nothing is polled or posted), the database does not take writes,
// a message has waited longer than health.max_inbox_age, or the issuer
// has not answered for longer than health.max_issuer_outage.
func (d *Daemon) Ready(ctx context.Context) (bool, string) {
	cfg := d.cfg.Load()
	maxInbox, maxOutage := cfg.Health.MaxInboxAge, cfg.Health.MaxIssuerOutage
	if maxInbox <= 0 {
		maxInbox = config.DefaultMaxInboxAge
	}
	if maxOutage <= 0 {
		maxOutage = config.DefaultMaxIssuerOutage
	}
	switch verified, refused := d.Bot.TwitterState(); {
	case refused:
		return false, "twitter refuses the credentials: nothing is polled or posted"
	case !verified:
		return false, "twitter credentials not verified yet as the bot's own account (Twitter has not answered, or they are another account's: see the log): nothing is polled or posted"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := d.writes.check(ctx, d.DB); err != nil {
		return false, "database not writable: " + err.Error()
	}
	pending, oldest, err := d.DB.InboxBacklog(ctx)
	if err != nil {
		return false, "database not readable: " + err.Error()
	}
	if !oldest.IsZero() {
		if age := d.now().Sub(oldest); age > maxInbox {
			return false, fmt.Sprintf("inbox backlog: %d messages, the oldest waiting %s (health.max_inbox_age %s)",
				pending, age.Round(time.Second), maxInbox)
		}
	}
	if down, why := d.Metrics.IssuerReach.Down(time.Now()); down > maxOutage {
		return false, fmt.Sprintf("issuer unreachable for %s (health.max_issuer_outage %s): %s",
			down.Round(time.Second), maxOutage, why)
	}
	// Push down is degraded, not unready: polling covers it, and a proxy
	// in front must keep passing X's webhook calls.
	if on, healthy, why := d.Bot.PushState(); on && !healthy {
		return true, "push is down (" + why + "): polling on twitter.poll meanwhile"
	}
	return true, ""
}

// writeCheckEvery is how long readiness reuses its answer to whether the
// database takes writes.
const writeCheckEvery = time.Second

// writeCheck asks the database whether it takes writes at most once per
// writeCheckEvery, however many probes and scrapes ask: the check needs
// the one writer connection, and /readyz is open to anyone who can reach
// the port. Probes that ask while a check runs wait for its answer.
type writeCheck struct {
	mu  sync.Mutex
	at  time.Time // of the last check, on the process's own clock
	err error
}

// check returns the last answer when it is recent, else asks db again.
func (c *writeCheck) check(ctx context.Context, db *storage.DB) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < writeCheckEvery {
		return c.err
	}
	err := db.CheckWrites(ctx)
	if err != nil && ctx.Err() != nil {
		return err // this probe gave up: no answer for the others
	}
	c.err, c.at = err, time.Now()
	return err
}
