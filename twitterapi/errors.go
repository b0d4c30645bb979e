package twitterapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Twitter error codes the bot treats deliberately.
const (
	CodeBadAuth         = 32  // could not authenticate you
	CodeRateLimited     = 88  // rate limit exceeded
	CodeInvalidToken    = 89  // invalid or expired token
	CodeOverCapacity    = 130 // over capacity
	CodeInternal        = 131 // internal error
	CodePostingLimit    = 185 // over daily status update limit
	CodeTooLong         = 186 // status is over 280 characters
	CodeDuplicate       = 187 // status is a duplicate
	CodeAutomated       = 226 // this request looks like it might be automated
	CodeAccountLocked   = 326 // account temporarily locked
	CodeReplyToDeleted  = 385 // reply to a deleted or invisible tweet
	CodeCannotDM        = 349 // you cannot send messages to this user
	CodeDMNotFollowing  = 150 // you cannot send messages to users who are not following you
	CodeRecipientAbsent = 108 // cannot find specified user
	CodeDMTooLong       = 354 // the text of the direct message is too long
	CodeSuspended       = 64  // your account is suspended
	CodeNoDMAccess      = 93  // this application is not allowed to access direct messages
	CodeNotAllowed      = 220 // your credentials do not allow access to this resource
	CodeCannotWrite     = 261 // this application cannot perform write actions
)

// Error is a failed call to Twitter.
type Error struct {
	Endpoint string
	Status   int // HTTP status; 0 when no answer came
	Code     int // Twitter's error code; 0 when none was given
	Message  string
	ResetAt  time.Time // when the endpoint's budget comes back, if Twitter said
	NotSent  bool      // the client refused before sending
	// Capped is a v2 usage cap or used-up pay-per-use credits (a 429 of
	// type usage-capped, or a 402): waiting for the rate window is not
	// enough, the operator must act or the period end.
	Capped bool
	Err    error // the transport or decoding failure, if that is what happened
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("twitter %s: %v", e.Endpoint, e.Err)
	case e.Code != 0:
		return fmt.Sprintf("twitter %s: %d code %d: %s", e.Endpoint, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("twitter %s: %d %s", e.Endpoint, e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Kind is what the bot should do about an error.
type Kind int

// The kinds of failure.
const (
	KindNone         Kind = iota
	KindUnknown           // no answer, or an unreadable one: a post may or may not have been made
	KindRateLimited       // 429 / 88: wait for ResetAt; nothing was done
	KindPostingLimit      // 185: pause posting until the posting window passes
	KindTransient         // 5xx, 130, 131: back off with jitter; a post may have been made
	KindAuth              // 32, 89, 401: credentials broken; stop and keep everything queued
	KindGone              // 385: a reply to a deleted tweet can never be sent
	KindDuplicate         // 187: the account has posted this text before
	KindPaused            // 226, 326: Twitter wants the account to slow down
	KindRefused           // 186, 349, 150, 108, 354: this message will never be accepted
	// KindAccount is a refusal of the account or the app (64, 93, 220,
	// 261): not the message's fault, so nothing is dropped; posting
	// pauses and an operator must look.
	KindAccount
	// KindUnexpected is any other 4xx: not known to be about the account,
	// nor to be final for the message. Tried again a few times, then
	// treated as refused.
	KindUnexpected
	// KindCapped is the app's usage cap or credits reached (v2): what it
	// refused pauses until ResetAt, everything stays queued, and an
	// operator is alerted.
	KindCapped
)

// Classify says what kind of failure err is; KindNone for nil and
// KindUnknown for an error that is not an *Error.
func Classify(err error) Kind {
	if err == nil {
		return KindNone
	}
	var e *Error
	if !errors.As(err, &e) {
		return KindUnknown
	}
	switch {
	case e.Capped:
		return KindCapped
	case e.Code == CodeRateLimited || e.Status == http.StatusTooManyRequests:
		return KindRateLimited
	case e.Code == CodePostingLimit:
		return KindPostingLimit
	case e.Code == CodeBadAuth || e.Code == CodeInvalidToken || e.Status == http.StatusUnauthorized:
		return KindAuth
	case e.Code == CodeReplyToDeleted:
		return KindGone
	case e.Code == CodeDuplicate:
		return KindDuplicate
	case e.Code == CodeAutomated || e.Code == CodeAccountLocked:
		return KindPaused
	case e.Code == CodeOverCapacity || e.Code == CodeInternal || e.Status >= 500:
		return KindTransient
	case e.Status == 0 || e.Err != nil:
		return KindUnknown
	case e.Code == CodeTooLong || e.Code == CodeCannotDM || e.Code == CodeDMNotFollowing || e.Code == CodeRecipientAbsent || e.Code == CodeDMTooLong:
		return KindRefused
	case e.Code == CodeSuspended || e.Code == CodeNoDMAccess || e.Code == CodeNotAllowed || e.Code == CodeCannotWrite:
		return KindAccount
	case e.Status >= 400:
		return KindUnexpected
	}
	return KindUnknown
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
