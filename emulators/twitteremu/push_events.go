package twitteremu

// The event shapes below are X's own samples of X Activity API events
// (x-api/activity/event-payloads.mdx, sections post.mention.create,
// post.reply.create and dm.received, in github.com/xdevplatform/docs at
// commit 287132819074964da9c1c410ba02df5a06c932d3, August 2026) with the
// ids, texts, times and accounts substituted by the emulator's own. That
// repository carries no licence file; the OpenAPI file in it names the X
// Developer Agreement and Policy
// (https://developer.x.com/en/developer-terms/agreement-and-policy.html)
// as its licence. Only the structure is taken: no sample text or account
// is copied, except the badge of X's Automated label. What the emulator
// does not keep (metrics, edit controls, profile images, verification)
// takes the samples' values for a new post by a plain account: zero
// counts, five edits left, no badge.

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// automatedBadgeURL is the badge of X's Automated label in X's samples.
const automatedBadgeURL = "https://pbs.twimg.com/semantic_core_img/1428827730364096519/4ZXpTBhS?format=png&name=orig"

// defaultProfileImage is the picture of an account that set none.
const defaultProfileImage = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"

// pushLogWindow is how long made events are kept: the replay window and
// some.
const pushLogWindow = PushReplayWindow + time.Hour

// pushLogMax bounds the log whatever the clock does.
const pushLogMax = 100000

// xaaEnvelopeJSON is the envelope every event comes in.
type xaaEnvelopeJSON struct {
	Data xaaEventJSON `json:"data"`
}

