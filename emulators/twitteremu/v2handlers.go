package twitteremu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paybytweet/paybytweet/twittertext"
)

// handleV2Me answers GET users/me with the bot.
func (s *Server) handleV2Me(c *call) {
	u := s.st.users[s.opts.Bot.ID]
	c.json(http.StatusOK, v2DataJSON[v2UserJSON]{Data: s.v2User(u, c.fieldSet("user.fields"))})
}

// handleV2User answers GET users/{id} with the account, its user.fields
// as asked. An id that is no account is answered as X answers a lookup:
// 200 with no data and only a not-found error (404 with a problem under
// Options.UserNotFoundAs404).
func (s *Server) handleV2User(c *call) {
	id, ok := parseV2ID(c.pathID)
	if !ok {
		c.problem(badPathID(c.pathID))
		return
	}
	u := s.st.users[id]
	switch {
	case u != nil:
		c.json(http.StatusOK, v2DataJSON[v2UserJSON]{Data: s.v2User(u, c.fieldSet("user.fields"))})
	case s.opts.UserNotFoundAs404:
		c.problem(problemFor(http.StatusNotFound, fmt.Sprintf("Could not find user with id: [%s].", c.pathID)))
	default:
		c.json(http.StatusOK, v2PageJSON[v2UserJSON]{Errors: []problemEntryJSON{notFoundEntry("user", "id", c.pathID)}})
	}
}

// badPathID is X's 400 for an {id} path segment that is not a decimal id.
func badPathID(id string) problemJSON {
	p := problemFor(http.StatusBadRequest, detailInvalidQuery)
	p.Errors = []problemEntryJSON{{
		Parameters: map[string][]string{"id": {id}},
		Message:    fmt.Sprintf("The `id` query parameter value [%s] does not match ^[0-9]{1,19}$", id),
	}}
	return p
}

// pathUser reads the {id} of users/{id}/...: false (having answered) when
// it is malformed (400) or unknown (200 with only a not-found error, as X
// answers).
func (s *Server) pathUser(c *call) (int64, bool) {
	id, ok := parseV2ID(c.pathID)
	if !ok {
		c.problem(badPathID(c.pathID))
		return 0, false
	}
	if _, known := s.st.users[id]; !known {
		c.json(http.StatusOK, v2PageJSON[v2TweetJSON]{Errors: []problemEntryJSON{notFoundEntry("user", "id", c.pathID)}})
		return 0, false
	}
	return id, true
}

// timelinePage pages ts (ascending ids) newest first with since_id,
// until_id and pagination_token of kind; it returns the page and the
// next token ("" on the last page).
func timelinePage(c *call, ts []*tweet, kind byte) ([]*tweet, string) {
	count := 10 // X's default; a given value was checked by checkV2Query
	if n, err := strconv.Atoi(c.query.Get("max_results")); err == nil {
		count = n
	}
	since, _ := parseV2ID(c.query.Get("since_id"))
	var below int64 // exclusive upper bound; 0 = none
	if v := c.query.Get("until_id"); v != "" {
		below, _ = parseV2ID(v)
	}
	if tok := c.query.Get("pagination_token"); tok != "" {
		_, id, _ := decodeV2Token(tok)
		if below == 0 || id < below {
			below = id
		}
	}
	maxID := int64(0)
	if below > 0 {
		maxID = below - 1
		if maxID == 0 {
			return nil, ""
		}
	}
	page := pageTweets(ts, since, maxID, count+1)
	if len(page) <= count {
		return page, ""
	}
	page = page[:count]
	return page, encodeV2Token(kind, page[len(page)-1].id)
}

