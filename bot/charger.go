package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/backoff"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// chargeStore is what the charger needs of storage; *storage.DB is the
// real one.
type chargeStore interface {
	DueCharges(ctx context.Context, now time.Time, limit int) ([]storage.Charge, error)
	NextChargeAt(ctx context.Context) (time.Time, bool, error)
	StartCharges(ctx context.Context, kind string, retryAt map[string]time.Time) (map[string]int64, error)
	StartCharge(ctx context.Context, orderID, kind string, retryAt time.Time) (int64, error)
	SettleCharges(ctx context.Context, settled []storage.Settlement) (map[string]bool, error)
	Settle(ctx context.Context, s storage.Settlement) error
	DeferCharge(ctx context.Context, orderID string, attemptID int64, retryAt time.Time, outcome, detail string) error
	StartPurchase(ctx context.Context, orderID string, lookupAttempt int64, outcome, detail string, retryAt time.Time) (int64, error)
	AwaitApproval(ctx context.Context, orderID string, attemptID int64, purchaseID string, a conversations.Approval, retryAt time.Time, tell []conversations.Reply) error
	// Paused is true while an operator has paused charging: no purchase
	// is asked for; those already asked are settled as usual.
	Paused(ctx context.Context) (bool, error)
}

// pausedRecheck is how soon a charge held by the pause is tried again.
const pausedRecheck = 2 * time.Second

// errPaused says why a charge waits.
var errPaused = errors.New("charging is paused (paybytweet pause): no purchase is asked for until it resumes")

// purchaser is what the charger needs of the issuer.
type purchaser interface {
	CreatePurchase(ctx context.Context, idempotencyKey string, req issuer.PurchaseRequest) (issuer.Purchase, error)
	FindPurchases(ctx context.Context, reference string) ([]issuer.Purchase, error)
}

// charger makes the charge of each confirmed order, exactly once, and
// records its outcome with what the cardholder is told.
type charger struct{ chargerDeps }

// chargerDeps is what a charger is made of.
type chargerDeps struct {
	store chargeStore
	iss   purchaser
	now   func() time.Time
	log   *slog.Logger
	// settings gives the issuer's timeout, and the replies' texts and
	// privacy, as the last reload left them.
	settings func() *settings
	// work gives the context of the calls a step makes: cancelled when
	// work in flight is abandoned (the bot makes it when it opens).
	work func() context.Context
	// wakeSender is poked when a settled outcome queued replies.
	wakeSender chan<- struct{}
	// loop runs step: the charger's wake-up, idle pause and database
	// backoff.
	loop loop
}

// settling is the outcomes a step has learnt and not yet recorded.
type settling struct {
	mu   sync.Mutex
	outs []storage.Settlement
	logs map[string]*slog.Logger // by order id
}

func newChargerOf(d chargerDeps) *charger {
	d.log = d.log.With("component", "charger")
	return &charger{d}
}

// concurrentCharges bounds the issuer calls the charger has in flight at
// once, each for a different cardholder.
const concurrentCharges = 8

// Run makes the charges that are due until ctx ends.
func (ch *charger) Run(ctx context.Context) { ch.loop.run(ctx, ch.step) }

// step is stepIn under the work context.
func (ch *charger) step() (bool, time.Duration, error) { return ch.stepIn(ch.work()) }

// stepIn makes the charges of the oldest confirmed orders that are due,
// up to concurrentCharges at once and at most one per cardholder, so that
// a cardholder's receipts come in the order of their confirmations; ctx
// is the calls'. It returns an error only when the database failed.
func (ch *charger) stepIn(ctx context.Context) (bool, time.Duration, error) {
	now := ch.now()
	due, err := ch.store.DueCharges(ctx, now, 2*concurrentCharges)
	if err != nil {
		return false, 0, err
	}
	if len(due) == 0 {
		at, ok, err := ch.store.NextChargeAt(ctx)
		if err != nil || !ok {
			return false, 0, err
		}
		return false, at.Sub(now), nil
	}
	batch, fresh := pickCharges(due, now)
	// The first attempts (the look-ups before the first POST) are
	// recorded as begun in one commit, before any issuer call is made.
	started, err := ch.store.StartCharges(ctx, attemptLookup, fresh)
	if err != nil {
		return false, 0, fmt.Errorf("record charge attempts: %w", err)
	}
	settled := &settling{logs: map[string]*slog.Logger{}}
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
				errs[i] = ch.lookupThenPurchase(ctx, log, c, attempt, settled)
			} else {
				errs[i] = ch.charge(ctx, log, c, settled)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(append(errs, ch.recordSettled(ctx, settled))...); err != nil {
		return false, 0, err
	}
	return true, 0, nil
}

// pickCharges returns the charges of due to make now, at most one per
// cardholder and concurrentCharges in all, and when to retry each first
// attempt among them should it be interrupted.
func pickCharges(due []storage.Charge, now time.Time) ([]storage.Charge, map[string]time.Time) {
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
	return batch, fresh
}

