// Package conversations is the cardholder's conversation with the bot as a
// pure state machine: given what the bot knows about one cardholder (their
// orders, their enrollment, the offers, the time) and one message from
// them, it decides what to reserve, confirm or cancel and what to answer.
// It knows nothing of SQL, HTTP or Twitter, so every rule of
// docs/conversation.md is a table test here.
package conversations

import (
	"slices"
	"time"

	"github.com/paybytweet/paybytweet/messages"
)

// Channel is where a message travels: a public tweet or a direct message.
type Channel string

// The two channels.
const (
	Tweet Channel = "tweet"
	DM    Channel = "dm"
)

// State is where an order is in its life.
type State string

// Order states. Pending, Confirmed and Parked hold a unit of stock; Paid has
// sold one; the rest hold nothing.
const (
	Pending   State = "pending"   // requested, waiting for the cardholder's confirmation
	Confirmed State = "confirmed" // confirmed; the charge is being made with the order's one idempotency key
	Paid      State = "paid"      // the issuer approved the charge
	Declined  State = "declined"  // the issuer declined the charge
	Failed    State = "failed"    // the issuer refused the request for good (not a decline); nothing charged
	Parked    State = "parked"    // the charge hit a client bug (422); an operator must look
	Expired   State = "expired"   // not confirmed in time
	Cancelled State = "cancelled" // cancelled by the cardholder
)

// States are every order state, in the order of an order's life: the one
// list that admin commands check a state against and show.
var States = []State{Pending, Confirmed, Paid, Declined, Failed, Parked, Expired, Cancelled}

// Known reports whether s is one of States.
func (s State) Known() bool { return slices.Contains(States, s) }

// StockStates are the states in which an order counts against the
// offer's quantity (and the per-user limit).
var StockStates = []State{Pending, Confirmed, Parked, Paid}

// HoldsStock reports whether an order in state s counts against the offer's
// quantity.
func (s State) HoldsStock() bool {
	for _, h := range StockStates {
		if s == h {
			return true
		}
	}
	return false
}

// Order is an order as the conversation sees it. Its terms (title, amount,
// hashtags, merchant) are a copy taken when it was requested, so that an
// admin's later change to the offer never changes what a cardholder agreed to.
type Order struct {
	ID         string
	OfferID    string
	UserID     int64
	ScreenName string
	State      State

	Channel          Channel // where the buy came from
	BuyMessageID     int64
	RequestMessageID int64 // the bot's confirmation request, once sent; 0 before

	Title          string
	BuyHashtag     string
	ConfirmHashtag string
	Amount         int64
	Currency       string
	Merchant       string
	Cardholder     string
	CardLast4      string

	CreatedAt time.Time
	ExpiresAt time.Time

	ConfirmMessageID int64
	ConfirmChannel   Channel
	ConfirmedAt      time.Time
	IdempotencyKey   string

	PurchaseID     string
	DeclineCode    string
	RefundedAmount int64

	// Risk is what the risk rules made of the purchase when its
	// confirmation was decided: the POST carries it, every retry alike.
	Risk Risk
	// Approval is where the cardholder's approval at the issuer stands,
	// for a purchase the bot or the issuer put to them.
	Approval Approval
}

// Approval states (Approval.Status).
const (
	ApprovalNone     = ""         // never put to the cardholder
	ApprovalPending  = "pending"  // the issuer is asking the cardholder
	ApprovalApproved = "approved" // approved: the card was charged
	ApprovalRefused  = "declined" // the cardholder said no
	ApprovalLapsed   = "expired"  // no answer by Expires
)

// Approval is what the issuer said of a purchase it put to the
// cardholder: how it asks them, and until when.
type Approval struct {
	Status  string
	Channel string // "app" or "sms"
	Expires time.Time
	// Told is true once the cardholder was told to approve it.
	Told bool
}

// Inbound is one mention or direct message from a cardholder, as read.
type Inbound struct {
	Channel    Channel
	ID         int64 // tweet id or DM event id; both are Twitter snowflakes, so they order by time
	UserID     int64
	ScreenName string
	Text       string
	Hashtags   []string // as written in the entities; normalised here
	InReplyTo  int64    // tweets only
	PostedAt   time.Time
	// Author is what X said of the sender's account with the message,
	// for the risk rules; its zero value when it said nothing.
	Author Author
}

// Author is what a message carried of its sender's X account.
type Author struct {
	Username  string    // without '@'; "" when not given (a v1.1 DM)
	CreatedAt time.Time // X's created_at; zero when not given
	Automated *bool     // X's "Automated" label; nil when X said nothing of it
}

// Enrollment is the issuer's link between the cardholder and a card.
type Enrollment struct {
	Enrolled   bool
	Active     bool // false when suspended
	Cardholder string
	CardLast4  string
}

// Reply is one message to send.
type Reply struct {
	Channel    Channel
	UserID     int64
	ScreenName string
	InReplyTo  int64 // the tweet a public reply answers; 0 for DMs and announcements
	Kind       messages.Kind
	OrderID    string
	// Request marks the order's confirmation request: once sent, its id is
	// the order's RequestMessageID, which a confirmation must come after.
	Request bool
	Text    string
}

// Transition moves an existing order from one state to another.
type Transition struct {
	OrderID string
	From    State
	To      State
	// Set when To is Confirmed.
	ConfirmMessageID int64
	ConfirmChannel   Channel
	IdempotencyKey   string
	// ScreenName is the confirmer's screen name as the confirmation gave
	// it, for replies that must start with it ("" from a DM: unchanged).
	ScreenName string
	At         time.Time
	// Risk is what the rules made of the purchase, set when To is
	// Confirmed (or Failed, when they refused it): stored with the order.
	Risk *Risk
}

// Decision is what the bot does about one inbound message.
type Decision struct {
	Action string // short name for logs and tests, such as "reserve" or "confirm"
	// Wait, when set, says the message cannot be decided yet: nothing is
	// written and it is decided again later.
	Wait        Wait
	NewOrder    *Order
	Transitions []Transition
	Replies     []Reply
	// HelpPointerSent is the new value of the "pointer to help already
	// given" flag that keeps two bots from talking each other into a loop;
	// nil leaves it as it is.
	HelpPointerSent *bool
	// Audit is the order a refused buy would have made, when a daemon
	// before this one may have made it and charged it (see
	// Situation.Inherited): the issuer is asked.
	Audit *Order
	// Hinted is the offer a "did you mean" reply was about, recorded
	// with the time so that the next near-miss of its hashtags within
	// HintQuiet is not answered; "" when there was none.
	Hinted string
	// Refused names the risk rule that refused a purchase; "" when none.
	// It is counted, never told to the cardholder.
	Refused string
}
