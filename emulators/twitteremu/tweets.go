package twitteremu

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/paybytweet/paybytweet/twittertext"
)

// newTweetParams are what a new Tweet is made of, from the Go API or from
// statuses/update.
type newTweetParams struct {
	author    int64
	text      string
	inReplyTo int64
	quoteOf   int64
	// autoReplyPrefix prefixes "@screen_name " of the replied-to author
	// when the text does not mention them, as Twitter's own clients (and
	// auto_populate_reply_metadata) do; display_text_range then skips it.
	autoReplyPrefix bool
	// dropUnmentionedReply posts a "reply" whose text does not mention
	// the replied-to author as a stand-alone Tweet, as statuses/update
	// documents; replies to one's own Tweets (threads) keep the link.
	dropUnmentionedReply bool
}

// createTweet validates p as statuses/update does (170, 186, 385, 44, 187)
// and stores the Tweet. The caller holds s.mu.
func (s *Server) createTweet(p newTweetParams) (*tweet, *APIError) {
	st := s.st
	author, ok := st.users[p.author]
	if !ok {
		return nil, errUserNotFound()
	}
	if strings.TrimSpace(p.text) == "" {
		return nil, apiErr(http.StatusForbidden, CodeMissingStatus, "Missing required parameter: status.")
	}
	var parent *tweet
	if p.inReplyTo != 0 {
		parent, ok = st.liveTweet(p.inReplyTo)
		if !ok {
			return nil, apiErr(http.StatusForbidden, CodeReplyToUnavailable,
				"You attempted to reply to a Tweet that is deleted or not visible to you.")
		}
	}
	text, displayStart := p.text, 0
	// Replying to oneself (a thread) needs no mention.
	if pa := st.users[parent.authorOrZero()]; pa != nil && pa.ID != author.ID && !mentionsName(twittertext.Extract(text).Mentions, pa.ScreenName) {
		switch {
		case p.autoReplyPrefix:
			prefix := "@" + pa.ScreenName + " "
			text = prefix + text
			displayStart = utf8.RuneCountInString(prefix)
		case p.dropUnmentionedReply:
			parent = nil
			p.inReplyTo = 0
		}
	}
	if !twittertext.FitsTweet(text) {
		return nil, apiErr(http.StatusForbidden, CodeTweetTooLong, "Tweet needs to be a bit shorter.")
	}
	if p.quoteOf != 0 {
		if _, ok := st.liveTweet(p.quoteOf); !ok {
			return nil, apiErr(http.StatusBadRequest, CodeInvalidAttachmentURL, "attachment_url parameter is invalid.")
		}
	}
	for _, t := range st.tweetsBy[author.ID] {
		if !t.deleted && t.retweetOf == 0 && t.text == text {
			return nil, apiErr(http.StatusForbidden, CodeDuplicateStatus, "Status is a duplicate.")
		}
	}
	ents := twittertext.Extract(text)
	t := &tweet{
		id: st.newID(), author: author.ID, text: text, displayStart: displayStart,
		inReplyTo: p.inReplyTo, quoteOf: p.quoteOf, createdAt: s.now(),
		ents: ents, mentionedUsers: st.resolveMentions(ents.Mentions),
	}
	if parent != nil {
		t.inReplyToUser = parent.author
	}
	st.insertTweet(t)
	s.pushPost(t)
	s.log.Debug("tweet created", "id", t.id, "author", t.author, "in_reply_to", t.inReplyTo)
	return t, nil
}

func (t *tweet) authorOrZero() int64 {
	if t == nil {
		return 0
	}
	return t.author
}

func mentionsName(ms []twittertext.Mention, name string) bool {
	for _, m := range ms {
		if strings.EqualFold(m.ScreenName, name) {
			return true
		}
	}
	return false
}

// PostTweet posts text as the user author, with the validation of
// statuses/update: it returns an *APIError with code 50 for an unknown
// author, 170 for blank text, 186 for text over 280 weighted characters,
// 385 when InReplyTo names an unknown or deleted Tweet, 44 when QuoteOf does,
// and 187 when author already has a live Tweet with the same text. The
// posting limit (185) applies only to the HTTP endpoint. Like Twitter's
// apps, a reply whose text does not mention the replied-to author gets
// "@screen_name " prefixed.
func (s *Server) PostTweet(author int64, text string, opt TweetOptions) (Tweet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.createTweet(newTweetParams{
		author: author, text: text, inReplyTo: opt.InReplyTo, quoteOf: opt.QuoteOf, autoReplyPrefix: true,
	})
	if err != nil {
		return Tweet{}, err
	}
	return t.public(), nil
}

// Retweet makes user retweet the Tweet tweetID (or, for a retweet, its
// original). It returns an *APIError with code 50 for an unknown user, 144
// for an unknown or deleted Tweet and 327 when user already retweeted it.
func (s *Server) Retweet(user, tweetID int64) (Tweet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if _, ok := st.users[user]; !ok {
		return Tweet{}, errUserNotFound()
	}
	orig, ok := st.liveTweet(tweetID)
	if !ok {
		return Tweet{}, errNoStatus()
	}
	if orig.retweetOf != 0 {
		if orig, ok = st.liveTweet(orig.retweetOf); !ok {
			return Tweet{}, errNoStatus()
		}
	}
	for _, t := range st.tweetsBy[user] {
		if !t.deleted && t.retweetOf == orig.id {
			return Tweet{}, apiErr(http.StatusForbidden, CodeAlreadyRetweeted, "You have already retweeted this Tweet.")
		}
	}
	// Classic retweet text: "RT @author: text"; its entities include the
	// original's hashtags and mentions, which is why a bot must look at
	// retweeted_status rather than the hashtags alone.
	text := "RT @" + st.users[orig.author].ScreenName + ": " + orig.text
	ents := twittertext.Extract(text)
	t := &tweet{
		id: st.newID(), author: user, text: text, retweetOf: orig.id, createdAt: s.now(),
		ents: ents, mentionedUsers: st.resolveMentions(ents.Mentions),
	}
	st.insertTweet(t)
	return t.public(), nil
}

// DeleteTweet deletes the Tweet id and the retweets of it, as Twitter does.
// It returns an *APIError with code 144 when the Tweet is unknown or already
// deleted.
func (s *Server) DeleteTweet(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.deleteTweet(id); err != nil {
		return err
	}
	return nil
}

func (s *Server) deleteTweet(id int64) (*tweet, *APIError) {
	t, ok := s.st.liveTweet(id)
	if !ok {
		return nil, errNoStatus()
	}
	t.deleted = true
	for _, rt := range s.st.tweets {
		if rt.retweetOf == id {
			rt.deleted = true
		}
	}
	return t, nil
}

// Tweets returns every live Tweet in ascending id order; deleted Tweets (and
// retweets of deleted Tweets) are left out. It never fails.
func (s *Server) Tweets() []Tweet {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Tweet{}
	for _, t := range s.st.tweets {
		if !t.deleted {
			out = append(out, t.public())
		}
	}
	return out
}

// TweetsBy returns the live Tweets (and retweets) of user in ascending id
// order; empty for an unknown user.
func (s *Server) TweetsBy(user int64) []Tweet {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Tweet{}
	for _, t := range s.st.tweetsBy[user] {
		if !t.deleted {
			out = append(out, t.public())
		}
	}
	return out
}
