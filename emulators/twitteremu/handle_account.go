package twitteremu

import "net/http"

// handleVerifyCredentials answers account/verify_credentials with the bot's
// user object and, unless skip_status, its latest Tweet.
func (s *Server) handleVerifyCredentials(c *call) {
	u := s.st.users[s.opts.Bot.ID]
	obj := s.userObject(u, renderMode{}).(userJSON)
	if !c.boolParam("skip_status", false) {
		ts := liveOnly(s.st.tweetsBy[u.ID])
		if len(ts) > 0 {
			st := s.tweetObject(ts[len(ts)-1], renderMode{trimUser: true})
			st.User = nil // embedded in its user, as on Twitter
			obj.Status = st
		}
	}
	c.json(http.StatusOK, obj)
}
