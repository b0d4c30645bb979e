package twitteremu

import (
	"encoding/base32"
	"strconv"
	"strings"
	"time"
)

// The v2 JSON shapes, written from X's v2 documentation. Ids are decimal
// strings; entity offsets count code points.

type v2UserJSON struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Username    string             `json:"username"`
	CreatedAt   string             `json:"created_at,omitempty"`
	Affiliation *v2AffiliationJSON `json:"affiliation,omitempty"`
}

// v2AffiliationJSON is a user's affiliation; X's "Automated" label is one
// whose description is "Automated".
type v2AffiliationJSON struct {
	Description string `json:"description"`
}

// automatedLabel is the affiliation description of X's Automated label.
const automatedLabel = "Automated"

type v2HashtagJSON struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Tag   string `json:"tag"`
}

type v2MentionJSON struct {
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Username string `json:"username"`
	ID       string `json:"id"`
}

type v2URLJSON struct {
	Start       int    `json:"start"`
	End         int    `json:"end"`
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
}

type v2EntitiesJSON struct {
	Hashtags []v2HashtagJSON `json:"hashtags,omitempty"`
	Mentions []v2MentionJSON `json:"mentions,omitempty"`
	URLs     []v2URLJSON     `json:"urls,omitempty"`
}

type v2RefJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type v2TweetJSON struct {
	ID               string          `json:"id"`
	Text             string          `json:"text"`
	EditHistory      []string        `json:"edit_history_tweet_ids,omitempty"`
	AuthorID         string          `json:"author_id,omitempty"`
	CreatedAt        string          `json:"created_at,omitempty"`
	ConversationID   string          `json:"conversation_id,omitempty"`
	InReplyToUserID  string          `json:"in_reply_to_user_id,omitempty"`
	ReferencedTweets []v2RefJSON     `json:"referenced_tweets,omitempty"`
	Entities         *v2EntitiesJSON `json:"entities,omitempty"`
}

type v2DMEventJSON struct {
	ID               string          `json:"id"`
	EventType        string          `json:"event_type"`
	Text             string          `json:"text,omitempty"`
	SenderID         string          `json:"sender_id,omitempty"`
	DMConversationID string          `json:"dm_conversation_id,omitempty"`
	CreatedAt        string          `json:"created_at,omitempty"`
	Entities         *v2EntitiesJSON `json:"entities,omitempty"`
}

type v2SentDMJSON struct {
	ConversationID string `json:"dm_conversation_id"`
	EventID        string `json:"dm_event_id"`
}

type v2IncludesJSON struct {
	Users []v2UserJSON `json:"users,omitempty"`
}

type v2MetaJSON struct {
	ResultCount int    `json:"result_count"`
	NewestID    string `json:"newest_id,omitempty"`
	OldestID    string `json:"oldest_id,omitempty"`
	NextToken   string `json:"next_token,omitempty"`
}

type v2PageJSON[T any] struct {
	Data     []T                `json:"data,omitempty"`
	Includes *v2IncludesJSON    `json:"includes,omitempty"`
	Meta     *v2MetaJSON        `json:"meta,omitempty"`
	Errors   []problemEntryJSON `json:"errors,omitempty"`
}

type v2DataJSON[T any] struct {
	Data T `json:"data"`
}

func v2Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// v2Entities renders the entities of a rendered text, nil when it has
// none (X leaves the object out then).
func (s *Server) v2Entities(r renderedText) *v2EntitiesJSON {
	e := &v2EntitiesJSON{}
	for _, h := range r.hashtags {
		e.Hashtags = append(e.Hashtags, v2HashtagJSON{Start: h.Start, End: h.End, Tag: h.Text})
	}
	for i, m := range r.mentions {
		u := s.st.users[r.mentionU[i]]
		if u == nil { // not an account: no entity, as on X
			continue
		}
		e.Mentions = append(e.Mentions, v2MentionJSON{Start: m.Start, End: m.End, Username: u.ScreenName, ID: idStr(u.ID)})
	}
	for _, u := range r.urls {
		e.URLs = append(e.URLs, v2URLJSON{Start: u.Indices[0], End: u.Indices[1], URL: u.URL, ExpandedURL: u.ExpandedURL, DisplayURL: u.DisplayURL})
	}
	if len(e.Hashtags)+len(e.Mentions)+len(e.URLs) == 0 {
		return nil
	}
	return e
}

// conversationRoot is the first post of t's reply chain (a parent always
// has a smaller id, so the walk ends).
func (s *Server) conversationRoot(t *tweet) int64 {
	for t.inReplyTo != 0 {
		p := s.st.tweetByID[t.inReplyTo]
		if p == nil {
			break
		}
		t = p
	}
	return t.id
}

