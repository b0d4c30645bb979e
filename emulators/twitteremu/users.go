package twitteremu

import (
	"errors"
	"fmt"
	"time"
)

// User returns the account id as it stands (its screen name after a
// RenameUser, its CreatedAt, its Automated label); false when it is not
// one. It never fails.
func (s *Server) User(id int64) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.st.users[id]
	if !ok {
		return User{}, false
	}
	return u.User, true
}

// SetAccountCreatedAt makes the account id made at t, as every later user
// object shows it (v1.1 created_at, v2 user.fields=created_at); a zero t
// is DefaultAccountCreatedAt. It returns an *APIError with code 50 for an
// unknown account.
func (s *Server) SetAccountCreatedAt(id int64, t time.Time) error {
	if t.IsZero() {
		t = DefaultAccountCreatedAt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.st.users[id]
	if !ok {
		return errUserNotFound()
	}
	u.CreatedAt = t
	return nil
}

// RenameUser gives the account id the screen name name, as when its owner
// (or whoever holds it) changes its handle: the numeric id stays, and
// every later Tweet, DM and user object shows the new name (Tweets already
// posted keep their text, as on Twitter). Mentions of the new name link
// to the account from now on, of the old one no longer. It returns an
// *APIError with code 50 for an unknown account, and an error for an
// empty name or one another account holds (case-insensitively).
func (s *Server) RenameUser(id int64, name string) error {
	if name == "" {
		return errors.New("twitteremu: a screen name is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.users[id]; !ok {
		return errUserNotFound()
	}
	if other, ok := s.st.userByName(name); ok && other.ID != id {
		return fmt.Errorf("twitteremu: screen name %q is taken by account %d", name, other.ID)
	}
	s.st.rename(id, name)
	s.log.Info("user renamed", "id", id, "screen_name", name)
	return nil
}

// SetAutomated puts X's "Automated" label on the account id, or takes it
// off: v2 user objects show it as "affiliation": {"description":
// "Automated"} (see Options.AffiliationOnlyWhenAsked); v1.1 never shows
// it. It returns an *APIError with code 50 for an unknown account.
func (s *Server) SetAutomated(id int64, automated bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.st.users[id]
	if !ok {
		return errUserNotFound()
	}
	u.Automated = automated
	return nil
}
