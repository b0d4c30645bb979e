package issuer

import (
	"fmt"
	"unicode/utf8"
)

// Metadata limits of the contract.
const (
	maxMetadataKeys  = 20
	maxMetadataChars = 500
)

// argumentError is the *Error for an argument the client refuses to send.
func argumentError(op, message string) *Error {
	return &Error{Op: op, Code: CodeInvalidArgument, Message: message}
}

// validIdempotencyKey applies the contract's rule, 1 to 255 printable ASCII
// characters. Leading or trailing spaces are refused too: HTTP strips them,
// so the issuer would see a different key from the one the caller stored.
func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 || k[0] == ' ' || k[len(k)-1] == ' ' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// mismatchError says that a decoded answer is about something other than
// what was asked for.
type mismatchError struct {
	field, want, got string
}

func (e *mismatchError) Error() string {
	return fmt.Sprintf("answer has %s %q, want %q", e.field, e.got, e.want)
}

// checkPurchaseRequest returns why the client refuses to send req, or "".
// Only what the contract bounds is checked here; the issuer checks the rest.
func checkPurchaseRequest(req PurchaseRequest) string {
	if req.Approval != "" && req.Approval != ApprovalRequired {
		return fmt.Sprintf("approval must be %q or empty", ApprovalRequired)
	}
	if len(req.Metadata) > maxMetadataKeys {
		return "metadata has more than 20 keys"
	}
	for k, v := range req.Metadata {
		if utf8.RuneCountInString(k) > maxMetadataChars || utf8.RuneCountInString(v) > maxMetadataChars {
			return fmt.Sprintf("metadata key %.40q: keys and values are at most 500 characters", k)
		}
	}
	return ""
}
