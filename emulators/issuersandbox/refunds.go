package issuersandbox

import (
	"bytes"
	"net/http"
)

// refundRequest is the body of POST /v1/purchases/{id}/refunds.
type refundRequest struct {
	Amount *int64 `json:"amount"` // nil: what is left to refund
	Reason string `json:"reason"`
}

// createRefund answers POST /v1/purchases/{id}/refunds: 201, 404 not_found,
// 400 purchase_not_refundable for a purchase that is not approved (declined,
// or still waiting for the cardholder's approval), or 400 param amount.
func (s *Server) createRefund(c *call) response {
	var in refundRequest
	// Every field is optional, so an empty body is taken as {}.
	if len(bytes.TrimSpace(c.body)) > 0 {
		if resp, ok := decodeBody(c.body, &in); !ok {
			return resp
		}
	}
	now := s.clock().UTC().Truncate(timeResolution)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireApprovalsLocked(now)
	p, ok := s.byID[c.params[0]]
	if !ok {
		return notFound(codeNotFound, "No such purchase.")
	}
	if p.Status != StatusApproved {
		return errorResponse(http.StatusBadRequest, errorObject{
			Type: typeInvalidRequest, Code: codePurchaseNotRefundable,
			Message: "Only an approved purchase can be refunded.",
		})
	}
	left := p.Amount - p.RefundedAmount
	amount := left
	if in.Amount != nil {
		amount = *in.Amount
	}
	switch {
	case amount <= 0 && in.Amount == nil:
		return invalidRequest("amount", "The purchase is already fully refunded.")
	case amount <= 0:
		return invalidRequest("amount", "amount must be a positive integer in minor units.")
	case amount > left:
		return invalidRequest("amount", "amount is more than what is left to refund.")
	}
	r := Refund{
		ID:             newID("ref"),
		Purchase:       p.ID,
		Amount:         amount,
		Currency:       p.Currency,
		Status:         "succeeded",
		Reason:         in.Reason,
		Created:        now,
		IdempotencyKey: c.idemKey,
	}
	p.RefundedAmount += amount
	p.Refunds = append(p.Refunds, r)
	return response{status: http.StatusCreated, body: mustJSON(toRefundJSON(&r))}
}
