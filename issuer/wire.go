package issuer

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The JSON shapes of the contract. Decoding is lenient about unknown fields
// (an issuer may add some) but strict about what the client relies on:
// amounts must be integers and the identifying fields present, so that an
// empty or truncated answer is never mistaken for a purchase.

type enrollmentJSON struct {
	TwitterUserID string `json:"twitter_user_id"`
	Cardholder    string `json:"cardholder"`
	CardLast4     string `json:"card_last4"`
	CardBrand     string `json:"card_brand"`
	Status        string `json:"status"`
	EnrolledAt    string `json:"enrolled_at"`
}

func (w *enrollmentJSON) enrollment() (Enrollment, error) {
	if w.Cardholder == "" || w.Status == "" {
		return Enrollment{}, errors.New("enrollment without cardholder or status")
	}
	var at time.Time
	if w.EnrolledAt != "" {
		t, err := parseTime(w.EnrolledAt)
		if err != nil {
			return Enrollment{}, fmt.Errorf("enrolled_at: %w", err)
		}
		at = t
	}
	return Enrollment{
		TwitterUserID: w.TwitterUserID,
		Cardholder:    w.Cardholder,
		CardLast4:     w.CardLast4,
		CardBrand:     w.CardBrand,
		Status:        w.Status,
		EnrolledAt:    at,
	}, nil
}

type purchaseRequestJSON struct {
	Cardholder  string            `json:"cardholder"`
	Merchant    string            `json:"merchant"`
	Amount      int64             `json:"amount"`
	Currency    string            `json:"currency"`
	Description string            `json:"description,omitempty"`
	Reference   string            `json:"reference"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Approval    string            `json:"approval,omitempty"`
}

type purchaseJSON struct {
	ID             string            `json:"id"`
	Status         string            `json:"status"`
	Cardholder     string            `json:"cardholder"`
	Merchant       string            `json:"merchant"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	Description    string            `json:"description"`
	Reference      string            `json:"reference"`
	DeclineCode    string            `json:"decline_code"`
	Metadata       map[string]string `json:"metadata"`
	Created        string            `json:"created"`
	RefundedAmount int64             `json:"refunded_amount"`
	Approval       *approvalJSON     `json:"approval"`
}

type approvalJSON struct {
	Channel string `json:"channel"`
	Expires string `json:"expires"`
}

func (w *purchaseJSON) purchase() (Purchase, error) {
	if w.ID == "" || w.Status == "" {
		return Purchase{}, errors.New("purchase without id or status")
	}
	if w.Amount <= 0 || w.Currency == "" {
		return Purchase{}, fmt.Errorf("purchase %s without a positive amount and a currency", w.ID)
	}
	created, err := parseTime(w.Created)
	if err != nil {
		return Purchase{}, fmt.Errorf("purchase %s: created: %w", w.ID, err)
	}
	md := w.Metadata
	if md == nil {
		md = map[string]string{}
	}
	var approval Approval
	if a := w.Approval; a != nil {
		// A deadline the client cannot read is not one to tell a cardholder.
		expires, err := parseTime(a.Expires)
		if err != nil {
			return Purchase{}, fmt.Errorf("purchase %s: approval.expires: %w", w.ID, err)
		}
		approval = Approval{Channel: a.Channel, Expires: expires}
	}
	return Purchase{
		ID:             w.ID,
		Status:         w.Status,
		Cardholder:     w.Cardholder,
		Merchant:       w.Merchant,
		Amount:         w.Amount,
		Currency:       w.Currency,
		Description:    w.Description,
		Reference:      w.Reference,
		DeclineCode:    w.DeclineCode,
		Metadata:       md,
		Created:        created,
		RefundedAmount: w.RefundedAmount,
		Approval:       approval,
	}, nil
}

type purchaseListJSON struct {
	Data *[]purchaseJSON `json:"data"` // a pointer, to tell a missing list from an empty one
}

type refundRequestJSON struct {
	Amount int64  `json:"amount,omitempty"` // omitted: what is left to refund
	Reason string `json:"reason,omitempty"`
}

type refundJSON struct {
	ID       string `json:"id"`
	Purchase string `json:"purchase"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
	Created  string `json:"created"`
}

func (w *refundJSON) refund() (Refund, error) {
	if w.ID == "" || w.Status == "" || w.Amount <= 0 {
		return Refund{}, errors.New("refund without id, status or a positive amount")
	}
	created, err := parseTime(w.Created)
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: created: %w", w.ID, err)
	}
	return Refund{
		ID:       w.ID,
		Purchase: w.Purchase,
		Amount:   w.Amount,
		Currency: w.Currency,
		Status:   w.Status,
		Created:  created,
	}, nil
}

// errorEnvelope is the error body of every non-2xx answer. The contract puts
// a 402's purchase "in the body"; it is accepted inside the error object and
// at the top level, so that either reading of the contract works.
type errorEnvelope struct {
	Error *struct {
		Type        string        `json:"type"`
		Code        string        `json:"code"`
		DeclineCode string        `json:"decline_code"`
		Param       string        `json:"param"`
		Message     string        `json:"message"`
		Purchase    *purchaseJSON `json:"purchase"`
	} `json:"error"`
	Purchase *purchaseJSON `json:"purchase"`
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// decodeJSON decodes a whole answer body into v.
func decodeJSON(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