type xaaEventJSON struct {
	EventUUID string          `json:"event_uuid"`
	Filter    pushFilterJSON  `json:"filter"`
	EventType string          `json:"event_type"`
	Tag       string          `json:"tag,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	Includes  json.RawMessage `json:"includes,omitempty"`
}

// xaaPostMetricsJSON are a post's counts, each also as a string (…_str),
// as the samples write them.
type xaaPostMetricsJSON struct {
	RetweetCount       int    `json:"retweet_count"`
	RetweetCountStr    string `json:"retweet_count_str"`
	ReplyCount         int    `json:"reply_count"`
	ReplyCountStr      string `json:"reply_count_str"`
	LikeCount          int    `json:"like_count"`
	LikeCountStr       string `json:"like_count_str"`
	QuoteCount         int    `json:"quote_count"`
	QuoteCountStr      string `json:"quote_count_str"`
	BookmarkCount      int    `json:"bookmark_count"`
	BookmarkCountStr   string `json:"bookmark_count_str"`
	ImpressionCount    int    `json:"impression_count"`
	ImpressionCountStr string `json:"impression_count_str"`
}

type xaaEditControlsJSON struct {
	EditsRemaining    int    `json:"edits_remaining"`
	EditsRemainingStr string `json:"edits_remaining_str"`
	IsEditEligible    bool   `json:"is_edit_eligible"`
	EditableUntil     string `json:"editable_until"`
}

type xaaMentionJSON struct {
	Start    int    `json:"start"`
	StartStr string `json:"start_str"`
	End      int    `json:"end"`
	EndStr   string `json:"end_str"`
	Username string `json:"username"`
	ID       string `json:"id"`
}

// xaaHashtagJSON and xaaURLJSON are v2's entities with the _str offsets
// of the samples' mentions (the samples show no hashtag or URL).
type xaaHashtagJSON struct {
	Start    int    `json:"start"`
	StartStr string `json:"start_str"`
	End      int    `json:"end"`
	EndStr   string `json:"end_str"`
	Tag      string `json:"tag"`
}

type xaaURLJSON struct {
	Start       int    `json:"start"`
	StartStr    string `json:"start_str"`
	End         int    `json:"end"`
	EndStr      string `json:"end_str"`
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
}

type xaaEntitiesJSON struct {
	Hashtags []xaaHashtagJSON `json:"hashtags,omitempty"`
	Mentions []xaaMentionJSON `json:"mentions,omitempty"`
	URLs     []xaaURLJSON     `json:"urls,omitempty"`
}

// xaaPostJSON is a post as the samples' payloads have it, in their order.
type xaaPostJSON struct {
	PaidPartnership   bool                 `json:"paid_partnership"`
	CreatedAt         string               `json:"created_at"`
	EditHistory       []string             `json:"edit_history_tweet_ids"`
	ConversationID    string               `json:"conversation_id"`
	InReplyToTweetID  string               `json:"in_reply_to_tweet_id,omitempty"`
	InReplyToUserID   string               `json:"in_reply_to_user_id,omitempty"`
	ReferencedTweets  []v2RefJSON          `json:"referenced_tweets,omitempty"`
	DisplayTextRange  [2]int               `json:"display_text_range"`
	EditControls      *xaaEditControlsJSON `json:"edit_controls,omitempty"`
	Text              string               `json:"text"`
	Entities          *xaaEntitiesJSON     `json:"entities,omitempty"`
	AuthorID          string               `json:"author_id"`
	PossiblySensitive bool                 `json:"possibly_sensitive"`
	PublicMetrics     xaaPostMetricsJSON   `json:"public_metrics"`
	ReplySettings     string               `json:"reply_settings"`
	ID                string               `json:"id"`
	Lang              string               `json:"lang"`
}

type xaaUserMetricsJSON struct {
	FollowersCount    int    `json:"followers_count"`
	FollowersCountStr string `json:"followers_count_str"`
	FollowingCount    int    `json:"following_count"`
	FollowingCountStr string `json:"following_count_str"`
	TweetCount        int    `json:"tweet_count"`
	TweetCountStr     string `json:"tweet_count_str"`
	ListedCount       int    `json:"listed_count"`
	ListedCountStr    string `json:"listed_count_str"`
	LikeCount         int    `json:"like_count"`
	LikeCountStr      string `json:"like_count_str"`
	MediaCount        int    `json:"media_count"`
	MediaCountStr     string `json:"media_count_str"`
}

type xaaAffiliationJSON struct {
	BadgeURL    string `json:"badge_url"`
	Description string `json:"description"`
}

// xaaUserJSON is a user as the samples have it (the mention sample's
// author, an Automated account).
type xaaUserJSON struct {
	PublicMetrics      xaaUserMetricsJSON  `json:"public_metrics"`
	ProfileBannerURL   string              `json:"profile_banner_url"`
	Username           string              `json:"username"`
	Protected          bool                `json:"protected"`
	IsIdentityVerified bool                `json:"is_identity_verified"`
	Affiliation        *xaaAffiliationJSON `json:"affiliation,omitempty"`
	MostRecentTweetID  string              `json:"most_recent_tweet_id,omitempty"`
	VerifiedType       string              `json:"verified_type"`
	Description        string              `json:"description"`
	CreatedAt          string              `json:"created_at"`
	ProfileImageURL    string              `json:"profile_image_url"`
	Name               string              `json:"name"`
	Verified           bool                `json:"verified"`
	URL                string              `json:"url"`
	ID                 string              `json:"id"`
}

type xaaIncludesJSON struct {
	Users  []xaaUserJSON `json:"users,omitempty"`
	Tweets []xaaPostJSON `json:"tweets,omitempty"`
}

// xaaUserDataJSON is a user of a DM payload's users map.
type xaaUserDataJSON struct {
	Data xaaUserJSON `json:"data"`
}

// xaaDMPayloadJSON is a DM event's payload: the v1.1 event shape and the
// users it names.
type xaaDMPayloadJSON struct {
	DirectMessageEvents []dmEventJSON              `json:"direct_message_events"`
	Users               map[string]xaaUserDataJSON `json:"users"`
}

func itoa(n int) string { return strconv.Itoa(n) }

// xaaPost renders t as the samples' payloads; the caller holds s.mu.
// bodyStart is where its body starts (display_text_range), edit whether
// to show edit_controls (the mention sample does, the reply one not).
func (s *Server) xaaPost(t *tweet, bodyStart int, edit bool) xaaPostJSON {
	r := render(t.id, t.text, t.ents, t.mentionedUsers)
	out := xaaPostJSON{
		CreatedAt: v2Time(t.createdAt), EditHistory: []string{idStr(t.id)},
		ConversationID:   idStr(s.conversationRoot(t)),
		DisplayTextRange: [2]int{min(bodyStart, len(r.runes)), len(r.runes)},
		Text:             htmlEscape(string(r.runes)), AuthorID: idStr(t.author),
		PublicMetrics: xaaPostMetricsJSON{RetweetCountStr: "0", ReplyCountStr: "0", LikeCountStr: "0",
			QuoteCountStr: "0", BookmarkCountStr: "0", ImpressionCountStr: "0"},
		ReplySettings: "everyone", ID: idStr(t.id), Lang: "en",
	}
	if edit {
		out.EditControls = &xaaEditControlsJSON{EditsRemaining: 5, EditsRemainingStr: "5", IsEditEligible: true,
			EditableUntil: v2Time(t.createdAt.Add(time.Hour))}
	}
	if t.inReplyTo != 0 {
		out.InReplyToTweetID = idStr(t.inReplyTo)
		out.InReplyToUserID = idStr(t.inReplyToUser)
	}
	if t.quoteOf != 0 {
		out.ReferencedTweets = append(out.ReferencedTweets, v2RefJSON{Type: "quoted", ID: idStr(t.quoteOf)})
	}
	if t.inReplyTo != 0 {
		out.ReferencedTweets = append(out.ReferencedTweets, v2RefJSON{Type: "replied_to", ID: idStr(t.inReplyTo)})
	}
	e := &xaaEntitiesJSON{}
	for _, h := range r.hashtags {
		e.Hashtags = append(e.Hashtags, xaaHashtagJSON{Start: h.Start, StartStr: itoa(h.Start), End: h.End, EndStr: itoa(h.End), Tag: h.Text})
	}
	for i, m := range r.mentions {
		u := s.st.users[r.mentionU[i]]
		if u == nil { // not an account: no entity, as on X
			continue
		}
		e.Mentions = append(e.Mentions, xaaMentionJSON{Start: m.Start, StartStr: itoa(m.Start), End: m.End, EndStr: itoa(m.End),
			Username: u.ScreenName, ID: idStr(u.ID)})
	}
	for _, u := range r.urls {
		e.URLs = append(e.URLs, xaaURLJSON{Start: u.Indices[0], StartStr: itoa(u.Indices[0]), End: u.Indices[1], EndStr: itoa(u.Indices[1]),
			URL: u.URL, ExpandedURL: u.ExpandedURL, DisplayURL: u.DisplayURL})
	}
	if len(e.Hashtags)+len(e.Mentions)+len(e.URLs) > 0 {
		out.Entities = e
	}
	return out
}

// xaaUser renders u as the samples' users; the caller holds s.mu. An
// Automated account carries X's label as its affiliation.
func (s *Server) xaaUser(u *userRecord) xaaUserJSON {
	n := 0
	var latest int64
	for _, t := range s.st.tweetsBy[u.ID] {
		if !t.deleted {
			n++
			latest = t.id
		}
	}
	out := xaaUserJSON{
		PublicMetrics: xaaUserMetricsJSON{FollowersCountStr: "0", FollowingCountStr: "0", TweetCount: n, TweetCountStr: itoa(n),
			ListedCountStr: "0", LikeCountStr: "0", MediaCountStr: "0"},
		Username: u.ScreenName, VerifiedType: "none", CreatedAt: v2Time(u.CreatedAt),
		ProfileImageURL: defaultProfileImage, Name: u.Name, ID: idStr(u.ID),
	}
	if latest != 0 {
		out.MostRecentTweetID = idStr(latest)
	}
	if u.Automated {
		out.Affiliation = &xaaAffiliationJSON{BadgeURL: automatedBadgeURL, Description: automatedLabel}
	}
	return out
}

// xaaUsers renders the accounts ids names, each once, in first-seen order.
func (s *Server) xaaUsers(ids ...int64) []xaaUserJSON {
	var out []xaaUserJSON
	seen := map[int64]bool{}
	for _, id := range ids {
		if u := s.st.users[id]; u != nil && !seen[id] {
			seen[id] = true
			out = append(out, s.xaaUser(u))
		}
	}
	return out
}

// explicitMentions returns the accounts t names in its body, and where
// its body starts, in code points. A reply's leading mentions of the
// people of the conversation it answers (the parent's author and those
// the parent names), like the "@name " the emulator puts before a reply
// that names no one, are the implicit mentions X adds to a reply: not
// part of the body, and no post.mention.create.
func (s *Server) explicitMentions(t *tweet) (map[int64]bool, int) {
	var people map[int64]bool
	if p := s.st.tweetByID[t.inReplyTo]; t.inReplyTo != 0 && p != nil {
		people = map[int64]bool{p.author: true}
		for _, id := range p.mentionedUsers {
			if id != 0 {
				people[id] = true
			}
		}
	}
	runes := []rune(t.text)
	out := map[int64]bool{}
	body, pos, leading := t.displayStart, 0, true
	for i, m := range t.ents.Mentions {
		uid := t.mentionedUsers[i]
		if strings.TrimFunc(string(runes[min(pos, m.Start):m.Start]), unicode.IsSpace) != "" {
			leading = false
		}
		if m.Start < t.displayStart || leading && uid != 0 && people[uid] {
			end := m.End
			for end < len(runes) && unicode.IsSpace(runes[end]) {
				end++
			}
			body = max(body, end)
		} else {
			leading = false
			if uid != 0 {
				out[uid] = true
			}
		}
		pos = m.End
	}
	return out, body
}

// pushPost makes the events of the new post t: post.mention.create for
// each subscribed account its body names, post.reply.create for the
// subscribed author of the post it replies to. A retweet makes none, nor
// does an account's own post. The caller holds s.mu.
func (s *Server) pushPost(t *tweet) {
	if len(s.push.subs) == 0 || t.retweetOf != 0 {
		return
	}
	explicit, bodyStart := s.explicitMentions(t)
	var parent *tweet
	if t.inReplyTo != 0 {
		parent = s.st.tweetByID[t.inReplyTo]
	}
	var mentionPayload, mentionIncludes, replyPayload, replyIncludes []byte
	for _, sub := range slices.Clone(s.push.subs) {
		if sub.userID == t.author {
			continue
		}
		switch {
		case sub.eventType == EventMention && explicit[sub.userID]:
			if mentionPayload == nil {
				post := s.xaaPost(t, bodyStart, true)
				mentionPayload, _ = json.Marshal(post)
				users := []int64{t.author}
				for _, id := range t.mentionedUsers {
					users = append(users, id)
				}
				mentionIncludes, _ = json.Marshal(xaaIncludesJSON{Users: s.xaaUsers(users...), Tweets: []xaaPostJSON{post}})
			}
			s.emitPush(sub, t.id, mentionPayload, mentionIncludes)
		case sub.eventType == EventReply && parent != nil && parent.author == sub.userID:
			if replyPayload == nil {
				replyPayload, _ = json.Marshal(s.xaaPost(t, bodyStart, false))
				inc := xaaIncludesJSON{}
				if !s.opts.Push.ReplyIncludesEmpty {
					_, parentStart := s.explicitMentions(parent)
					inc = xaaIncludesJSON{Users: s.xaaUsers(t.author, parent.author),
						Tweets: []xaaPostJSON{s.xaaPost(parent, parentStart, true)}}
				}
				replyIncludes, _ = json.Marshal(inc)
			}
			s.emitPush(sub, t.id, replyPayload, replyIncludes)
		}
	}
}

// pushDM makes the dm.received event of the new direct message e for a
// subscribed recipient; the caller holds s.mu.
func (s *Server) pushDM(e *dmEvent) {
	if len(s.push.subs) == 0 || e.sender == e.recipient {
		return
	}
	var payload []byte
	for _, sub := range slices.Clone(s.push.subs) {
		if sub.eventType != EventDMReceived || sub.userID != e.recipient {
			continue
		}
		if payload == nil {
			users := map[string]xaaUserDataJSON{}
			for _, u := range s.xaaUsers(e.sender, e.recipient) {
				u.MostRecentTweetID = "" // not in the dm.received sample's users
				users[u.ID] = xaaUserDataJSON{Data: u}
			}
			payload, _ = json.Marshal(xaaDMPayloadJSON{DirectMessageEvents: []dmEventJSON{s.dmObject(e)}, Users: users})
		}
		s.emitPush(sub, e.id, payload, nil)
	}
}

// newUUID makes an event_uuid: a signed 64-bit decimal (X's samples have
// negative ones), from a SplitMix64 sequence so that runs repeat.
func (p *pushState) newUUID() string {
	p.uuidSeq++
	z := p.uuidSeq * 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return strconv.FormatInt(int64(z), 10)
}

// emitPush makes the event of sub for the message messageID, logs it (for
// backfill and replay) and queues it on every open stream and on sub's
// webhook; the caller holds s.mu.
func (s *Server) emitPush(sub *subscription, messageID int64, payload, includes []byte) {
	now := s.now()
	ev := PushEvent{
		UUID: s.push.newUUID(), EventType: sub.eventType, Tag: sub.tag, SubscriptionID: idStr(sub.id),
		UserID: sub.userID, MessageID: messageID, WebhookID: sub.webhookID, Time: now,
	}
	ev.Body, _ = json.Marshal(xaaEnvelopeJSON{Data: xaaEventJSON{
		EventUUID: ev.UUID, Filter: pushFilterJSON{UserID: idStr(sub.userID)}, EventType: sub.eventType,
		Tag: sub.tag, Payload: payload, Includes: includes,
	}})
	log := s.push.log
	i := 0
	for i < len(log) && (log[i].Time.Before(now.Add(-pushLogWindow)) || len(log)-i >= pushLogMax) {
		i++
	}
	s.push.log = append(log[i:], ev)
	copies := 1
	if s.takePushFault(func(f *PushFault) bool { return f.Duplicate }) != nil {
		copies = 2
	}
	wh := s.webhookByID(sub.webhookID)
	for n := range copies {
		d := PushedEvent{PushEvent: ev, Duplicate: n == 1}
		for _, st := range s.push.streams {
			st.enqueue(d)
		}
		if wh != nil {
			wh.enqueue(d)
		}
	}
	s.log.Debug("push event", "event_type", ev.EventType, "message_id", messageID, "uuid", ev.UUID,
		"streams", len(s.push.streams), "webhook", sub.webhookID)
}
