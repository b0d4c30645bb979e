package issuer

import (
	"errors"
	"net/http"
)

// Kind is what a caller must do after a request, as Outcome decides.
type Kind int

const (
	// OK: the request succeeded.
	OK Kind = iota
	// Final: the issuer answered and the answer stands (a decline, a bad
	// request, not found, not enrolled). Retrying cannot change it.
	Final
	// Unknown: the request may or may not have taken effect (timeout,
	// dropped connection, 5xx, 409 request_in_progress, an undecodable 2xx).
	// For a POST the purchase may exist: retry with the same idempotency key
	// or look it up by reference, never make a new one.
	Unknown
	// RetryLater: the issuer did not process the request; retry it with the
	// same idempotency key after Error.RetryAfter (a 429), or after an
	// operator fixed the API key (a 401, whose RetryAfter is 0, so the caller
	// backs off on its own).
	RetryLater
	// Bug: the request can never succeed as sent (422
	// idempotency_key_reused: the key was used for a different request, or
	// an argument the client refused). Alert; do not retry.
	Bug
)

// String returns the kind's name, for logs.
func (k Kind) String() string {
	switch k {
	case OK:
		return "ok"
	case Final:
		return "final"
	case Unknown:
		return "unknown"
	case RetryLater:
		return "retry_later"
	case Bug:
		return "bug"
	}
	return "kind(?)"
}

// Outcome classifies an error returned by a Client method; nil is OK. An
// error that is not an *Error is Unknown, the safe assumption for money.
//
// A 401 is RetryLater rather than Final: it says nothing about the
// cardholder's order, and no purchase was made, so an order must not be
// failed because the bot's API key was wrong or rotated; the order waits
// until the key is fixed. Transport failures are Unknown for every method
// (for a GET that only means the answer is not known; nothing changed).
func Outcome(err error) Kind {
	if err == nil {
		return OK
	}
	var e *Error
	if !errors.As(err, &e) {
		return Unknown
	}
	switch {
	case e.Code == CodeInvalidArgument && e.Status == 0:
		return Bug
	case e.Status == 0:
		return Unknown
	case e.Status >= 200 && e.Status < 300:
		return Unknown // an undecodable success: it may have worked
	case e.Status == http.StatusUnauthorized:
		return RetryLater
	case e.Status == http.StatusTooManyRequests:
		return RetryLater
	case e.Status == http.StatusConflict:
		return Unknown
	case e.Status == http.StatusRequestTimeout:
		return Unknown
	case e.Status == http.StatusUnprocessableEntity:
		return Bug
	case e.Status >= 400 && e.Status < 500:
		return Final
	default:
		return Unknown // 5xx, and anything outside the contract (3xx, 1xx)
	}
}
