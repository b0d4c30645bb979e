package twitteremu

import (
	"net/url"
	"time"
)

// Request is the record of one HTTP request to the emulator.
type Request struct {
	Method string
	// Endpoint is the method and resource, e.g. "POST statuses/update" or
	// "GET direct_messages/events/list"; ids in the path are left out.
	Endpoint string
	Path     string
	Query    url.Values
	// Form holds a form-encoded body; Body holds any other body (JSON).
	Form url.Values
	Body string
	// Status is the HTTP status answered, 0 when the connection was
	// dropped or the client went away first.
	Status int
	// Time is when it arrived, by Options.Clock.
	Time time.Time
	// Fault is true when an injected fault applied.
	Fault bool
}

// Requests returns every request received so far, in arrival order. It
// never fails.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}
