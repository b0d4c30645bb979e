package bot

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// The kinds of charge attempt: a look-up of the order's purchases by its
// reference, and the purchase itself (a POST under the order's key).
const (
	attemptLookup   = "lookup"
	attemptPurchase = "purchase"
)

// chargeAttempt is one issuer call made for a charge, with its answer:
// what decideCharge decides from.
type chargeAttempt struct {
	Charge storage.Charge
	Kind   string // attemptLookup or attemptPurchase

	Found    []issuer.Purchase // a look-up's answer
	Purchase issuer.Purchase   // a purchase's answer
	Err      error             // the call's failure, nil when it answered

	Now time.Time
	// Backoff is the wait before the next attempt when the issuer named
	// none (drawn by the caller: it is jittered).
	Backoff time.Duration
}

// chargeAction is what follows an attempt.
type chargeAction int

const (
	// chargeSettle: record Outcome as final, and tell the cardholder
	// (unless it is Parked).
	chargeSettle chargeAction = iota
	// chargeDefer: the outcome is not known, or the issuer asked to be
	// asked later: record the attempt so and try again at RetryAt.
	chargeDefer
	// chargePurchase: the look-up found no purchase of the order's: record
	// it so, and ask for the purchase, under the order's same key.
	chargePurchase
	// chargeAwaitApproval: the purchase waits for the cardholder's
	// approval at the issuer: record so (telling the cardholder once),
	// and look it up again at RetryAt.
	chargeAwaitApproval
)

// approvalPoll is how often a purchase waiting for the cardholder's
// approval is looked up: the contract's at most once every 2 seconds.
const approvalPoll = 2 * time.Second

// chargeNext is what decideCharge decided: what to record of the attempt,
// and what to log about it.
type chargeNext struct {
	Action  chargeAction
	Outcome conversations.Outcome // chargeSettle
	// Detail is the attempt's note: the settled outcome's, or why the
	// outcome is not known.
	Detail string
	// AttemptOutcome, RetryAt, Wait and Err are for chargeDefer and
	// chargePurchase: how the attempt is recorded, when the charge is due
	// again, and (chargeDefer) why.
	AttemptOutcome string
	RetryAt        time.Time
	Wait           time.Duration
	Err            error
	// Pending is the purchase waiting for approval (chargeAwaitApproval).
	Pending issuer.Purchase
	// Notes are logged before the attempt is recorded.
	Notes []logNote
}

// logNote is a line to log, decided without logging it.
type logNote struct {
	Level slog.Level
	Msg   string
	Args  []any
}

// decideCharge decides what follows a charge attempt from the issuer's
// answer, without I/O: settle the order (paid, declined, failed, or
// parked for an operator), defer it until the issuer can say, or, after a
// look-up that found none of its purchases, ask for the purchase.
func decideCharge(a chargeAttempt) chargeNext {
	if a.Kind == attemptLookup {
		return afterLookup(a)
	}
	return afterPurchase(a)
}

// afterLookup decides what follows a look-up by the order's reference.
func afterLookup(a chargeAttempt) chargeNext {
	if a.Err != nil {
		return deferCharge(a, a.Err, nil)
	}
	c := a.Charge
	// Purchases under other references are not this order's, whatever
	// they say: left out, the answer may hold none, and the outcome is
	// settled as the contract says, by a POST with the order's same key.
	// Only while the issuer surely remembers that key, though: past that,
	// the look-up is all that keeps a second purchase from being made, and
	// this one answered outside its contract; the order waits.
	own, others := splitOwn(c.ID, a.Found)
	var notes []logNote
	if len(others) > 0 {
		notes = append(notes, otherReferencesNote(c.ID, others))
	}
	if len(a.Found) > 0 && len(own) == 0 && !a.Now.Before(c.ConfirmedAt.Add(keyRemembered)) {
		return deferCharge(a, errOthersOnly, notes)
	}
	approved, declined, more, mismatch := pickFound(purchaseRequest(c.Order), own)
	notes = append(notes, more...)
	switch {
	case mismatch != nil:
		return parkMismatch(mismatch, notes)
	case approved != nil:
		return settleCharge(conversations.Outcome{State: conversations.Paid, PurchaseID: approved.ID}, "found by reference", notes)
	case declined != nil:
		return settleCharge(conversations.Outcome{State: conversations.Declined, PurchaseID: declined.ID, DeclineCode: declined.DeclineCode}, "found by reference", notes)
	}
	if p, ok := pendingFound(own); ok {
		return awaitApproval(a, p, notes)
	}
	return chargeNext{Action: chargePurchase, AttemptOutcome: "none", Detail: "no purchase under the reference", RetryAt: a.Now, Notes: notes}
}

