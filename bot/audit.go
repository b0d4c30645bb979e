package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/paybytweet/paybytweet/backoff"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// auditor looks up, at the issuer, the reference of every order that
// ended unpaid, or that a refused buy would have made, although a daemon
// before this one could have charged it (see storage.DB.AuditOrdersBefore
// and conversations.Situation.Inherited), and records a purchase it finds.
//
// It closes the gap a restore leaves: the restored database knows an
// order as pending that the lost history confirmed and charged; when the
// restore guard cannot find the old request on Twitter (beyond its read,
// or worded otherwise since), the request is posted again, the old
// confirmation counts as too early, and the order expires. Only confirmed
// orders are charged, and so looked up, so without the audit the
// cardholder's charge would have no record, and no refund could be made.
type auditor struct{ auditorDeps }

// auditorDeps is what an auditor is made of.
type auditorDeps struct {
	store auditStore
	iss   purchaseFinder
	now   func() time.Time
	log   *slog.Logger
	// settings gives the issuer's timeout, and the receipts' texts and
	// privacy, as the last reload left them.
	settings func() *settings
	// work gives the context of the look-ups a step makes: cancelled when
	// work in flight is abandoned (the bot makes it when it opens).
	work func() context.Context
	// wakeSender is poked when a found purchase queued its receipt.
	wakeSender chan<- struct{}
	// loop runs step: the auditor's wake-up, idle pause and database
	// backoff.
	loop loop
}

// auditStore is what the auditor needs of storage; *storage.DB is the
// real one.
type auditStore interface {
	DueAudits(ctx context.Context, now time.Time, limit int) ([]storage.Audit, error)
	NextAuditAt(ctx context.Context) (time.Time, bool, error)
	DeferAudit(ctx context.Context, orderID string, retryAt time.Time, detail string) error
	ClearAudit(ctx context.Context, orderID, detail string) error
	MismatchAudit(ctx context.Context, orderID, detail string) error
	RecordFoundPurchase(ctx context.Context, a storage.Audit, purchaseID, detail string, replies []conversations.Reply) error
	RecordApproval(ctx context.Context, userID int64, orderID string, kind storage.ApprovalKind, at time.Time) (bool, error)
}

// purchaseFinder is what the auditor needs of the issuer.
type purchaseFinder interface {
	FindPurchases(ctx context.Context, reference string) ([]issuer.Purchase, error)
}

func newAuditorOf(d auditorDeps) *auditor {
	d.log = d.log.With("component", "audit")
	return &auditor{d}
}

// auditBatch is how many due audits a step reads; it looks them up one
// after the other.
const auditBatch = 8

// Run looks up the audits that are due until ctx ends.
func (a *auditor) Run(ctx context.Context) { a.loop.run(ctx, a.step) }

// step is stepIn under the work context.
func (a *auditor) step() (bool, time.Duration, error) { return a.stepIn(a.work()) }

// stepIn looks up the audits that are due, auditBatch at a time; ctx is
// the look-ups'. It returns an error only when the database failed.
func (a *auditor) stepIn(ctx context.Context) (bool, time.Duration, error) {
	now := a.now()
	due, err := a.store.DueAudits(ctx, now, auditBatch)
	if err != nil {
		return false, 0, err
	}
	if len(due) == 0 {
		at, ok, err := a.store.NextAuditAt(ctx)
		if err != nil || !ok {
			return false, 0, err
		}
		return false, at.Sub(now), nil
	}
	var errs []error
	for _, d := range due {
		errs = append(errs, a.audit(ctx, d))
	}
	return true, 0, errors.Join(errs...)
}

