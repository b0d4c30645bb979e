package twitterapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dghubble/go-twitter/twitter"
)

// User is a Twitter account, as much of it as the API gave.
type User struct {
	ID         int64
	ScreenName string // "" when not given
	// CreatedAt is when the account was made (X's created_at for the
	// user); zero when not given.
	CreatedAt time.Time
	// Automated is X's "Automated" label, where X gave it.
	Automated Automated
}

// Automated is what X said of an account's "Automated" label (its
// affiliation.description "Automated"). It is a tri-state because X gives
// the label only on some answers: never on v1.1, and on v2 only in the
// user objects where X returns an affiliation (the bot does not ask for
// it: X's documented user.fields list it nowhere the contract uses).
type Automated int8

// The three things X may have said.
const (
	// AutomatedUnknown: X said nothing of it. Every v1.1 answer; a v2
	// user object without an affiliation (X returns the field only where
	// it does, so its absence says nothing); a message whose author X did
	// not include.
	AutomatedUnknown Automated = iota
	// AutomatedNo: X gave the account's affiliation, and it is not the
	// Automated label (an organisation's, say).
	AutomatedNo
	// AutomatedYes: X labels the account "Automated".
	AutomatedYes
)

// Known reports whether X said anything of the label.
func (a Automated) Known() bool { return a == AutomatedNo || a == AutomatedYes }

// String is "unknown", "no" or "yes".
func (a Automated) String() string {
	switch a {
	case AutomatedNo:
		return "no"
	case AutomatedYes:
		return "yes"
	}
	return "unknown"
}

// Tweet is a tweet as the bot needs it. Its author is UserID, with what
// the API gave of the account alongside the tweet (Author gathers them).
type Tweet struct {
	ID         int64
	UserID     int64
	ScreenName string // the author's, as of this answer
	// UserCreatedAt is when the author's account was made: v1.1 gives it
	// in the tweet's own user, v2 in includes.users; zero when not given.
	UserCreatedAt time.Time
	UserAutomated Automated // the author's Automated label, where X gave it
	Text          string    // full text, with t.co links expanded
	Hashtags      []string  // from the tweet's own entities, without '#'
	MentionIDs    []int64   // user ids in the tweet's own entities.user_mentions
	InReplyTo     int64
	IsRetweet     bool
	CreatedAt     time.Time
}

// Author is the tweet's author as the answer gave it.
func (t Tweet) Author() User {
	return User{ID: t.UserID, ScreenName: t.ScreenName, CreatedAt: t.UserCreatedAt, Automated: t.UserAutomated}
}

// Mentions reports whether the tweet's own entities mention user id.
func (t Tweet) Mentions(id int64) bool {
	for _, m := range t.MentionIDs {
		if m == id {
			return true
		}
	}
	return false
}

// DM is a direct-message event. Its author is SenderID, with what the
// API gave of the account alongside it (Author gathers them): v2 gives
// them in includes.users; v1.1 gives none of them.
type DM struct {
	ID               int64
	SenderID         int64
	SenderScreenName string    // "" when not given
	SenderCreatedAt  time.Time // zero when not given
	SenderAutomated  Automated
	RecipientID      int64
	Text             string
	Hashtags         []string
	CreatedAt        time.Time
}

// Author is the message's sender as the answer gave it.
func (d DM) Author() User {
	return User{ID: d.SenderID, ScreenName: d.SenderScreenName, CreatedAt: d.SenderCreatedAt, Automated: d.SenderAutomated}
}

// Page is what a timeline call returned: the tweets it could read, and
// how many entries it had to skip as malformed (each is logged).
type Page struct {
	Tweets  []Tweet
	Skipped int
	// Oldest and Newest are the smallest and largest ids on the page,
	// malformed entries included, so that a walk moves past them.
	Oldest int64
	Newest int64
	Count  int // entries on the page, malformed included
	// Next is the opaque token of the next, older page; "" when this
	// page is the last. Only the adapter that made it understands it.
	Next string
}

