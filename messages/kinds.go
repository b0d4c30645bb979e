// Package messages holds every text the bot sends: one text/template per
// kind of message, with defaults that an admin may override in the
// configuration, globally or per offer. Templates are checked when they are
// loaded, so that a typo in a field name or a reply too long for a tweet is
// an error in check-config, not a failed reply in front of a cardholder.
package messages

// Kind names one message the bot can send.
type Kind string

// The kinds of message. Each has its own data type (see Spec), so that a
// template can only use the facts that message may hold: the public pointer
// sent in privacy mode, for instance, has no card digits to show.
const (
	NotEnrolled      Kind = "not_enrolled"
	NotAvailable     Kind = "not_available"
	LimitReached     Kind = "limit_reached"
	ConfirmRequest   Kind = "confirm_request"
	RequestPointer   Kind = "request_pointer"
	OneAtATime       Kind = "one_at_a_time"
	Receipt          Kind = "receipt"
	ReceiptPointer   Kind = "receipt_pointer"
	Declined         Kind = "declined"
	ChargeFailed     Kind = "charge_failed"
	AlreadyConfirmed Kind = "already_confirmed"
	NoRequest        Kind = "no_request"
	RequestExpired   Kind = "request_expired"
	TooEarly         Kind = "too_early"
	Announce         Kind = "announce"
	Help             Kind = "help"
	Orders           Kind = "orders"
	Cancelled        Kind = "cancelled"
	NothingToCancel  Kind = "nothing_to_cancel"
	NothingToConfirm Kind = "nothing_to_confirm"
	UnknownCommand   Kind = "unknown_command"
	Refunded         Kind = "refunded"
	DMUndeliverable  Kind = "dm_undeliverable"
	DidYouMean       Kind = "did_you_mean"
	Paused           Kind = "paused"
	RiskRefused      Kind = "risk_refused"
	ApprovalPending  Kind = "approval_pending"
	NotApproved      Kind = "not_approved"
)

// Offer is what a message may say about an offer. Hashtags carry their
// leading '#', prices their currency.
type Offer struct {
	ID             string
	Title          string
	BuyHashtag     string
	ConfirmHashtag string
	Price          string
	Starts         string // empty when the offer has no start
	Ends           string // empty when the offer never ends
}

// Request is the data of ConfirmRequest: what the cardholder is asked to
// confirm. DM is true when it goes by direct message.
type Request struct {
	ScreenName string
	DM         bool
	Offer      Offer
	OrderID    string
	Amount     string
	Last4      string
	TimeLeft   string
	ExpiresAt  string
}

// Pointer is the data of the public replies sent in privacy mode
// (RequestPointer, ReceiptPointer): they name the order and nothing private.
type Pointer struct {
	ScreenName string
	Offer      Offer
	OrderID    string
}

// ReceiptData is the data of Receipt.
type ReceiptData struct {
	ScreenName string
	DM         bool
	Offer      Offer
	OrderID    string
	Amount     string
	Last4      string
	PurchaseID string
}

// DeclinedData is the data of Declined. Reason is empty in public: the
// decline reason is told only by direct message.
type DeclinedData struct {
	ScreenName string
	DM         bool
	Offer      Offer
	OrderID    string
	Amount     string
	Reason     string
}

// OrderNote is the data of the short notes about one order:
// ChargeFailed, AlreadyConfirmed, RequestExpired, TooEarly and Cancelled.
type OrderNote struct {
	ScreenName string
	DM         bool
	Offer      Offer
	OrderID    string
	Ref        string
}

// OfferNote is the data of the answers about an offer that reserve nothing:
// NotAvailable (Reason says why), LimitReached (Limit) and NoRequest. Ref is
// unique to the message answered, so two such tweets never share a text.
type OfferNote struct {
	ScreenName string
	DM         bool
	Offer      Offer
	Reason     string
	Limit      int
	Ref        string
}

// Enroll is the data of NotEnrolled.
type Enroll struct {
	ScreenName string
	DM         bool
	Offer      Offer
	EnrollURL  string
	Ref        string
}

// Note is the data of the messages that are about nothing in particular:
// OneAtATime, NothingToCancel, NothingToConfirm and UnknownCommand.
type Note struct {
	ScreenName string
	DM         bool
	Ref        string
}

// Hint is the data of DidYouMean, the answer to a hashtag that is nearly
// one of an offer's: Hashtag as the cardholder wrote it and Suggestion,
// the offer's hashtag it is closest to, each with its '#'. It holds
// nothing private, so it may be said in public in either privacy mode.
type Hint struct {
	ScreenName string
	DM         bool
	Offer      Offer
	Hashtag    string
	Suggestion string
	Ref        string
}

// AnnounceData is the data of Announce, the tweet that opens an offer.
type AnnounceData struct {
	Offer    Offer
	Quantity string // empty when unlimited
}

// HelpData is the data of Help: the offers open now.
type HelpData struct {
	ScreenName string
	Offers     []Offer
}

// OrderLine is one order in the Orders message.
type OrderLine struct {
	OrderID string
	Title   string
	Amount  string
	Status  string
	Created string
}

// OrdersData is the data of Orders: the cardholder's recent orders.
type OrdersData struct {
	ScreenName string
	Orders     []OrderLine
}

// RefundData is the data of Refunded.
type RefundData struct {
	ScreenName string
	DM         bool
	Offer      Offer
	OrderID    string
	Amount     string
	Refunded   string
}

// RiskNote is the data of RiskRefused, the answer to a purchase the risk
// rules refuse: it never says which rule, only where the cardholder can
// reach the issuer (Contact). Paused, which answers every buy and
// confirmation while an operator has paused charging, has it too.
type RiskNote struct {
	ScreenName string
	DM         bool
	Offer      Offer
	OrderID    string // empty when the buy made no order
	Contact    string
	Ref        string
}

// ApprovalData is the data of ApprovalPending (the cardholder must approve
// the purchase at the issuer: Channel is "app" or "sms", Expires when the
// issuer stops waiting) and of NotApproved (Reason "declined" or
// "expired"; nothing was charged).
type ApprovalData struct {
	ScreenName string
	DM         bool
	Offer      Offer
	OrderID    string
	Amount     string
	Channel    string
	Expires    string
	Reason     string
}
