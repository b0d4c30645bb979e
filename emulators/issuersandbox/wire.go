package issuersandbox

import (
	"encoding/json"
	"fmt"
	"time"
)

// timeResolution is that of the API's RFC 3339 timestamps; the sandbox
// truncates its own times to it so that what Purchases reports equals what a
// client decodes.
const timeResolution = time.Second

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// enrollmentJSON is the enrollment object of the contract.
type enrollmentJSON struct {
	TwitterUserID string `json:"twitter_user_id"`
	Cardholder    string `json:"cardholder"`
	CardLast4     string `json:"card_last4"`
	CardBrand     string `json:"card_brand"`
	Status        string `json:"status"`
	EnrolledAt    string `json:"enrolled_at"`
}

func toEnrollmentJSON(e *Enrollment) enrollmentJSON {
	return enrollmentJSON{
		TwitterUserID: e.TwitterUserID,
		Cardholder:    e.Cardholder,
		CardLast4:     e.CardLast4,
		CardBrand:     e.CardBrand,
		Status:        e.Status,
		EnrolledAt:    formatTime(e.EnrolledAt),
	}
}

// purchaseJSON is the purchase object of the contract.
type purchaseJSON struct {
	ID             string            `json:"id"`
	Status         string            `json:"status"`
	Cardholder     string            `json:"cardholder"`
	Merchant       string            `json:"merchant"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	Description    string            `json:"description"`
	Reference      string            `json:"reference"`
	DeclineCode    string            `json:"decline_code,omitempty"`
	Metadata       map[string]string `json:"metadata"`
	Created        string            `json:"created"`
	RefundedAmount int64             `json:"refunded_amount"`
	Approval       *approvalJSON     `json:"approval,omitempty"`
}

// approvalJSON is the approval object of a purchase the cardholder was
// asked to approve.
type approvalJSON struct {
	Channel string `json:"channel"`
	Expires string `json:"expires"`
}

func toPurchaseJSON(p *Purchase) purchaseJSON {
	md := p.Metadata
	if md == nil {
		md = map[string]string{} // the contract shows {} rather than null
	}
	var aj *approvalJSON
	if p.Approval != nil {
		aj = &approvalJSON{Channel: p.Approval.Channel, Expires: formatTime(p.Approval.Expires)}
	}
	return purchaseJSON{
		ID:             p.ID,
		Status:         p.Status,
		Cardholder:     p.Cardholder,
		Merchant:       p.Merchant,
		Amount:         p.Amount,
		Currency:       p.Currency,
		Description:    p.Description,
		Reference:      p.Reference,
		DeclineCode:    p.DeclineCode,
		Metadata:       md,
		Created:        formatTime(p.Created),
		RefundedAmount: p.RefundedAmount,
		Approval:       aj,
	}
}

// refundJSON is the refund object of the contract.
type refundJSON struct {
	ID       string `json:"id"`
	Purchase string `json:"purchase"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
	Created  string `json:"created"`
}

func toRefundJSON(r *Refund) refundJSON {
	return refundJSON{
		ID:       r.ID,
		Purchase: r.Purchase,
		Amount:   r.Amount,
		Currency: r.Currency,
		Status:   r.Status,
		Created:  formatTime(r.Created),
	}
}

// purchaseListJSON is the answer to a lookup by reference.
type purchaseListJSON struct {
	Data []purchaseJSON `json:"data"`
}

// mustJSON marshals one of this package's wire types, which cannot fail; a
// failure is a bug in the sandbox, so it panics rather than answer garbage.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("issuersandbox: marshal %T: %v", v, err))
	}
	return b
}
