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
	Reference   string // the bot's order id, unique per order
	Metadata    map[string]string
}

// Purchase is the issuer's purchase object.
type Purchase struct {
	ID             string
	Status         string // PurchaseApproved or PurchaseDeclined
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
