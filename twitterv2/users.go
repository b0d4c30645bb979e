package twitterv2

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// lookupUserFields are the fields a user lookup asks for, as the contract
// lists them.
const lookupUserFields = "created_at,username"

// User looks up the account id (GET users/{id}?user.fields=created_at,username):
// its username and creation time, and its affiliation where X gives one
// unasked (X's "Automated" label, see User.Automated). When there is no
// such account X answers either 404 or, as it answers lookups, 200 with no
// data and only an errors array; both come back as an *APIError that
// IsNotFound reports, the second with Status 200 and the errors as
// Errors. Otherwise it fails with an *APIError, *TransportError or
// *MalformedError (a 200 with neither data nor errors, or a malformed id).
func (c *Client) User(ctx context.Context, id int64) (User, error) {
	var w struct {
		Data   *wireUser         `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	q := url.Values{}
	q.Set("user.fields", lookupUserFields)
	if err := c.do(ctx, EndpointUser, "GET", fmt.Sprintf("users/%d", id), q, nil, &w); err != nil {
		return User{}, err
	}
	if w.Data == nil {
		if len(w.Errors) == 0 {
			return User{}, &MalformedError{Endpoint: EndpointUser, Status: 200, Err: errNoData}
		}
		return User{}, c.errorsOnly(EndpointUser, w.Errors)
	}
	c.logPartial(EndpointUser, w.Errors)
	u, badCreatedAt, err := w.Data.parse()
	if err != nil {
		return User{}, &MalformedError{Endpoint: EndpointUser, Status: 200, Err: err}
	}
	if badCreatedAt != nil {
		c.log.Warn("malformed created_at of a user left out", "endpoint", EndpointUser, "user", u.ID, "err", badCreatedAt)
	}
	return u, nil
}

// errorsOnly is the *APIError of a 200 that carried no data, only an
// errors array: the resource asked for cannot be had. Its problem fields
// are the first entry's; RateLimit is what the answer's headers said.
func (c *Client) errorsOnly(endpoint string, raws []json.RawMessage) *APIError {
	ps, _ := decodeProblems(raws)
	e := &APIError{Endpoint: endpoint, Status: 200, Errors: ps}
	e.RateLimit, _ = c.rates.get(endpoint)
	if b, err := json.Marshal(map[string]any{"errors": raws}); err == nil {
		e.Body = string(b[:min(len(b), maxErrorBody)])
	}
	if len(ps) > 0 {
		e.Type, e.Title, e.Detail = ps[0].Type, ps[0].Title, ps[0].Detail
	}
	return e
}
