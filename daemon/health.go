package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/paybytweet/paybytweet/config"
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
	if err := d.DB.ProbeWrite(ctx); err != nil {
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
	return true, ""
}
