package metrics

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/issuer"
)

// Issuer returns iss with each call's latency and outcome counted, every
// purchase counted by its result, and the issuer's reachability tracked;
// the bot sees the same answers and errors.
func (m *Metrics) Issuer(iss bot.Issuer) bot.Issuer { return &countedIssuer{Issuer: iss, m: m} }

type countedIssuer struct {
	bot.Issuer
	m *Metrics
}

func (c *countedIssuer) observe(op string, start time.Time, err error) {
	if errors.Is(err, context.Canceled) {
		return // the bot stopping, not the issuer
	}
	c.m.issuerDuration.WithLabelValues(op, outcomeName(issuer.Outcome(err))).Observe(time.Since(start).Seconds())
	c.m.IssuerReach.observe(time.Now(), err)
}

func (c *countedIssuer) Enrollment(ctx context.Context, twitterUserID int64) (issuer.Enrollment, error) {
	start := time.Now()
	e, err := c.Issuer.Enrollment(ctx, twitterUserID)
	c.observe("enrollment", start, err)
	return e, err
}

func (c *countedIssuer) CreatePurchase(ctx context.Context, key string, req issuer.PurchaseRequest) (issuer.Purchase, error) {
	start := time.Now()
	p, err := c.Issuer.CreatePurchase(ctx, key, req)
	c.observe("purchase", start, err)
	if !errors.Is(err, context.Canceled) {
		c.m.charges.WithLabelValues(chargeOutcome(p, err)).Inc()
	}
	return p, err
}

func (c *countedIssuer) FindPurchases(ctx context.Context, reference string) ([]issuer.Purchase, error) {
	start := time.Now()
	ps, err := c.Issuer.FindPurchases(ctx, reference)
	c.observe("find_purchases", start, err)
	return ps, err
}

// chargeOutcome names what a purchase attempt came to, as the charger
// reads it.
func chargeOutcome(p issuer.Purchase, err error) string {
	switch issuer.Outcome(err) {
	case issuer.OK:
		switch p.Status {
		case issuer.PurchaseApproved:
			return "approved"
		case issuer.PurchaseDeclined:
			return "declined"
		}
		return "unknown"
	case issuer.Final:
		var e *issuer.Error
		if errors.As(err, &e) && e.Code == issuer.CodeCardDeclined {
			return "declined"
		}
		return "refused"
	case issuer.Bug:
		return "conflict"
	case issuer.RetryLater:
		return "retry_later"
	}
	return "unknown"
}

func outcomeName(k issuer.Kind) string {
	switch k {
	case issuer.OK:
		return "ok"
	case issuer.Final:
		return "final"
	case issuer.RetryLater:
		return "retry_later"
	case issuer.Bug:
		return "bug"
	}
	return "unknown"
}

// Reachability remembers since when the issuer has not answered: no
// connection, a timeout, or a 5xx (a gateway in front of it answering for
// it). Any answer of its own, a decline or a 4xx included, ends an outage.
// It knows only what calls tell it: a bot with nothing to charge learns
// nothing new.
type Reachability struct {
	mu        sync.Mutex
	downSince time.Time
	lastErr   string
}

func (r *Reachability) observe(now time.Time, err error) {
	var e *issuer.Error
	answered := err == nil || errors.As(err, &e) && e.Status != 0 && e.Status < 500
	r.mu.Lock()
	defer r.mu.Unlock()
	if answered {
		r.downSince, r.lastErr = time.Time{}, ""
		return
	}
	if r.downSince.IsZero() {
		r.downSince = now
	}
	r.lastErr = err.Error()
}

// Down returns how long the issuer has been unreachable at now, and the
// last error; 0 when its last call was answered.
func (r *Reachability) Down(now time.Time) (time.Duration, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.downSince.IsZero() {
		return 0, ""
	}
	return now.Sub(r.downSince), r.lastErr
}
