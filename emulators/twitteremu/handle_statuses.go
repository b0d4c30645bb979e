package twitteremu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// handleShow answers statuses/show (id in the query or the path).
func (s *Server) handleShow(c *call) {
	id := c.int64Param("id")
	if c.pathID != "" {
		id, _ = strconv.ParseInt(c.pathID, 10, 64)
	}
	t, ok := s.st.liveTweet(id)
	if !ok {
		c.fail(errNoStatus())
		return
	}
	c.json(http.StatusOK, s.tweetObject(t, c.renderMode()))
}

// handleUpdate answers statuses/update: a new Tweet by the bot, refused
// with 185 past the posting limit and as createTweet refuses otherwise.
func (s *Server) handleUpdate(c *call) {
	bot := s.opts.Bot.ID
	if overBudget(s.st.postLog, bot, c.now, s.opts.PostingLimit, s.opts.PostingWindow) {
		c.fail(apiErr(http.StatusForbidden, CodeOverUpdateLimit, "User is over daily status update limit."))
		return
	}
	p := newTweetParams{
		author:          bot,
		text:            c.param("status"),
		inReplyTo:       c.int64Param("in_reply_to_status_id"),
		autoReplyPrefix: c.boolParam("auto_populate_reply_metadata", false),
		// Twitter ignores in_reply_to_status_id unless the text mentions
		// the replied-to author: such a "reply" is a stand-alone Tweet.
		dropUnmentionedReply: true,
	}
	if a := c.param("attachment_url"); a != "" {
		id, ok := parseStatusURL(a)
		if !ok {
			c.fail(apiErr(http.StatusBadRequest, CodeInvalidAttachmentURL, "attachment_url parameter is invalid."))
			return
		}
		p.quoteOf = id
	}
	t, err := s.createTweet(p)
	if err != nil {
		c.fail(err)
		return
	}
	useBudget(s.st.postLog, bot, c.now)
	c.json(http.StatusOK, s.tweetObject(t, c.renderMode()))
}

// parseStatusURL reads the id of a Tweet permalink such as
// https://twitter.com/user/status/123.
func parseStatusURL(raw string) (int64, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 3 || parts[1] != "status" {
		return 0, false
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	return id, err == nil && id > 0
}

// handleDestroy answers statuses/destroy/:id with the deleted Tweet.
func (s *Server) handleDestroy(c *call) {
	id, _ := strconv.ParseInt(c.pathID, 10, 64)
	t, ok := s.st.liveTweet(id)
	if !ok {
		c.fail(errNoStatus())
		return
	}
	if t.author != s.opts.Bot.ID {
		c.fail(apiErr(http.StatusForbidden, CodeCannotDeleteOthers, "You may not delete another user's status."))
		return
	}
	obj := s.tweetObject(t, c.renderMode())
	if _, err := s.deleteTweet(id); err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, obj)
}
