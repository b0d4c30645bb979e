package push

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/paybytweet/paybytweet/twitterapi"
	"github.com/paybytweet/paybytweet/twitterv2"
)

// The event types the bot subscribes to, and the tag of its
// subscriptions.
const (
	TypeMention    = "post.mention.create"
	TypeReply      = "post.reply.create"
	TypeDMReceived = "dm.received"
	Tag            = "paybytweet"
)

// EventTypes are the bot's three subscriptions' types, in the order
// Ensure makes them.
var EventTypes = []string{TypeMention, TypeReply, TypeDMReceived}

// Kind is what an event brings.
type Kind int

// The kinds of Event.
const (
	// KindIgnored is an event the bot does not act on: another event
	// type, another account's (filter.user_id), or a dm.received with no
	// message in it. Reason says which.
	KindIgnored Kind = iota
	// KindTweet is a post.mention.create or post.reply.create: Tweet.
	KindTweet
	// KindDM is a dm.received: DMs (one, as X sends them).
	KindDM
	// KindOperational is a line of X's own about the stream (not an
	// event): Message has it, to be logged. Stream and Webhook log it
	// themselves and never hand it on.
	KindOperational
)

func (k Kind) String() string {
	switch k {
	case KindTweet:
		return "tweet"
	case KindDM:
		return "dm"
	case KindOperational:
		return "operational"
	}
	return "ignored"
}

// Event is one decoded delivery of X's.
type Event struct {
	Kind Kind
	// Type is the event_type as X named it ("" for KindOperational).
	Type string
	// UUID is event_uuid: it names the delivery, not the message; a
	// retried or duplicated delivery may carry the same one or another.
	UUID string
	// UserID is filter.user_id: the subscribed account.
	UserID int64
	// Tag is the subscription's tag.
	Tag string
	// Tweet is the post of a KindTweet, exactly as polling on v2 would
	// have read it (id, text with links expanded, hashtags, mentions,
	// in_reply_to, the author's username, account age and Automated
	// label where X included the author). X's own sample of
	// post.reply.create sends "includes": {}: then the author's
	// ScreenName is "", UserCreatedAt zero and UserAutomated unknown, as
	// for a polled post whose author X did not include.
	Tweet twitterapi.Tweet
	// DMs are the messages of a KindDM, exactly as polling on v2 would
	// have read them (the sender's username, account age and label from
	// the payload's users).
	DMs []twitterapi.DM
	// Skipped counts the malformed messages of a dm.received left out.
	Skipped int
	// Reason says why a KindIgnored is ignored.
	Reason string
	// Message is a KindOperational's text, cut to 512 bytes.
	Message string
}

// MessageIDs are the ids of the messages the event brings: the post's
// id, or the DM events' ids; none for KindIgnored. They are what the
// caller dedupes by.
func (e Event) MessageIDs() []int64 {
	switch e.Kind {
	case KindTweet:
		return []int64{e.Tweet.ID}
	case KindDM:
		ids := make([]int64, len(e.DMs))
		for i, d := range e.DMs {
			ids[i] = d.ID
		}
		return ids
	}
	return nil
}

// ErrMalformed is what Decode's errors wrap: the line is not an event the
// contract describes. The caller logs it and goes on.
var ErrMalformed = errors.New("push: malformed event")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Decoder decodes events for the bot's account. Its zero value ignores
// every event (no account is 0).
type Decoder struct {
	// Me is the bot's account: its ID is the filter.user_id of the
	// events it acts on, and its ScreenName names it in a mention X gave
	// without an id (as polling reads such a mention).
	Me twitterapi.User
	// Logger receives what polling would log too: a user of the includes
	// left out as malformed, a malformed account creation time left zero.
	// Default discards.
	Logger *slog.Logger
}

func (d Decoder) log() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// flexID is an id X writes as a decimal string (or, leniently, a number).
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s is neither a string nor a number", b)
	}
	*f = flexID(n.String())
	return nil
}

type wireEnvelope struct {
	Data json.RawMessage `json:"data"`
}

type wireEvent struct {
	EventUUID json.RawMessage `json:"event_uuid"`
	Filter    *struct {
		UserID flexID `json:"user_id"`
	} `json:"filter"`
	EventType string          `json:"event_type"`
	Tag       string          `json:"tag"`
	Payload   json.RawMessage `json:"payload"`
	Includes  json.RawMessage `json:"includes"`
}

type wireIncludes struct {
	Users []json.RawMessage `json:"users"`
}

type wireDMPayload struct {
	Events []json.RawMessage          `json:"direct_message_events"`
	Users  map[string]json.RawMessage `json:"users"`
}

// maxOperational bounds Event.Message.
const maxOperational = 512

// Decode decodes one event: a stream line (without or with its line end)
// or a webhook body. An event of another type, or of another account, is
// a KindIgnored, not an error; a JSON object that is no event (X's own
// messages about the stream) is a KindOperational. Anything else that the
// contract's envelope and payloads do not describe is an error wrapping
// ErrMalformed, which the caller logs and skips. It never panics.
func (d Decoder) Decode(line []byte) (Event, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return Event{}, malformed("empty")
	}
	if line[0] != '{' {
		return Event{}, malformed("not a JSON object")
	}
	var env wireEnvelope
	if err := json.Unmarshal(line, &env); err != nil {
		return Event{}, malformed("%v", err)
	}
	if len(env.Data) == 0 {
		msg := line
		if len(msg) > maxOperational {
			msg = msg[:maxOperational]
		}
		return Event{Kind: KindOperational, Message: string(msg)}, nil
	}
	if env.Data[0] != '{' {
		return Event{}, malformed("data is not an object")
	}
	var data wireEvent
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return Event{}, malformed("%v", err)
	}
	return d.decodeEvent(data)
}

