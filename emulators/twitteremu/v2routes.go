package twitteremu

import (
	"net/http"
	"strings"
)

// v2Prefix is where the v2 API lives, as in https://api.x.com/2/.
const v2Prefix = "/2/"

// Names of the v2 routes: the path pattern with a "2/" prefix, so that
// they never collide with v1.1's and read as v2 in Request.Endpoint.
const (
	v2Me         = "2/users/me"
	v2UserByID   = "2/users/:id"
	v2Mentions   = "2/users/:id/mentions"
	v2UserTweets = "2/users/:id/tweets"
	v2PostTweet  = "2/tweets"
	v2DMEvents   = "2/dm_events"
	v2SendDM     = "2/dm_conversations/with/:participant_id/messages"
)

func v2Routes() []*route {
	timeline := func(extra map[string]paramSpec) map[string]paramSpec {
		m := map[string]paramSpec{
			"max_results":      intRange(5, 100),
			"since_id":         idParam(),
			"until_id":         idParam(),
			"pagination_token": tokenParam(),
			"start_time":       known(),
			"end_time":         known(),
			"tweet.fields":     fieldList(tweetFieldsKnown, tweetFieldsEmulated),
			"expansions":       fieldList(tweetExpansionsKnown, tweetExpansionsEmulated),
			"user.fields":      fieldList(userFieldsKnown, userFieldsEmulated),
			"media.fields":     fieldList(mediaFieldsKnown, mediaFieldsKnown),
			"poll.fields":      fieldList(pollFieldsKnown, pollFieldsKnown),
			"place.fields":     fieldList(placeFieldsKnown, placeFieldsKnown),
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	user := func() map[string]paramSpec {
		return map[string]paramSpec{
			"user.fields":  fieldList(userFieldsKnown, userFieldsEmulated),
			"expansions":   fieldList(meExpansionsKnown, nil),
			"tweet.fields": fieldList(tweetFieldsKnown, nil),
		}
	}
	return []*route{
		{method: http.MethodGet, name: v2Me, v2: true, rateLimited: true, handle: (*Server).handleV2Me,
			params: user()},
		{method: http.MethodGet, name: v2UserByID, v2: true, rateLimited: true, handle: (*Server).handleV2User,
			params: user()},
		{method: http.MethodGet, name: v2Mentions, v2: true, rateLimited: true, handle: (*Server).handleV2Mentions,
			params: timeline(nil)},
		{method: http.MethodGet, name: v2UserTweets, v2: true, rateLimited: true, handle: (*Server).handleV2UserTweets,
			params: timeline(map[string]paramSpec{"exclude": fieldList([]string{"replies", "retweets"}, []string{"replies", "retweets"})})},
		{method: http.MethodPost, name: v2PostTweet, v2: true, rateLimited: true, handle: (*Server).handleV2PostTweet,
			params: map[string]paramSpec{}},
		{method: http.MethodGet, name: v2DMEvents, v2: true, rateLimited: true, handle: (*Server).handleV2DMEvents,
			params: map[string]paramSpec{
				"max_results":      intRange(1, 100),
				"pagination_token": tokenParam(),
				"event_types":      fieldList(dmEventTypesKnown, dmEventTypesKnown),
				"dm_event.fields":  fieldList(dmEventFieldsKnown, dmEventFieldsEmulated),
				"expansions":       fieldList(dmExpansionsKnown, dmExpansionsEmulated),
				"user.fields":      fieldList(userFieldsKnown, userFieldsEmulated),
				"tweet.fields":     fieldList(tweetFieldsKnown, nil),
				"media.fields":     fieldList(mediaFieldsKnown, mediaFieldsKnown),
			}},
		{method: http.MethodPost, name: v2SendDM, v2: true, rateLimited: true, handle: (*Server).handleV2SendDM,
			params: map[string]paramSpec{}},
		// X Activity API (push*.go); servePush serves those that take the app's bearer token.
		{method: http.MethodGet, name: v2ActivitySubs, v2: true, rateLimited: true, handle: (*Server).handlePushServed,
			params: map[string]paramSpec{"max_results": intRange(1, 100), "pagination_token": tokenParam()}},
		{method: http.MethodPost, name: v2ActivitySubs, v2: true, rateLimited: true, handle: (*Server).handleCreateSubscription,
			params: map[string]paramSpec{}},
		{method: http.MethodDelete, name: v2ActivitySub, v2: true, rateLimited: true, handle: (*Server).handlePushServed,
			params: map[string]paramSpec{}},
		{method: http.MethodGet, name: v2ActivityStream, v2: true, rateLimited: true, handle: (*Server).handlePushServed,
			params: map[string]paramSpec{"backfill_minutes": intRange(0, PushBackfillMax), "start_time": known(), "end_time": known()}},
		{method: http.MethodPost, name: v2Webhooks, v2: true, rateLimited: true, handle: (*Server).handlePushServed,
			params: map[string]paramSpec{}},
		{method: http.MethodGet, name: v2Webhooks, v2: true, rateLimited: true, handle: (*Server).handlePushServed,
			params: map[string]paramSpec{"webhook_config.fields": fieldList(webhookFields, webhookFields)}},
		{method: http.MethodPut, name: v2Webhook, v2: true, rateLimited: true, handle: (*Server).handlePushServed,
			params: map[string]paramSpec{}},
		{method: http.MethodDelete, name: v2Webhook, v2: true, rateLimited: true, handle: (*Server).handlePushServed,
			params: map[string]paramSpec{}},
		{method: http.MethodPost, name: v2WebhooksReplay, v2: true, rateLimited: true, handle: (*Server).handlePushServed,
			params: map[string]paramSpec{}},
	}
}

// matchV2 reports whether rest (the path after /2/) fits the route's
// pattern and returns its ":" segment.
func (rt *route) matchV2(rest string) (string, bool) {
	pat := strings.Split(strings.TrimPrefix(rt.name, "2/"), "/")
	got := strings.Split(rest, "/")
	if len(pat) != len(got) {
		return "", false
	}
	id := ""
	for i, p := range pat {
		switch {
		case strings.HasPrefix(p, ":"):
			if got[i] == "" {
				return "", false
			}
			id = got[i]
		case p != got[i]:
			return "", false
		}
	}
	return id, true
}

// lookupV2Route finds the v2 route of method and path. A pattern without
// a ":" segment wins over one with ("users/me" is not "users/:id" with id
// "me"), so the order of the table does not matter.
func (s *Server) lookupV2Route(method, path string) (*route, string) {
	return s.matchV2Route(method, strings.TrimPrefix(path, v2Prefix))
}

// matchV2Route finds the route of method ("" for any) whose pattern rest
// fits, preferring a pattern without a ":" segment.
func (s *Server) matchV2Route(method, rest string) (*route, string) {
	var param *route
	var paramID string
	for _, rt := range s.routes {
		if !rt.v2 || method != "" && rt.method != method {
			continue
		}
		id, ok := rt.matchV2(rest)
		switch {
		case !ok:
		case !strings.Contains(rt.name, ":"):
			return rt, id
		case param == nil:
			param, paramID = rt, id
		}
	}
	return param, paramID
}

// v2RouteName maps a v2 path ("/2/users/123/mentions") to its route name,
// for Fault.Endpoint; false when no v2 route has that shape.
func (s *Server) v2RouteName(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, v2Prefix)
	if !ok {
		return "", false
	}
	if rt, _ := s.matchV2Route("", rest); rt != nil {
		return rt.name, true
	}
	return "", false
}