// recordSettled records the outcomes of batch in one commit, and what
// follows from each; when that commit fails, each is recorded on its
// own. It returns an error when the database failed.
func (ch *charger) recordSettled(ctx context.Context, batch *settling) error {
	// Recorded even while shutting down: they are known now and would
	// otherwise cost lookups at the next start.
	gone, err := ch.store.SettleCharges(context.WithoutCancel(ctx), batch.outs)
	var errs []error
	for _, s := range batch.outs {
		log := batch.logs[s.OrderID]
		switch {
		case err != nil:
			errs = append(errs, ch.record(ctx, log, s))
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
func (ch *charger) charge(ctx context.Context, log *slog.Logger, c storage.Charge, batch *settling) error {
	attempt, err := ch.store.StartCharge(ctx, c.ID, attemptLookup, ch.now().Add(backoff.Wait(c.Attempts+1)))
	if errors.Is(err, storage.ErrConflict) {
		return nil // no longer confirmed: somebody else settled it
	}
	if err != nil {
		return fmt.Errorf("record lookup attempt: %w", err)
	}
	return ch.lookupThenPurchase(ctx, log, c, attempt, batch)
}

// lookupThenPurchase looks order c's purchase up by reference, under the
// look-up attempt recorded as begun, and asks for the purchase only when
// the issuer has none. It returns an error when the database failed.
func (ch *charger) lookupThenPurchase(ctx context.Context, log *slog.Logger, c storage.Charge, lookupAttempt int64, batch *settling) error {
	// Looked up before the first POST too: after a restore from a replica
	// (or on a second daemon's copy) an order with no attempt recorded may
	// have been charged under its derived id already.
	cctx, cancel := context.WithTimeout(ctx, ch.settings().cfg.Issuer.Timeout)
	found, err := ch.iss.FindPurchases(cctx, c.ID)
	cancel()
	next := decideCharge(chargeAttempt{Charge: c, Kind: attemptLookup, Found: found, Err: err, Now: ch.now(), Backoff: backoff.Wait(c.Attempts + 1)})
	if next.Action == chargePurchase {
		paused, err := ch.store.Paused(ctx)
		if err != nil {
			return fmt.Errorf("read the pause switch: %w", err)
		}
		if paused {
			next = chargeNext{Action: chargeDefer, AttemptOutcome: "paused", Detail: errPaused.Error(),
				RetryAt: ch.now().Add(pausedRecheck), Wait: pausedRecheck, Err: errPaused, Notes: next.Notes}
		}
	}
	if next.Action != chargePurchase {
		return ch.apply(ctx, log, c, lookupAttempt, next, batch)
	}
	// The look-up's outcome and the purchase attempt, in one commit.
	logNotes(log, next.Notes)
	attempt, err := ch.store.StartPurchase(context.WithoutCancel(ctx), c.ID, lookupAttempt, next.AttemptOutcome, next.Detail,
		ch.now().Add(backoff.Wait(c.Attempts+1)))
	if errors.Is(err, storage.ErrConflict) {
		return nil // no longer confirmed: somebody else settled it
	}
	if err != nil {
		return fmt.Errorf("record charge attempt: %w", err)
	}
	crashpoint.Hit(crashpoint.BeforeCharge)
	cctx, cancel = context.WithTimeout(ctx, ch.settings().cfg.Issuer.Timeout)
	p, err := ch.iss.CreatePurchase(cctx, c.IdempotencyKey, purchaseRequest(c.Order))
	cancel()
	crashpoint.Hit(crashpoint.AfterChargeResponse)
	next = decideCharge(chargeAttempt{Charge: c, Kind: attemptPurchase, Purchase: p, Err: err, Now: ch.now(), Backoff: backoff.Wait(c.Attempts + 1)})
	if keyReused(err) {
		next = ch.settleByReference(ctx, c, next)
	}
	return ch.apply(ctx, log, c, attempt, next, batch)
}

// keyReused reports a 422: the order's key was used with another body.
func keyReused(err error) bool {
	var e *issuer.Error
	return errors.As(err, &e) && e.Code == issuer.CodeIdempotencyKeyReused
}

// settleByReference looks order c's purchase up after a 422, which is
// never an outcome (conversation.md): a purchase of the order's found
// under its reference (made by a daemon whose record a restore lost,
// under terms decided anew since) settles it, or is waited for if its
// approval is pending. Only when none is found does parked stand, for
// an operator.
func (ch *charger) settleByReference(ctx context.Context, c storage.Charge, parked chargeNext) chargeNext {
	cctx, cancel := context.WithTimeout(ctx, ch.settings().cfg.Issuer.Timeout)
	found, err := ch.iss.FindPurchases(cctx, c.ID)
	cancel()
	if err != nil {
		return parked
	}
	next := decideCharge(chargeAttempt{Charge: c, Kind: attemptLookup, Found: found, Now: ch.now(), Backoff: backoff.Wait(c.Attempts + 1)})
	switch {
	case next.Action == chargeAwaitApproval:
		return next
	case next.Action == chargeSettle && next.Outcome.State != conversations.Parked:
		next.Detail = "settled by reference after a 422: " + next.Detail
		return next
	}
	return parked
}

// apply records what decideCharge decided of charge c's attempt, in one
// storage call (a settlement joins the step's batch); a purchase to ask
// for next is lookupThenPurchase's. It returns an error when the
// database failed.
func (ch *charger) apply(ctx context.Context, log *slog.Logger, c storage.Charge, attempt int64, next chargeNext, batch *settling) error {
	logNotes(log, next.Notes)
	// Recorded even while shutting down: what the issuer said is known
	// now and would otherwise cost a look-up at the next start.
	ctx = context.WithoutCancel(ctx)
	switch next.Action {
	case chargeSettle:
		if issuer.ApprovalUnsupported(next.Err) {
			// Refused, as the rules would have: never charged without.
			st := ch.settings()
			ch.add(log, storage.Settlement{OrderID: c.ID, AttemptID: attempt, Outcome: next.Outcome, Detail: next.Detail,
				Replies:             []conversations.Reply{conversations.RefusedReply(st.messages, st.cfg.Privacy, c.Order, st.cfg.Issuer.EnrollURL)},
				ApprovalUnsupported: true}, batch)
			return nil
		}
		ch.settle(log, c, attempt, next.Outcome, next.Detail, batch)
		return nil
	case chargeAwaitApproval:
		return ch.awaitApproval(ctx, log, c, attempt, next)
	default: // chargeDefer
		if err := ch.store.DeferCharge(ctx, c.ID, attempt, next.RetryAt, next.AttemptOutcome, next.Detail); err != nil {
			return fmt.Errorf("record deferred charge: %w", err)
		}
		if errors.Is(next.Err, errPaused) {
			log.Info("charge held: charging is paused", "retry_in", next.Wait.String())
			return nil
		}
		log.Warn("charge outcome not known yet; will settle it with the same key", "retry_in", next.Wait.String(), "err", next.Err)
		return nil
	}
}

// awaitApproval records that charge c's purchase waits for the
// cardholder's approval, telling them so the first time.
func (ch *charger) awaitApproval(ctx context.Context, log *slog.Logger, c storage.Charge, attempt int64, next chargeNext) error {
	p := next.Pending
	a := conversations.Approval{Status: conversations.ApprovalPending, Channel: p.Approval.Channel, Expires: p.Approval.Expires}
	var tell []conversations.Reply
	if !c.Approval.Told {
		st := ch.settings()
		tell = []conversations.Reply{conversations.ApprovalPendingReply(st.messages, st.cfg.Privacy, c.Order, a.Channel, a.Expires)}
		log.Info("the purchase waits for the cardholder's approval", "purchase", p.ID, "channel", a.Channel, "expires", a.Expires, "asked_by_bot", c.Risk.Approval)
	}
	err := ch.store.AwaitApproval(ctx, c.ID, attempt, p.ID, a, next.RetryAt, tell)
	if errors.Is(err, storage.ErrConflict) {
		return nil // no longer confirmed: somebody else settled it
	}
	if err != nil {
		return fmt.Errorf("record pending approval: %w", err)
	}
	if len(tell) > 0 {
		poke(ch.wakeSender)
	}
	return nil
}

// settle adds a final outcome, and what the cardholder is told of it, to
// the step's batch.
func (ch *charger) settle(log *slog.Logger, c storage.Charge, attempt int64, out conversations.Outcome, detail string, batch *settling) {
	st := ch.settings()
	var replies []conversations.Reply
	if out.State != conversations.Parked {
		replies = conversations.OutcomeReplies(st.messages, st.cfg.Privacy, c.Order, out)
	}
	ch.add(log, storage.Settlement{OrderID: c.ID, AttemptID: attempt, Outcome: out, Detail: detail, Replies: replies}, batch)
}

// add adds a final outcome to the step's batch.
func (ch *charger) add(log *slog.Logger, s storage.Settlement, batch *settling) {
	batch.mu.Lock()
	batch.outs = append(batch.outs, s)
	batch.logs[s.OrderID] = log
	batch.mu.Unlock()
}

// record records one outcome on its own. It returns an error when the
// database failed.
func (ch *charger) record(ctx context.Context, log *slog.Logger, s storage.Settlement) error {
	// The outcome is recorded even while shutting down: it is known now
	// and would otherwise cost a lookup at the next start.
	if err := ch.store.Settle(context.WithoutCancel(ctx), s); err != nil {
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
	poke(ch.wakeSender)
}
