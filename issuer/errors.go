package issuer

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error codes of the contract, as found in Error.Code.
const (
	CodeInvalidRequest        = "invalid_request"
	CodeUnauthorized          = "unauthorized"
	CodeCardDeclined          = "card_declined"
	CodeNotFound              = "not_found"
	CodeNotEnrolled           = "not_enrolled"
	CodeRequestInProgress     = "request_in_progress"
	CodeIdempotencyKeyReused  = "idempotency_key_reused"
	CodeRateLimited           = "rate_limited"
	CodeInternalError         = "internal_error"
	CodeUnavailable           = "unavailable"
	CodePurchaseNotRefundable = "purchase_not_refundable"
)

// Error codes the client sets itself; the issuer never sends them.
const (
	// CodeInvalidResponse: a 2xx answer whose body could not be decoded or
	// lacks what the contract promises. On a POST the purchase may exist.
	CodeInvalidResponse = "invalid_response"
	// CodeInvalidArgument: the caller passed something the client refuses to
	// send (an empty id, a bad idempotency key); nothing was sent.
	CodeInvalidArgument = "invalid_argument"
)

// Decline codes of the contract, as found in Error.DeclineCode and
// Purchase.DeclineCode.
const (
	DeclineInsufficientFunds = "insufficient_funds"
	DeclineCardExpired       = "card_expired"
	DeclineDoNotHonor        = "do_not_honor"
	DeclineLimitExceeded     = "limit_exceeded"
	DeclineSuspectedFraud    = "suspected_fraud"
	// The two of a purchase that waited for the cardholder's approval: they
	// said no, or did not answer in time. Nothing was charged.
	DeclineApprovalDeclined = "approval_declined"
	DeclineApprovalExpired  = "approval_expired"
)

// Error is every failure of a Client method: an error answer of the issuer
// (Status set, fields from its error body), a transport failure or timeout
// (Status 0, Err set), an undecodable answer (Err set), or a refused
// argument (Code CodeInvalidArgument). Use Outcome to decide what to do.
type Error struct {
	Op          string // such as "POST /v1/purchases"
	Status      int    // HTTP status; 0 when no answer was received
	Type        string // the error body's type, such as "card_error"
	Code        string // the error body's code, or one of the client's own
	DeclineCode string // for card_declined
	Param       string // the bad field, for invalid_request
	Message     string // human-readable; never for a cardholder's eyes
	RequestID   string // X-Request-Id, as echoed by the issuer if it answered
	RetryAfter  time.Duration
	Purchase    *Purchase // the declined purchase of a 402
	Err         error     // the transport or decoding cause, if any
}

// Error returns a one-line description for logs. It holds no secret.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("issuer")
	if e.Op != "" {
		b.WriteString(": ")
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.DeclineCode != "" {
			fmt.Fprintf(&b, " (%s)", e.DeclineCode)
		}
		if e.Param != "" {
			fmt.Fprintf(&b, " param %s", e.Param)
		}
	}
	if e.Message != "" {
		if e.Code != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		if e.Code != "" || e.Message != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request_id %s]", e.RequestID)
	}
	return b.String()
}

// Unwrap returns the transport or decoding cause, so that
// errors.Is(err, context.DeadlineExceeded) works; nil for an issuer answer.
func (e *Error) Unwrap() error { return e.Err }

// ApprovalUnsupported reports whether err is the issuer refusing
// "approval": "required" (400 invalid_request, param approval): an issuer
// without approvals. Nothing was charged, and Outcome says Final; a
// purchase that needs approval must not be retried without it.
func ApprovalUnsupported(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusBadRequest && e.Code == CodeInvalidRequest && e.Param == "approval"
}
