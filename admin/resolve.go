package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// Finder is what resolving a parked order needs of the issuer: a look-up,
// never a purchase.
type Finder interface {
	FindPurchases(ctx context.Context, reference string) ([]issuer.Purchase, error)
}

// ResolveResult says what was found for a parked order and recorded.
type ResolveResult struct {
	Order conversations.Order // as it is now
	Found string              // "paid", "declined" or "none"
}

// Errors Resolve returns for an admin to read; each says what to do.
var (
	ErrNotParked    = errors.New("only a parked order can be resolved")
	ErrTwoApproved  = errors.New("the issuer has more than one approved purchase under this order's reference: refund the extra one at the issuer, then resolve again")
	ErrNotFinalYet  = errors.New("the issuer has a purchase under this order's reference that is neither approved nor declined yet: resolve again later")
	ErrIssuerSilent = errors.New("the issuer could not say what it has under this order's reference: nothing was recorded; resolve again")
)

// Resolve settles a parked order from what the issuer has under its
// reference (the order id): an approved purchase makes it paid, a
// declined one declined, none at all failed (nothing was charged). The
// outcome is recorded and the cardholder is told as for any charge's
// outcome (by the running daemon's sender, from the outbox). It never
// creates a purchase.
func Resolve(ctx context.Context, db *storage.DB, iss Finder, cfg *config.Config, orderID string) (ResolveResult, error) {
	o, err := db.Order(ctx, orderID)
	if err != nil {
		return ResolveResult{}, err
	}
	res := ResolveResult{Order: o}
	if o.State != conversations.Parked {
		return res, fmt.Errorf("order %s is %s: %w", o.ID, o.State, ErrNotParked)
	}
	found, err := iss.FindPurchases(ctx, o.ID)
	if err != nil {
		return res, fmt.Errorf("%w (%v)", ErrIssuerSilent, err)
	}
	var approved, declined []issuer.Purchase
	for _, p := range found {
		if p.Reference != o.ID {
			continue // not ours, whatever the server thinks
		}
		switch p.Status {
		case issuer.PurchaseApproved:
			approved = append(approved, p)
		case issuer.PurchaseDeclined:
			declined = append(declined, p)
		default:
			return res, fmt.Errorf("purchase %s is %q: %w", p.ID, p.Status, ErrNotFinalYet)
		}
	}
	var out conversations.Outcome
	switch {
	case len(approved) > 1:
		ids := make([]string, len(approved))
		for i, p := range approved {
			ids[i] = p.ID
		}
		return res, fmt.Errorf("purchases %s: %w", strings.Join(ids, ", "), ErrTwoApproved)
	case len(approved) == 1:
		out, res.Found = conversations.Outcome{State: conversations.Paid, PurchaseID: approved[0].ID}, "paid"
	case len(declined) > 0:
		out, res.Found = conversations.Outcome{State: conversations.Declined, PurchaseID: declined[0].ID, DeclineCode: declined[0].DeclineCode}, "declined"
	default:
		out, res.Found = conversations.Outcome{State: conversations.Failed}, "none"
	}
	replies := conversations.OutcomeReplies(cfg.Messages(), cfg.Privacy, o, out)
	if err := db.ResolveParked(context.WithoutCancel(ctx), o.ID, out, "resolved by an operator: "+res.Found+" at the issuer", replies); err != nil {
		return res, err
	}
	res.Order, err = db.Order(context.WithoutCancel(ctx), o.ID)
	return res, err
}
