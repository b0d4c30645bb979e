package issuersandbox

import (
	"net/http"
	"unicode/utf8"
)

// Metadata limits of the contract.
const (
	maxMetadataKeys  = 20
	maxMetadataChars = 500
)

// purchaseRequest is the body of POST /v1/purchases.
type purchaseRequest struct {
	Cardholder  string            `json:"cardholder"`
	Merchant    string            `json:"merchant"`
	Amount      int64             `json:"amount"`
	Currency    string            `json:"currency"`
	Description string            `json:"description"`
	Reference   string            `json:"reference"`
	Metadata    map[string]string `json:"metadata"`
}

// validate returns the 400 answer for the first bad field, if any.
func (in *purchaseRequest) validate() (response, bool) {
	switch {
	case in.Cardholder == "":
		return invalidRequest("cardholder", "cardholder is required."), false
	case in.Merchant == "":
		return invalidRequest("merchant", "merchant is required."), false
	case in.Amount <= 0:
		return invalidRequest("amount", "amount must be a positive integer in minor units."), false
	case !isCurrencyCode(in.Currency):
		return invalidRequest("currency", "currency must be an ISO 4217 code in upper case, such as USD."), false
	case in.Reference == "":
		return invalidRequest("reference", "reference is required."), false
	case len(in.Metadata) > maxMetadataKeys:
		return invalidRequest("metadata", "metadata has more than 20 keys."), false
	}
	for k, v := range in.Metadata {
		if utf8.RuneCountInString(k) > maxMetadataChars || utf8.RuneCountInString(v) > maxMetadataChars {
			return invalidRequest("metadata", "metadata keys and values are at most 500 characters."), false
		}
	}
	return response{}, true
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// createPurchase answers POST /v1/purchases: 201 approved, 402 declined (a
// suspended enrollment or a card set to decline), or 400.
func (s *Server) createPurchase(c *call) response {
	var in purchaseRequest
	if resp, ok := decodeBody(c.body, &in); !ok {
		return resp
	}
	if resp, ok := in.validate(); !ok {
		return resp
	}
	now := s.clock().UTC().Truncate(timeResolution)

	s.mu.Lock()
	defer s.mu.Unlock()
	enr, ok := s.enrollmentByCardholder(in.Cardholder)
	if !ok {
		return invalidRequest("cardholder", "No such cardholder.")
	}
	p := &Purchase{
		ID:             newID("pur"),
		Status:         StatusApproved,
		Cardholder:     in.Cardholder,
		Merchant:       in.Merchant,
		Amount:         in.Amount,
		Currency:       in.Currency,
		Description:    in.Description,
		Reference:      in.Reference,
		Metadata:       in.Metadata,
		Created:        now,
		IdempotencyKey: c.idemKey,
	}
	if p.Metadata == nil {
		p.Metadata = map[string]string{}
	}
	switch {
	case enr.Status != StatusActive:
		p.Status, p.DeclineCode = StatusDeclined, "do_not_honor"
	case s.declines[in.Cardholder] != "":
		p.Status, p.DeclineCode = StatusDeclined, s.declines[in.Cardholder]
	}
	s.purchases = append(s.purchases, p)
	s.byID[p.ID] = p
	if p.Status == StatusDeclined {
		return declined(p)
	}
	return response{status: http.StatusCreated, body: mustJSON(toPurchaseJSON(p))}
}

// getPurchase answers GET /v1/purchases/{id}.
func (s *Server) getPurchase(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byID[c.params[0]]
	if !ok {
		return notFound(codeNotFound, "No such purchase.")
	}
	return response{status: http.StatusOK, body: mustJSON(toPurchaseJSON(p))}
}

// listPurchases answers GET /v1/purchases?reference=..., newest first.
func (s *Server) listPurchases(c *call) response {
	ref := c.query.Get("reference")
	return s.listPurchasesWhere(c, func(r string) bool { return r == ref })
}

// listPurchasesWhere answers a look-up by reference with the purchases
// whose reference keep accepts, newest first: those of the reference
// asked for, or others for a fault.
func (s *Server) listPurchasesWhere(c *call, keep func(reference string) bool) response {
	if c.query.Get("reference") == "" {
		return invalidRequest("reference", "reference is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := purchaseListJSON{Data: []purchaseJSON{}}
	// s.purchases is in creation order, so walking it backwards is newest
	// first even when a frozen test clock gives equal timestamps.
	for i := len(s.purchases) - 1; i >= 0; i-- {
		if p := s.purchases[i]; keep(p.Reference) {
			out.Data = append(out.Data, toPurchaseJSON(p))
		}
	}
	return response{status: http.StatusOK, body: mustJSON(out)}
}