// checkToken refuses a token made by another endpoint; false when it did.
func checkToken(c *call, kind byte) bool {
	tok := c.query.Get("pagination_token")
	if tok == "" {
		return true
	}
	if k, _, _ := decodeV2Token(tok); k != kind {
		p := problemFor(http.StatusBadRequest, detailInvalidQuery)
		p.Errors = []problemEntryJSON{{
			Parameters: map[string][]string{"pagination_token": {tok}},
			Message:    fmt.Sprintf("The `pagination_token` query parameter value [%s] is not valid", tok),
		}}
		c.problem(p)
		return false
	}
	return true
}

// writeV2Tweets answers a timeline page with includes and meta; data is
// left out of an empty page, as on X.
func (s *Server) writeV2Tweets(c *call, page []*tweet, next string) {
	fields := c.fieldSet(postsFieldsParam(s.postFields))
	exp := c.fieldSet("expansions")
	out := v2PageJSON[v2TweetJSON]{Meta: &v2MetaJSON{ResultCount: len(page), NextToken: next}}
	var users []int64
	for _, t := range page {
		out.Data = append(out.Data, s.v2Tweet(t, fields))
		if exp["author_id"] {
			users = append(users, t.author)
		}
		if exp["in_reply_to_user_id"] && t.inReplyTo != 0 {
			users = append(users, t.inReplyToUser)
		}
		if exp["entities.mentions.username"] {
			for _, id := range t.mentionedUsers {
				if id != 0 {
					users = append(users, id)
				}
			}
		}
	}
	if len(page) > 0 {
		out.Meta.NewestID = idStr(page[0].id)
		out.Meta.OldestID = idStr(page[len(page)-1].id)
	}
	out.Includes = s.includes(users, c.fieldSet("user.fields"))
	c.json(http.StatusOK, out)
}

// handleV2Mentions answers GET users/{id}/mentions: live posts whose own
// mention entities include the user, within the 800 most recent.
func (s *Server) handleV2Mentions(c *call) {
	uid, ok := s.pathUser(c)
	if !ok || !checkToken(c, tokenMentions) {
		return
	}
	ms := liveOnly(s.st.mentionsOf[uid])
	if len(ms) > MentionsCap {
		ms = ms[len(ms)-MentionsCap:]
	}
	page, next := timelinePage(c, ms, tokenMentions)
	s.writeV2Tweets(c, page, next)
}

// handleV2UserTweets answers GET users/{id}/tweets: the user's live posts
// within the 3,200 most recent; exclude=replies,retweets filters before
// paging, as on X.
func (s *Server) handleV2UserTweets(c *call) {
	uid, ok := s.pathUser(c)
	if !ok || !checkToken(c, tokenTweets) {
		return
	}
	ts := liveOnly(s.st.tweetsBy[uid])
	if len(ts) > UserTimelineCap {
		ts = ts[len(ts)-UserTimelineCap:]
	}
	ex := c.fieldSet("exclude")
	kept := ts[:0:0]
	for _, t := range ts {
		if ex["replies"] && t.inReplyTo != 0 || ex["retweets"] && t.retweetOf != 0 {
			continue
		}
		kept = append(kept, t)
	}
	page, next := timelinePage(c, kept, tokenTweets)
	s.writeV2Tweets(c, page, next)
}

// jsonBody decodes a POST's JSON object into its top-level members,
// answering 400 (false) without Content-Type application/json, for a body
// that is not a JSON object, or for a member that is not in emulated (with
// X's schema message when X does not know it either).
func jsonBody(c *call, knownKeys, emulated []string) (map[string]json.RawMessage, bool) {
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		c.problem(problemFor(http.StatusBadRequest, "A JSON body with Content-Type: application/json is required."))
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &m); err != nil || m == nil {
		c.problem(problemFor(http.StatusBadRequest, "The request body is not a JSON object."))
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(knownKeys, k):
			c.problem(problemFor(http.StatusBadRequest, fmt.Sprintf("$.%s: is not defined in the schema and the schema does not allow additional properties", k)))
			return nil, false
		case !slices.Contains(emulated, k):
			c.problem(problemFor(http.StatusBadRequest, fmt.Sprintf("twitteremu does not emulate the body member %q, which X accepts", k)))
			return nil, false
		}
	}
	return m, true
}

