package twitteremu

import "net/http"

// writeTweets answers a timeline, newest first; an empty page is [].
func (s *Server) writeTweets(c *call, ts []*tweet) {
	mode := c.renderMode()
	out := make([]*tweetJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, s.tweetObject(t, mode))
	}
	c.json(http.StatusOK, out)
}

// handleMentionsTimeline answers statuses/mentions_timeline: live Tweets
// whose own mention entities include the bot, within the 800 most recent.
func (s *Server) handleMentionsTimeline(c *call) {
	ms := liveOnly(s.st.mentionsOf[s.opts.Bot.ID])
	if len(ms) > MentionsCap {
		ms = ms[len(ms)-MentionsCap:]
	}
	s.writeTweets(c, pageTweets(ms, c.int64Param("since_id"), c.int64Param("max_id"), c.countParam(20, 200)))
}

// handleUserTimeline answers statuses/user_timeline. As Twitter documents,
// count selects Tweets before exclude_replies and include_rts=false filter
// them, so a page can come back shorter than count (even empty) although
// older Tweets remain.
func (s *Server) handleUserTimeline(c *call) {
	uid := s.opts.Bot.ID
	if id := c.int64Param("user_id"); id != 0 {
		if _, ok := s.st.users[id]; !ok {
			c.fail(errPageNotFound())
			return
		}
		uid = id
	} else if name := c.param("screen_name"); name != "" {
		u, ok := s.st.userByName(name)
		if !ok {
			c.fail(errPageNotFound())
			return
		}
		uid = u.ID
	}
	ts := liveOnly(s.st.tweetsBy[uid])
	if len(ts) > UserTimelineCap {
		ts = ts[len(ts)-UserTimelineCap:]
	}
	page := pageTweets(ts, c.int64Param("since_id"), c.int64Param("max_id"), c.countParam(20, 200))
	excludeReplies := c.boolParam("exclude_replies", false)
	includeRTs := c.boolParam("include_rts", true)
	kept := page[:0]
	for _, t := range page {
		if excludeReplies && t.inReplyTo != 0 || !includeRTs && t.retweetOf != 0 {
			continue
		}
		kept = append(kept, t)
	}
	s.writeTweets(c, kept)
}
