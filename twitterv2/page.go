package twitterv2

import (
	"context"
	"encoding/json"
	"net/url"
)

// wireTimeline is the shape of every paged answer: posts and DM events alike.
type wireTimeline struct {
	Data     []json.RawMessage `json:"data"`
	Includes wireIncludes      `json:"includes"`
	Meta     wireMeta          `json:"meta"`
	Errors   []json.RawMessage `json:"errors"`
}

// page is one decoded paged answer: its items, and what comes with them.
type page[T any] struct {
	items   []T
	users   map[int64]User
	meta    Meta
	skipped int
	errors  []Problem
}

// getPage GETs a paged answer and decodes it: its meta, its included users
// (a malformed one logged and left out), its partial errors (logged), and
// each item with parse, which names the item's author from the users. A
// malformed item is logged as skipped and counted, never a
// failure of the page. On failure it returns an *APIError,
// *TransportError or *MalformedError (a body that is not JSON, or a
// malformed meta).
func getPage[T any](ctx context.Context, c *Client, endpoint, path string, q url.Values, skipped string,
	parse func(raw json.RawMessage, users map[int64]User) (T, error)) (page[T], error) {
	var w wireTimeline
	if err := c.do(ctx, endpoint, "GET", path, q, nil, &w); err != nil {
		return page[T]{}, err
	}
	meta, err := w.Meta.parse()
	if err != nil {
		return page[T]{}, &MalformedError{Endpoint: endpoint, Status: 200, Err: err}
	}
	p := page[T]{meta: meta, users: c.parseUsers(endpoint, w.Includes.Users)}
	p.errors = c.logPartial(endpoint, w.Errors)
	for _, raw := range w.Data {
		item, err := parse(raw, p.users)
		if err != nil {
			p.skipped++
			c.log.Warn(skipped, "endpoint", endpoint, "err", err)
			continue
		}
		p.items = append(p.items, item)
	}
	return p, nil
}
