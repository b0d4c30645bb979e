package twitterapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/twitterv2"
)

// V2Client is the bot's way to the X API v2, through the project's own
// twitterv2 client: the same plain types and classified errors as Client,
// so that the bot does not know which API serves it.
type V2Client struct {
	api    *twitterv2.Client
	now    func() time.Time
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	me     User
	capped map[Call]time.Time // calls refused by a usage cap or used-up credits, until then
}

// v2 page size: the most every list the bot reads gives in one request.
const v2PageSize = 100

// v2CapPause is how long a call refused by a usage cap or used-up credits
// rests when the answer says nothing of when the period ends.
const v2CapPause = 15 * time.Minute

var v2Endpoints = map[Call]string{
	CallVerify: twitterv2.EndpointMe, CallMentions: twitterv2.EndpointMentions, CallOwnTweets: twitterv2.EndpointUserTweets,
	CallPost: twitterv2.EndpointPostTweet, CallDMList: twitterv2.EndpointDMEvents, CallSendDM: twitterv2.EndpointSendDM,
	CallUser: twitterv2.EndpointUser,
}

// NewV2 returns a client of the X API v2 at cfg.APIURL, such as
// https://api.x.com/2/. It returns an error for an API URL that does not
// parse or a credential missing.
func NewV2(cfg Config) (*V2Client, error) {
	base := cfg.withDefaults()
	log := cfg.Logger.With("component", "twitter")
	api, err := twitterv2.New(twitterv2.Config{
		BaseURL: cfg.APIURL, ConsumerKey: cfg.ConsumerKey, ConsumerSecret: cfg.ConsumerSecret,
		AccessToken: cfg.AccessToken, AccessSecret: cfg.AccessSecret,
		HTTPClient: &http.Client{Transport: base, Timeout: cfg.Timeout}, Logger: log, Clock: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &V2Client{api: api, now: cfg.Now, log: log, ctx: ctx, cancel: cancel, capped: map[Call]time.Time{}}, nil
}

// Close aborts every request in flight.
func (c *V2Client) Close() { c.cancel() }

// Limit returns the last rate-limit headers seen for a call.
func (c *V2Client) Limit(call Call) (RateLimit, bool) {
	l, ok := c.api.RateLimit(v2Endpoints[call])
	if !ok || l.Reset.IsZero() {
		return RateLimit{}, false
	}
	return RateLimit{Limit: l.Limit, Remaining: l.Remaining, Reset: l.Reset}, true
}

// guard refuses, without a request, a call whose budget is spent or that
// a usage cap refused: the answer would be the same refusal.
func (c *V2Client) guard(call Call) error {
	ep := v2Endpoints[call]
	now := c.now()
	c.mu.Lock()
	until := c.capped[call]
	c.mu.Unlock()
	if now.Before(until) {
		return &Error{Endpoint: ep, Status: http.StatusTooManyRequests, Kind: KindCapped, Message: "usage cap or credits used up (not sent)", ResetAt: until, NotSent: true}
	}
	if spent, reset := c.api.Spent(ep); spent {
		return &Error{Endpoint: ep, Status: http.StatusTooManyRequests, Kind: KindRateLimited, Message: "rate limit used up (not sent)", ResetAt: reset, NotSent: true}
	}
	return nil
}

// fail turns a twitterv2 error into a classified *Error, and remembers a
// usage cap so that guard refuses the call until it passes.
func (c *V2Client) fail(call Call, err error) error {
	e := v2Error(call, err)
	if e.Kind == KindCapped {
		until := e.ResetAt
		if !until.After(c.now()) {
			until = c.now().Add(v2CapPause)
		}
		c.mu.Lock()
		c.capped[call] = until
		c.mu.Unlock()
		e.ResetAt = until
	}
	return e
}

// v2Error turns a twitterv2 error into an *Error of the kind X's answer
// means (twitter-api-v2.md, "Errors").
func v2Error(call Call, err error) *Error {
	e := &Error{Endpoint: v2Endpoints[call]}
	var ae *twitterv2.APIError
	if !errors.As(err, &ae) {
		// No answer, or an unreadable one: whether it took effect is unknown.
		var me *twitterv2.MalformedError
		if errors.As(err, &me) {
			e.Status = me.Status
		}
		e.Kind, e.Err = KindUnknown, err
		return e
	}
	e.Status, e.Message = ae.Status, problemText(ae)
	e.ResetAt, _ = twitterv2.RetryAt(err)
	e.Kind = v2Kind(call, ae)
	return e
}

// v2Kind is the kind of a problem X answered: the few it names (a cap,
// a rate limit, a duplicate, a reply it will not take), then a refusal
// its status and detail describe (v2Refusal), then the status alone.
func v2Kind(call Call, ae *twitterv2.APIError) Kind {
	switch {
	case twitterv2.IsUsageCapped(ae), twitterv2.IsCreditsExhausted(ae):
		return KindCapped
	case twitterv2.IsRateLimited(ae):
		return KindRateLimited
	case twitterv2.IsDuplicate(ae):
		return KindDuplicate
	case twitterv2.IsReplyNotAllowed(ae):
		// The summoned-reply rule refuses this reply for good, as a reply
		// to a deleted tweet is refused: news of money goes as a mention.
		return KindGone
	case call == CallPost && twitterv2.IsNotFound(ae):
		// A 404, or the 400 X's own emulator answers a reply to a post
		// that is gone.
		return KindGone
	case call == CallUser && (twitterv2.IsNotFound(ae) || ae.Status == http.StatusOK):
		// A 404, or the 200 with only errors X answers a lookup of an
		// account it cannot give (gone, or suspended).
		return KindNotFound
	}
	if k := v2Refusal(call, ae); k != KindNone {
		return k
	}
	return statusKind(ae.Status, nil)
}

// v2Refusal is the kind of a 400, 403 or 404 that refuses this message
// or the account, as its detail says; KindNone for any other.
func v2Refusal(call Call, ae *twitterv2.APIError) Kind {
	detail := problemDetail(ae)
	dm, badRequest, forbidden := call == CallSendDM, ae.Status == http.StatusBadRequest, ae.Status == http.StatusForbidden
	switch {
	case dm && ae.Status == http.StatusNotFound:
		return KindRefused // the recipient is gone
	case (badRequest || forbidden) && saysTooLong(detail),
		// X refuses a DM's text by its JSON path: "$.text: a non-blank
		// text of at most 10000 characters is required."
		badRequest && dm && strings.Contains(detail, "$.text"):
		return KindTooLong
	case forbidden && (strings.HasSuffix(ae.Type, "/client-forbidden") || strings.HasSuffix(ae.Type, "/unsupported-authentication")),
		forbidden && strings.Contains(detail, "suspended"):
		return KindAccount // the app's access or permissions, or the account: not this message's fault
	case forbidden && dm && strings.Contains(detail, "send"):
		return KindRefused // the cardholder's DMs are closed to the bot
	}
	return KindNone
}

// problemDetail is everything a problem says in words, lowercased: its
// detail and its errors' details and messages.
func problemDetail(ae *twitterv2.APIError) string {
	detail := strings.ToLower(ae.Detail)
	for _, p := range ae.Errors {
		detail += " " + strings.ToLower(p.Detail+" "+p.Message)
	}
	return detail
}

// saysTooLong reports a lowercased detail refusing a text for its length,
// in X's words: the live API's "Your Tweet text is too long.", or "text
// field exceeds maximum length of 280 characters" (X's own emulator).
func saysTooLong(detail string) bool {
	return strings.Contains(detail, "too long") ||
		(strings.Contains(detail, "exceeds") && strings.Contains(detail, "maximum length"))
}

// VerifyCredentials returns the authenticated account (users/me).
func (c *V2Client) VerifyCredentials() (User, error) {
	if err := c.guard(CallVerify); err != nil {
		return User{}, err
	}
	u, err := c.api.Me(c.ctx)
	if err != nil {
		return User{}, c.fail(CallVerify, err)
	}
	if u.ID <= 0 {
		return User{}, &Error{Endpoint: twitterv2.EndpointMe, Status: http.StatusOK, Kind: KindUnknown, Err: fmt.Errorf("answer has no user id")}
	}
	me := v2User(u)
	c.mu.Lock()
	c.me = me
	c.mu.Unlock()
	return me, nil
}

// User looks up the account id (GET users/{id} with
// user.fields=created_at,username): its username, its creation time, and
// its Automated label where X gives an affiliation unasked. No such
// account (X's 404, or its 200 with only errors) is an *Error of
// KindNotFound.
func (c *V2Client) User(id int64) (User, error) {
	if err := c.guard(CallUser); err != nil {
		return User{}, err
	}
	u, err := c.api.User(c.ctx, id)
	if err != nil {
		return User{}, c.fail(CallUser, err)
	}
	if u.ID <= 0 {
		return User{}, &Error{Endpoint: twitterv2.EndpointUser, Status: http.StatusOK, Kind: KindUnknown, Err: fmt.Errorf("answer has no user id")}
	}
	return v2User(u), nil
}

// v2User is what a v2 user object says.
func v2User(u twitterv2.User) User {
	return User{ID: u.ID, ScreenName: u.Username, CreatedAt: u.CreatedAt.UTC(), Automated: v2Automated(u)}
}

// v2Automated reads X's Automated label from a user object: yes where its
// affiliation says "Automated", no where it has another affiliation, and
// unknown where it has none, since X returns the field only where it does
// (the contract asks for username and created_at alone).
func v2Automated(u twitterv2.User) Automated {
	switch {
	case u.Automated():
		return AutomatedYes
	case u.Affiliation != nil:
		return AutomatedNo
	}
	return AutomatedUnknown
}

// self returns the account, asking users/me once when it is not known.
func (c *V2Client) self() (User, error) {
	c.mu.Lock()
	me := c.me
	c.mu.Unlock()
	if me.ID != 0 {
		return me, nil
	}
	return c.VerifyCredentials()
}

// Mentions returns a page of the account's mentions newer than sinceID.
func (c *V2Client) Mentions(sinceID int64, token string) (Page, error) {
	me, err := c.self()
	if err != nil {
		return Page{}, err
	}
	if err := c.guard(CallMentions); err != nil {
		return Page{}, err
	}
	p, err := c.api.Mentions(c.ctx, me.ID, twitterv2.TimelineParams{MaxResults: v2PageSize, SinceID: sinceID, PaginationToken: token})
	if err != nil {
		return Page{}, c.fail(CallMentions, err)
	}
	return c.page(me, p), nil
}

// OwnTweets returns a page of userID's tweets newer than sinceID.
func (c *V2Client) OwnTweets(userID, sinceID int64, token string) (Page, error) {
	me, err := c.self()
	if err != nil {
		return Page{}, err
	}
	if err := c.guard(CallOwnTweets); err != nil {
		return Page{}, err
	}
	p, err := c.api.UserTweets(c.ctx, userID, twitterv2.TimelineParams{MaxResults: v2PageSize, SinceID: sinceID, PaginationToken: token})
	if err != nil {
		return Page{}, c.fail(CallOwnTweets, err)
	}
	return c.page(me, p), nil
}

func (c *V2Client) page(me User, p twitterv2.TweetPage) Page {
	out := Page{Skipped: p.Skipped, Count: max(p.Meta.ResultCount, len(p.Tweets)+p.Skipped), Next: p.Meta.NextToken,
		Newest: p.Meta.NewestID, Oldest: p.Meta.OldestID}
	for _, t := range p.Tweets {
		out.Newest = max(out.Newest, t.ID)
		if t.ID > 0 && (out.Oldest == 0 || t.ID < out.Oldest) {
			out.Oldest = t.ID
		}
		tw, err := convertV2Tweet(me, t, p.Users)
		if err != nil {
			out.Skipped++
			c.log.Warn("skipping a malformed tweet", "id", t.ID, "err", err)
			continue
		}
		out.Tweets = append(out.Tweets, tw)
	}
	return out
}

// convertV2Tweet converts a post, its author's account as users (the
// page's includes.users) gives it.
func convertV2Tweet(me User, t twitterv2.Tweet, users map[int64]twitterv2.User) (Tweet, error) {
	switch {
	case t.ID <= 0:
		return Tweet{}, fmt.Errorf("no id")
	case t.AuthorID <= 0:
		return Tweet{}, fmt.Errorf("no author")
	case t.CreatedAt.IsZero():
		return Tweet{}, fmt.Errorf("no created_at")
	}
	out := Tweet{
		ID: t.ID, UserID: t.AuthorID, ScreenName: t.AuthorUsername, Text: expandV2URLs(t.Text, t.Entities.URLs),
		InReplyTo: t.RepliedToID, IsRetweet: t.IsRetweet(), CreatedAt: t.CreatedAt.UTC(),
	}
	if u, ok := users[t.AuthorID]; ok {
		a := v2User(u)
		out.UserCreatedAt, out.UserAutomated = a.CreatedAt, a.Automated
	}
	for _, h := range t.Entities.Hashtags {
		out.Hashtags = append(out.Hashtags, h.Tag)
	}
	for _, m := range t.Entities.Mentions {
		id := m.ID
		if id == 0 && me.ID != 0 && strings.EqualFold(m.Username, me.ScreenName) {
			id = me.ID // a mention entity without its id still names the bot
		}
		if id != 0 {
			out.MentionIDs = append(out.MentionIDs, id)
		}
	}
	return out, nil
}

func expandV2URLs(text string, urls []twitterv2.URL) string {
	for _, u := range urls {
		if u.URL != "" && u.ExpandedURL != "" {
			text = strings.ReplaceAll(text, u.URL, u.ExpandedURL)
		}
	}
	return text
}

// Post creates a post, as a reply to inReplyTo when it is not 0.
func (c *V2Client) Post(text string, inReplyTo int64) (int64, error) {
	if err := c.guard(CallPost); err != nil {
		return 0, err
	}
	t, err := c.api.PostTweet(c.ctx, text, inReplyTo)
	if err != nil {
		return 0, c.fail(CallPost, err)
	}
	if t.ID <= 0 {
		return 0, &Error{Endpoint: twitterv2.EndpointPostTweet, Status: http.StatusCreated, Kind: KindUnknown, Err: fmt.Errorf("answer has no post id")}
	}
	return t.ID, nil
}

// DMEvents returns a page of the account's DM events, newest first, and
// the next page's token, "" at the end. An event's recipient is the other
// participant of its one-to-one conversation; 0 for a group's.
func (c *V2Client) DMEvents(token string) ([]DM, string, error) {
	if err := c.guard(CallDMList); err != nil {
		return nil, "", err
	}
	p, err := c.api.DMEvents(c.ctx, twitterv2.DMParams{MaxResults: v2PageSize, PaginationToken: token})
	if err != nil {
		return nil, "", c.fail(CallDMList, err)
	}
	var out []DM
	for _, e := range p.Events {
		dm, err := convertV2DM(e, p.Users)
		if err != nil {
			c.log.Warn("skipping a malformed direct message event", "id", e.ID, "err", err)
			continue
		}
		out = append(out, dm)
	}
	return out, p.Meta.NextToken, nil
}

// convertV2DM converts a DM event, its sender's account as users (the
// page's includes.users) gives it.
func convertV2DM(e twitterv2.DMEvent, users map[int64]twitterv2.User) (DM, error) {
	switch {
	case e.EventType != "MessageCreate":
		return DM{}, fmt.Errorf("event_type %q", e.EventType)
	case e.ID <= 0:
		return DM{}, fmt.Errorf("no id")
	case e.SenderID <= 0:
		return DM{}, fmt.Errorf("no sender_id")
	case e.CreatedAt.IsZero():
		return DM{}, fmt.Errorf("no created_at")
	}
	dm := DM{ID: e.ID, SenderID: e.SenderID, SenderScreenName: e.SenderUsername, RecipientID: otherParticipant(e.ConversationID, e.SenderID),
		Text: expandV2URLs(e.Text, e.Entities.URLs), CreatedAt: e.CreatedAt.UTC()}
	if u, ok := users[e.SenderID]; ok {
		a := v2User(u)
		dm.SenderCreatedAt, dm.SenderAutomated = a.CreatedAt, a.Automated
	}
	for _, h := range e.Entities.Hashtags {
		dm.Hashtags = append(dm.Hashtags, h.Tag)
	}
	return dm, nil
}

// otherParticipant reads a one-to-one dm_conversation_id, "lowID-highID",
// and returns the participant who is not sender; 0 when it is not one.
func otherParticipant(conversation string, sender int64) int64 {
	a, b, ok := strings.Cut(conversation, "-")
	if !ok {
		return 0
	}
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	switch {
	case err1 != nil || err2 != nil || x <= 0 || y <= 0:
		return 0
	case x == sender:
		return y
	case y == sender:
		return x
	}
	return 0
}

// SendDM sends a direct message and returns its event id.
func (c *V2Client) SendDM(recipient int64, text string) (int64, error) {
	if err := c.guard(CallSendDM); err != nil {
		return 0, err
	}
	sent, err := c.api.SendDM(c.ctx, recipient, text)
	if err != nil {
		return 0, c.fail(CallSendDM, err)
	}
	if sent.EventID <= 0 {
		return 0, &Error{Endpoint: twitterv2.EndpointSendDM, Status: http.StatusCreated, Kind: KindUnknown, Err: fmt.Errorf("answer has no dm_event_id")}
	}
	return sent.EventID, nil
}

// problemText is what a problem says, for the log.
func problemText(ae *twitterv2.APIError) string {
	msg := ae.Detail
	if msg == "" && len(ae.Errors) > 0 {
		msg = ae.Errors[0].Detail + ae.Errors[0].Message
	}
	if msg == "" {
		msg = ae.Title
	}
	if msg == "" {
		msg = http.StatusText(ae.Status)
	}
	if ae.Type != "" && ae.Type != "about:blank" {
		msg += " (" + ae.Type + ")"
	}
	return msg
}
