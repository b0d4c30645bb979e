package issuersandbox

import (
	"net/http"
	"strconv"
)

// getEnrollment answers GET /v1/enrollments/twitter/{twitter_user_id}.
func (s *Server) getEnrollment(c *call) response {
	id := c.params[0]
	// The contract wants the numeric id, never a screen name; refusing
	// anything else catches a client that sends the wrong one.
	if n, err := strconv.ParseUint(id, 10, 64); err != nil || n == 0 {
		return invalidRequest("twitter_user_id", "twitter_user_id must be a numeric Twitter user id.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.enrollments[id]
	if !ok {
		return notFound(codeNotEnrolled, "This Twitter account is not linked to a card.")
	}
	return response{status: http.StatusOK, body: mustJSON(toEnrollmentJSON(e))}
}