// audit looks one order's reference up and records what the issuer
// holds. It returns an error when the database failed.
func (a *auditor) audit(ctx context.Context, d storage.Audit) error {
	log := a.log.With("order", d.ID, "user_id", d.UserID, "ended_as", d.EndedAs)
	cctx, cancel := context.WithTimeout(ctx, a.settings().cfg.Issuer.Timeout)
	found, err := a.iss.FindPurchases(cctx, d.ID)
	cancel()
	if err != nil {
		return a.askAgain(ctx, log, d, err)
	}
	if own := ownPurchases(log, d.ID, found); len(own) < len(found) {
		if len(own) == 0 {
			// Only other references' purchases: an answer outside the
			// contract says nothing of this one. Unlike the charger, the
			// audit has no POST whose key settles it: it asks again.
			return a.askAgain(ctx, log, d, errors.New("the look-up answered only purchases under other references"))
		}
		found = own
	}
	var approved *issuer.Purchase
	for i := range found {
		p := &found[i]
		asked := purchaseRequest(d.Order)
		if asked.Cardholder == "" {
			// A refused buy of a cardholder no longer enrolled: the
			// reference is this buy's own, and the issuer's token is the
			// one it charged.
			asked.Cardholder = p.Cardholder
		}
		if err := issuer.CheckPurchase(asked, *p); err != nil {
			log.Error("ALERT: the issuer holds a purchase under the reference of an order that ended unpaid, and it is not that order's; an operator must look",
				"alert", "issuer_mismatch", "err", err)
			return dbErr(a.store.MismatchAudit(context.WithoutCancel(ctx), d.ID, "issuer_mismatch: "+err.Error()))
		}
		if p.Status == issuer.PurchaseApproved && approved == nil {
			approved = p
		}
	}
	if approved == nil {
		return a.unpaid(ctx, log, d, found)
	}
	// Charged by a daemon whose record of it is lost: the charge stands
	// and is recorded, and the cardholder gets the receipt, in answer to
	// no tweet, since which confirmation counted is not known here. The
	// restore guard claims it instead when the lost receipt is still on
	// Twitter.
	st := a.settings()
	if d.Cardholder == "" {
		d.Cardholder = approved.Cardholder
	}
	o := d.Order
	o.ConfirmChannel, o.ConfirmMessageID = o.Channel, 0
	replies := conversations.OutcomeReplies(st.messages, st.cfg.Privacy, o, conversations.Outcome{State: conversations.Paid, PurchaseID: approved.ID})
	detail := "charged by a daemon whose record this database lost (found at the issuer after the order was " + string(d.EndedAs) + ")"
	err = a.store.RecordFoundPurchase(context.WithoutCancel(ctx), d, approved.ID, detail, replies)
	if errors.Is(err, storage.ErrConflict) {
		// Its order is no longer as the audit saw it (nothing moves an
		// order out of expired or cancelled, nor makes a refused buy's):
		// not something to retry blindly.
		log.Error("ALERT: the issuer holds a purchase for an order that ended unpaid, and the order changed while it was audited; an operator must look",
			"alert", "issuer_mismatch", "purchase", approved.ID, "err", err)
		return dbErr(a.store.MismatchAudit(context.WithoutCancel(ctx), d.ID, "order changed while audited; purchase "+approved.ID))
	}
	if err != nil {
		return err
	}
	log.Error("ALERT: an order that ended unpaid had been charged by a daemon whose record this database lost (a restore); it is recorded as paid and the receipt sent. Its unit had been released: check the offer is not sold over its quantity",
		"alert", "charge_found_unrecorded", "purchase", approved.ID, "offer", d.OfferID, "amount", d.Amount, "currency", d.Currency)
	poke(a.wakeSender)
	return nil
}

// unpaid ends the audit of order d, whose purchases under its reference
// (found) hold none approved: one waiting for the cardholder's approval
// is followed to its outcome, as the charger would, at the contract's
// pace; a declined approval holds the account as any decline does.
func (a *auditor) unpaid(ctx context.Context, log *slog.Logger, d storage.Audit, found []issuer.Purchase) error {
	ctx = context.WithoutCancel(ctx)
	if p, ok := pendingFound(found); ok {
		log.Info("the order that ended unpaid has a purchase waiting for the cardholder's approval; following it", "purchase", p.ID)
		return dbErr(a.store.DeferAudit(ctx, d.ID, a.now().Add(approvalPoll), "purchase "+p.ID+" waits for the cardholder's approval"))
	}
	for _, p := range found {
		if p.DeclineCode != issuer.DeclineApprovalDeclined {
			continue
		}
		if _, err := a.store.RecordApproval(ctx, d.UserID, d.ID, storage.ApprovalDeclined, a.now()); err != nil {
			return err
		}
	}
	log.Info("the order that ended unpaid was not charged", "purchases", len(found))
	return dbErr(a.store.ClearAudit(ctx, d.ID, fmt.Sprintf("no approved purchase (%d under the reference)", len(found))))
}

// askAgain records that the issuer could not say whether order d was
// charged (err), and when to ask again. It returns an error when the
// database failed.
func (a *auditor) askAgain(ctx context.Context, log *slog.Logger, d storage.Audit, err error) error {
	wait := backoff.Wait(d.Attempts + 1)
	var e *issuer.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		wait = e.RetryAfter
	}
	log.Warn("could not ask the issuer whether an order that ended unpaid was charged; asking again later", "retry_in", wait.String(), "err", err)
	return dbErr(a.store.DeferAudit(context.WithoutCancel(ctx), d.ID, a.now().Add(wait), err.Error()))
}

// dbErr passes on a database error, but not a conflict: an audit that
// moved meanwhile is done.
func dbErr(err error) error {
	if errors.Is(err, storage.ErrConflict) {
		return nil
	}
	return err
}
