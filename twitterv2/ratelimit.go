package twitterv2

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit is an endpoint's budget as the x-rate-limit-* headers of its
// last answer gave it.
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time // zero when unknown
}

// parseRateLimit reads the three headers; false unless all three parse.
func parseRateLimit(h http.Header) (RateLimit, bool) {
	limit, err1 := strconv.Atoi(h.Get("x-rate-limit-limit"))
	remaining, err2 := strconv.Atoi(h.Get("x-rate-limit-remaining"))
	reset, err3 := strconv.ParseInt(h.Get("x-rate-limit-reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return RateLimit{}, false
	}
	return RateLimit{Limit: limit, Remaining: remaining, Reset: time.Unix(reset, 0)}, true
}

// rateTracker keeps the last known budget of each endpoint.
type rateTracker struct {
	mu     sync.Mutex
	limits map[string]RateLimit
}

func (t *rateTracker) update(endpoint string, rl RateLimit) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.limits == nil {
		t.limits = map[string]RateLimit{}
	}
	t.limits[endpoint] = rl
}

func (t *rateTracker) get(endpoint string) (RateLimit, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rl, ok := t.limits[endpoint]
	return rl, ok
}

// RateLimit returns the budget of endpoint (an Endpoint constant) from the
// last answer that carried rate-limit headers, and false when none has.
func (c *Client) RateLimit(endpoint string) (RateLimit, bool) { return c.rates.get(endpoint) }

// Spent reports whether endpoint's budget is used up: the last answer left
// no remaining calls and its reset is still ahead by the client's clock. It
// returns that reset; false (and the zero time) when the budget is not
// known to be spent.
func (c *Client) Spent(endpoint string) (bool, time.Time) {
	rl, ok := c.rates.get(endpoint)
	if !ok || rl.Remaining > 0 || !c.clock().Before(rl.Reset) {
		return false, time.Time{}
	}
	return true, rl.Reset
}
