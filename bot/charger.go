package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/backoff"
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

	// settling collects the outcomes of a step's charges, to record them
	// in one commit; set by step while its charges run, nil otherwise.
	settling *settling
}

// settling is the outcomes a step has learnt and not yet recorded.
type settling struct {
	mu   sync.Mutex
	outs []storage.Settlement
	logs map[string]*slog.Logger // by order id
}

func newCharger(b *Bot) *charger { return &charger{b: b, log: b.log.With("component", "charger")} }

// concurrentCharges bounds the issuer calls the charger has in flight at
// once, each for a different cardholder.
const concurrentCharges = 8

// step makes the charges of the oldest confirmed orders that are due, up
// to concurrentCharges at once and at most one per cardholder, so that a
// cardholder's receipts come in the order of their confirmations. It
// returns an error only when the database failed.
func (ch *charger) step() (bool, time.Duration, error) {
	b := ch.b
	ctx := b.work
	now := b.now()
	due, err := b.db.DueCharges(ctx, now, 2*concurrentCharges)
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
	seen := map[int64]bool{}
	var batch []storage.Charge
	fresh := map[string]time.Time{}
	for _, c := range due {
		if seen[c.UserID] || len(seen) == concurrentCharges {
			continue
		}
		seen[c.UserID] = true
		batch = append(batch, c)
		if c.Attempts == 0 {
			fresh[c.ID] = now.Add(backoff.Wait(1))
		}
	}
	// The first attempts (the look-ups before the first POST) are
	// recorded as begun in one commit, before any issuer call is made.
	started, err := b.db.StartCharges(ctx, "lookup", fresh)
	if err != nil {
		return false, 0, fmt.Errorf("record charge attempts: %w", err)
	}
	ch.settling = &settling{logs: map[string]*slog.Logger{}}
	defer func() { ch.settling = nil }()
	var wg sync.WaitGroup
	errs := make([]error, len(batch))
	for i, c := range batch {
		attempt, ok := started[c.ID]
		if c.Attempts == 0 && !ok {
			continue // no longer confirmed: somebody else settled it
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := ch.log.With("order", c.ID)
			if ok {
				errs[i] = ch.lookupThenPurchase(ctx, log, c, attempt)
			} else {
				errs[i] = ch.charge(ctx, log, c)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(append(errs, ch.recordSettled(ch.settling))...); err != nil {
		return false, 0, err
	}
	return true, 0, nil
}

// recordSettled records the outcomes of batch in one commit, and what
// follows from each; when that commit fails, each is recorded on its
// own. It returns an error when the database failed.
func (ch *charger) recordSettled(batch *settling) error {
	b := ch.b
	// Recorded even while shutting down: they are known now and would
	// otherwise cost lookups at the next start.
	gone, err := b.db.SettleCharges(context.WithoutCancel(b.work), batch.outs)
	var errs []error
	for _, s := range batch.outs {
		log := batch.logs[s.OrderID]
		switch {
		case err != nil:
			errs = append(errs, ch.record(log, s))
		case gone[s.OrderID]:
			log.Warn("order no longer confirmed; its outcome is not recorded twice", "outcome", s.Outcome.State)
		default:
			ch.settled(log, s)
		}
	}
	return errors.Join(errs...)
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
	attempt, err := ch.b.db.StartCharge(ctx, c.ID, "lookup", ch.b.now().Add(backoff.Wait(c.Attempts+1)))
	if errors.Is(err, storage.ErrConflict) {
		return nil // no longer confirmed: somebody else settled it
	}
	if err != nil {
		return fmt.Errorf("record lookup attempt: %w", err)
	}
	return ch.lookupThenPurchase(ctx, log, c, attempt)
}

// lookupThenPurchase looks order c's purchase up by reference, under the
// look-up attempt recorded as begun, and asks for the purchase only when
// the issuer has none. It returns an error when the database failed.
func (ch *charger) lookupThenPurchase(ctx context.Context, log *slog.Logger, c storage.Charge, lookupAttempt int64) error {
	b := ch.b
	// Looked up before the first POST too: after a restore from a replica
	// (or on a second daemon's copy) an order with no attempt recorded may
	// have been charged under its derived id already.
	if done, err := ch.lookup(ctx, log, c, lookupAttempt); err != nil || done {
		return err
	}
	attempt, err := b.db.StartCharge(ctx, c.ID, "purchase", b.now().Add(backoff.Wait(c.Attempts+1)))
	if errors.Is(err, storage.ErrConflict) {
		return nil // no longer confirmed: somebody else settled it
	}
	if err != nil {
		return fmt.Errorf("record charge attempt: %w", err)
	}
	return ch.purchase(ctx, log, c, attempt)
}

// purchase asks the issuer for order c's purchase, whose attempt is
// recorded as begun, and settles what came of it. It returns an error
// when the database failed.
func (ch *charger) purchase(ctx context.Context, log *slog.Logger, c storage.Charge, attempt int64) error {
	b := ch.b
	crashpoint.Hit(crashpoint.BeforeCharge)
	cctx, cancel := context.WithTimeout(ctx, b.settings().cfg.Issuer.Timeout)
	p, err := b.iss.CreatePurchase(cctx, c.IdempotencyKey, purchaseRequest(c.Order))
	cancel()
	crashpoint.Hit(crashpoint.AfterChargeResponse)
	return ch.settlePurchase(log, c, attempt, p, err)
}

// lookup settles an order from the purchases the issuer has under its
// reference, under a look-up attempt recorded as begun. It returns true
// when nothing more is to be done now: the order is settled, or the
// issuer could not say (the order then waits); and an error when the
// database failed.
func (ch *charger) lookup(ctx context.Context, log *slog.Logger, c storage.Charge, attempt int64) (bool, error) {
	b := ch.b
	cctx, cancel := context.WithTimeout(ctx, b.settings().cfg.Issuer.Timeout)
	found, err := b.iss.FindPurchases(cctx, c.ID)
	cancel()
	if err != nil {
		return true, ch.deferCharge(log, c, attempt, err)
	}
	// Purchases under other references are not this order's, whatever
	// they say: left out, the answer may hold none, and the outcome is
	// settled as the contract says, by a POST with the order's same key.
	// Only while the issuer surely remembers that key, though: past that,
	// the look-up is all that keeps a second purchase from being made, and
	// this one answered outside its contract; the order waits.
	all := len(found)
	found = ownPurchases(log, c.ID, found)
	if all > 0 && len(found) == 0 && !b.now().Before(c.ConfirmedAt.Add(keyRemembered)) {
		return true, ch.deferCharge(log, c, attempt, errOthersOnly)
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

// keyRemembered is how long after an order's confirmation (before its
// key's first use) the issuer surely still remembers the key: the
// contract's 24 hours, less a margin for clocks.
const keyRemembered = 23 * time.Hour

// errOthersOnly says why an order waits: its look-up answered only other
// orders' purchases, and its key may be forgotten by now.
var errOthersOnly = errors.New("the issuer's look-up by reference answered only other references' purchases, and the order's key may be forgotten: not asking for the purchase again until a look-up answers for this reference")

// ownPurchases returns the purchases of a look-up by reference ref that
// are under ref. The contract answers only those; an issuer that answers
// others too (a filter it ignored or mixed up) is answering outside it,
// which an operator must hear of, and the others must never be taken for
// this order's: neither as its charge, nor as a mismatch that parks it.
func ownPurchases(log *slog.Logger, ref string, found []issuer.Purchase) []issuer.Purchase {
	own := make([]issuer.Purchase, 0, len(found))
	var others []string
	for _, p := range found {
		if p.Reference == ref {
			own = append(own, p)
			continue
		}
		others = append(others, p.ID+" ("+p.Reference+")")
	}
	if len(others) > 0 {
		log.Error("ALERT: the issuer answered a look-up by this order's reference with purchases under other references, outside its contract; they are ignored",
			"alert", "issuer_other_reference", "reference", ref, "others", others)
	}
	return own
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
	s := storage.Settlement{OrderID: c.ID, AttemptID: attempt, Outcome: out, Detail: detail, Replies: replies}
	if batch := ch.settling; batch != nil {
		batch.mu.Lock()
		batch.outs = append(batch.outs, s)
		batch.logs[c.ID] = log
		batch.mu.Unlock()
		return nil
	}
	return ch.record(log, s)
}

// record records one outcome on its own. It returns an error when the
// database failed.
func (ch *charger) record(log *slog.Logger, s storage.Settlement) error {
	// The outcome is recorded even while shutting down: it is known now
	// and would otherwise cost a lookup at the next start.
	if err := ch.b.db.SettleCharge(context.WithoutCancel(ch.b.work), s.OrderID, s.AttemptID, s.Outcome, s.Detail, s.Replies); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			log.Warn("order no longer confirmed; its outcome is not recorded twice", "outcome", s.Outcome.State, "err", err)
			return nil
		}
		return fmt.Errorf("record charge outcome %s: %w", s.Outcome.State, err)
	}
	ch.settled(log, s)
	return nil
}

// settled is what follows an outcome's record.
func (ch *charger) settled(log *slog.Logger, s storage.Settlement) {
	crashpoint.Hit(crashpoint.AfterChargeSettled)
	log.Info("charge settled", "outcome", s.Outcome.State, "purchase", s.Outcome.PurchaseID, "decline_code", s.Outcome.DeclineCode)
	ch.b.wake(ch.b.wakeSender)
}

// deferCharge records an attempt whose outcome is not known, or that the
// issuer asked to repeat later, and when to try again. It returns an error
// when the database failed.
func (ch *charger) deferCharge(log *slog.Logger, c storage.Charge, attempt int64, err error) error {
	b := ch.b
	wait := backoff.Wait(c.Attempts + 1)
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