// v1.1 page sizes: the most each endpoint gives in one request.
const (
	timelinePageSize = 200
	dmPageSize       = 50
)

// nextMaxID is v1.1's way to the next page: max_id just below the oldest
// id seen. A page under half full is the last one, since Twitter drops
// deleted tweets after counting a page; so is one that reached sinceID.
func nextMaxID(p Page, sinceID int64) string {
	if p.Count == 0 || p.Count < timelinePageSize/2 || p.Oldest <= sinceID+1 {
		return ""
	}
	return strconv.FormatInt(p.Oldest-1, 10)
}

// maxIDFrom reads a token made by nextMaxID; "" is no bound.
func maxIDFrom(ep, token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(token, 10, 64)
	if err != nil || id <= 0 {
		return 0, &Error{Endpoint: ep, Status: 400, Kind: KindUnexpected, Message: "bad page token " + strconv.Quote(token), NotSent: true}
	}
	return id, nil
}

// VerifyCredentials returns the authenticated account, or an *Error.
func (c *Client) VerifyCredentials() (User, error) {
	const ep = "account/verify_credentials"
	if err := c.guard(CallVerify, ep); err != nil {
		return User{}, err
	}
	u, resp, err := c.api.Accounts.VerifyCredentials(&twitter.AccountVerifyParams{SkipStatus: twitter.Bool(true), IncludeEmail: twitter.Bool(false)})
	if err := c.call(CallVerify, ep, resp, err); err != nil {
		return User{}, err
	}
	if u == nil || u.ID == 0 {
		return User{}, &Error{Endpoint: ep, Status: resp.StatusCode, Kind: KindUnknown, Err: fmt.Errorf("answer has no user id")}
	}
	return v1User(u), nil
}

// User looks up the account id (users/show.json?user_id=): its screen name
// and creation time; v1.1 never says whether it is Automated. An account
// that does not exist (404 code 50), or is suspended (403 code 63), is an
// *Error of KindNotFound.
func (c *Client) User(id int64) (User, error) {
	const ep = "users/show"
	if err := c.guard(CallUser, ep); err != nil {
		return User{}, err
	}
	u, resp, err := c.api.Users.Show(&twitter.UserShowParams{UserID: id, IncludeEntities: twitter.Bool(false)})
	if err := c.call(CallUser, ep, resp, err); err != nil {
		return User{}, err
	}
	if u == nil || u.ID <= 0 {
		return User{}, &Error{Endpoint: ep, Status: resp.StatusCode, Kind: KindUnknown, Err: fmt.Errorf("answer has no user id")}
	}
	return v1User(u), nil
}

// v1User is what a v1.1 user object says: its created_at, in Twitter's
// "Mon Jan 02 15:04:05 -0700 2006", is left zero when it does not parse.
func v1User(u *twitter.User) User {
	return User{ID: u.ID, ScreenName: u.ScreenName, CreatedAt: v1Time(u.CreatedAt)}
}

