package issuersandbox

import (
	"net/http"
	"time"
)

// Error types and codes of the contract's error table.
const (
	typeInvalidRequest = "invalid_request"
	typeAuth           = "auth_error"
	typeCard           = "card_error"
	typeIdempotency    = "idempotency_error"
	typeRateLimit      = "rate_limit_error"
	typeAPI            = "api_error"

	codeInvalidRequest        = "invalid_request"
	codeUnauthorized          = "unauthorized"
	codeCardDeclined          = "card_declined"
	codeNotFound              = "not_found"
	codeNotEnrolled           = "not_enrolled"
	codeRequestInProgress     = "request_in_progress"
	codeIdempotencyKeyReused  = "idempotency_key_reused"
	codeRateLimited           = "rate_limited"
	codeInternalError         = "internal_error"
	codeUnavailable           = "unavailable"
	codePurchaseNotRefundable = "purchase_not_refundable"
)

// response is an answer computed before it is written, so that it can be
// stored for idempotent replay and written again later.
type response struct {
	status     int
	body       []byte
	retryAfter time.Duration // sent as Retry-After when positive
	replayed   bool          // sent with Idempotent-Replayed: true
}

type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Type        string        `json:"type"`
	Code        string        `json:"code"`
	DeclineCode string        `json:"decline_code,omitempty"`
	Param       string        `json:"param,omitempty"`
	Message     string        `json:"message"`
	Purchase    *purchaseJSON `json:"purchase,omitempty"`
}

func errorResponse(status int, obj errorObject) response {
	return response{status: status, body: mustJSON(errorBody{Error: obj})}
}

func invalidRequest(param, message string) response {
	return errorResponse(http.StatusBadRequest, errorObject{
		Type: typeInvalidRequest, Code: codeInvalidRequest, Param: param, Message: message,
	})
}

func unauthorized() response {
	return errorResponse(http.StatusUnauthorized, errorObject{
		Type: typeAuth, Code: codeUnauthorized, Message: "Missing or wrong API key.",
	})
}

func notFound(code, message string) response {
	return errorResponse(http.StatusNotFound, errorObject{
		Type: typeInvalidRequest, Code: code, Message: message,
	})
}

func declined(p *Purchase) response {
	pj := toPurchaseJSON(p)
	return errorResponse(http.StatusPaymentRequired, errorObject{
		Type: typeCard, Code: codeCardDeclined, DeclineCode: p.DeclineCode,
		Message: "The card was declined.", Purchase: &pj,
	})
}

func inProgress() response {
	return errorResponse(http.StatusConflict, errorObject{
		Type: typeIdempotency, Code: codeRequestInProgress,
		Message: "Another request with this idempotency key is still being processed.",
	})
}

func keyReused() response {
	return errorResponse(http.StatusUnprocessableEntity, errorObject{
		Type: typeIdempotency, Code: codeIdempotencyKeyReused,
		Message: "This idempotency key was used before with a different request.",
	})
}

// statusError is the contract's error answer for an HTTP status, used by
// injected faults. Retry-After is set when retryAfter is positive, and always
// on a 429 because the contract promises it there.
func statusError(status int, retryAfter time.Duration) response {
	var r response
	switch {
	case status == http.StatusBadRequest:
		r = invalidRequest("", "Injected fault: invalid request.")
	case status == http.StatusUnauthorized:
		r = unauthorized()
	case status == http.StatusPaymentRequired:
		r = errorResponse(status, errorObject{Type: typeCard, Code: codeCardDeclined,
			DeclineCode: "do_not_honor", Message: "The card was declined."})
	case status == http.StatusNotFound:
		r = notFound(codeNotFound, "Injected fault: not found.")
	case status == http.StatusConflict:
		r = inProgress()
	case status == http.StatusUnprocessableEntity:
		r = keyReused()
	case status == http.StatusTooManyRequests:
		r = errorResponse(status, errorObject{Type: typeRateLimit, Code: codeRateLimited,
			Message: "Too many requests."})
		if retryAfter <= 0 {
			retryAfter = time.Second
		}
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable,
		status == http.StatusGatewayTimeout:
		r = errorResponse(status, errorObject{Type: typeAPI, Code: codeUnavailable,
			Message: "The issuer is unavailable."})
	case status >= 500:
		r = errorResponse(status, errorObject{Type: typeAPI, Code: codeInternalError,
			Message: "The issuer failed."})
	default:
		// Any other 4xx: the closest row of the table is invalid_request.
		r = errorResponse(status, errorObject{Type: typeInvalidRequest, Code: codeInvalidRequest,
			Message: "Injected fault."})
	}
	r.retryAfter = retryAfter
	return r
}
