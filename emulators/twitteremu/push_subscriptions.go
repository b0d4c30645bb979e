package twitteremu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// xEventTypes are the event types X's OpenAPI file (2.167) lets a
// subscription name; the emulator makes events of pushEventTypes only and
// refuses the others with a 400 saying so, rather than never sending
// them.
var (
	xEventTypes = []string{"profile.update.bio", "profile.update.profile_picture", "profile.update.banner_picture",
		"profile.update.screenname", "profile.update.geo", "profile.update.url", "profile.update.verified_badge",
		"profile.update.affiliate_badge", "profile.update.handle", "news.new", "follow.follow", "follow.unfollow",
		"spaces.start", "spaces.end", "broadcast.start", "broadcast.end", "broadcast.chat", "chat.received",
		"chat.sent", "chat.conversation.join", "chat.conversation_join", "chat.conversation.member_added",
		"chat.conversation.member_removed", "chat.conversation.admin_added", "chat.conversation.admin_removed",
		"chat.update.group_name", "chat.update.restrictions", "dm.sent", "dm.received", "dm.indicate_typing",
		"dm.read", "post.create", "post.delete", "post.mention.create", "post.reply.create", "post.quote.create",
		"post.repost.create", "like.create", "mute.mute", "mute.unmute", "block.block", "block.unblock"}
	pushEventTypes = []string{EventMention, EventReply, EventDMReceived}
)

// The event types the emulator makes.
const (
	EventMention    = "post.mention.create"
	EventReply      = "post.reply.create"
	EventDMReceived = "dm.received"
)

// First ids of subscriptions and webhooks; X's are 19-digit snowflakes
// (these are the ids of X's quickstart examples).
const (
	firstSubscriptionID int64 = 1976325569252868096
	firstWebhookID      int64 = 1976325569252868099
	firstReplayJobID    int64 = 1976325569252869000
)

type subscription struct {
	id        int64
	eventType string
	userID    int64
	tag       string
	webhookID string
	createdAt time.Time
}

// Subscription is an X Activity API subscription of the app.
type Subscription struct {
	ID        string
	EventType string
	// UserID is filter.user_id.
	UserID    int64
	Tag       string
	WebhookID string
	CreatedAt time.Time
}

func (sub *subscription) public() Subscription {
	return Subscription{ID: idStr(sub.id), EventType: sub.eventType, UserID: sub.userID, Tag: sub.tag,
		WebhookID: sub.webhookID, CreatedAt: sub.createdAt}
}

// DropSubscriptions deletes every subscription, as X may drop those made
// with an authorization since revoked, and returns how many there were.
// It never fails.
func (s *Server) DropSubscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.push.subs)
	s.push.subs = nil
	return n
}

// Subscriptions returns the app's subscriptions, oldest first. It never
// fails.
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Subscription, len(s.push.subs))
	for i, sub := range s.push.subs {
		out[i] = sub.public()
	}
	return out
}

type pushFilterJSON struct {
	UserID string `json:"user_id,omitempty"`
}

// subscriptionJSON is a subscription as X's quickstart shows it.
type subscriptionJSON struct {
	SubscriptionID string         `json:"subscription_id"`
	EventType      string         `json:"event_type"`
	Filter         pushFilterJSON `json:"filter"`
	CreatedAt      string         `json:"created_at"`
	UpdatedAt      string         `json:"updated_at"`
	Tag            string         `json:"tag,omitempty"`
	WebhookID      string         `json:"webhook_id,omitempty"`
}

func (sub *subscription) json() subscriptionJSON {
	return subscriptionJSON{
		SubscriptionID: idStr(sub.id), EventType: sub.eventType, Filter: pushFilterJSON{UserID: idStr(sub.userID)},
		CreatedAt: v2Time(sub.createdAt), UpdatedAt: v2Time(sub.createdAt), Tag: sub.tag, WebhookID: sub.webhookID,
	}
}

type subscriptionsMetaJSON struct {
	TotalSubscriptions *int   `json:"total_subscriptions,omitempty"`
	ResultCount        *int   `json:"result_count,omitempty"`
	NextToken          string `json:"next_token,omitempty"`
}

type subscriptionsPageJSON struct {
	Data []subscriptionJSON    `json:"data"`
	Meta subscriptionsMetaJSON `json:"meta"`
}

// subscriptionsMeta counts n as Options.Push says.
func (s *Server) subscriptionsMeta(n int) subscriptionsMetaJSON {
	if s.opts.Push.SubscriptionsResultCount {
		return subscriptionsMetaJSON{ResultCount: &n}
	}
	return subscriptionsMetaJSON{TotalSubscriptions: &n}
}