// stringMember decodes a string member; false (having answered 400) when
// it is not a string.
func stringMember(c *call, m map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := m[key]
	if !ok {
		return "", true
	}
	var s string
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&s); err != nil {
		c.problem(problemFor(http.StatusBadRequest, fmt.Sprintf("$.%s: is not a string", key)))
		return "", false
	}
	return s, true
}

var postTweetKeys = []string{"card_uri", "community_id", "direct_message_deep_link", "for_super_followers_only",
	"geo", "made_with_ai", "media", "nullcast", "paid_partnership", "poll", "quote_tweet_id", "reply",
	"reply_settings", "share_with_followers", "text"}

// handleV2PostTweet answers POST tweets: a post by the bot, or a reply
// when reply.in_reply_to_tweet_id is set. A reply needs a live parent (404,
// or 400 with Options.ReplyGoneAs400) and, unless
// Options.NoSummonedReplyRule, a parent whose author summoned the bot
// (403); the rest is createTweet's validation.
func (s *Server) handleV2PostTweet(c *call) {
	m, ok := jsonBody(c, postTweetKeys, []string{"text", "reply"})
	if !ok {
		return
	}
	text, ok := stringMember(c, m, "text")
	if !ok {
		return
	}
	bot := s.opts.Bot.ID
	var parentID int64
	if raw, has := m["reply"]; has {
		var reply struct {
			InReplyToTweetID string `json:"in_reply_to_tweet_id"`
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		id, valid := int64(0), false
		if d.Decode(&reply) == nil {
			id, valid = parseV2ID(reply.InReplyToTweetID)
		}
		if !valid {
			c.problem(problemFor(http.StatusBadRequest, "$.reply.in_reply_to_tweet_id: a Post id is required; twitteremu emulates no other member of reply."))
			return
		}
		parent, live := s.st.liveTweet(id)
		if !live {
			c.problem(s.replyGoneProblem(id))
			return
		}
		if !s.opts.NoSummonedReplyRule && !s.summoned(parent, bot) {
			c.problem(problemFor(http.StatusForbidden, DetailReplyRefused))
			return
		}
		parentID = id
	}
	t, err := s.createTweet(newTweetParams{author: bot, text: text, inReplyTo: parentID})
	if err != nil {
		switch err.Code {
		case CodeDuplicateStatus:
			c.problem(problemFor(http.StatusForbidden, DetailDuplicate))
		case CodeMissingStatus:
			c.problem(problemFor(http.StatusBadRequest, "$.text: a non-blank text is required."))
		case CodeTweetTooLong:
			c.problem(s.tooLongProblem())
		default:
			c.problem(v2Error(err))
		}
		return
	}
	r := render(t.id, t.text, t.ents, t.mentionedUsers)
	c.json(http.StatusCreated, v2DataJSON[v2TweetJSON]{Data: v2TweetJSON{
		ID: idStr(t.id), Text: htmlEscape(string(r.runes)), EditHistory: []string{idStr(t.id)},
	}})
}

// replyGoneProblem is the refusal of a reply to post id, which does not
// exist or was deleted: the live API's 404, or the 400 of X's playground
// (Options.ReplyGoneAs400), so that clients are tested against both.
func (s *Server) replyGoneProblem(id int64) problemJSON {
	if s.opts.ReplyGoneAs400 {
		return problemFor(http.StatusBadRequest, DetailReplyInvalid)
	}
	return problemFor(http.StatusNotFound, fmt.Sprintf("Could not find tweet with in_reply_to_tweet_id: [%d].", id))
}

// tooLongProblem is the refusal of a post whose text is too long: the
// live API's 403, or the 400 of X's playground (Options.TooLongAs400).
func (s *Server) tooLongProblem() problemJSON {
	if s.opts.TooLongAs400 {
		return problemFor(http.StatusBadRequest, DetailTextTooLong)
	}
	return problemFor(http.StatusForbidden, "Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text.")
}

// summoned reports X's summoned-reply rule for a reply by bot to parent:
// its author mentioned the bot in it, or it quotes one of the bot's posts.
// X's documentation makes no exception for replying to one's own posts,
// so neither does the emulator.
func (s *Server) summoned(parent *tweet, bot int64) bool {
	if slices.Contains(parent.mentionedUsers, bot) {
		return true
	}
	q := s.st.tweetByID[parent.quoteOf]
	return q != nil && q.author == bot
}

// handleV2DMEvents answers GET dm_events: the bot's sent and received
// MessageCreate events of the last 30 days, newest first.
func (s *Server) handleV2DMEvents(c *call) {
	if !checkToken(c, tokenDMs) {
		return
	}
	types := c.fieldSet("event_types")
	count := 100 // X's default
	if n, err := strconv.Atoi(c.query.Get("max_results")); err == nil {
		count = n
	}
	below := int64(0)
	if tok := c.query.Get("pagination_token"); tok != "" {
		_, below, _ = decodeV2Token(tok)
	}
	fields := c.fieldSet("dm_event.fields")
	out := v2PageJSON[v2DMEventJSON]{Meta: &v2MetaJSON{}}
	var senders []int64
	if len(types) == 0 || types["MessageCreate"] {
		cutoff := c.now.Add(-DMListWindow)
		evs := s.st.dmsOf[s.opts.Bot.ID]
		var last int64
		for i := len(evs) - 1; i >= 0; i-- {
			e := evs[i]
			if below > 0 && e.id >= below || !e.createdAt.After(cutoff) || c.unlisted(e.createdAt) {
				continue
			}
			if len(out.Data) == count {
				out.Meta.NextToken = encodeV2Token(tokenDMs, last)
				break
			}
			out.Data = append(out.Data, s.v2DMEvent(e, fields))
			senders = append(senders, e.sender)
			last = e.id
		}
	}
	out.Meta.ResultCount = len(out.Data)
	if c.fieldSet("expansions")["sender_id"] {
		out.Includes = s.includes(senders, c.fieldSet("user.fields"))
	}
	c.json(http.StatusOK, out)
}

// handleV2SendDM answers POST dm_conversations/with/{participant_id}/messages:
// a DM from the bot.
func (s *Server) handleV2SendDM(c *call) {
	to, ok := parseV2ID(c.pathID)
	if !ok {
		c.problem(problemFor(http.StatusBadRequest, fmt.Sprintf("The `participant_id` path parameter value [%s] does not match ^[0-9]{1,19}$", c.pathID)))
		return
	}
	m, ok := jsonBody(c, []string{"attachments", "text"}, []string{"text"})
	if !ok {
		return
	}
	text, ok := stringMember(c, m, "text")
	if !ok {
		return
	}
	bot := s.opts.Bot.ID
	if to == bot {
		c.problem(problemFor(http.StatusBadRequest, "You cannot send a Direct Message to yourself."))
		return
	}
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > twittertext.MaxDMLength {
		c.problem(problemFor(http.StatusBadRequest, fmt.Sprintf("$.text: a non-blank text of at most %d characters is required.", twittertext.MaxDMLength)))
		return
	}
	e, err := s.createDM(bot, to, text)
	if err != nil {
		if err.Code == CodeCannotFindUser {
			c.problem(problemFor(http.StatusNotFound, fmt.Sprintf("Could not find user with participant_id: [%s].", c.pathID)))
			return
		}
		c.problem(v2Error(err))
		return
	}
	c.json(http.StatusCreated, v2DataJSON[v2SentDMJSON]{Data: v2SentDMJSON{
		ConversationID: dmConversationID(bot, to), EventID: idStr(e.id),
	}})
}