// pickFound returns the first approved and the first declined of an
// order's own purchases, with an alert when more than one is approved; or
// the mismatch of the first that is not the purchase asked for.
func pickFound(asked issuer.PurchaseRequest, own []issuer.Purchase) (approved, declined *issuer.Purchase, notes []logNote, mismatch error) {
	for i := range own {
		p := &own[i]
		if err := issuer.CheckPurchase(asked, *p); err != nil {
			return nil, nil, notes, err
		}
		switch p.Status {
		case issuer.PurchaseApproved:
			if approved != nil && approved.ID != p.ID {
				notes = append(notes, logNote{slog.LevelError, "ALERT: more than one approved purchase for one order",
					[]any{"purchase", p.ID, "other", approved.ID, "alert", "double_charge"}})
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
	return approved, declined, notes, nil
}

// afterPurchase decides what follows a purchase call.
func afterPurchase(a chargeAttempt) chargeNext {
	switch issuer.Outcome(a.Err) {
	case issuer.OK:
		p := a.Purchase
		if err := issuer.CheckPurchase(purchaseRequest(a.Charge.Order), p); err != nil {
			return parkMismatch(err, nil)
		}
		switch p.Status {
		case issuer.PurchaseApproved:
			return settleCharge(conversations.Outcome{State: conversations.Paid, PurchaseID: p.ID}, "approved", nil)
		case issuer.PurchaseDeclined:
			return settleCharge(conversations.Outcome{State: conversations.Declined, PurchaseID: p.ID, DeclineCode: p.DeclineCode}, "declined", nil)
		case issuer.PurchaseApprovalPending:
			return awaitApproval(a, p, nil)
		default:
			return deferCharge(a, errors.New("purchase status "+strconv.Quote(p.Status)), nil)
		}
	case issuer.Final:
		return afterFinal(a)
	case issuer.Bug:
		return settleCharge(conversations.Outcome{State: conversations.Parked}, a.Err.Error(), []logNote{{slog.LevelError,
			"ALERT: the issuer says this order's idempotency key was used for another request; order parked for an operator",
			[]any{"alert", "charge_parked", "err", a.Err}}})
	default: // Unknown, RetryLater
		return deferCharge(a, a.Err, nil)
	}
}

// afterFinal decides what follows a purchase the issuer refused for good.
func afterFinal(a chargeAttempt) chargeNext {
	err := a.Err
	var e *issuer.Error
	errors.As(err, &e)
	if e != nil && e.Code == issuer.CodeCardDeclined {
		id := ""
		if e.Purchase != nil {
			if err := issuer.CheckPurchase(purchaseRequest(a.Charge.Order), *e.Purchase); err != nil {
				return parkMismatch(err, nil)
			}
			id = e.Purchase.ID
		}
		return settleCharge(conversations.Outcome{State: conversations.Declined, PurchaseID: id, DeclineCode: e.DeclineCode}, "declined", nil)
	}
	if issuer.ApprovalUnsupported(err) {
		// Refused, never charged without the approval the rules asked for.
		next := settleCharge(conversations.Outcome{State: conversations.Failed}, "the issuer offers no approvals: "+err.Error(), []logNote{{slog.LevelError,
			"ALERT: the issuer refuses the cardholder approval the risk rules asked for; the purchase is refused, nothing charged",
			[]any{"alert", "approval_unsupported", "err", err}}})
		next.Err = err
		return next
	}
	if e == nil || e.Code != issuer.CodeInvalidRequest {
		// Not an answer the contract gives to a purchase (a proxy's
		// 404, a misrouted URL): nothing says the order is refused,
		// so it waits rather than fails.
		return deferCharge(a, err, []logNote{{slog.LevelError, "ISSUER ANSWERED OUTSIDE ITS CONTRACT: the charge waits and is retried with the same key",
			[]any{"err", err, "alert", "issuer_off_contract"}}})
	}
	return settleCharge(conversations.Outcome{State: conversations.Failed}, err.Error(), []logNote{{slog.LevelError,
		"issuer refused the charge for good; nothing charged", []any{"err", err}}})
}

// pendingFound returns the order's purchase that waits for approval.
func pendingFound(own []issuer.Purchase) (issuer.Purchase, bool) {
	for _, p := range own {
		if p.Status == issuer.PurchaseApprovalPending {
			return p, true
		}
	}
	return issuer.Purchase{}, false
}

// awaitApproval waits for the cardholder to approve purchase p: it is
// looked up again after approvalPoll, never asked for a second time.
func awaitApproval(a chargeAttempt, p issuer.Purchase, notes []logNote) chargeNext {
	return chargeNext{Action: chargeAwaitApproval, Pending: p, AttemptOutcome: "pending_approval", Detail: "waits for the cardholder's approval",
		RetryAt: a.Now.Add(approvalPoll), Wait: approvalPoll, Notes: notes}
}

func settleCharge(out conversations.Outcome, detail string, notes []logNote) chargeNext {
	return chargeNext{Action: chargeSettle, Outcome: out, Detail: detail, Notes: notes}
}

// parkMismatch parks an order whose purchase, as the issuer answered it,
// is not the one asked for: nothing is told to the cardholder, and the
// issuer's answer is kept on the order for an operator.
func parkMismatch(mismatch error, notes []logNote) chargeNext {
	notes = append(notes, logNote{slog.LevelError, "ALERT: the issuer's purchase does not match the order; order parked for an operator",
		[]any{"alert", "issuer_mismatch", "err", mismatch}})
	return settleCharge(conversations.Outcome{State: conversations.Parked}, "issuer_mismatch: "+mismatch.Error(), notes)
}

// deferCharge defers a charge whose attempt's outcome is not known, or
// that the issuer asked to repeat later (err says which), until the wait
// the issuer named or else the attempt's backoff.
func deferCharge(a chargeAttempt, err error, notes []logNote) chargeNext {
	wait := a.Backoff
	outcome := "unknown"
	var e *issuer.Error
	if errors.As(err, &e) {
		if e.RetryAfter > 0 {
			wait, outcome = e.RetryAfter, "retry_after"
		}
		if e.Code == issuer.CodeUnauthorized {
			notes = append(notes, logNote{slog.LevelError, "ISSUER REFUSES THE API KEY: charges wait until it is fixed",
				[]any{"err", err, "alert", "issuer_key_refused"}})
		}
	}
	return chargeNext{Action: chargeDefer, AttemptOutcome: outcome, Detail: err.Error(), RetryAt: a.Now.Add(wait), Wait: wait, Err: err, Notes: notes}
}

// keyRemembered is how long after an order's confirmation (before its
// key's first use) the issuer surely still remembers the key: the
// contract's 24 hours, less a margin for clocks.
const keyRemembered = 23 * time.Hour

// errOthersOnly says why an order waits: its look-up answered only other
// orders' purchases, and its key may be forgotten by now.
var errOthersOnly = errors.New("the issuer's look-up by reference answered only other references' purchases, and the order's key may be forgotten: not asking for the purchase again until a look-up answers for this reference")

// splitOwn returns the purchases of a look-up by reference ref that are
// under ref, and the others, each as "id (reference)". The contract
// answers only the former; an issuer that answers others too (a filter it
// ignored or mixed up) is answering outside it, which an operator must
// hear of, and the others must never be taken for this order's: neither
// as its charge, nor as a mismatch that parks it.
func splitOwn(ref string, found []issuer.Purchase) (own []issuer.Purchase, others []string) {
	own = make([]issuer.Purchase, 0, len(found))
	for _, p := range found {
		if p.Reference == ref {
			own = append(own, p)
			continue
		}
		others = append(others, p.ID+" ("+p.Reference+")")
	}
	return own, others
}

// otherReferencesNote is the alert for a look-up by ref that answered
// purchases under other references.
func otherReferencesNote(ref string, others []string) logNote {
	return logNote{slog.LevelError, "ALERT: the issuer answered a look-up by this order's reference with purchases under other references, outside its contract; they are ignored",
		[]any{"alert", "issuer_other_reference", "reference", ref, "others", others}}
}

// ownPurchases returns the purchases of a look-up by reference ref that
// are under ref, and logs the alert when there are others (see splitOwn).
func ownPurchases(log *slog.Logger, ref string, found []issuer.Purchase) []issuer.Purchase {
	own, others := splitOwn(ref, found)
	if len(others) > 0 {
		logNotes(log, []logNote{otherReferencesNote(ref, others)})
	}
	return own
}

func logNotes(log *slog.Logger, notes []logNote) {
	for _, n := range notes {
		log.Log(context.Background(), n.Level, n.Msg, n.Args...)
	}
}

func purchaseRequest(o conversations.Order) issuer.PurchaseRequest {
	// Built only from the order's own copy of its terms, so that every
	// retry sends the very same body under the same key.
	// The risk rules' outcome and signals are the order's own too,
	// stored when its confirmation was decided.
	meta := map[string]string{
		"offer":            o.OfferID,
		"twitter_user_id":  strconv.FormatInt(o.UserID, 10),
		"confirm_tweet_id": strconv.FormatInt(o.ConfirmMessageID, 10),
		"confirm_channel":  string(o.ConfirmChannel),
	}
	for k, v := range o.Risk.Signals {
		meta[k] = v
	}
	req := issuer.PurchaseRequest{
		Cardholder: o.Cardholder, Merchant: o.Merchant, Amount: o.Amount, Currency: o.Currency,
		Description: o.Title, Reference: o.ID, Metadata: meta,
	}
	if o.Risk.Approval {
		req.Approval = issuer.ApprovalRequired
		meta["risk"] = strings.Join(o.Risk.Reasons, ",")
	}
	return req
}
