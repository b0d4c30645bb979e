package issuersandbox

import "fmt"

// Enroll links a Twitter account to a card, replacing any enrollment of that
// account. Empty fields get defaults: a generated Cardholder token,
// StatusActive, and the clock's time for EnrolledAt.
func (s *Server) Enroll(e Enrollment) {
	if e.Cardholder == "" {
		e.Cardholder = newID("chd")
	}
	if e.Status == "" {
		e.Status = StatusActive
	}
	if e.EnrolledAt.IsZero() {
		e.EnrolledAt = s.clock()
	}
	e.EnrolledAt = e.EnrolledAt.UTC().Truncate(timeResolution)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.enrollments[e.TwitterUserID]; ok && s.cardholders[old.Cardholder] == e.TwitterUserID {
		delete(s.cardholders, old.Cardholder)
	}
	s.enrollments[e.TwitterUserID] = &e
	s.cardholders[e.Cardholder] = e.TwitterUserID
}

// SetEnrollmentStatus sets the status of a Twitter account's enrollment. It
// returns an error if the account is not enrolled or status is neither
// StatusActive nor StatusSuspended.
func (s *Server) SetEnrollmentStatus(twitterUserID, status string) error {
	if status != StatusActive && status != StatusSuspended {
		return fmt.Errorf("issuersandbox: set enrollment status: unknown status %q", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.enrollments[twitterUserID]
	if !ok {
		return fmt.Errorf("issuersandbox: set enrollment status: twitter user %s is not enrolled", twitterUserID)
	}
	e.Status = status
	return nil
}

// DeclineCard makes later purchases with the cardholder's card decline with
// declineCode (one of the contract's decline codes, such as
// "insufficient_funds"); an empty declineCode makes them approve again.
func (s *Server) DeclineCard(cardholder, declineCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if declineCode == "" {
		delete(s.declines, cardholder)
		return
	}
	s.declines[cardholder] = declineCode
}

// Purchases returns a copy of every purchase made, oldest first, declined
// and pending ones included.
func (s *Server) Purchases() []Purchase {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireApprovalsLocked(now)
	out := make([]Purchase, 0, len(s.purchases))
	for _, p := range s.purchases {
		out = append(out, p.clone())
	}
	return out
}

// Requests returns a copy of every request received, in the order they were
// admitted: an authenticated request that reached an endpoint appears as
// soon as it is admitted (for a POST, once its idempotency key is checked,
// so a test that sees a hanging POST here knows a concurrent retry gets
// 409), with Status 0 until answered; a request refused earlier (401, bad
// POST headers, unknown endpoint) appears when answered.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, 0, len(s.requests))
	for _, r := range s.requests {
		out = append(out, r.clone())
	}
	return out
}

// enrollmentByCardholder returns the enrollment of a cardholder token; the
// caller holds s.mu.
func (s *Server) enrollmentByCardholder(cardholder string) (*Enrollment, bool) {
	id, ok := s.cardholders[cardholder]
	if !ok {
		return nil, false
	}
	e, ok := s.enrollments[id]
	return e, ok
}