// createdSubscriptionJSON is the data of a created subscription, as X's
// OpenAPI file has it.
type createdSubscriptionJSON struct {
	Subscription subscriptionJSON `json:"subscription"`
}

type deletedDataJSON struct {
	Deleted bool `json:"deleted"`
}

// deletedJSON answers a DELETE, as X's quickstarts show.
type deletedJSON struct {
	Data deletedDataJSON        `json:"data"`
	Meta *subscriptionsMetaJSON `json:"meta,omitempty"`
}

const tokenSubscriptions = 's'

// serveListSubscriptions answers GET activity/subscriptions (bearer):
// the app's subscriptions, oldest first, max_results (default 100) a
// page.
func (s *Server) serveListSubscriptions(w http.ResponseWriter, c *call, rec Request) {
	s.mu.Lock()
	if checkToken(c, tokenSubscriptions) {
		count := 100
		if n, err := strconv.Atoi(c.query.Get("max_results")); err == nil {
			count = n
		}
		var from int64
		if tok := c.query.Get("pagination_token"); tok != "" {
			_, from, _ = decodeV2Token(tok)
		}
		page := subscriptionsPageJSON{Data: []subscriptionJSON{}}
		next := ""
		for _, sub := range s.push.subs {
			if sub.id < from {
				continue
			}
			if len(page.Data) == count {
				next = encodeV2Token(tokenSubscriptions, sub.id)
				break
			}
			page.Data = append(page.Data, sub.json())
		}
		if s.opts.Push.SubscriptionsResultCount {
			page.Meta = s.subscriptionsMeta(len(page.Data))
		} else {
			page.Meta = s.subscriptionsMeta(len(s.push.subs))
		}
		page.Meta.NextToken = next
		c.json(http.StatusOK, page)
	}
	s.mu.Unlock()
	s.answer(w, c, rec)
}

// serveDeleteSubscription answers DELETE activity/subscriptions/{id}
// (bearer).
func (s *Server) serveDeleteSubscription(w http.ResponseWriter, c *call, rec Request) {
	s.mu.Lock()
	id, _ := parseV2ID(c.pathID)
	i := slices.IndexFunc(s.push.subs, func(sub *subscription) bool { return sub.id == id })
	if i < 0 {
		c.problem(problemFor(http.StatusNotFound, fmt.Sprintf("Could not find subscription with subscription_id: [%s].", c.pathID)))
	} else {
		s.push.subs = slices.Delete(s.push.subs, i, i+1)
		c.json(http.StatusOK, deletedJSON{Data: deletedDataJSON{Deleted: true},
			Meta: &subscriptionsMetaJSON{TotalSubscriptions: ptr(len(s.push.subs))}})
	}
	s.mu.Unlock()
	s.answer(w, c, rec)
}

// clientForbiddenJSON is X's 403 for an app without access to an
// endpoint; reason says why.
type clientForbiddenJSON struct {
	ClientID           string `json:"client_id"`
	Detail             string `json:"detail"`
	RegistrationURL    string `json:"registration_url"`
	Title              string `json:"title"`
	RequiredEnrollment string `json:"required_enrollment"`
	Reason             string `json:"reason"`
	Type               string `json:"type"`
	Status             int    `json:"status"`
}

// refuseSubscription answers the refusal of PushOptions.RefuseSubscriptions.
func refuseSubscription(c *call, status int) {
	if status != http.StatusForbidden {
		c.problem(problemFor(status, ""))
		return
	}
	c.json(http.StatusForbidden, clientForbiddenJSON{
		ClientID:           "29820954",
		Detail:             "When authenticating requests to the X Activity API, you must use keys and tokens from an App whose access level includes the X Activity API.",
		RegistrationURL:    "https://developer.x.com/en/portal/dashboard",
		Title:              "Client Forbidden",
		RequiredEnrollment: "Appropriate Level of API Access",
		Reason:             "client-not-enrolled",
		Type:               "https://api.twitter.com/2/problems/client-forbidden",
		Status:             http.StatusForbidden,
	})
}

var subscriptionKeys = []string{"event_type", "filter", "tag", "webhook_id"}

