package issuer

import (
	"context"
	"net/http"
	"strconv"
)

type enrollmentAnswer struct {
	want string // the requested Twitter user id
	e    Enrollment
}

func (a *enrollmentAnswer) decode(_ int, raw []byte) error {
	var w enrollmentJSON
	if err := decodeJSON(raw, &w); err != nil {
		return err
	}
	e, err := w.enrollment()
	if err != nil {
		return err
	}
	// An answer about another account (a misrouted or cached answer) must
	// not lead to charging that account's card.
	if e.TwitterUserID != a.want {
		return &mismatchError{field: "twitter_user_id", want: a.want, got: e.TwitterUserID}
	}
	a.e = e
	return nil
}

// Enrollment returns the card linked to a Twitter account, by its numeric
// user id. Check Active before charging. On failure it returns an *Error:
// Code CodeNotEnrolled (Status 404) when the account is not linked.
func (c *Client) Enrollment(ctx context.Context, twitterUserID int64) (Enrollment, error) {
	if twitterUserID <= 0 {
		return Enrollment{}, argumentError("GET /v1/enrollments/twitter", "twitter user id must be positive")
	}
	id := strconv.FormatInt(twitterUserID, 10)
	a := &enrollmentAnswer{want: id}
	err := c.do(ctx, call{method: http.MethodGet, path: "v1/enrollments/twitter/" + id}, a)
	if err != nil {
		return Enrollment{}, err
	}
	return a.e, nil
}
