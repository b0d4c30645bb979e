package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// charger makes the charge of each confirmed order, exactly once, and
// records its outcome with what the cardholder is told.
type charger struct {
	b   *Bot
	log *slog.Logger
}

func newCharger(b *Bot) *charger { return &charger{b: b, log: b.log.With("component", "charger")} }

// step makes the charge of the oldest confirmed order that is due. It
// returns an error only when the database failed.
func (ch *charger) step() (bool, time.Duration, error) {
	b := ch.b
	ctx := b.work
	now := b.now()
	due, err := b.db.DueCharges(ctx, now, 1)
	if err != nil {
		return false, 0, err
	}
	if len(due) == 0 {
		at, ok, err := b.db.NextChargeAt(ctx)
		if err != nil || !ok {
			return false, 0, err
		}
		return false, at.Sub(now), nil
	}
	if err := ch.charge(ctx, ch.log.With("order", due[0].ID), due[0]); err != nil {
		return false, 0, err
	}
	return true, 0, nil
}

// charge settles one order's charge, or records why it must wait.
//
// Every issuer call is recorded and committed before it is made, and its
// outcome after. The purchase always carries the order's one idempotency
// key. Before every POST, the first one included, the purchase is looked
// up by the order's reference: only when none exists is the POST made or
// repeated, with the same key, so that neither a retry, nor a key the
// issuer has forgotten after 24 hours, nor a restore that lost the record
// of the charge can make a second purchase. It returns an error when the
// database failed.
func (ch *charger) charge(ctx context.Context, log *slog.Logger, c storage.Charge) error {
	b := ch.b
	// Looked up before the first POST too: after a restore from a replica
	// (or on a second daemon's copy) an order with no attempt recorded may
	// have been charged under its derived id already.
	if done, err := ch.lookup(ctx, log, c); err != nil || done {
		return err
	}
	attempt, err := b.db.StartCharge(ctx, c.ID, "purchase", b.now().Add(backoff(c.Attempts+1)))
	if errors.Is(err, storage.ErrConflict) {
		return nil // no longer confirmed: somebody else settled it
	}
	if err != nil {
		return fmt.Errorf("record charge attempt: %w", err)
	}
	crashpoint.Hit(crashpoint.BeforeCharge)
	cctx, cancel := context.WithTimeout(ctx, b.settings().cfg.Issuer.Timeout)
	p, err := b.iss.CreatePurchase(cctx, c.IdempotencyKey, purchaseRequest(c.Order))
	cancel()
	crashpoint.Hit(crashpoint.AfterChargeResponse)
	return ch.settlePurchase(log, c, attempt, p, err)
}

