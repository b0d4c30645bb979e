package twitterapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dghubble/go-twitter/twitter"
)

// User is a Twitter account.
type User struct {
	ID         int64
	ScreenName string
}

// Tweet is a tweet as the bot needs it.
type Tweet struct {
	ID         int64
	UserID     int64
	ScreenName string
	Text       string   // full text, with t.co links expanded
	Hashtags   []string // from the tweet's own entities, without '#'
	MentionIDs []int64  // user ids in the tweet's own entities.user_mentions
	InReplyTo  int64
	IsRetweet  bool
	CreatedAt  time.Time
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

// DM is a direct-message event.
type DM struct {
	ID          int64
	SenderID    int64
	RecipientID int64
	Text        string
	Hashtags    []string
	CreatedAt   time.Time
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
	return User{ID: u.ID, ScreenName: u.ScreenName}, nil
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
		ID: t.ID, UserID: t.User.ID, ScreenName: t.User.ScreenName, Text: text,
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
