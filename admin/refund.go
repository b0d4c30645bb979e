package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/money"
	"github.com/paybytweet/paybytweet/storage"
)

// Refunder is what a refund needs of the issuer: the refund itself, and
// the purchase, to learn whether a refund whose answer was lost was made.
type Refunder interface {
	CreateRefund(ctx context.Context, idempotencyKey, purchaseID string, amount int64, reason string) (issuer.Refund, error)
	GetPurchase(ctx context.Context, id string) (issuer.Purchase, error)
}

// RefundRequest is what the admin asked for.
type RefundRequest struct {
	OrderID string
	Amount  string // decimal in the order's currency; "" means all that is left
	Again   bool   // refund the same amount as an earlier refund once more
	Reason  string // default "requested_by_customer"
}

// RefundResult says what happened.
type RefundResult struct {
	Refund  storage.Refund
	Already bool // an earlier refund of the same amount stands; nothing was done
	Order   conversations.Order
}

// Errors a refund returns for an admin to read; each says what to do.
var (
	ErrNotRefundable = errors.New("only a paid order can be refunded")
	ErrNothingLeft   = errors.New("nothing is left to refund")
	ErrTooMuch       = errors.New("more than is left to refund")
	ErrUnknown       = errors.New("the issuer's answer is not known yet: run the same command again to settle it (it looks the purchase up first, so it cannot refund twice)")
	ErrUnexplained   = errors.New("the issuer's refunded amount does not match what this bot recorded: check the purchase with the issuer; nothing was asked")
)

// Refund refunds a paid order through the issuer, idempotently: a refund
// left pending by an earlier run (a timeout, a crash) is settled first,
// from the purchase's refunded amount (see resume), and asking again for
// the same amount as an earlier refund does nothing unless Again is set,
// so a double-clicked command never refunds twice. A successful refund is
// recorded on the order and the cardholder is told (by the daemon's
// sender, from the outbox).
func Refund(ctx context.Context, db *storage.DB, iss Refunder, cfg *config.Config, req RefundRequest) (RefundResult, error) {
	o, err := db.Order(ctx, req.OrderID)
	if err != nil {
		return RefundResult{}, err
	}
	res := RefundResult{Order: o}
	if o.State != conversations.Paid {
		return res, fmt.Errorf("order %s is %s: %w", o.ID, o.State, ErrNotRefundable)
	}
	if req.Reason == "" {
		req.Reason = "requested_by_customer"
	}
	earlier, err := db.Refunds(ctx, o.ID)
	if err != nil {
		return res, err
	}
	for _, r := range earlier {
		if r.State == storage.RefundPending {
			return resume(ctx, db, iss, cfg, o, r)
		}
	}
	left := o.Amount - o.RefundedAmount
	amount := left
	if req.Amount != "" {
		if amount, err = money.Parse(req.Amount, o.Currency); err != nil {
			return res, fmt.Errorf("amount: %w", err)
		}
		if amount <= 0 {
			return res, fmt.Errorf("amount must be more than 0")
		}
	}
	if !req.Again {
		for _, r := range earlier {
			if r.State == storage.RefundSucceeded && (r.Amount == amount || (req.Amount == "" && left == 0)) {
				res.Refund, res.Already = r, true
				return res, nil
			}
		}
	}
	if left == 0 {
		return res, fmt.Errorf("order %s: %w (refunded %s)", o.ID, ErrNothingLeft, money.Format(o.RefundedAmount, o.Currency))
	}
	if amount > left {
		return res, fmt.Errorf("order %s: %s is %w (%s)", o.ID, money.Format(amount, o.Currency), ErrTooMuch, money.Format(left, o.Currency))
	}
	r, err := db.BeginRefund(ctx, o.ID, amount, req.Reason)
	if err != nil {
		return res, err
	}
	return settle(ctx, db, iss, cfg, o, r)
}

// resume settles a refund that an earlier run began and whose answer is
// not recorded. The issuer replays an idempotency key for 24 hours only:
// after that, POSTing the key again would refund a second time. So the
// purchase is looked up first, and its refunded_amount, against what this
// bot recorded as refunded, says what happened: the refund was made (it is
// recorded, and the cardholder told), or nothing was refunded (only then is
// it POSTed again, with its key), or something else refunded the purchase,
// which only an operator can sort out.
func resume(ctx context.Context, db *storage.DB, iss Refunder, cfg *config.Config, o conversations.Order, r storage.Refund) (RefundResult, error) {
	res := RefundResult{Order: o, Refund: r}
	p, err := iss.GetPurchase(ctx, o.PurchaseID)
	if err != nil {
		_ = db.NoteRefundError(context.WithoutCancel(ctx), r, "look-up: "+err.Error())
		return res, fmt.Errorf("%w (looking the purchase up: %v)", ErrUnknown, err)
	}
	if p.ID != o.PurchaseID || p.Currency != o.Currency || p.Status != issuer.PurchaseApproved {
		return res, fmt.Errorf("order %s: the issuer answered purchase %s (%s, %s) for %s (%s): %w",
			o.ID, p.ID, p.Status, p.Currency, o.PurchaseID, o.Currency, ErrUnexplained)
	}
	extra := p.RefundedAmount - o.RefundedAmount
	want := r.Amount
	if want == 0 { // an old row meaning "what is left"
		want = o.Amount - o.RefundedAmount
	}
	switch {
	case extra == 0:
		return settle(ctx, db, iss, cfg, o, r)
	case extra == want:
		return record(ctx, db, cfg, o, r, "", extra)
	}
	return res, fmt.Errorf("order %s: the issuer has refunded %s in all, this bot %s, and %s is pending: %w",
		o.ID, money.Format(p.RefundedAmount, o.Currency), money.Format(o.RefundedAmount, o.Currency), money.Format(want, o.Currency), ErrUnexplained)
}

// record settles a refund that the issuer made: it is added to the order
// and the cardholder's notice is queued. refundID is "" when the refund
// was learnt from the purchase, which does not name its refunds.
func record(ctx context.Context, db *storage.DB, cfg *config.Config, o conversations.Order, r storage.Refund, refundID string, amount int64) (RefundResult, error) {
	res := RefundResult{Order: o, Refund: r}
	notice := conversations.RefundReply(cfg.Messages(), cfg.Privacy, o, amount)
	if err := db.SettleRefund(context.WithoutCancel(ctx), r, true, refundID, amount, "", &notice); err != nil {
		return res, err
	}
	res.Refund.State, res.Refund.RefundID, res.Refund.Refunded = storage.RefundSucceeded, refundID, amount
	res.Order.RefundedAmount += amount
	return res, nil
}

func settle(ctx context.Context, db *storage.DB, iss Refunder, cfg *config.Config, o conversations.Order, r storage.Refund) (RefundResult, error) {
	res := RefundResult{Order: o, Refund: r}
	ref, err := iss.CreateRefund(ctx, r.IdempotencyKey, o.PurchaseID, r.Amount, r.Reason)
	switch issuer.Outcome(err) {
	case issuer.OK:
		return record(ctx, db, cfg, o, r, ref.ID, ref.Amount)
	case issuer.Final, issuer.Bug:
		if serr := db.SettleRefund(context.WithoutCancel(ctx), r, false, "", 0, err.Error(), nil); serr != nil {
			return res, serr
		}
		res.Refund.State = storage.RefundFailed
		return res, fmt.Errorf("the issuer refused the refund: %w", err)
	}
	_ = db.NoteRefundError(context.WithoutCancel(ctx), r, err.Error())
	return res, fmt.Errorf("%w (%v)", ErrUnknown, err)
}
