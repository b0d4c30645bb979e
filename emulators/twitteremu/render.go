package twitteremu

import (
	"strconv"
	"time"
)

// The JSON shapes below are written from Twitter's v1.1 documentation, not
// copied from go-twitter, so that the client's decoding is exercised.

type userJSON struct {
	ID                   int64      `json:"id"`
	IDStr                string     `json:"id_str"`
	Name                 string     `json:"name"`
	ScreenName           string     `json:"screen_name"`
	Location             string     `json:"location"`
	Description          string     `json:"description"`
	URL                  *string    `json:"url"`
	Protected            bool       `json:"protected"`
	FollowersCount       int        `json:"followers_count"`
	FriendsCount         int        `json:"friends_count"`
	ListedCount          int        `json:"listed_count"`
	CreatedAt            string     `json:"created_at"`
	FavouritesCount      int        `json:"favourites_count"`
	Verified             bool       `json:"verified"`
	StatusesCount        int        `json:"statuses_count"`
	ProfileImageURLHTTPS string     `json:"profile_image_url_https"`
	DefaultProfile       bool       `json:"default_profile"`
	Status               *tweetJSON `json:"status,omitempty"`
}

// trimmedUserJSON is the user object under trim_user=true.
type trimmedUserJSON struct {
	ID    int64  `json:"id"`
	IDStr string `json:"id_str"`
}

type hashtagJSON struct {
	Text    string `json:"text"`
	Indices [2]int `json:"indices"`
}

type mentionJSON struct {
	ScreenName string `json:"screen_name"`
	Name       string `json:"name"`
	ID         int64  `json:"id"`
	IDStr      string `json:"id_str"`
	Indices    [2]int `json:"indices"`
}

type urlJSON struct {
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	Indices     [2]int `json:"indices"`
}

type entitiesJSON struct {
	Hashtags     []hashtagJSON `json:"hashtags"`
	Symbols      []hashtagJSON `json:"symbols"`
	UserMentions []mentionJSON `json:"user_mentions"`
	URLs         []urlJSON     `json:"urls"`
}

type tweetJSON struct {
	CreatedAt            string        `json:"created_at"`
	ID                   int64         `json:"id"`
	IDStr                string        `json:"id_str"`
	Text                 *string       `json:"text,omitempty"`
	FullText             *string       `json:"full_text,omitempty"`
	Truncated            bool          `json:"truncated"`
	DisplayTextRange     *[2]int       `json:"display_text_range,omitempty"`
	Entities             *entitiesJSON `json:"entities,omitempty"`
	Source               string        `json:"source"`
	InReplyToStatusID    *int64        `json:"in_reply_to_status_id"`
	InReplyToStatusIDStr *string       `json:"in_reply_to_status_id_str"`
	InReplyToUserID      *int64        `json:"in_reply_to_user_id"`
	InReplyToUserIDStr   *string       `json:"in_reply_to_user_id_str"`
	InReplyToScreenName  *string       `json:"in_reply_to_screen_name"`
	User                 any           `json:"user,omitempty"`
	Geo                  any           `json:"geo"`
	Coordinates          any           `json:"coordinates"`
	Place                any           `json:"place"`
	Contributors         any           `json:"contributors"`
	RetweetedStatus      *tweetJSON    `json:"retweeted_status,omitempty"`
	IsQuoteStatus        bool          `json:"is_quote_status"`
	QuotedStatusID       *int64        `json:"quoted_status_id,omitempty"`
	QuotedStatusIDStr    *string       `json:"quoted_status_id_str,omitempty"`
	QuotedStatus         *tweetJSON    `json:"quoted_status,omitempty"`
	RetweetCount         int           `json:"retweet_count"`
	FavoriteCount        int           `json:"favorite_count"`
	Favorited            bool          `json:"favorited"`
	Retweeted            bool          `json:"retweeted"`
	Lang                 string        `json:"lang"`
}

type dmEventJSON struct {
	Type             string          `json:"type"`
	ID               string          `json:"id"`
	CreatedTimestamp string          `json:"created_timestamp"`
	MessageCreate    messageCreateJS `json:"message_create"`
}

type messageCreateJS struct {
	Target      targetJSON      `json:"target"`
	SenderID    string          `json:"sender_id"`
	MessageData messageDataJSON `json:"message_data"`
}

type targetJSON struct {
	RecipientID string `json:"recipient_id"`
}

type messageDataJSON struct {
	Text     string       `json:"text"`
	Entities entitiesJSON `json:"entities"`
}

type dmEventWrapJSON struct {
	Event dmEventJSON `json:"event"`
}

