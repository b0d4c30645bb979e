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
	Approval    string            `json:"approval"` // "" or approvalRequired
}

// approvalRequired is the request's way to ask for the cardholder's
// approval.
const approvalRequired = "required"

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
	case in.Approval != "" && in.Approval != approvalRequired:
		return invalidRequest("approval", `approval must be "required" or absent.`), false
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

// createPurchase answers POST /v1/purchases: 201 approved, 202 waiting for
// the cardholder's approval, 402 declined (a suspended enrollment or a card
// set to decline), or 400. A card that would decline is declined at once,
// without asking the cardholder.
func (s *Server) createPurchase(c *call) response {
	var in purchaseRequest
	if resp, ok := decodeBody(c.body, &in); !ok {
		return resp
	}
	if resp, ok := in.validate(); !ok {
		return resp
	}
	if in.Approval == approvalRequired && s.noApprovals {
		return invalidRequest("approval", "This issuer does not offer approvals.")
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
	if code := s.cardDeclineLocked(enr); code != "" {
		p.Status, p.DeclineCode = StatusDeclined, code
	}
	s.purchases = append(s.purchases, p)
	s.byID[p.ID] = p
	if p.Status == StatusDeclined {
		return declined(p)
	}
	if asked, byIssuer := in.Approval == approvalRequired, s.issuerWantsApprovalLocked(p); asked || byIssuer {
		channel := enr.ApprovalChannel
		if channel == "" {
			channel = ChannelApp
		}
		p.Status = StatusPendingApproval
		p.Approval = &Approval{
			Channel:  channel,
			Expires:  now.Add(s.approvalTTL).Truncate(timeResolution),
			ByIssuer: !asked,
		}
		s.addPendingLocked(p)
		return response{status: http.StatusAccepted, body: mustJSON(toPurchaseJSON(p))}
	}
	return response{status: http.StatusCreated, body: mustJSON(toPurchaseJSON(p))}
}

// cardDeclineLocked returns the decline code the card gets if charged now
// (a suspended enrollment, a card set to decline), or "" if it is approved.
func (s *Server) cardDeclineLocked(enr *Enrollment) string {
	switch {
	case enr.Status != StatusActive:
		return "do_not_honor"
	case s.declines[enr.Cardholder] != "":
		return s.declines[enr.Cardholder]
	}
	return ""
}

// getPurchase answers GET /v1/purchases/{id}.
func (s *Server) getPurchase(c *call) response {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireApprovalsLocked(now)
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
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireApprovalsLocked(now)
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
