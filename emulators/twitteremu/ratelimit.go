package twitteremu

import (
	"strconv"
	"time"
)

// rateWindow is one endpoint's 15-minute window. Like Twitter's, a window
// starts with the first request after the previous one ended.
type rateWindow struct {
	used  int
	reset time.Time
}

// window returns the current window of name at now, opening a new one when
// the last has ended; the caller holds s.mu.
func (s *Server) window(name string, now time.Time) *rateWindow {
	w := s.limits[name]
	if w == nil || !now.Before(w.reset) {
		w = &rateWindow{reset: now.Add(RateLimitWindow)}
		s.limits[name] = w
	}
	return w
}

// takeRate counts c against its endpoint's window, sets the x-rate-limit-*
// headers, and reports false (having answered 429 code 88) past the limit.
func (s *Server) takeRate(c *call) bool {
	limit := s.opts.RateLimits[c.route.name]
	w := s.window(c.route.name, c.now)
	ok := w.used < limit
	if ok {
		w.used++
	}
	setRateHeaders(c, limit, limit-w.used, w.reset)
	if !ok {
		c.fail(errRateLimited())
	}
	return ok
}

func setRateHeaders(c *call, limit, remaining int, reset time.Time) {
	c.setHeader("x-rate-limit-limit", strconv.Itoa(limit))
	c.setHeader("x-rate-limit-remaining", strconv.Itoa(max(remaining, 0)))
	c.setHeader("x-rate-limit-reset", strconv.FormatInt(reset.Unix(), 10))
}

// faultRateHeaders gives an injected 429 the headers of an exhausted window
// without counting the request.
func (s *Server) faultRateHeaders(c *call) {
	if c.route == nil || !c.route.rateLimited {
		return
	}
	limit := s.opts.RateLimits[c.route.name]
	setRateHeaders(c, limit, 0, s.window(c.route.name, c.now).reset)
}

// overBudget reports whether user has used up a sliding-window budget
// (posting or DM sending) at now, forgetting uses that left the window.
func overBudget(logs map[int64][]time.Time, user int64, now time.Time, limit int, window time.Duration) bool {
	n, log := countSince(logs[user], now.Add(-window))
	logs[user] = log
	return n >= limit
}

// useBudget records one use of a sliding-window budget.
func useBudget(logs map[int64][]time.Time, user int64, now time.Time) {
	logs[user] = append(logs[user], now)
}
