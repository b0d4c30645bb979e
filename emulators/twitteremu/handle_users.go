package twitteremu

import (
	"net/http"
	"strconv"
	"strings"
)

// handleUsersShow answers users/show with the user object of user_id, or
// else of screen_name, and its latest Tweet as status; 404 code 50 when
// neither names an account, as on Twitter. v1.1 has no Automated label.
func (s *Server) handleUsersShow(c *call) {
	var u *userRecord
	if v := strings.TrimSpace(c.param("user_id")); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			u = s.st.users[id]
		}
	} else if name := c.param("screen_name"); name != "" {
		u, _ = s.st.userByName(name)
	}
	if u == nil {
		c.fail(errUserNotFound())
		return
	}
	mode := c.renderMode()
	obj := s.userObject(u, renderMode{extended: mode.extended}).(userJSON)
	if ts := liveOnly(s.st.tweetsBy[u.ID]); len(ts) > 0 {
		st := s.tweetObject(ts[len(ts)-1], renderMode{extended: mode.extended, trimUser: true, noEntities: mode.noEntities})
		st.User = nil // embedded in its user, as on Twitter
		obj.Status = st
	}
	c.json(http.StatusOK, obj)
}