type dmEventsJSON struct {
	Events     []dmEventJSON `json:"events"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// renderMode holds the request parameters that change a Tweet's shape.
type renderMode struct {
	extended   bool // tweet_mode=extended
	trimUser   bool // trim_user=true
	noEntities bool // include_entities=false
}

const tweetSource = `<a href="https://paybytweet.example" rel="nofollow">twitteremu</a>`

func rubyDate(t time.Time) string { return t.UTC().Format(time.RubyDate) }

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func ptr[T any](v T) *T { return &v }

// userObject renders u; the caller holds s.mu.
func (s *Server) userObject(u *userRecord, mode renderMode) any {
	if mode.trimUser {
		return trimmedUserJSON{ID: u.ID, IDStr: idStr(u.ID)}
	}
	n := 0
	for _, t := range s.st.tweetsBy[u.ID] {
		if !t.deleted {
			n++
		}
	}
	return userJSON{
		ID: u.ID, IDStr: idStr(u.ID), Name: u.Name, ScreenName: u.ScreenName,
		CreatedAt: rubyDate(u.CreatedAt), StatusesCount: n, DefaultProfile: true,
		ProfileImageURLHTTPS: "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
	}
}

func (s *Server) entitiesJSON(r renderedText) *entitiesJSON {
	e := &entitiesJSON{Hashtags: []hashtagJSON{}, Symbols: []hashtagJSON{}, UserMentions: []mentionJSON{}, URLs: []urlJSON{}}
	for _, h := range r.hashtags {
		e.Hashtags = append(e.Hashtags, hashtagJSON{Text: h.Text, Indices: [2]int{h.Start, h.End}})
	}
	for i, m := range r.mentions {
		u := s.st.users[r.mentionU[i]]
		if u == nil { // not an account: Twitter makes no entity of it
			continue
		}
		e.UserMentions = append(e.UserMentions, mentionJSON{
			ScreenName: u.ScreenName, Name: u.Name, ID: u.ID, IDStr: idStr(u.ID),
			Indices: [2]int{m.Start, m.End},
		})
	}
	e.URLs = append(e.URLs, r.urls...)
	return e
}

// tweetObject renders t in Twitter's v1.1 shape; the caller holds s.mu.
func (s *Server) tweetObject(t *tweet, mode renderMode) *tweetJSON {
	r := render(t.id, t.text, t.ents, t.mentionedUsers)
	out := &tweetJSON{
		CreatedAt: rubyDate(t.createdAt), ID: t.id, IDStr: idStr(t.id),
		Source: tweetSource, Lang: "en",
	}
	if mode.extended {
		out.FullText = ptr(htmlEscape(string(r.runes)))
		out.DisplayTextRange = &[2]int{t.displayStart, len(r.runes)}
	} else {
		// Retweets are not marked truncated: their text is the original's.
		out.Truncated = r.truncateCompat(t.id) && t.retweetOf == 0
		out.Text = ptr(htmlEscape(string(r.runes)))
	}
	if !mode.noEntities {
		out.Entities = s.entitiesJSON(r)
	}
	if u := s.st.users[t.author]; u != nil {
		out.User = s.userObject(u, mode)
	}
	if t.inReplyTo != 0 {
		out.InReplyToStatusID = ptr(t.inReplyTo)
		out.InReplyToStatusIDStr = ptr(idStr(t.inReplyTo))
		out.InReplyToUserID = ptr(t.inReplyToUser)
		out.InReplyToUserIDStr = ptr(idStr(t.inReplyToUser))
		if u := s.st.users[t.inReplyToUser]; u != nil {
			out.InReplyToScreenName = ptr(u.ScreenName)
		}
	}
	if t.retweetOf != 0 {
		if orig := s.st.tweetByID[t.retweetOf]; orig != nil {
			out.RetweetedStatus = s.tweetObject(orig, mode)
		}
	}
	if t.quoteOf != 0 {
		out.IsQuoteStatus = true
		out.QuotedStatusID = ptr(t.quoteOf)
		out.QuotedStatusIDStr = ptr(idStr(t.quoteOf))
		// A deleted quoted Tweet is no longer embedded, as on Twitter.
		if q, ok := s.st.liveTweet(t.quoteOf); ok {
			out.QuotedStatus = s.tweetObject(q, mode)
		}
	}
	n := 0
	for _, rt := range s.st.tweets {
		if rt.retweetOf == t.id && !rt.deleted {
			n++
		}
	}
	out.RetweetCount = n
	return out
}

// dmObject renders e as a message_create event; the caller holds s.mu.
func (s *Server) dmObject(e *dmEvent) dmEventJSON {
	r := render(e.id, e.text, e.ents, e.mentionedUsers)
	return dmEventJSON{
		Type: "message_create", ID: idStr(e.id),
		CreatedTimestamp: strconv.FormatInt(e.createdAt.UnixMilli(), 10),
		MessageCreate: messageCreateJS{
			Target:      targetJSON{RecipientID: idStr(e.recipient)},
			SenderID:    idStr(e.sender),
			MessageData: messageDataJSON{Text: string(r.runes), Entities: *s.entitiesJSON(r)},
		},
	}
}