// v2Tweet renders t with the requested tweet.fields (id, text and
// edit_history_tweet_ids always, as X's defaults); the caller holds s.mu.
// As in v1.1, the text has its URLs wrapped in t.co links and &, <, >
// escaped, and entity offsets count the unescaped text.
func (s *Server) v2Tweet(t *tweet, fields map[string]bool) v2TweetJSON {
	r := render(t.id, t.text, t.ents, t.mentionedUsers)
	out := v2TweetJSON{ID: idStr(t.id), Text: htmlEscape(string(r.runes)), EditHistory: []string{idStr(t.id)}}
	if fields["author_id"] {
		out.AuthorID = idStr(t.author)
	}
	if fields["created_at"] {
		out.CreatedAt = v2Time(t.createdAt)
	}
	if fields["conversation_id"] {
		out.ConversationID = idStr(s.conversationRoot(t))
	}
	if fields["in_reply_to_user_id"] && t.inReplyTo != 0 {
		out.InReplyToUserID = idStr(t.inReplyToUser)
	}
	if fields["referenced_tweets"] {
		if t.retweetOf != 0 {
			out.ReferencedTweets = append(out.ReferencedTweets, v2RefJSON{Type: "retweeted", ID: idStr(t.retweetOf)})
		}
		if t.quoteOf != 0 {
			out.ReferencedTweets = append(out.ReferencedTweets, v2RefJSON{Type: "quoted", ID: idStr(t.quoteOf)})
		}
		if t.inReplyTo != 0 {
			out.ReferencedTweets = append(out.ReferencedTweets, v2RefJSON{Type: "replied_to", ID: idStr(t.inReplyTo)})
		}
	}
	if fields["entities"] {
		out.Entities = s.v2Entities(r)
	}
	return out
}

// v2User renders u with the requested user.fields (id, name and username
// always, as X's defaults). An Automated account's affiliation is shown
// asked or not, unless Options.AffiliationOnlyWhenAsked.
func (s *Server) v2User(u *userRecord, fields map[string]bool) v2UserJSON {
	out := v2UserJSON{ID: idStr(u.ID), Name: u.Name, Username: u.ScreenName}
	if fields["created_at"] {
		out.CreatedAt = v2Time(u.CreatedAt)
	}
	if u.Automated && (fields["affiliation"] || !s.opts.AffiliationOnlyWhenAsked) {
		out.Affiliation = &v2AffiliationJSON{Description: automatedLabel}
	}
	return out
}

// dmConversationID is X's id of a one-to-one conversation: the two user
// ids, smaller first.
func dmConversationID(a, b int64) string {
	return idStr(min(a, b)) + "-" + idStr(max(a, b))
}

func (s *Server) v2DMEvent(e *dmEvent, fields map[string]bool) v2DMEventJSON {
	r := render(e.id, e.text, e.ents, e.mentionedUsers)
	out := v2DMEventJSON{ID: idStr(e.id), EventType: "MessageCreate", Text: string(r.runes)}
	if fields["sender_id"] {
		out.SenderID = idStr(e.sender)
	}
	if fields["dm_conversation_id"] {
		out.DMConversationID = dmConversationID(e.sender, e.recipient)
	}
	if fields["created_at"] {
		out.CreatedAt = v2Time(e.createdAt)
	}
	if fields["entities"] {
		out.Entities = s.v2Entities(r)
	}
	return out
}

// includes collects the users named by ids, each once, in first-seen
// order; nil when there are none.
func (s *Server) includes(ids []int64, fields map[string]bool) *v2IncludesJSON {
	seen := map[int64]bool{}
	inc := &v2IncludesJSON{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if u := s.st.users[id]; u != nil {
			inc.Users = append(inc.Users, s.v2User(u, fields))
		}
	}
	if len(inc.Users) == 0 {
		return nil
	}
	return inc
}

// Pagination tokens are opaque to clients, as X's: a kind letter (so that
// a token of one endpoint is refused by another) and the id below which
// the next page starts, in lower-case base32.
var tokenEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

const (
	tokenMentions = 'm'
	tokenTweets   = 't'
	tokenDMs      = 'd'
)

func encodeV2Token(kind byte, below int64) string {
	return tokenEncoding.EncodeToString([]byte(string(kind) + strconv.FormatInt(below, 10)))
}

func decodeV2Token(tok string) (byte, int64, bool) {
	b, err := tokenEncoding.DecodeString(strings.ToLower(tok))
	if err != nil || len(b) < 2 {
		return 0, 0, false
	}
	id, ok := parseV2ID(string(b[1:]))
	return b[0], id, ok && id > 0
}
