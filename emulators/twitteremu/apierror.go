package twitteremu

import (
	"fmt"
	"net/http"
)

// Twitter error codes the emulator answers with.
const (
	CodeCouldNotAuthenticate = 32
	CodePageNotFound         = 34
	CodeInvalidAttachmentURL = 44
	CodeUserNotFound         = 50
	CodeRateLimitExceeded    = 88
	CodeCannotFindUser       = 108
	CodeOverCapacity         = 130
	CodeInternalError        = 131
	CodeNoStatusFound        = 144
	CodeMissingStatus        = 170
	CodeCannotDeleteOthers   = 183
	CodeOverUpdateLimit      = 185
	CodeTweetTooLong         = 186
	CodeDuplicateStatus      = 187
	CodeBadRequest           = 214
	CodeAlreadyRetweeted     = 327
	CodeDMTooLong            = 354
	CodeReplyToUnavailable   = 385
)

// APIError is an error as Twitter reports it: the HTTP status and the first
// entry of the "errors" array. The Go API of Server returns it (as *APIError)
// for the same refusals the HTTP endpoints answer with.
type APIError struct {
	Status  int
	Code    int
	Message string
}

// Error returns the code and message, like go-twitter's APIError.
func (e *APIError) Error() string {
	return fmt.Sprintf("twitteremu: %d %s (HTTP %d)", e.Code, e.Message, e.Status)
}

func apiErr(status, code int, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}

func errNotAuthenticated() *APIError {
	return apiErr(http.StatusUnauthorized, CodeCouldNotAuthenticate, "Could not authenticate you.")
}

func errPageNotFound() *APIError {
	return apiErr(http.StatusNotFound, CodePageNotFound, "Sorry, that page does not exist.")
}

func errRateLimited() *APIError {
	return apiErr(http.StatusTooManyRequests, CodeRateLimitExceeded, "Rate limit exceeded")
}

func errNoStatus() *APIError {
	return apiErr(http.StatusNotFound, CodeNoStatusFound, "No status found with that ID.")
}

func errUserNotFound() *APIError {
	return apiErr(http.StatusNotFound, CodeUserNotFound, "User not found.")
}

// defaultFaultError is what an injected fault answers when it names a status
// but no code: the code Twitter itself uses with that status.
func defaultFaultError(status int) *APIError {
	switch status {
	case http.StatusTooManyRequests:
		return errRateLimited()
	case http.StatusUnauthorized:
		return errNotAuthenticated()
	case http.StatusNotFound:
		return errPageNotFound()
	case http.StatusServiceUnavailable:
		return apiErr(status, CodeOverCapacity, "Over capacity")
	case http.StatusInternalServerError:
		return apiErr(status, CodeInternalError, "Internal error")
	}
	return apiErr(status, CodeInternalError, http.StatusText(status))
}

// errorsBody is Twitter's error envelope.
type errorsBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}
