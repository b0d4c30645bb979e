package twitterv2

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Problem is one entry of an "errors" array, or the problem details of an
// error answer. X fills a subset of the fields depending on the error.
type Problem struct {
	Type         string              `json:"type"`
	Title        string              `json:"title"`
	Detail       string              `json:"detail"`
	Message      string              `json:"message"`
	Parameter    string              `json:"parameter"`
	ResourceType string              `json:"resource_type"`
	ResourceID   string              `json:"resource_id"`
	Parameters   map[string][]string `json:"parameters"`
}

// APIError is a non-2xx answer: the HTTP status, the RFC 7807 problem
// fields, the errors array and the rate-limit headers it carried. A 200
// that carried no data and only an errors array (X's answer to a lookup of
// an account it cannot give, Client.User) is one too, with Status 200 and
// its problem fields taken from the first entry.
type APIError struct {
	Endpoint  string // one of the Endpoint constants
	Status    int
	Type      string // problem type URI, "" if the body had none
	Title     string
	Detail    string
	Errors    []Problem
	RateLimit RateLimit // zero when the answer had no x-rate-limit-* headers
	Body      string    // the raw body, cut to maxErrorBody bytes, for logs
}

// maxErrorBody bounds APIError.Body.
const maxErrorBody = 1024

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "twitterv2: %s: HTTP %d", e.Endpoint, e.Status)
	if e.Title != "" {
		b.WriteString(" " + e.Title)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	} else if len(e.Errors) > 0 {
		p := e.Errors[0]
		b.WriteString(": " + firstNonEmpty(p.Detail, p.Message, p.Title))
	}
	if e.Type != "" && e.Type != "about:blank" {
		b.WriteString(" (" + e.Type + ")")
	}
	return b.String()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// TransportError is a request that got no answer: the connection failed,