// lookup settles an order from the purchases the issuer has under its
// reference. It returns true when nothing more is to be done now: the
// order is settled, or the issuer could not say (the order then waits);
// and an error when the database failed.
func (ch *charger) lookup(ctx context.Context, log *slog.Logger, c storage.Charge) (bool, error) {
	b := ch.b
	attempt, err := b.db.StartCharge(ctx, c.ID, "lookup", b.now().Add(backoff(c.Attempts+1)))
	if errors.Is(err, storage.ErrConflict) {
		return true, nil // no longer confirmed: somebody else settled it
	}
	if err != nil {
		return true, fmt.Errorf("record lookup attempt: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, b.settings().cfg.Issuer.Timeout)
	found, err := b.iss.FindPurchases(cctx, c.ID)
	cancel()
	if err != nil {
		return true, ch.deferCharge(log, c, attempt, err)
	}
	var approved, declined *issuer.Purchase
	for i := range found {
		p := &found[i]
		if err := issuer.CheckPurchase(purchaseRequest(c.Order), *p); err != nil {
			return true, ch.parkMismatch(log, c, attempt, err)
		}
		switch p.Status {
		case issuer.PurchaseApproved:
			if approved != nil && approved.ID != p.ID {
				log.Error("ALERT: more than one approved purchase for one order", "purchase", p.ID, "other", approved.ID, "alert", "double_charge")
			}
			if approved == nil {
				approved = p
			}
		case issuer.PurchaseDeclined:
			if declined == nil {
				declined = p
			}
		}
	}
	switch {
	case approved != nil:
		return true, ch.settle(log, c, attempt, conversations.Outcome{State: conversations.Paid, PurchaseID: approved.ID}, "found by reference")
	case declined != nil:
		return true, ch.settle(log, c, attempt, conversations.Outcome{State: conversations.Declined, PurchaseID: declined.ID, DeclineCode: declined.DeclineCode}, "found by reference")
	}
	if err := b.db.DeferCharge(context.WithoutCancel(ctx), c.ID, attempt, b.now(), "none", "no purchase under the reference"); err != nil {
		return true, fmt.Errorf("record lookup: %w", err)
	}
	return false, nil
}

// settlePurchase records what a purchase call came to. It returns an
// error when the database failed.
func (ch *charger) settlePurchase(log *slog.Logger, c storage.Charge, attempt int64, p issuer.Purchase, err error) error {
	switch issuer.Outcome(err) {
	case issuer.OK:
		if err := issuer.CheckPurchase(purchaseRequest(c.Order), p); err != nil {
			return ch.parkMismatch(log, c, attempt, err)
		}
		switch p.Status {
		case issuer.PurchaseApproved:
			return ch.settle(log, c, attempt, conversations.Outcome{State: conversations.Paid, PurchaseID: p.ID}, "approved")
		case issuer.PurchaseDeclined:
			return ch.settle(log, c, attempt, conversations.Outcome{State: conversations.Declined, PurchaseID: p.ID, DeclineCode: p.DeclineCode}, "declined")
		default:
			return ch.deferCharge(log, c, attempt, errors.New("purchase status "+strconv.Quote(p.Status)))
		}
	case issuer.Final:
		var e *issuer.Error
		errors.As(err, &e)
		if e != nil && e.Code == issuer.CodeCardDeclined {
			id := ""
			if e.Purchase != nil {
				if err := issuer.CheckPurchase(purchaseRequest(c.Order), *e.Purchase); err != nil {
					return ch.parkMismatch(log, c, attempt, err)
				}
				id = e.Purchase.ID
			}
			return ch.settle(log, c, attempt, conversations.Outcome{State: conversations.Declined, PurchaseID: id, DeclineCode: e.DeclineCode}, "declined")
		}
		if e == nil || e.Code != issuer.CodeInvalidRequest {
			// Not an answer the contract gives to a purchase (a proxy's
			// 404, a misrouted URL): nothing says the order is refused,
			// so it waits rather than fails.
			log.Error("ISSUER ANSWERED OUTSIDE ITS CONTRACT: the charge waits and is retried with the same key", "err", err, "alert", "issuer_off_contract")
			return ch.deferCharge(log, c, attempt, err)
		}
		log.Error("issuer refused the charge for good; nothing charged", "err", err)
		return ch.settle(log, c, attempt, conversations.Outcome{State: conversations.Failed}, err.Error())
	case issuer.Bug:
		log.Error("ALERT: the issuer says this order's idempotency key was used for another request; order parked for an operator", "alert", "charge_parked", "err", err)
		return ch.settle(log, c, attempt, conversations.Outcome{State: conversations.Parked}, err.Error())
	default: // Unknown, RetryLater
		return ch.deferCharge(log, c, attempt, err)
	}
}

// parkMismatch parks an order whose purchase, as the issuer answered it, is
// not the one asked for: nothing is told to the cardholder, and the
// issuer's answer is kept on the order for an operator. It returns an
// error when the database failed.
func (ch *charger) parkMismatch(log *slog.Logger, c storage.Charge, attempt int64, mismatch error) error {
	log.Error("ALERT: the issuer's purchase does not match the order; order parked for an operator", "alert", "issuer_mismatch", "err", mismatch)
	return ch.settle(log, c, attempt, conversations.Outcome{State: conversations.Parked}, "issuer_mismatch: "+mismatch.Error())
}

// settle records a final outcome and queues what the cardholder is told.
// It returns an error when the database failed.
func (ch *charger) settle(log *slog.Logger, c storage.Charge, attempt int64, out conversations.Outcome, detail string) error {
	b := ch.b
	st := b.settings()
	var replies []conversations.Reply
	if out.State != conversations.Parked {
		replies = conversations.OutcomeReplies(st.messages, st.cfg.Privacy, c.Order, out)
	}
	// The outcome is recorded even while shutting down: it is known now
	// and would otherwise cost a lookup at the next start.
	if err := b.db.SettleCharge(context.WithoutCancel(b.work), c.ID, attempt, out, detail, replies); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			log.Warn("order no longer confirmed; its outcome is not recorded twice", "outcome", out.State, "err", err)
			return nil
		}
		return fmt.Errorf("record charge outcome %s: %w", out.State, err)
	}
	crashpoint.Hit(crashpoint.AfterChargeSettled)
	log.Info("charge settled", "outcome", out.State, "purchase", out.PurchaseID, "decline_code", out.DeclineCode)
	b.wake(b.wakeSender)
	return nil
}

// deferCharge records an attempt whose outcome is not known, or that the
// issuer asked to repeat later, and when to try again. It returns an error
// when the database failed.
func (ch *charger) deferCharge(log *slog.Logger, c storage.Charge, attempt int64, err error) error {
	b := ch.b
	wait := backoff(c.Attempts + 1)
	outcome := "unknown"
	var e *issuer.Error
	if errors.As(err, &e) {
		if e.RetryAfter > 0 {
			wait, outcome = e.RetryAfter, "retry_after"
		}
		if e.Code == issuer.CodeUnauthorized {
			log.Error("ISSUER REFUSES THE API KEY: charges wait until it is fixed", "err", err, "alert", "issuer_key_refused")
		}
	}
	if derr := b.db.DeferCharge(context.WithoutCancel(b.work), c.ID, attempt, b.now().Add(wait), outcome, err.Error()); derr != nil {
		return fmt.Errorf("record deferred charge: %w", derr)
	}
	log.Warn("charge outcome not known yet; will settle it with the same key", "retry_in", wait.String(), "err", err)
	return nil
}

func purchaseRequest(o conversations.Order) issuer.PurchaseRequest {
	// Built only from the order's own copy of its terms, so that every
	// retry sends the very same body under the same key.
	return issuer.PurchaseRequest{
		Cardholder: o.Cardholder, Merchant: o.Merchant, Amount: o.Amount, Currency: o.Currency,
		Description: o.Title, Reference: o.ID,
		Metadata: map[string]string{
			"offer":            o.OfferID,
			"twitter_user_id":  strconv.FormatInt(o.UserID, 10),
			"confirm_tweet_id": strconv.FormatInt(o.ConfirmMessageID, 10),
			"confirm_channel":  string(o.ConfirmChannel),
		},
	}
}

// backoff is how long to wait before attempt n (1, 2, ...): doubling from
// a second up to a minute, with jitter so that retries do not march in
// step.
func backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	d = min(d, time.Minute)
	return d/2 + rand.N(d/2+1)
}
