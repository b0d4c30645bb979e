package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

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
	ErrNothingLeft   = errors.New("the order is fully refunded: nothing is left to refund")
	ErrTooMuch       = errors.New("more than is left to refund")
	ErrUnknown       = errors.New("the issuer's answer is not known yet: run the same command again to settle it (it looks the purchase up first, so it cannot refund twice)")
	ErrUnexplained   = errors.New("the issuer's refunded amount does not match what this bot recorded: check the purchase with the issuer; nothing was asked")
	ErrUnderWay      = errors.New("another run of the refund command is asking the issuer about this order's refund; nothing was done here: run the command again once that run has finished, to see its outcome")
	ErrKeyRefused    = errors.New("the issuer refused the API key (401): check issuer.api_key")
)

// errStands is a refund check's answer when an earlier refund of the same
// amount stands, so nothing is to be done.
var errStands = errors.New("an earlier refund of that amount stands")

// refundHold is how long a run holds the refund it asks the issuer about
// before another run may take it up: a look-up and a POST, each bounded by
// the issuer's timeout, and a margin. A run that dies lets it go then.
func refundHold(cfg *config.Config) time.Duration {
	return 2*max(cfg.Issuer.Timeout, 0) + time.Minute
}

// Refund refunds a paid order through the issuer, idempotently: a refund
// left pending by an earlier run (a timeout, a crash) is settled first,
// from the purchase's refunded amount (see resume), and asking again for
// the same amount as an earlier refund does nothing unless Again is set,
// so a double-clicked command never refunds twice. That check and the
// refund's beginning are one transaction (storage.StartRefund), so two
// runs at once refund once: the other is told the first stands or is
// under way (ErrUnderWay). A successful refund is recorded on the order
// and the cardholder is told (by the daemon's sender, from the outbox).
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
	asked := int64(0) // all that is left
	if req.Amount != "" {
		if asked, err = money.Parse(req.Amount, o.Currency); err != nil {
			return res, fmt.Errorf("amount: %w", err)
		}
		if asked <= 0 {
			return res, fmt.Errorf("amount must be more than 0")
		}
	}
	st, err := db.StartRefund(ctx, o.ID, req.Reason, refundHold(cfg), func(refunded int64, earlier []storage.Refund) (int64, error) {
		res.Order.RefundedAmount = refunded
		amount, stands, err := refundAmount(o.Amount-refunded, asked, req.Again, earlier)
		res.Refund = stands
		return amount, err
	})
	switch {
	case errors.Is(err, errStands):
		res.Already = true
		return res, nil
	case errors.Is(err, ErrNothingLeft):
		return res, fmt.Errorf("order %s: %w (refunded %s of %s)", o.ID, err, money.Format(res.Order.RefundedAmount, o.Currency), money.Format(o.Amount, o.Currency))
	case errors.Is(err, ErrTooMuch):
		return res, fmt.Errorf("order %s: %s is %w (%s)", o.ID, money.Format(asked, o.Currency), ErrTooMuch, money.Format(o.Amount-res.Order.RefundedAmount, o.Currency))
	case errors.Is(err, storage.ErrRefundUnderWay):
		return res, fmt.Errorf("order %s: %w", o.ID, ErrUnderWay)
	case errors.Is(err, storage.ErrConflict):
		return res, fmt.Errorf("order %s is no longer paid: %w", o.ID, ErrNotRefundable)
	case err != nil:
		return res, err
	}
	o.RefundedAmount = st.Refunded
	if st.Resume {
		return resume(ctx, db, iss, cfg, o, st.Refund)
	}
	return settle(ctx, db, iss, cfg, o, st.Refund)
}

// refundAmount decides what a new refund asks for, from what is left of
// the order, the amount asked (0: all that is left) and the order's
// refunds so far. It returns errStands with the earlier refund of that
// amount when one stands and again is not set (also, for "all that is
// left", when nothing is), else ErrNothingLeft or ErrTooMuch.
func refundAmount(left, asked int64, again bool, earlier []storage.Refund) (int64, storage.Refund, error) {
	amount := asked
	if asked == 0 {
		amount = left
	}
	if !again {
		for i := len(earlier) - 1; i >= 0; i-- {
			if r := earlier[i]; r.State == storage.RefundSucceeded && (r.Amount == amount || (asked == 0 && left == 0)) {
				return 0, r, errStands
			}
		}
	}
	switch {
	case left <= 0:
		return 0, storage.Refund{}, ErrNothingLeft
	case amount > left:
		return 0, storage.Refund{}, ErrTooMuch
	}
	return amount, storage.Refund{}, nil
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
		if keyRefused(err) {
			return res, fmt.Errorf("%w; nothing more was asked, and the outcome of the refund begun earlier is still not known: run the same command again once the key is fixed", ErrKeyRefused)
		}
		return res, fmt.Errorf("%w (looking the purchase up: %v)", ErrUnknown, err)
	}
	if p.ID != o.PurchaseID || p.Currency != o.Currency || p.Status != issuer.PurchaseApproved {
		return res, unexplained(ctx, db, r, fmt.Errorf("order %s: the issuer answered purchase %s (%s, %s) for %s (%s): %w",
			o.ID, p.ID, p.Status, p.Currency, o.PurchaseID, o.Currency, ErrUnexplained))
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
	return res, unexplained(ctx, db, r, fmt.Errorf("order %s: the issuer has refunded %s in all, this bot %s, and %s is pending: %w",
		o.ID, money.Format(p.RefundedAmount, o.Currency), money.Format(o.RefundedAmount, o.Currency), money.Format(want, o.Currency), ErrUnexplained))
}

// unexplained notes on the pending refund why it was left as it is, which
// lets it go for the next run, and returns err.
func unexplained(ctx context.Context, db *storage.DB, r storage.Refund, err error) error {
	_ = db.NoteRefundError(context.WithoutCancel(ctx), r, err.Error())
	return err
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
	switch {
	case err == nil:
		return record(ctx, db, cfg, o, r, ref.ID, ref.Amount)
	case keyRefused(err):
		// Known and final: the issuer did not take the request at all.
		if serr := db.SettleRefund(context.WithoutCancel(ctx), r, false, "", 0, err.Error(), nil); serr != nil {
			return res, serr
		}
		res.Refund.State = storage.RefundFailed
		return res, fmt.Errorf("%w; nothing was refunded", ErrKeyRefused)
	case issuer.Outcome(err) == issuer.Final || issuer.Outcome(err) == issuer.Bug:
		if serr := db.SettleRefund(context.WithoutCancel(ctx), r, false, "", 0, err.Error(), nil); serr != nil {
			return res, serr
		}
		res.Refund.State = storage.RefundFailed
		return res, fmt.Errorf("the issuer refused the refund: %w", err)
	}
	_ = db.NoteRefundError(context.WithoutCancel(ctx), r, err.Error())
	return res, fmt.Errorf("%w (%v)", ErrUnknown, err)
}

// keyRefused reports whether the issuer answered 401: it refused the API
// key and took nothing of the request.
func keyRefused(err error) bool {
	var e *issuer.Error
	return errors.As(err, &e) && e.Status == http.StatusUnauthorized
}
