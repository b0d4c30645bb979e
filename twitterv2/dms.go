package twitterv2

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

const dmEventFields = "id,text,event_type,created_at,sender_id,dm_conversation_id,entities"

// DMEvent is a direct message event; the bot's own sent messages come with
// its own SenderID.
type DMEvent struct {
	ID             int64
	EventType      string // "MessageCreate"
	Text           string
	SenderID       int64
	SenderUsername string // from includes.users; "" when not included
	ConversationID string // such as "123-456": not a number
	CreatedAt      time.Time
	Entities       Entities
}

// DMPage is one page of dm_events, newest first.
type DMPage struct {
	Events  []DMEvent
	Users   map[int64]User
	Meta    Meta // ResultCount and NextToken
	Skipped int  // malformed entries left out
	Errors  []Problem
}

// DMParams page dm_events; zero fields are not sent. There is no since_id:
// walk pages until events already seen.
type DMParams struct {
	MaxResults      int // X accepts 1..100
	PaginationToken string
}

type wireDMEvent struct {
	ID               string       `json:"id"`
	EventType        string       `json:"event_type"`
	Text             string       `json:"text"`
	SenderID         string       `json:"sender_id"`
	DMConversationID string       `json:"dm_conversation_id"`
	CreatedAt        string       `json:"created_at"`
	Entities         wireEntities `json:"entities"`
}

// parseDMEvent decodes one entry, its sender named from users; an id that
// is not a decimal int64, or an unparseable created_at, makes the entry
// malformed.
func parseDMEvent(raw json.RawMessage, users map[int64]User) (DMEvent, error) {
	var w wireDMEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		return DMEvent{}, err
	}
	e := DMEvent{EventType: w.EventType, Text: w.Text, ConversationID: w.DMConversationID}
	var err error
	if e.ID, err = parseID("id", w.ID); err != nil {
		return DMEvent{}, err
	}
	if e.SenderID, err = parseOptID("sender_id", w.SenderID); err != nil {
		return DMEvent{}, err
	}
	if e.CreatedAt, err = parseTime(w.CreatedAt); err != nil {
		return DMEvent{}, err
	}
	if e.Entities, err = w.Entities.parse(); err != nil {
		return DMEvent{}, err
	}
	e.SenderUsername = users[e.SenderID].Username
	return e, nil
}

// DMEvents returns a page of the account's MessageCreate events of the
// last 30 days, sent and received, newest first (GET dm_events). On
// failure it returns the zero page and an *APIError, *TransportError or
// *MalformedError.
func (c *Client) DMEvents(ctx context.Context, p DMParams) (DMPage, error) {
	q := url.Values{}
	q.Set("event_types", "MessageCreate")
	q.Set("dm_event.fields", dmEventFields)
	q.Set("expansions", "sender_id")
	q.Set("user.fields", userFields)
	if p.MaxResults != 0 {
		q.Set("max_results", strconv.Itoa(p.MaxResults))
	}
	if p.PaginationToken != "" {
		q.Set("pagination_token", p.PaginationToken)
	}
	pg, err := getPage(ctx, c, EndpointDMEvents, "dm_events", q, "malformed DM event skipped", parseDMEvent)
	if err != nil {
		return DMPage{}, err
	}
	return DMPage{Events: pg.items, Users: pg.users, Meta: pg.meta, Skipped: pg.skipped, Errors: pg.errors}, nil
}

// SentDM is what POST dm_conversations/with/{id}/messages answers.
type SentDM struct {
	ConversationID string
	EventID        int64
}

// SendDM sends text to participantID (POST
// dm_conversations/with/{participant_id}/messages). On failure it returns
// an *APIError, *TransportError or *MalformedError; after the last two the
// message may have been sent, so look for it in DMEvents first.
func (c *Client) SendDM(ctx context.Context, participantID int64, text string) (SentDM, error) {
	var w struct {
		Data *struct {
			ConversationID string `json:"dm_conversation_id"`
			EventID        string `json:"dm_event_id"`
		} `json:"data"`
	}
	path := fmt.Sprintf("dm_conversations/with/%d/messages", participantID)
	if err := c.do(ctx, EndpointSendDM, "POST", path, nil, struct {
		Text string `json:"text"`
	}{text}, &w); err != nil {
		return SentDM{}, err
	}
	if w.Data == nil {
		return SentDM{}, &MalformedError{Endpoint: EndpointSendDM, Status: 201, Err: errNoData}
	}
	id, err := parseID("dm_event_id", w.Data.EventID)
	if err != nil {
		return SentDM{}, &MalformedError{Endpoint: EndpointSendDM, Status: 201, Err: err}
	}
	return SentDM{ConversationID: w.Data.ConversationID, EventID: id}, nil
}