// decodeEvent reads an envelope's data once parsed: it sorts out the
// types and accounts the bot does not act on, then decodes the payload.
func (d Decoder) decodeEvent(data wireEvent) (Event, error) {
	ev := Event{Type: data.EventType, Tag: data.Tag, UUID: rawString(data.EventUUID)}
	if data.EventType == "" {
		return Event{}, malformed("no event_type")
	}
	switch data.EventType {
	case TypeMention, TypeReply, TypeDMReceived:
	default:
		ev.Reason = "event_type " + strconv.Quote(data.EventType) + " is not one the bot acts on"
		return ev, nil
	}
	if data.Filter == nil || data.Filter.UserID == "" {
		return Event{}, malformed("%s without filter.user_id", data.EventType)
	}
	uid, err := strconv.ParseInt(string(data.Filter.UserID), 10, 64)
	if err != nil || uid <= 0 {
		return Event{}, malformed("filter.user_id %q", data.Filter.UserID)
	}
	ev.UserID = uid
	if uid != d.Me.ID {
		ev.Reason = "filter.user_id " + strconv.FormatInt(uid, 10) + " is another account's"
		return ev, nil
	}
	if len(data.Payload) == 0 || bytes.Equal(data.Payload, []byte("null")) {
		return Event{}, malformed("%s without payload", data.EventType)
	}
	if data.EventType == TypeDMReceived {
		return d.decodeDMs(ev, data.Payload)
	}
	return d.decodePost(ev, data.Payload, data.Includes)
}

// rawString is event_uuid as X wrote it: a string's contents, or a
// number's digits.
func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// decodePost reads a post.mention.create or post.reply.create: the post
// as a timeline entry, its author from includes.users, as polling does.
func (d Decoder) decodePost(ev Event, payload, includes json.RawMessage) (Event, error) {
	var inc wireIncludes
	if len(includes) > 0 && !bytes.Equal(includes, []byte("null")) {
		if err := json.Unmarshal(includes, &inc); err != nil {
			return Event{}, malformed("%s includes: %v", ev.Type, err)
		}
	}
	users := d.parseUsers(ev.Type, inc.Users)
	t, err := twitterv2.ParseTweet(payload, users)
	if err != nil {
		return Event{}, malformed("%s payload: %v", ev.Type, err)
	}
	tw, err := twitterapi.FromV2Tweet(d.Me, t, users)
	if err != nil {
		return Event{}, malformed("%s payload %d: %v", ev.Type, t.ID, err)
	}
	ev.Kind, ev.Tweet = KindTweet, tw
	return ev, nil
}

// parseUsers maps user objects by id, leaving out (and logging) those
// that do not decode, as polling reads includes.users. A DM's users map
// is read as a list: its keys repeat the ids.
func (d Decoder) parseUsers(eventType string, raws []json.RawMessage) map[int64]twitterv2.User {
	users := make(map[int64]twitterv2.User, len(raws))
	for _, r := range raws {
		// X's samples give a user bare in some places and as {"data":
		// user} in others (a DM's users map, post.delete's includes).
		var wrapped struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(r, &wrapped) == nil && len(wrapped.Data) > 0 && wrapped.Data[0] == '{' {
			r = wrapped.Data
		}
		u, badCreatedAt, err := twitterv2.ParseUser(r)
		if err != nil {
			d.log().Warn("malformed user of a pushed event left out", "event_type", eventType, "err", err)
			continue
		}
		if badCreatedAt != nil {
			d.log().Warn("malformed created_at of a pushed event's user left out", "event_type", eventType, "user", u.ID, "err", badCreatedAt)
		}
		users[u.ID] = u
	}
	return users
}

// decodeDMs reads a dm.received: v1.1 message_create events, their
// senders from the payload's users ({"<id>": {"data": user}}).
func (d Decoder) decodeDMs(ev Event, payload json.RawMessage) (Event, error) {
	var p wireDMPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return Event{}, malformed("%s payload: %v", ev.Type, err)
	}
	raws := make([]json.RawMessage, 0, len(p.Users))
	for _, u := range p.Users {
		raws = append(raws, u)
	}
	users := d.parseUsers(ev.Type, raws)
	var firstErr error
	others := 0
	for _, raw := range p.Events {
		var e twitter.DirectMessageEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			ev.Skipped++
			firstErr = cmpErr(firstErr, err)
			continue
		}
		if e.Type != "message_create" {
			others++ // not a message (X's other DM event types)
			continue
		}
		dm, err := twitterapi.FromV1DMEvent(e)
		if err != nil {
			ev.Skipped++
			firstErr = cmpErr(firstErr, err)
			continue
		}
		if u, ok := users[dm.SenderID]; ok {
			a := twitterapi.FromV2User(u)
			dm.SenderScreenName, dm.SenderCreatedAt, dm.SenderAutomated = a.ScreenName, a.CreatedAt, a.Automated
		}
		ev.DMs = append(ev.DMs, dm)
	}
	switch {
	case len(ev.DMs) > 0:
		ev.Kind = KindDM
		if ev.Skipped > 0 {
			d.log().Warn("malformed direct message of a pushed event left out", "event_type", ev.Type, "skipped", ev.Skipped, "err", firstErr)
		}
		return ev, nil
	case ev.Skipped > 0:
		return Event{}, malformed("%s: %d malformed direct message event(s): %v", ev.Type, ev.Skipped, firstErr)
	}
	ev.Reason = fmt.Sprintf("%s without a message_create event (%d other)", ev.Type, others)
	return ev, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
