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

// DailyWindow is the length of the 24-hour windows of the v2 write
// endpoints.
const DailyWindow = 24 * time.Hour

// window returns the current 15-minute window of name at now, opening a
// new one when the last has ended; the caller holds s.mu.
func (s *Server) window(name string, now time.Time) *rateWindow {
	return s.windowOf(name, RateLimitWindow, now)
}

// dailyKey names the 24-hour window of a route in s.limits.
func dailyKey(name string) string { return name + " 24h" }

func (s *Server) windowOf(key string, length time.Duration, now time.Time) *rateWindow {
	w := s.limits[key]
	if w == nil || !now.Before(w.reset) {
		w = &rateWindow{reset: now.Add(length)}
		s.limits[key] = w
	}
	return w
}

// takeRate counts c against its endpoint's window (and its 24-hour window,
// for the v2 writes that have one), sets the x-rate-limit-* headers, and
// reports false (having answered 429) past a limit. When the 24-hour
// window is the one used up, x-rate-limit-* describe it, so that a client
// waiting for x-rate-limit-reset waits long enough; the
// x-user-limit-24hour-* headers always describe it, as on X.
func (s *Server) takeRate(c *call) bool {
	limit := s.opts.RateLimits[c.route.name]
	w := s.window(c.route.name, c.now)
	daily, hasDaily := s.opts.DailyLimits[c.route.name]
	var d *rateWindow
	if hasDaily && c.route.v2 {
		d = s.windowOf(dailyKey(c.route.name), DailyWindow, c.now)
	}
	ok := w.used < limit && (d == nil || d.used < daily)
	if ok {
		w.used++
		if d != nil {
			d.used++
		}
	}
	if d != nil {
		c.setHeader("x-user-limit-24hour-limit", strconv.Itoa(daily))
		c.setHeader("x-user-limit-24hour-remaining", strconv.Itoa(max(daily-d.used, 0)))
		c.setHeader("x-user-limit-24hour-reset", strconv.FormatInt(d.reset.Unix(), 10))
	}
	if d != nil && d.used >= daily && w.used < limit {
		setRateHeaders(c, daily, 0, d.reset)
	} else {
		setRateHeaders(c, limit, limit-w.used, w.reset)
	}
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

// currentRateHeaders gives an injected answer the headers of its
// endpoint's window as it stands, without counting the request.
func (s *Server) currentRateHeaders(c *call) {
	if c.route == nil || !c.route.rateLimited {
		return
	}
	limit := s.opts.RateLimits[c.route.name]
	w := s.window(c.route.name, c.now)
	setRateHeaders(c, limit, limit-w.used, w.reset)
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
