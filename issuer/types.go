package issuer

import "time"

// Enrollment statuses, as the contract names them.
const (
	EnrollmentActive    = "active"
	EnrollmentSuspended = "suspended"
)

// Purchase statuses, as the contract names them.
const (
	PurchaseApproved = "approved"
	PurchaseDeclined = "declined"
	// PurchaseApprovalPending: the cardholder is asked to approve it outside
	// Twitter; it becomes approved or declined later, which only
	// GetPurchase or FindPurchases tell.
	PurchaseApprovalPending = "pending_approval"
)

// ApprovalRequired is the PurchaseRequest.Approval that asks the issuer
// to have the cardholder approve the purchase.
const ApprovalRequired = "required"

// Approval channels, as the contract names them.
const (
	ApprovalChannelApp = "app"
	ApprovalChannelSMS = "sms"
)

// Enrollment links a Twitter account to a card at the issuer.
type Enrollment struct {
	TwitterUserID string // decimal, as the issuer sends it
	Cardholder    string // opaque token to charge
	CardLast4     string
	CardBrand     string
	Status        string // EnrollmentActive or EnrollmentSuspended
	EnrolledAt    time.Time
}

// Active reports whether the enrollment may be charged; a suspended one must
// not be.
func (e Enrollment) Active() bool { return e.Status == EnrollmentActive }

// PurchaseRequest is what the bot asks the issuer to charge.
type PurchaseRequest struct {
	Cardholder  string
	Merchant    string
	Amount      int64 // minor units of Currency
	Currency    string
	Description string
	Reference   string            // the bot's order id, unique per order
	Metadata    map[string]string // at most 20 entries of at most 500 characters
	Approval    string            // ApprovalRequired, or "" to leave it to the issuer
}

// Purchase is the issuer's purchase object.
type Purchase struct {
	ID             string
	Status         string // PurchaseApproved, PurchaseDeclined or PurchaseApprovalPending
	Cardholder     string
	Merchant       string
	Amount         int64
	Currency       string
	Description    string
	Reference      string
	DeclineCode    string
	Metadata       map[string]string
	Created        time.Time
	RefundedAmount int64
	// Approval says how and until when the cardholder is (or was) asked;
	// zero when the issuer did not ask, or did not say.
	Approval Approval
}

// Approval is how and until when a cardholder is asked to approve a
// purchase.
type Approval struct {
	Channel string    // ApprovalChannelApp or ApprovalChannelSMS, as the issuer says
	Expires time.Time // declined approval_expired if not approved before
}

// Refund is the issuer's refund object.
type Refund struct {
	ID       string
	Purchase string // the purchase's ID
	Amount   int64
	Currency string
	Status   string
	Created  time.Time
}
