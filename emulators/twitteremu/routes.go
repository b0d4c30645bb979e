package twitteremu

import (
	"net/http"
	"strings"
)

// route is one endpoint. name is Twitter's resource name ("statuses/update",
// or for v2 the path pattern with a "2/" prefix, "2/users/:id/mentions")
// and the key of Options.RateLimits; rateLimited endpoints carry the
// x-rate-limit-* headers.
type route struct {
	method      string
	name        string
	withID      bool // the path carries an :id segment
	rateLimited bool
	handle      func(*Server, *call)
	// v2 routes answer problem details and check their query against
	// params (every v2 route is rate limited).
	v2     bool
	params map[string]paramSpec
}

// endpoint is the name used by Request.Endpoint and Fault.Endpoint.
func (r *route) endpoint() string { return r.method + " " + r.name }

func routes() []*route {
	return []*route{
		{method: http.MethodGet, name: "account/verify_credentials", rateLimited: true, handle: (*Server).handleVerifyCredentials},
		{method: http.MethodGet, name: "statuses/mentions_timeline", rateLimited: true, handle: (*Server).handleMentionsTimeline},
		{method: http.MethodGet, name: "statuses/user_timeline", rateLimited: true, handle: (*Server).handleUserTimeline},
		{method: http.MethodGet, name: "statuses/show", rateLimited: true, handle: (*Server).handleShow},
		{method: http.MethodGet, name: "statuses/show", withID: true, rateLimited: true, handle: (*Server).handleShow},
		{method: http.MethodPost, name: "statuses/update", handle: (*Server).handleUpdate},
		{method: http.MethodPost, name: "statuses/destroy", withID: true, handle: (*Server).handleDestroy},
		{method: http.MethodGet, name: "direct_messages/events/list", rateLimited: true, handle: (*Server).handleDMList},
		{method: http.MethodGet, name: "direct_messages/events/show", rateLimited: true, handle: (*Server).handleDMShow},
		{method: http.MethodPost, name: "direct_messages/events/new", handle: (*Server).handleDMNew},
		{method: http.MethodGet, name: "users/show", rateLimited: true, handle: (*Server).handleUsersShow},
	}
}

// apiPrefix is where the API lives, as in https://api.twitter.com/1.1/.
const apiPrefix = "/1.1/"

// lookupRoute finds the route of method and path and the :id segment, or
// nil when Twitter would answer 404 code 34.
func (s *Server) lookupRoute(method, path string) (*route, string) {
	if strings.HasPrefix(path, v2Prefix) {
		return s.lookupV2Route(method, path)
	}
	rest, ok := strings.CutPrefix(path, apiPrefix)
	if !ok {
		return nil, ""
	}
	rest, ok = strings.CutSuffix(rest, ".json")
	if !ok {
		return nil, ""
	}
	for _, rt := range s.routes {
		if rt.method != method {
			continue
		}
		if !rt.withID {
			if rest == rt.name {
				return rt, ""
			}
			continue
		}
		if id, ok := strings.CutPrefix(rest, rt.name+"/"); ok && id != "" && !strings.Contains(id, "/") {
			return rt, id
		}
	}
	return nil, ""
}

// unknownEndpoint names a request that matches no route, for the log.
func unknownEndpoint(method, path string) string {
	if rest, ok := strings.CutPrefix(path, v2Prefix); ok {
		return method + " 2/" + rest
	}
	p := strings.TrimSuffix(strings.TrimPrefix(path, apiPrefix), ".json")
	return method + " " + p
}