// was reset or timed out, or the context ended. Whether the request took
// effect is unknown.
type TransportError struct {
	Endpoint string
	Err      error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("twitterv2: %s: %v", e.Endpoint, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// MalformedError is a 2xx answer whose body is not the JSON expected. For a
// POST the work may have been done.
type MalformedError struct {
	Endpoint string
	Status   int
	Err      error
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("twitterv2: %s: malformed answer (HTTP %d): %v", e.Endpoint, e.Status, e.Err)
}

func (e *MalformedError) Unwrap() error { return e.Err }

// The details X answers with for the two 403s the bot must tell apart.
const (
	duplicateDetail    = "You are not allowed to create a Tweet with duplicate content."
	replyRefusedPrefix = "Reply to this conversation is not allowed"
	usageCappedPath    = "/2/problems/usage-capped"
	// replyInvalidDetail is how X's own emulator (xdevplatform/playground)
	// refuses, with a 400, a reply to a post that does not exist; the live
	// API answers 404.
	replyInvalidDetail = "Your reply tweet ID is invalid."
)

func asAPIError(err error) (*APIError, bool) {
	var ae *APIError
	ok := errors.As(err, &ae)
	return ae, ok
}

func hasStatus(err error, status int) bool {
	ae, ok := asAPIError(err)
	return ok && ae.Status == status
}

// details returns the problem detail and those of the errors array.
func (e *APIError) details() []string {
	out := []string{e.Detail}
	for _, p := range e.Errors {
		out = append(out, p.Detail, p.Message)
	}
	return out
}

// IsDuplicate reports a 403 refusing a Tweet with the same text as one the
// account already posted (v1.1's code 187).
func IsDuplicate(err error) bool {
	ae, ok := asAPIError(err)
	if !ok || ae.Status != http.StatusForbidden {
		return false
	}
	for _, d := range ae.details() {
		if d == duplicateDetail {
			return true
		}
	}
	return false
}

// IsReplyNotAllowed reports the summoned-reply rule: a 403 refusing a reply
// to a post whose author neither mentioned nor quoted the bot.
func IsReplyNotAllowed(err error) bool {
	ae, ok := asAPIError(err)
	if !ok || ae.Status != http.StatusForbidden {
		return false
	}
	for _, d := range ae.details() {
		if strings.HasPrefix(d, replyRefusedPrefix) {
			return true
		}
	}
	return false
}

// IsForbidden reports any 403, including the two above.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsNotFound reports that the Tweet replied to, or the user, is gone: a
// 404, the 400 "Your reply tweet ID is invalid." that X's own emulator
// answers a reply to a post that is gone, or a 200 with no data whose
// errors say the resource was not found (X's answer to a user lookup).
func IsNotFound(err error) bool {
	ae, ok := asAPIError(err)
	return ok && (ae.Status == http.StatusNotFound || ae.isReplyInvalid() || ae.isNotFoundOnly())
}

// notFoundPath is the path of X's problem type for a resource that does
// not exist (on api.x.com or api.twitter.com).
const notFoundPath = "/2/problems/resource-not-found"

// isNotFoundOnly reports a 200 that carried only errors, one of them a
// not-found problem (by its type, or its title where it has none).
func (e *APIError) isNotFoundOnly() bool {
	if e.Status != http.StatusOK {
		return false
	}
	for _, p := range e.Errors {
		if strings.HasSuffix(p.Type, notFoundPath) || p.Type == "" && p.Title == "Not Found Error" {
			return true
		}
	}
	return false
}

// isReplyInvalid reports the playground's 400 refusing a reply to a post
// that is gone, whether its detail or an errors entry says so.
func (e *APIError) isReplyInvalid() bool {
	if e.Status != http.StatusBadRequest {
		return false
	}
	for _, d := range e.details() {
		if d == replyInvalidDetail {
			return true
		}
	}
	return false
}

// IsUnauthorized reports a 401: the credentials are refused.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsBadRequest reports a 400: the request is wrong and must not be retried
// as is. The 400 refusing a reply to a post that is gone is not one: the
// request was right, see IsNotFound.
func IsBadRequest(err error) bool {
	ae, ok := asAPIError(err)
	return ok && ae.Status == http.StatusBadRequest && !ae.isReplyInvalid()
}

// refusesParameter reports a 400 whose errors array refuses the query
// parameter name as one the endpoint does not know. X words it "The query
// parameter [name] is not one of [...]", naming it in parameters; an entry
// that names it in parameters without complaining of its value counts too,
// so that a rewording does not hide it.
func refusesParameter(err error, name string) bool {
	ae, ok := asAPIError(err)
	if !ok || ae.Status != http.StatusBadRequest {
		return false
	}
	for _, p := range ae.Errors {
		if strings.Contains(p.Message, "query parameter ["+name+"]") {
			return true
		}
		if _, named := p.Parameters[name]; named && !strings.Contains(p.Message, "parameter value") {
			return true
		}
	}
	return false
}

// IsServerError reports a 5xx: try again later.
func IsServerError(err error) bool {
	ae, ok := asAPIError(err)
	return ok && ae.Status >= 500 && ae.Status <= 599
}

// IsUsageCapped reports a 429 whose problem type is X's usage cap
// (https://api.x.com/2/problems/usage-capped, or the api.twitter.com form):
// the app's cap or spending limit is reached, waiting for the window reset
// does not help.
func IsUsageCapped(err error) bool {
	ae, ok := asAPIError(err)
	if !ok || ae.Status != http.StatusTooManyRequests {
		return false
	}
	if isUsageCappedType(ae.Type) {
		return true
	}
	for _, p := range ae.Errors {
		if isUsageCappedType(p.Type) {
			return true
		}
	}
	return false
}

func isUsageCappedType(t string) bool {
	u, err := url.Parse(t)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Host) {
	case "api.x.com", "api.twitter.com":
		return u.Path == usageCappedPath
	}
	return false
}

// IsRateLimited reports a 429 that is a plain rate limit (not a usage
// cap): wait for RetryAt.
func IsRateLimited(err error) bool {
	return hasStatus(err, http.StatusTooManyRequests) && !IsUsageCapped(err)
}

// IsCreditsExhausted reports a 402: the pay-per-use credits are used up.
func IsCreditsExhausted(err error) bool { return hasStatus(err, http.StatusPaymentRequired) }

// IsTransport reports a request that got no answer.
func IsTransport(err error) bool {
	var te *TransportError
	return errors.As(err, &te)
}

// IsMalformed reports a 2xx answer that could not be decoded.
func IsMalformed(err error) bool {
	var me *MalformedError
	return errors.As(err, &me)
}

// RetryAt returns the x-rate-limit-reset of an APIError, and false when err
// is not one or carried no reset.
func RetryAt(err error) (time.Time, bool) {
	ae, ok := asAPIError(err)
	if !ok || ae.RateLimit.Reset.IsZero() {
		return time.Time{}, false
	}
	return ae.RateLimit.Reset, true
}
