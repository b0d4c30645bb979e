package issuer

import (
	"context"
	"net/http"
	"net/url"
)

type refundAnswer struct {
	want string // the purchase refunded
	r    Refund
}

func (a *refundAnswer) decode(_ int, raw []byte) error {
	var w refundJSON
	if err := decodeJSON(raw, &w); err != nil {
		return err
	}
	r, err := w.refund()
	if err != nil {
		return err
	}
	if r.Purchase != a.want {
		return &mismatchError{field: "purchase", want: a.want, got: r.Purchase}
	}
	a.r = r
	return nil
}

// CreateRefund refunds amount (minor units; 0 means what is left to refund)
// of a purchase, once per idempotencyKey. reason may be empty. On failure it
// returns a zero Refund and an *Error: Code CodeInvalidRequest with Param
// "amount" when the amount is more than what is left, Code
// CodePurchaseNotRefundable for a declined purchase, CodeNotFound for no
// such purchase.
func (c *Client) CreateRefund(ctx context.Context, idempotencyKey, purchaseID string, amount int64, reason string) (Refund, error) {
	const op = "POST /v1/purchases/{id}/refunds"
	switch {
	case !validIdempotencyKey(idempotencyKey):
		return Refund{}, argumentError(op, "idempotency key must be 1 to 255 printable ASCII characters")
	case purchaseID == "":
		return Refund{}, argumentError(op, "empty purchase id")
	case amount < 0:
		return Refund{}, argumentError(op, "negative amount")
	}
	a := &refundAnswer{want: purchaseID}
	cl := call{
		method:  http.MethodPost,
		path:    "v1/purchases/" + url.PathEscape(purchaseID) + "/refunds",
		idemKey: idempotencyKey,
		body:    refundRequestJSON{Amount: amount, Reason: reason},
	}
	if err := c.do(ctx, cl, a); err != nil {
		return Refund{}, err
	}
	return a.r, nil
}