// handleCreateSubscription answers POST activity/subscriptions, in the
// bot account's user context (the usual path of process): 200 with the
// subscription (as data.subscription, or data with
// PushOptions.SubscriptionInData), 409 when one with the same event_type,
// filter and tag exists. Only the bot's own events can be subscribed to:
// they are private and only the bot authorized the app.
func (s *Server) handleCreateSubscription(c *call) {
	if st := s.refuseSubscriptions(); st != 0 {
		refuseSubscription(c, st)
		return
	}
	m, ok := jsonBody(c, subscriptionKeys, subscriptionKeys)
	if !ok {
		return
	}
	eventType, ok := stringMember(c, m, "event_type")
	if !ok {
		return
	}
	bad := func(format string, args ...any) {
		c.problem(problemFor(http.StatusBadRequest, fmt.Sprintf(format, args...)))
	}
	switch {
	case eventType == "":
		bad("$.event_type: is missing but it is required")
		return
	case !slices.Contains(xEventTypes, eventType):
		bad("$.event_type: does not have a value in the enumeration [%s]", strings.Join(xEventTypes, ", "))
		return
	case !slices.Contains(pushEventTypes, eventType):
		bad("twitteremu does not emulate the event_type %q, which X accepts", eventType)
		return
	}
	userID, ok := subscriptionFilter(c, m["filter"])
	if !ok {
		return
	}
	tag, ok := stringMember(c, m, "tag")
	if !ok {
		return
	}
	if _, has := m["tag"]; has && (tag == "" || utf8.RuneCountInString(tag) > 200) {
		bad("$.tag: must be between 1 and 200 characters long")
		return
	}
	webhookID, ok := stringMember(c, m, "webhook_id")
	if !ok {
		return
	}
	if _, has := m["webhook_id"]; has && s.webhookByID(webhookID) == nil {
		bad("$.webhook_id: [%s] is not a webhook of this app", webhookID)
		return
	}
	if _, known := s.st.users[userID]; !known {
		bad("$.filter.user_id: [%d] is not a user", userID)
		return
	}
	if userID != s.opts.Bot.ID {
		c.problem(problemFor(http.StatusForbidden, fmt.Sprintf(
			"%s is a private event: the user %d must authorize your app before you can subscribe to it.", eventType, userID)))
		return
	}
	for _, sub := range s.push.subs {
		if sub.eventType == eventType && sub.userID == userID && sub.tag == tag {
			c.problem(problemJSON{Type: problemBlank, Title: "Conflict", Status: http.StatusConflict,
				Detail: fmt.Sprintf("A subscription with this event_type, filter and tag already exists: [%d].", sub.id)})
			return
		}
	}
	if s.push.nextSub == 0 {
		s.push.nextSub = firstSubscriptionID
	}
	sub := &subscription{id: s.push.nextSub, eventType: eventType, userID: userID, tag: tag, webhookID: webhookID, createdAt: c.now}
	s.push.nextSub++
	s.push.subs = append(s.push.subs, sub)
	s.log.Info("push subscription created", "id", sub.id, "event_type", eventType, "user_id", userID, "tag", tag, "webhook_id", webhookID)
	if s.opts.Push.SubscriptionInData {
		c.json(http.StatusOK, v2DataJSON[subscriptionJSON]{Data: sub.json()})
		return
	}
	c.json(http.StatusOK, v2DataJSON[createdSubscriptionJSON]{Data: createdSubscriptionJSON{Subscription: sub.json()}})
}

// subscriptionFilter reads filter.user_id, the only filter the emulator
// makes events for; false (having answered 400) when it is missing or
// malformed, or the filter has another member.
func subscriptionFilter(c *call, raw json.RawMessage) (int64, bool) {
	bad := func(msg string) (int64, bool) {
		c.problem(problemFor(http.StatusBadRequest, msg))
		return 0, false
	}
	if raw == nil {
		return bad("$.filter: is missing but it is required")
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		return bad("$.filter: is not an object")
	}
	for k := range f {
		switch k {
		case "user_id":
		case "direction", "keyword":
			return bad(fmt.Sprintf("twitteremu does not emulate the filter member %q, which X accepts", k))
		default:
			return bad(fmt.Sprintf("$.filter.%s: is not defined in the schema and the schema does not allow additional properties", k))
		}
	}
	var uid string
	if err := json.Unmarshal(f["user_id"], &uid); err != nil {
		return bad("$.filter.user_id: a user id (a string) is required")
	}
	id, ok := parseV2ID(uid)
	if !ok {
		return bad(fmt.Sprintf("$.filter.user_id: [%s] does not match ^[0-9]{1,19}$", uid))
	}
	return id, true
}
