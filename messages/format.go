package messages

import (
	"fmt"
	"github.com/paybytweet/paybytweet/twittertext"
	"time"
)

// FormatDuration says how long is left in whole minutes, rounded up, so
// that "15 min" never promises more time than there is. Under a minute it
// says "1 min".
func FormatDuration(d time.Duration) string {
	mins := int((d + time.Minute - 1) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	if mins < 60 {
		return fmt.Sprintf("%d min", mins)
	}
	h, m := mins/60, mins%60
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// FormatTime is how messages show a moment: minutes, in UTC.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// declineReasons says in words why the issuer declined, for the DM that
// tells the cardholder; a public tweet never carries it.
var declineReasons = map[string]string{
	"insufficient_funds": "insufficient funds",
	"card_expired":       "the card has expired",
	"do_not_honor":       "the issuer declined the payment",
	"limit_exceeded":     "the card's limit would be exceeded",
	"suspected_fraud":    "the issuer suspected fraud",
	"approval_declined":  "you did not approve it",
	"approval_expired":   "it was not approved in time",
}

// DeclineReason returns the words for an issuer decline code, or a general
// phrase for a code it does not know.
func DeclineReason(code string) string {
	if r, ok := declineReasons[code]; ok {
		return r
	}
	return "the issuer declined the payment"
}

// statusWords are the order states as a cardholder reads them.
var statusWords = map[string]string{
	"pending":   "awaiting your confirmation",
	"confirmed": "confirmed, payment in progress",
	"paid":      "paid",
	"declined":  "declined",
	"failed":    "not completed",
	"parked":    "under review",
	"expired":   "expired",
	"cancelled": "cancelled",
	"refunded":  "refunded",
	// Not a state of its own: a confirmed order whose approval the
	// cardholder has not given yet.
	"pending_approval": "waiting for your approval at your card issuer",
}

// StatusWord returns how an order state reads to a cardholder.
func StatusWord(state string) string {
	if w, ok := statusWords[state]; ok {
		return w
	}
	return state
}

// Fit shortens text to at most max weighted characters (twittertext
// rules), ending it with "…" when it had to be cut. The configuration
// check makes this a last resort: an issuer id longer than any seen.
func Fit(text string, max int) string {
	if twittertext.WeightedLength(text) <= max {
		return text
	}
	r := []rune(text)
	for len(r) > 0 && twittertext.WeightedLength(string(r)+"…") > max {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
