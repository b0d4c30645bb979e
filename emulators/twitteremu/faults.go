package twitteremu

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Fault is a failure injected into the answer of matching requests.
type Fault struct {
	// Endpoint selects requests: "POST statuses/update" (method and name),
	// "statuses/update" (any method), or "" (every endpoint, v1.1 and v2);
	// a path form such as "POST /1.1/statuses/update.json" is accepted too.
	// v2 endpoints are named "POST 2/tweets", "GET 2/users/:id/mentions"
	// and so on, or by path ("GET /2/users/123/mentions").
	Endpoint string
	// Status, Code and Message make the answer a Twitter error envelope
	// with that HTTP status; a Status without Code takes the code Twitter
	// uses with it (429→88, 503→130, 500→131, 401→32, 404→34). On a v2
	// endpoint the answer is problem details instead: Code is ignored,
	// Message is the detail (default the status text; for 402 X's
	// credits-depleted problem).
	Status  int
	Code    int
	Message string
	// ProblemType overrides the problem "type" of a v2 answer.
	ProblemType string
	// UsageCapped answers a v2 endpoint 429 with X's usage-capped problem
	// (type ProblemUsageCapped unless ProblemType says otherwise), as when
	// the app's monthly cap or spending limit is reached. v1.1 has no such
	// answer: there it is a plain 429 code 88.
	UsageCapped bool
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
	// Hold keeps the request waiting (after the work when AfterWork)
	// until Hold is closed: a slow answer whose end the test chooses,
	// where a Delay would race the test's own steps on a busy machine.
	Hold <-chan struct{}
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
	// BadEntry does the real work and answers the real page, but with the
	// id of its first entry (data[0] of a v2 page, the first element of
	// a v1.1 timeline) replaced by a non-numeric string, as a malformed
	// entry the client must skip.
	BadEntry bool
	// DMListLag, on a list of direct messages (GET
	// direct_messages/events/list, GET 2/dm_events), leaves out of the
	// real answer the events created less than DMListLag ago, as
	// Twitter's list lags behind the messages sent: a message may be
	// delivered and not listed yet.
	DMListLag time.Duration
	// RepeatCursor, on a list paged by an opaque token (the cursor of GET
	// direct_messages/events/list, the pagination_token of a v2 list),
	// answers the real page with its next-page token set to the token the
	// request carried, as a list that leads its reader in a circle: the
	// page asked for again, for ever. A request for the newest page
	// carries no token and gets the real answer (it still counts against
	// Times).
	RepeatCursor bool
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
	return f.Drop || f.Malformed || f.EmptyBody || f.Status != 0 || f.Code != 0 || f.UsageCapped
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
		f.Endpoint = method + " " + s.endpointName(strings.TrimSpace(path))
	} else {
		f.Endpoint = s.endpointName(f.Endpoint)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	s.log.Info("fault injected", "endpoint", f.Endpoint, "status", f.Status, "code", f.Code,
		"drop", f.Drop, "after_work", f.AfterWork, "times", f.Times)
}

// endpointName turns a path form of an endpoint into its route name.
func (s *Server) endpointName(path string) string {
	if name, ok := s.v2RouteName(path); ok {
		return name
	}
	return strings.TrimSuffix(strings.TrimPrefix(path, apiPrefix), ".json")
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

// rewrites reports whether the fault answers the real page, rewritten.
func (f *Fault) rewrites() bool { return f.BadEntry || f.RepeatCursor }

// rewrite changes the real answer in c as the fault says.
func (f *Fault) rewrite(c *call) {
	if f.BadEntry {
		corruptFirstEntry(c)
	}
	if f.RepeatCursor {
		repeatToken(c)
	}
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
	case c.isV2():
		p := problemFor(cmp.Or(f.Status, http.StatusServiceUnavailable), f.Message)
		if f.UsageCapped {
			p = usageCappedProblem()
		}
		if f.ProblemType != "" {
			p.Type = f.ProblemType
		}
		c.problem(p)
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if f.UsageCapped {
			status = http.StatusTooManyRequests
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
	s.mu.Lock()
	switch {
	case c.resp.status == http.StatusTooManyRequests:
		s.faultRateHeaders(c)
	case c.isV2():
		s.currentRateHeaders(c) // every v2 answer carries them
	}
	s.mu.Unlock()
}

// badID is what BadEntry puts in place of an id.
const badID = "not-a-number"

// corruptFirstEntry replaces the id of the first entry of c's answer;
// an answer without entries is left as it is.
func corruptFirstEntry(c *call) {
	var page map[string]json.RawMessage
	var list []map[string]any
	switch {
	case decodeNumbers(c.resp.body, &list) == nil && len(list) > 0:
		list[0]["id"], list[0]["id_str"] = badID, badID
		c.resp.body, _ = json.Marshal(list)
	case json.Unmarshal(c.resp.body, &page) == nil && len(page["data"]) > 0:
		if decodeNumbers(page["data"], &list) != nil || len(list) == 0 {
			return
		}
		list[0]["id"] = badID
		page["data"], _ = json.Marshal(list)
		c.resp.body, _ = json.Marshal(page)
	}
}

// repeatToken sets the next-page token of c's answer (v1.1's next_cursor,
// v2's meta.next_token) to the token c asked with. An answer to a request
// without a token, or that is no page, is left as it is.
func repeatToken(c *call) {
	token := c.query.Get("cursor")
	if c.isV2() {
		token = c.query.Get("pagination_token")
	}
	var page map[string]any
	if token == "" || c.resp.status != http.StatusOK || decodeNumbers(c.resp.body, &page) != nil {
		return
	}
	if meta, ok := page["meta"].(map[string]any); ok {
		meta["next_token"] = token
	} else {
		page["next_cursor"] = token
	}
	c.resp.body, _ = json.Marshal(page)
}

// decodeNumbers decodes keeping numbers as written, so that 64-bit ids
// survive re-encoding.
func decodeNumbers(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
