package conversations

import "time"

// The rules of a request's life that storage carries out: when a request
// counts as delivered, when it expires, and which messages must wait. Each
// lives here once, with its table test in rules_test.go; storage narrows
// the rows with SQL and asks these functions.

// Wait says why a message cannot be decided yet. It stays first in line
// for its cardholder, nothing is written, and it is decided again soon.
type Wait string

// The reasons a message waits; NoWait means it is decided now.
const (
	NoWait Wait = ""
	// WaitRequestInFlight: one of the cardholder's confirmation requests
	// has been posted with its outcome unknown, so whether a confirmation
	// came after it cannot be told yet.
	WaitRequestInFlight Wait = "request-in-flight"
	// WaitInReplyToUnknown: a confirmation answers a tweet the bot does not
	// know while a reply to another cardholder is being posted: it may be
	// that reply, and so somebody else's request.
	WaitInReplyToUnknown Wait = "in-reply-to-unknown"
	// WaitHorizon: a buy finds the offer sold out only because requests
	// whose window closed before it cannot be released until both channels
	// are read past their windows.
	WaitHorizon Wait = "horizon"
)

// waitFor decides whether message m, read as intent, must wait.
func waitFor(s Situation, m Inbound, intent Intent) Wait {
	switch {
	case s.RequestInFlight && (intent.Kind == ConfirmTag || intent.Kind == Yes):
		return WaitRequestInFlight
	case s.InReplyToUnknown && intent.Kind == ConfirmTag:
		return WaitInReplyToUnknown
	case intent.Kind == Buy && s.MayWaitForHorizon && intent.Offer.Quantity != nil &&
		s.Taken[intent.Offer.ID] >= *intent.Offer.Quantity && lapsedHolding(s.Lapsed, intent.Offer.ID, m.PostedAt) > 0:
		return WaitHorizon
	}
	return NoWait
}

// ExpiredAt reports whether pending order o's window had closed at t. A
// request not yet delivered has not started its window (it starts on
// delivery), so it is never expired: it still holds its unit.
func ExpiredAt(o Order, t time.Time) bool { return o.RequestMessageID != 0 && t.After(o.ExpiresAt) }

// lapsedHolding counts the requests for an offer that still hold a unit
// although their window had closed at t.
func lapsedHolding(orders []Order, offerID string, t time.Time) int {
	n := 0
	for _, o := range orders {
		if o.OfferID == offerID && o.State == Pending && ExpiredAt(o, t) {
			n++
		}
	}
	return n
}

// Delivered returns pending order o once its confirmation request is on
// Twitter as requestID at time at: a confirmation must come after that
// tweet, and the window runs from the post, so a request held back by a
// budget or an outage still gets its whole window, and one posted before
// the order was recorded (made again after a restore, and found on
// Twitter as posted before the loss) no more than it. ok is false when o
// has nothing to record (not pending, or delivered already).
func Delivered(o Order, requestID int64, at time.Time) (Order, bool) {
	if o.State != Pending || o.RequestMessageID != 0 {
		return o, false
	}
	o.RequestMessageID = requestID
	o.ExpiresAt = at.Add(o.ExpiresAt.Sub(o.CreatedAt))
	return o, true
}

// Undeliverable returns the transition of pending order o whose
// confirmation request Twitter refused for good: nobody can confirm what
// they never saw, so its unit goes back at once. ok is false when o was
// delivered after all or is no longer pending.
func Undeliverable(o Order, at time.Time) (Transition, bool) {
	if o.State != Pending || o.RequestMessageID != 0 {
		return Transition{}, false
	}
	return Transition{OrderID: o.ID, From: Pending, To: Expired, At: at}, true
}

// ExpiryBounds are the moments a scheduled or on-demand expiry judges by.
type ExpiryBounds struct {
	// Before: a delivered request whose window closed before it is
	// released, unless its owner has a message posted within the window
	// still unprocessed (it may be the confirmation). Every message posted
	// before it has been read (the expiry horizon).
	Before time.Time
	// Hard: a request whose window closed before it is released whatever
	// holds it, so that stock is never held for ever on a chance.
	Hard time.Time
}

// Expires reports whether pending order o is released now. ownerWaiting
// is true when o's cardholder has a message posted within o's window that
// is not processed yet. A request not delivered yet has not started its
// window, so only the hard bound releases it.
func Expires(o Order, ownerWaiting bool, b ExpiryBounds) bool {
	if o.State != Pending {
		return false
	}
	if !b.Hard.IsZero() && o.ExpiresAt.Before(b.Hard) {
		return true
	}
	return o.RequestMessageID != 0 && !ownerWaiting && !b.Before.IsZero() && o.ExpiresAt.Before(b.Before)
}

// ExpiryCandidatesBefore is the latest ExpiresAt an order released under b
// can have: storage reads only the pending orders whose window closed
// before it, and asks Expires about each.
func ExpiryCandidatesBefore(b ExpiryBounds) time.Time {
	if b.Before.After(b.Hard) {
		return b.Before
	}
	return b.Hard
}

// MaxRequestAnswers is how many times one pending request is sent to its
// cardholder: once, and once more for a repeated buy. More buys of the
// same offer while it is pending go unanswered, so that one cardholder
// cannot spend the posting budget everyone shares.
const MaxRequestAnswers = 2
