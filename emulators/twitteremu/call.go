package twitteremu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// call is one request on its way through the emulator. Handlers write the
// answer into resp rather than to the connection, so that a fault can
// replace, delay or truncate it after the work is done.
type call struct {
	r      *http.Request
	route  *route
	pathID string     // the :id segment of routes like statuses/destroy/:id
	query  url.Values // URL query
	form   url.Values // form-encoded body, nil otherwise
	body   []byte
	now    time.Time
	nonce  string // "consumer|token|timestamp|nonce" once authenticated
	resp   response
	// dmListLag hides the newest direct messages from a list (see
	// Fault.DMListLag).
	dmListLag time.Duration
}

// unlisted reports whether a direct message created at t is too new for
// a lagging list to show.
func (c *call) unlisted(t time.Time) bool { return c.now.Sub(t) < c.dmListLag }

// response is a buffered HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *call) setHeader(k, v string) {
	if c.resp.header == nil {
		c.resp.header = http.Header{}
	}
	c.resp.header.Set(k, v)
}

// json answers status with v encoded as JSON.
func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the emulator's own structs are encoded; failing here is a
		// bug in the emulator, answered as Twitter's internal error.
		c.fail(apiErr(http.StatusInternalServerError, CodeInternalError, "Internal error"))
		return
	}
	c.setHeader("Content-Type", "application/json;charset=utf-8")
	c.resp.status = status
	c.resp.body = b
}

// fail answers with Twitter's error envelope, or on a v2 path with the
// problem details v2 answers instead.
func (c *call) fail(e *APIError) {
	if c.isV2() {
		c.problem(v2Error(e))
		return
	}
	c.json(e.Status, errorsBody{Errors: []errorEntry{{Code: e.Code, Message: e.Message}}})
}

// isV2 reports a request to the v2 API, routed or not.
func (c *call) isV2() bool {
	if c.route != nil {
		return c.route.v2
	}
	return strings.HasPrefix(c.r.URL.Path, v2Prefix)
}

// param returns a parameter from the query or the form body.
func (c *call) param(name string) string {
	if v := c.query.Get(name); v != "" {
		return v
	}
	if c.form != nil {
		return c.form.Get(name)
	}
	return ""
}

// int64Param parses an id-like parameter; a missing or malformed value is 0,
// which the handlers treat as "not given", as Twitter ignores junk there.
func (c *call) int64Param(name string) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(c.param(name)), 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// countParam reads "count": def when missing or not positive, at most max.
func (c *call) countParam(def, max int) int {
	v, err := strconv.Atoi(c.param("count"))
	if err != nil || v <= 0 {
		return def
	}
	return min(v, max)
}

// boolParam reads a Twitter boolean ("true", "t" or "1"), def when missing.
func (c *call) boolParam(name string, def bool) bool {
	switch strings.ToLower(c.param(name)) {
	case "":
		return def
	case "true", "t", "1":
		return true
	default:
		return false
	}
}

func (c *call) renderMode() renderMode {
	return renderMode{
		extended:   c.param("tweet_mode") == "extended",
		trimUser:   c.boolParam("trim_user", false),
		noEntities: !c.boolParam("include_entities", true),
	}
}
