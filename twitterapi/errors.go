package twitterapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is a failed call to Twitter, classified by the adapter that made
// it: Kind is what the bot should do about it, whichever API answered.
type Error struct {
	Endpoint string
	Status   int  // HTTP status; 0 when no answer came
	Kind     Kind // set by the adapter; Classify reads it
	// Code is the v1.1 API's error code, for the log alone: the v1.1
	// adapter turns it into Kind, and nothing else reads it. 0 from v2.
	Code    int
	Message string
	ResetAt time.Time // when the endpoint's budget comes back, if Twitter said
	NotSent bool      // the client refused before sending
	Err     error     // the transport or decoding failure, if that is what happened
}

// Error says what Twitter answered and, when an adapter classified it,
// its kind: "twitter statuses/update: 403 code 187 duplicate: Status is a
// duplicate.", "twitter POST tweets: 404 reply_target_gone: Could not
// find tweet ...". The kind is what the outbox records in either API.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("twitter %s: %v", e.Endpoint, e.Err)
	}
	head := strconv.Itoa(e.Status)
	if e.Code != 0 {
		head += " code " + strconv.Itoa(e.Code)
	}
	if e.Kind != KindNone {
		head += " " + e.Kind.String()
	}
	return fmt.Sprintf("twitter %s: %s: %s", e.Endpoint, head, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Kind is what the bot should do about an error. Each adapter turns its
// API's answers into kinds (v1.1's codes in client.go, v2's problems in
// v2.go); the bot and the metrics know only the kinds.
type Kind int

// The kinds of failure. Their numbers are not stored anywhere; String
// gives each a stable name, used as a metrics label.
const (
	KindNone         Kind = iota
	KindUnknown           // no answer, or an unreadable one: a post may or may not have been made
	KindRateLimited       // a rate limit: wait for ResetAt; nothing was done
	KindPostingLimit      // the account's daily posting limit: pause posting until the posting window passes
	KindTransient         // a server error or over capacity: back off with jitter; a post may have been made
	KindAuth              // the credentials are refused: stop and keep everything queued
	KindGone              // the post replied to is gone (or may not be replied to): the reply can never be sent
	KindDuplicate         // the account has posted this text before
	KindPaused            // Twitter wants the account to slow down (automated-looking, locked)
	KindRefused           // this message will never be accepted (DMs closed, recipient gone)
	// KindAccount is a refusal of the account or the app (suspended, no
	// access, may not write): not the message's fault, so nothing is
	// dropped; posting pauses and an operator must look.
	KindAccount
	// KindUnexpected is any other 4xx, a bad request: not known to be
	// about the account, nor to be final for the message. Tried again a
	// few times, then treated as refused.
	KindUnexpected
	// KindCapped is the app's usage cap or credits reached (v2): what it
	// refused pauses until ResetAt, everything stays queued, and an
	// operator is alerted.
	KindCapped
	// KindTooLong is a text refused for its length. It is a refusal of
	// the message (handled as KindRefused), except that a message about
	// money is first sent again with its minimal text.
	KindTooLong
	// KindNotFound is a user lookup's answer that there is no such
	// account (or none X will show: suspended): the same id will not be
	// found by asking again soon. Only CallUser fails so.
	KindNotFound
)

var kindNames = map[Kind]string{
	KindNone: "none", KindUnknown: "unknown", KindRateLimited: "rate_limited", KindPostingLimit: "posting_limit",
	KindTransient: "transient", KindAuth: "credentials_refused", KindGone: "reply_target_gone", KindDuplicate: "duplicate",
	KindPaused: "paused", KindRefused: "refused", KindAccount: "account_refused", KindUnexpected: "bad_request",
	KindCapped: "usage_capped", KindTooLong: "too_long", KindNotFound: "not_found",
}

// String returns the kind's stable snake_case name, such as
// "rate_limited" or "too_long"; "kind(N)" for a number that is no kind.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Classify says what kind of failure err is: the kind its adapter gave
// it; KindNone for nil and KindUnknown for an error that is not an
// *Error. An *Error made without a kind (a test's, say) is classified by
// its HTTP status alone.
func Classify(err error) Kind {
	if err == nil {
		return KindNone
	}
	var e *Error
	if !errors.As(err, &e) {
		return KindUnknown
	}
	if e.Kind != KindNone {
		return e.Kind
	}
	if k := statusKind(e.Status, e.Err); k != KindNone {
		return k
	}
	return KindUnknown
}

// statusKind is what an HTTP status says by itself, whichever API sent
// it; KindNone when it says nothing (no error status, yet an error). A
// status with a transport or decoding failure is unknown unless the
// status is a rate limit, a refusal of the credentials or a server error.
func statusKind(status int, err error) Kind {
	switch {
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusUnauthorized:
		return KindAuth
	case status >= 500:
		return KindTransient
	case status == 0 || err != nil:
		return KindUnknown
	case status >= 400:
		return KindUnexpected
	}
	return KindNone
}

// NotSent reports whether err is a refusal the client made without a
// request, from what an earlier answer said (a budget spent, a cap).
func NotSent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.NotSent
}

// MayHavePosted reports whether a failed post may still have been made, so
// that it must be looked for before it is posted again.
func MayHavePosted(err error) bool {
	var e *Error
	if errors.As(err, &e) && e.NotSent {
		return false
	}
	switch Classify(err) {
	case KindUnknown, KindTransient:
		return true
	}
	return false
}

func parseRateLimit(h http.Header) (RateLimit, bool) {
	limit, err1 := strconv.Atoi(h.Get("x-rate-limit-limit"))
	remaining, err2 := strconv.Atoi(h.Get("x-rate-limit-remaining"))
	reset, err3 := strconv.ParseInt(h.Get("x-rate-limit-reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return RateLimit{}, false
	}
	return RateLimit{Limit: limit, Remaining: remaining, Reset: time.Unix(reset, 0)}, true
}
