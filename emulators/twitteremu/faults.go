package twitteremu

import (
	"net/http"
	"strings"
	"time"
)

// Fault is a failure injected into the answer of matching requests.
type Fault struct {
	// Endpoint selects requests: "POST statuses/update" (method and name),
	// "statuses/update" (any method), or "" (every endpoint); a path form
	// such as "POST /1.1/statuses/update.json" is accepted too.
	Endpoint string
	// Status, Code and Message make the answer a Twitter error envelope
	// with that HTTP status; a Status without Code takes the code Twitter
	// uses with it (429→88, 503→130, 500→131, 401→32, 404→34).
	Status  int
	Code    int
	Message string
	// EmptyBody answers Status (default 503) with no body at all; a 429
	// like that is what go-twitter returns as err == nil.
	EmptyBody bool
	// AfterWork performs the request (the Tweet is posted, the DM sent)
	// and then answers with the fault instead of the real answer.
	AfterWork bool
	// Drop hijacks the connection and closes it without an answer.
	Drop bool
	// Delay sleeps before answering (after the work when AfterWork); with
	// nothing else set the real answer follows the delay.
	Delay time.Duration
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
	// Times is how many requests the fault applies to: 0 means once, a
	// negative value means until ClearFaults.
	Times int
}

func (f *Fault) matches(rt *route) bool {
	switch f.Endpoint {
	case "", rt.name, rt.endpoint():
		return true
	}
	return strings.EqualFold(f.Endpoint, rt.endpoint())
}

// answers reports whether the fault replaces the real answer.
func (f *Fault) answers() bool {
	return f.Drop || f.Malformed || f.EmptyBody || f.Status != 0 || f.Code != 0
}

// InjectFault queues f; the first queued fault matching a request applies
// to it. It cannot fail.
func (s *Server) InjectFault(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	// Accept the endpoint written as a path too ("POST /1.1/statuses/update.json").
	f.Endpoint = strings.TrimSpace(f.Endpoint)
	if method, path, ok := strings.Cut(f.Endpoint, " "); ok {
		f.Endpoint = method + " " + strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(path), apiPrefix), ".json")
	} else {
		f.Endpoint = strings.TrimSuffix(strings.TrimPrefix(f.Endpoint, apiPrefix), ".json")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	s.log.Info("fault injected", "endpoint", f.Endpoint, "status", f.Status, "code", f.Code,
		"drop", f.Drop, "after_work", f.AfterWork, "times", f.Times)
}

// ClearFaults removes every queued fault. It cannot fail.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns a copy of the first fault matching rt and uses one of
// its Times, or nil.
func (s *Server) takeFault(rt *route) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(rt) {
			continue
		}
		cp := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return &cp
	}
	return nil
}

// faultResponse builds the answer of a fault that replaces the real one;
// worked is the real answer when the work was done first.
func (s *Server) faultResponse(c *call, f *Fault, worked *response) {
	c.resp = response{}
	switch {
	case f.Malformed:
		body := []byte(`{"created_at":"`)
		if worked != nil && len(worked.body) > 1 {
			body = worked.body[:len(worked.body)/2]
		}
		c.setHeader("Content-Type", "application/json;charset=utf-8")
		c.resp.status = http.StatusOK
		c.resp.body = body
	case f.EmptyBody:
		c.resp.status = f.Status
		if c.resp.status == 0 {
			c.resp.status = http.StatusServiceUnavailable
		}
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		e := defaultFaultError(status)
		if f.Code != 0 {
			e.Code = f.Code
		}
		if f.Message != "" {
			e.Message = f.Message
		}
		c.fail(e)
	}
	if c.resp.status == http.StatusTooManyRequests {
		s.mu.Lock()
		s.faultRateHeaders(c)
		s.mu.Unlock()
	}
}
