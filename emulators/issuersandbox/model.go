package issuersandbox

import (
	"maps"
	"slices"
	"time"
)

// Enrollment statuses, as the contract names them.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Purchase statuses, as the contract names them.
const (
	StatusApproved        = "approved"
	StatusDeclined        = "declined"
	StatusPendingApproval = "pending_approval"
)

// Approval channels, as the contract names them.
const (
	ChannelApp = "app"
	ChannelSMS = "sms"
)

// Decline codes of a purchase that waited for the cardholder's approval.
const (
	DeclineApprovalDeclined = "approval_declined"
	DeclineApprovalExpired  = "approval_expired"
)

// Enrollment links a Twitter account to a card account at the issuer.
type Enrollment struct {
	TwitterUserID string // numeric Twitter user id as a decimal string
	Cardholder    string // opaque cardholder token, such as "chd_7Hq2"
	CardLast4     string
	CardBrand     string
	Status        string // StatusActive or StatusSuspended
	EnrolledAt    time.Time
	// ApprovalChannel is how this cardholder is asked to approve a
	// purchase; ChannelApp if empty.
	ApprovalChannel string
}

// Purchase is a purchase as the sandbox holds it: the API's purchase object
// plus what a test wants to check (refunds, the idempotency key that
// created it).
type Purchase struct {
	ID             string
	Status         string // StatusApproved, StatusDeclined or StatusPendingApproval
	Cardholder     string
	Merchant       string
	Amount         int64 // minor units of Currency
	Currency       string
	Description    string
	Reference      string
	DeclineCode    string // set when Status is StatusDeclined
	Metadata       map[string]string
	Created        time.Time
	RefundedAmount int64
	Refunds        []Refund // oldest first
	IdempotencyKey string   // of the request that created it
	// Approval is set when the cardholder was asked to approve the
	// purchase, and kept once they answered.
	Approval *Approval
}

// Approval is how and until when a cardholder is asked to approve a
// purchase.
type Approval struct {
	Channel string    // ChannelApp or ChannelSMS
	Expires time.Time // declined approval_expired from then on
	// ByIssuer: the issuer's own rule asked for it (ApproveOver,
	// RequireApproval), not the request.
	ByIssuer bool
}

// Refund is a refund of (part of) a purchase.
type Refund struct {
	ID             string
	Purchase       string // the purchase's ID
	Amount         int64
	Currency       string
	Status         string // always "succeeded" in the sandbox
	Reason         string
	Created        time.Time
	IdempotencyKey string // of the request that created it
}

// Request is one HTTP request the sandbox received, as Requests reports it.
type Request struct {
	Method         string
	Path           string // URL path, without the query
	Query          string // raw URL query, such as "reference=ord_1"
	IdempotencyKey string
	RequestID      string // as received, or generated when absent
	Body           []byte
	// Status is the status answered; 0 while the request is still being
	// handled, and for a connection that was reset without an answer.
	Status   int
	Replayed bool // the answer was a stored idempotent response
	Time     time.Time
}

func (p *Purchase) clone() Purchase {
	c := *p
	c.Metadata = maps.Clone(p.Metadata)
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	c.Refunds = slices.Clone(p.Refunds)
	if p.Approval != nil {
		a := *p.Approval
		c.Approval = &a
	}
	return c
}

func (r *Request) clone() Request {
	c := *r
	c.Body = slices.Clone(r.Body)
	return c
}
