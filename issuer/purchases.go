package issuer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

type purchaseAnswer struct {
	// created: the answer to a POST, where a 202 must be a purchase
	// pending approval and any other 2xx an approved one. Anything else is
	// not a success the bot may act on, so it is undecodable and Unknown.
	created bool
	p       Purchase
}

func (a *purchaseAnswer) decode(status int, raw []byte) error {
	var w purchaseJSON
	if err := decodeJSON(raw, &w); err != nil {
		return err
	}
	p, err := w.purchase()
	if err != nil {
		return err
	}
	if a.created {
		want := PurchaseApproved
		if status == http.StatusAccepted {
			want = PurchaseApprovalPending
		}
		if p.Status != want {
			return &mismatchError{field: "status", want: want, got: p.Status}
		}
	}
	a.p = p
	return nil
}

type purchaseListAnswer struct {
	ps []Purchase
}

func (a *purchaseListAnswer) decode(_ int, raw []byte) error {
	var w purchaseListJSON
	if err := decodeJSON(raw, &w); err != nil {
		return err
	}
	if w.Data == nil {
		return errors.New(`answer without a "data" list`)
	}
	a.ps = make([]Purchase, 0, len(*w.Data))
	for i := range *w.Data {
		p, err := (*w.Data)[i].purchase()
		if err != nil {
			return fmt.Errorf("data[%d]: %w", i, err)
		}
		a.ps = append(a.ps, p)
	}
	return nil
}

// CreatePurchase asks the issuer to charge a cardholder, once per
// idempotencyKey: calling it again with the same key and request returns
// the first outcome without charging again. It returns the approved
// purchase, or one with Status PurchaseApprovalPending (a 202: the
// cardholder is asked, and GetPurchase tells the outcome; a replay returns
// the same pending purchase whatever happened since). On a decline it
// returns the declined purchase (when the issuer sent it) and an *Error
// with Code CodeCardDeclined; on any other failure a zero Purchase and an
// *Error, whose Outcome says whether the purchase may exist, and
// ApprovalUnsupported whether the issuer refused req.Approval.
func (c *Client) CreatePurchase(ctx context.Context, idempotencyKey string, req PurchaseRequest) (Purchase, error) {
	const op = "POST /v1/purchases"
	if !validIdempotencyKey(idempotencyKey) {
		return Purchase{}, argumentError(op, "idempotency key must be 1 to 255 printable ASCII characters")
	}
	if msg := checkPurchaseRequest(req); msg != "" {
		return Purchase{}, argumentError(op, msg)
	}
	body := purchaseRequestJSON{
		Cardholder:  req.Cardholder,
		Merchant:    req.Merchant,
		Amount:      req.Amount,
		Currency:    req.Currency,
		Description: req.Description,
		Reference:   req.Reference,
		Metadata:    req.Metadata,
		Approval:    req.Approval,
	}
	a := &purchaseAnswer{created: true}
	err := c.do(ctx, call{method: http.MethodPost, path: "v1/purchases", idemKey: idempotencyKey, body: body}, a)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusPaymentRequired && e.Purchase != nil {
			return *e.Purchase, err
		}
		return Purchase{}, err
	}
	return a.p, nil
}

// GetPurchase returns a purchase by its ID, as it is now: this is how the
// outcome of one pending approval is learnt (approved, or declined with
// DeclineApprovalDeclined or DeclineApprovalExpired, nil error either
// way). On failure it returns an *Error: Code CodeNotFound (Status 404)
// when there is no such purchase.
func (c *Client) GetPurchase(ctx context.Context, id string) (Purchase, error) {
	if id == "" {
		return Purchase{}, argumentError("GET /v1/purchases/{id}", "empty purchase id")
	}
	a := &purchaseAnswer{}
	err := c.do(ctx, call{method: http.MethodGet, path: "v1/purchases/" + url.PathEscape(id)}, a)
	if err != nil {
		return Purchase{}, err
	}
	return a.p, nil
}

// FindPurchases returns every purchase made with a reference, newest first,
// and an empty (non-nil) slice when there is none: this is how an unknown
// outcome is settled. On failure it returns nil and an *Error.
func (c *Client) FindPurchases(ctx context.Context, reference string) ([]Purchase, error) {
	if reference == "" {
		return nil, argumentError("GET /v1/purchases", "empty reference")
	}
	a := &purchaseListAnswer{}
	q := url.Values{"reference": {reference}}
	if err := c.do(ctx, call{method: http.MethodGet, path: "v1/purchases", query: q}, a); err != nil {
		return nil, err
	}
	return a.ps, nil
}
