package push

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// Subscription is an Activity API subscription of the app.
type Subscription struct {
	ID        string
	EventType string
	// UserID is filter.user_id; 0 when the subscription has another
	// filter.
	UserID    int64
	Tag       string
	WebhookID string
}

type wireSubscription struct {
	SubscriptionID flexID `json:"subscription_id"`
	// id: some of X's pages name it so.
	ID        flexID `json:"id"`
	EventType string `json:"event_type"`
	Filter    struct {
		UserID flexID `json:"user_id"`
	} `json:"filter"`
	Tag       string `json:"tag"`
	WebhookID flexID `json:"webhook_id"`
}

func (w wireSubscription) parse() Subscription {
	s := Subscription{ID: string(w.SubscriptionID), EventType: w.EventType, Tag: w.Tag, WebhookID: string(w.WebhookID)}
	if s.ID == "" {
		s.ID = string(w.ID)
	}
	s.UserID, _ = strconv.ParseInt(string(w.Filter.UserID), 10, 64)
	return s
}

// subscriptionsPage is the list's answer; its meta counts with
// result_count or total_subscriptions (X's pages show both), neither of
// which the client needs.
type subscriptionsPage struct {
	Data []wireSubscription `json:"data"`
	Meta struct {
		NextToken string `json:"next_token"`
	} `json:"meta"`
}

// maxSubscriptionPages bounds the pages Subscriptions walks.
const maxSubscriptionPages = 50

// Subscriptions lists the app's subscriptions (GET activity/subscriptions,
// bearer), every page. A 401 or 403 is a *RefusedError (ErrRefused).
func (c *Client) Subscriptions(ctx context.Context) ([]Subscription, error) {
	var out []Subscription
	token := ""
	for range maxSubscriptionPages {
		q := url.Values{"max_results": {"100"}}
		if token != "" {
			q.Set("pagination_token", token)
		}
		var page subscriptionsPage
		if _, err := c.call(ctx, EndpointListSubscriptions, http.MethodGet, "activity/subscriptions", q, nil, false, &page); err != nil {
			return nil, err
		}
		for _, w := range page.Data {
			out = append(out, w.parse())
		}
		if page.Meta.NextToken == "" || page.Meta.NextToken == token {
			return out, nil
		}
		token = page.Meta.NextToken
	}
	c.log.Warn("subscription list longer than the pages read; the rest is not looked at", "pages", maxSubscriptionPages)
	return out, nil
}

// Ensured is what Ensure found and did.
type Ensured struct {
	// Existing are the bot's subscriptions that were there already.
	Existing []Subscription
	// Created are those Ensure made.
	Created []Subscription
	// Conflicts are the event types X answered 409 (made meanwhile by
	// someone else): they exist.
	Conflicts []string
	// Replaced are subscriptions deleted because they deliver to another
	// webhook than the one asked for.
	Replaced []Subscription
	// Listed: X listed the subscriptions, so that, when Ensure fails
	// after, the event types in none of the above are known to be
	// missing.
	Listed bool
}

type createSubscriptionBody struct {
	EventType string `json:"event_type"`
	Filter    struct {
		UserID string `json:"user_id"`
	} `json:"filter"`
	Tag       string `json:"tag"`
	WebhookID string `json:"webhook_id,omitempty"`
}

// Ensure makes sure the bot account userID has the three subscriptions
// (EventTypes) tagged Tag, filter.user_id userID: it lists what exists
// (bearer) and creates, in the account's user context (Config.UserClient),
// only what the list lacks; a 409 means it exists. With webhookID (mode
// webhook), each must deliver to that webhook: one tied to another
// webhook, or to none, is deleted (bearer) and made again; without
// (mode stream), any of the three will do. Running it again changes
// nothing.
//
// X refusing (401, 403), the list or a creation, is a *RefusedError
// (errors.Is(err, ErrRefused)) carrying X's reason: the daemon logs
// ALERT alert=push_unavailable with it and polls at full pace. What was
// done before the error is in the Ensured returned with it.
func (c *Client) Ensure(ctx context.Context, userID int64, webhookID string) (Ensured, error) {
	var res Ensured
	if userID <= 0 {
		return res, errors.New("push: Ensure needs the bot account's id")
	}
	subs, err := c.Subscriptions(ctx)
	if err != nil {
		return res, err
	}
	res.Listed = true
	for _, et := range EventTypes {
		var have, stale *Subscription
		for i, s := range subs {
			if s.EventType != et || s.UserID != userID || s.Tag != Tag {
				continue
			}
			if webhookID == "" || s.WebhookID == webhookID {
				have = &subs[i]
				break
			}
			stale = &subs[i]
		}
		if have != nil {
			res.Existing = append(res.Existing, *have)
			continue
		}
		if stale != nil {
			if _, err := c.call(ctx, EndpointDeleteSubscription, http.MethodDelete, "activity/subscriptions/"+url.PathEscape(stale.ID),
				nil, nil, false, nil, http.StatusNotFound); err != nil {
				return res, err
			}
			res.Replaced = append(res.Replaced, *stale)
			c.log.Info("push subscription tied to another webhook deleted", "event_type", et, "id", stale.ID, "webhook_id", stale.WebhookID)
		}
		sub, created, err := c.create(ctx, et, userID, webhookID)
		if err != nil {
			return res, err
		}
		if !created {
			res.Conflicts = append(res.Conflicts, et)
			continue
		}
		res.Created = append(res.Created, sub)
		c.log.Info("push subscription created", "event_type", et, "id", sub.ID, "user_id", userID, "webhook_id", webhookID)
	}
	return res, nil
}

// create makes one subscription (POST activity/subscriptions, user
// context); false when X answers 409, that it exists. X answers the
// subscription as data.subscription (its OpenAPI file) or as data itself
// (its quickstart): both are read.
func (c *Client) create(ctx context.Context, eventType string, userID int64, webhookID string) (Subscription, bool, error) {
	body := createSubscriptionBody{EventType: eventType, Tag: Tag, WebhookID: webhookID}
	body.Filter.UserID = strconv.FormatInt(userID, 10)
	var w struct {
		Data json.RawMessage `json:"data"`
	}
	st, err := c.call(ctx, EndpointCreateSubscription, http.MethodPost, "activity/subscriptions", nil, body, true, &w, http.StatusConflict)
	if err != nil {
		return Subscription{}, false, err
	}
	if st == http.StatusConflict {
		return Subscription{}, false, nil
	}
	var inner struct {
		Subscription *wireSubscription `json:"subscription"`
	}
	var sub wireSubscription
	if err := json.Unmarshal(w.Data, &inner); err == nil && inner.Subscription != nil {
		sub = *inner.Subscription
	} else if err := json.Unmarshal(w.Data, &sub); err != nil {
		return Subscription{}, false, &MalformedAnswerError{Endpoint: EndpointCreateSubscription, Status: st, Err: err}
	}
	out := sub.parse()
	// What was asked is what exists, whatever the answer left out.
	if out.EventType == "" {
		out.EventType = eventType
	}
	if out.UserID == 0 {
		out.UserID = userID
	}
	if out.Tag == "" {
		out.Tag = Tag
	}
	if out.WebhookID == "" {
		out.WebhookID = webhookID
	}
	return out, true, nil
}