// v1Time reads a v1.1 created_at; zero when absent or malformed.
func v1Time(s string) time.Time {
	t, err := time.Parse(time.RubyDate, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// Mentions returns a page of the mentions timeline, newest first, with ids
// above sinceID, starting at token ("" for the newest).
func (c *Client) Mentions(sinceID int64, token string) (Page, error) {
	const ep = "statuses/mentions_timeline"
	maxID, err := maxIDFrom(ep, token)
	if err != nil {
		return Page{}, err
	}
	if err := c.guard(CallMentions, ep); err != nil {
		return Page{}, err
	}
	tweets, resp, err := c.api.Timelines.MentionTimeline(&twitter.MentionTimelineParams{
		Count: timelinePageSize, SinceID: sinceID, MaxID: maxID, TweetMode: "extended", IncludeEntities: twitter.Bool(true),
	})
	if err := c.call(CallMentions, ep, resp, err); err != nil {
		return Page{}, err
	}
	return c.page(ep, tweets, sinceID), nil
}

// OwnTweets returns a page of the account's own tweets, newest first,
// with ids above sinceID, starting at token ("" for the newest).
func (c *Client) OwnTweets(userID, sinceID int64, token string) (Page, error) {
	const ep = "statuses/user_timeline"
	maxID, err := maxIDFrom(ep, token)
	if err != nil {
		return Page{}, err
	}
	if err := c.guard(CallOwnTweets, ep); err != nil {
		return Page{}, err
	}
	tweets, resp, err := c.api.Timelines.UserTimeline(&twitter.UserTimelineParams{
		UserID: userID, Count: timelinePageSize, SinceID: sinceID, MaxID: maxID, TweetMode: "extended",
		IncludeRetweets: twitter.Bool(false), ExcludeReplies: twitter.Bool(false),
	})
	if err := c.call(CallOwnTweets, ep, resp, err); err != nil {
		return Page{}, err
	}
	return c.page(ep, tweets, sinceID), nil
}

func (c *Client) page(ep string, tweets []twitter.Tweet, sinceID int64) Page {
	p := Page{Count: len(tweets)}
	for _, t := range tweets {
		if t.ID > 0 && (p.Oldest == 0 || t.ID < p.Oldest) {
			p.Oldest = t.ID
		}
		p.Newest = max(p.Newest, t.ID)
		tw, err := convertTweet(t)
		if err != nil {
			p.Skipped++
			c.log.Warn("skipping a malformed tweet", "endpoint", ep, "id", t.IDStr, "err", err)
			continue
		}
		p.Tweets = append(p.Tweets, tw)
	}
	p.Next = nextMaxID(p, sinceID)
	return p
}

func convertTweet(t twitter.Tweet) (Tweet, error) {
	if t.ID <= 0 {
		return Tweet{}, fmt.Errorf("no id")
	}
	if t.User == nil || t.User.ID <= 0 {
		return Tweet{}, fmt.Errorf("no author")
	}
	created, err := t.CreatedAtTime()
	if err != nil {
		return Tweet{}, fmt.Errorf("created_at %q: %w", t.CreatedAt, err)
	}
	text, ents := t.FullText, t.Entities
	if text == "" {
		text = t.Text
	}
	if t.ExtendedTweet != nil && t.ExtendedTweet.FullText != "" {
		text, ents = t.ExtendedTweet.FullText, t.ExtendedTweet.Entities
	}
	out := Tweet{
		ID: t.ID, UserID: t.User.ID, ScreenName: t.User.ScreenName, UserCreatedAt: v1Time(t.User.CreatedAt), Text: text,
		InReplyTo: t.InReplyToStatusID, IsRetweet: t.RetweetedStatus != nil, CreatedAt: created.UTC(),
	}
	if ents != nil {
		for _, h := range ents.Hashtags {
			out.Hashtags = append(out.Hashtags, h.Text)
		}
		for _, m := range ents.UserMentions {
			out.MentionIDs = append(out.MentionIDs, m.ID)
		}
		out.Text = expandURLs(out.Text, ents.Urls)
	}
	return out, nil
}

// expandURLs puts the addresses back that Twitter shortened to t.co, so
// that the bot can recognise its own texts.
func expandURLs(text string, urls []twitter.URLEntity) string {
	for _, u := range urls {
		if u.URL != "" && u.ExpandedURL != "" {
			text = strings.ReplaceAll(text, u.URL, u.ExpandedURL)
		}
	}
	return text
}

// Post tweets text, as a reply to inReplyTo when it is not 0, and returns
// the new tweet's id.
func (c *Client) Post(text string, inReplyTo int64) (int64, error) {
	const ep = "statuses/update"
	t, resp, err := c.api.Statuses.Update(text, &twitter.StatusUpdateParams{InReplyToStatusID: inReplyTo, TweetMode: "extended"})
	if err := c.call(CallPost, ep, resp, err); err != nil {
		return 0, err
	}
	if t == nil || t.ID <= 0 {
		// Twitter said yes but no id came back: it is probably posted.
		return 0, &Error{Endpoint: ep, Status: resp.StatusCode, Kind: KindUnknown, Err: fmt.Errorf("answer has no tweet id")}
	}
	return t.ID, nil
}

// DMEvents returns a page of the account's direct-message events (sent
// and received, newest first), starting at token ("" for the newest), and
// the token of the next page, "" at the end. Malformed events are logged
// and left out.
func (c *Client) DMEvents(token string) ([]DM, string, error) {
	const ep = "direct_messages/events/list"
	if err := c.guard(CallDMList, ep); err != nil {
		return nil, "", err
	}
	evs, resp, err := c.api.DirectMessages.EventsList(&twitter.DirectMessageEventsListParams{Cursor: token, Count: dmPageSize})
	if err := c.call(CallDMList, ep, resp, err); err != nil {
		return nil, "", err
	}
	if evs == nil {
		return nil, "", &Error{Endpoint: ep, Status: resp.StatusCode, Kind: KindUnknown, Err: fmt.Errorf("empty answer")}
	}
	var out []DM
	for _, e := range evs.Events {
		dm, err := convertDM(e)
		if err != nil {
			c.log.Warn("skipping a malformed direct message event", "id", e.ID, "err", err)
			continue
		}
		out = append(out, dm)
	}
	return out, evs.NextCursor, nil
}

func convertDM(e twitter.DirectMessageEvent) (DM, error) {
	if e.Type != "message_create" {
		return DM{}, fmt.Errorf("type %q", e.Type)
	}
	id, err := strconv.ParseInt(e.ID, 10, 64)
	if err != nil || id <= 0 {
		return DM{}, fmt.Errorf("id %q", e.ID)
	}
	ms, err := strconv.ParseInt(e.CreatedAt, 10, 64)
	if err != nil {
		return DM{}, fmt.Errorf("created_timestamp %q", e.CreatedAt)
	}
	if e.Message == nil || e.Message.Target == nil || e.Message.Data == nil {
		return DM{}, fmt.Errorf("no message_create")
	}
	sender, err1 := strconv.ParseInt(e.Message.SenderID, 10, 64)
	recipient, err2 := strconv.ParseInt(e.Message.Target.RecipientID, 10, 64)
	if err1 != nil || err2 != nil || sender <= 0 || recipient <= 0 {
		return DM{}, fmt.Errorf("sender %q or recipient %q", e.Message.SenderID, e.Message.Target.RecipientID)
	}
	dm := DM{ID: id, SenderID: sender, RecipientID: recipient, Text: e.Message.Data.Text, CreatedAt: time.UnixMilli(ms).UTC()}
	if ents := e.Message.Data.Entities; ents != nil {
		for _, h := range ents.Hashtags {
			dm.Hashtags = append(dm.Hashtags, h.Text)
		}
		dm.Text = expandURLs(dm.Text, ents.Urls)
	}
	return dm, nil
}

// SendDM sends a direct message and returns its event id.
func (c *Client) SendDM(recipient int64, text string) (int64, error) {
	const ep = "direct_messages/events/new"
	ev, resp, err := c.api.DirectMessages.EventsNew(&twitter.DirectMessageEventsNewParams{Event: &twitter.DirectMessageEvent{
		Type: "message_create",
		Message: &twitter.DirectMessageEventMessage{
			Target: &twitter.DirectMessageTarget{RecipientID: strconv.FormatInt(recipient, 10)},
			Data:   &twitter.DirectMessageData{Text: text},
		},
	}})
	if err := c.call(CallSendDM, ep, resp, err); err != nil {
		return 0, err
	}
	if ev == nil {
		return 0, &Error{Endpoint: ep, Status: resp.StatusCode, Kind: KindUnknown, Err: fmt.Errorf("answer has no event")}
	}
	id, perr := strconv.ParseInt(ev.ID, 10, 64)
	if perr != nil || id <= 0 {
		return 0, &Error{Endpoint: ep, Status: resp.StatusCode, Kind: KindUnknown, Err: fmt.Errorf("answer has event id %q", ev.ID)}
	}
	return id, nil
}
