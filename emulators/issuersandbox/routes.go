package issuersandbox

import (
	"net/http"
	"net/url"
	"strings"
)

// route is an endpoint of the API.
type route struct {
	post   bool // needs the POST headers and goes through idempotency
	handle func(s *Server, c *call) response
}

// call is what an endpoint needs of a request.
type call struct {
	body    []byte
	params  []string // the path's variable segments, in order
	query   url.Values
	idemKey string
}

// matchRoute finds the endpoint for a method and path. The routing is done
// by hand rather than with http.ServeMux because the pipeline must know the
// endpoint (and whether it is a POST) before admitting the request, and
// because unknown paths and methods must get the contract's JSON error body.
func matchRoute(method, path string) (route, []string, bool) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	if len(seg) < 2 || seg[0] != "v1" {
		return route{}, nil, false
	}
	switch {
	case len(seg) == 4 && seg[1] == "enrollments" && seg[2] == "twitter" && seg[3] != "" && method == http.MethodGet:
		return route{handle: (*Server).getEnrollment}, seg[3:], true
	case len(seg) == 2 && seg[1] == "purchases" && method == http.MethodPost:
		return route{post: true, handle: (*Server).createPurchase}, nil, true
	case len(seg) == 2 && seg[1] == "purchases" && method == http.MethodGet:
		return route{handle: (*Server).listPurchases}, nil, true
	case len(seg) == 3 && seg[1] == "purchases" && seg[2] != "" && method == http.MethodGet:
		return route{handle: (*Server).getPurchase}, seg[2:], true
	case len(seg) == 4 && seg[1] == "purchases" && seg[2] != "" && seg[3] == "refunds" && method == http.MethodPost:
		return route{post: true, handle: (*Server).createRefund}, seg[2:3], true
	}
	return route{}, nil, false
}
