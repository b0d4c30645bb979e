package twitteremu

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/paybytweet/paybytweet/twittertext"
)

// createDM validates and stores a direct message; the caller holds s.mu.
func (s *Server) createDM(from, to int64, text string) (*dmEvent, *APIError) {
	st := s.st
	if _, ok := st.users[from]; !ok {
		return nil, errUserNotFound()
	}
	if _, ok := st.users[to]; !ok {
		return nil, apiErr(http.StatusForbidden, CodeCannotFindUser, "Cannot find specified user.")
	}
	if strings.TrimSpace(text) == "" {
		return nil, apiErr(http.StatusBadRequest, CodeBadRequest, "event.message_create.message_data.text: Text is required.")
	}
	if utf8.RuneCountInString(text) > twittertext.MaxDMLength {
		return nil, apiErr(http.StatusForbidden, CodeDMTooLong, "The text of your direct message is over the max character limit.")
	}
	ents := twittertext.Extract(text)
	e := &dmEvent{
		id: st.newID(), sender: from, recipient: to, text: text, createdAt: s.now(),
		ents: ents, mentionedUsers: st.resolveMentions(ents.Mentions),
	}
	st.insertDM(e)
	s.pushDM(e)
	s.log.Debug("direct message created", "id", e.id, "sender", from, "recipient", to)
	return e, nil
}

// SendDM stores a direct message from one user to another. It returns an
// *APIError with code 50 for an unknown sender, 108 for an unknown
// recipient, 214 for blank text and 354 for text over 10,000 characters. The
// send budget applies only to the HTTP endpoint.
func (s *Server) SendDM(from, to int64, text string) (DMEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.createDM(from, to, text)
	if err != nil {
		return DMEvent{}, err
	}
	return e.public(), nil
}

// DMs returns every direct message event in ascending id order. It never
// fails.
func (s *Server) DMs() []DMEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DMEvent, 0, len(s.st.dms))
	for _, e := range s.st.dms {
		out = append(out, e.public())
	}
	return out
}
