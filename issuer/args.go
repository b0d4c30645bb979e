package issuer

import "fmt"

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
