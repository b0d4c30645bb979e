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
	"github.com/paybytweet/paybytweet/twitterapi"
)

// processStore is what the processor needs of storage; *storage.DB is
// the real one.
type processStore interface {
	NextInboxBatch(ctx context.Context, limits map[conversations.Channel]int64, skip []int64, now time.Time, n int) ([]storage.InboxMessage, error)
	ProcessBatch(ctx context.Context, items []storage.BatchItem, now time.Time) ([]storage.BatchResult, error)
	InboxFailed(ctx context.Context, id int64, why string, retryAt time.Time, final bool) error
}

// accountStore is what the processor needs of storage to learn a
// buyer's account once; *storage.DB is the real one.
type accountStore interface {
	Account(ctx context.Context, userID int64) (storage.Account, bool, error)
	SeeAccount(ctx context.Context, s storage.AccountSighting) (storage.Account, error)
}

// enroller is what the processor needs of the issuer.
type enroller interface {
	Enrollment(ctx context.Context, twitterUserID int64) (issuer.Enrollment, error)
}

// processor decides about each stored message, oldest first, and commits
// each decision with what it makes happen (orders, replies, charges). Its
// maps are used by its own goroutine only; lookups is shared with the
// goroutines that make the issuer calls.
type processor struct {
	processorDeps
	lookups *lookups

	waiting      map[int64]time.Time // cardholders whose messages wait, and until when (wall clock)
	horizonWaits map[int64]time.Time // buys waiting for the expiry horizon, since when
	lastPoke     time.Time           // when the processor last started polls
}

// processorDeps is what a processor is made of.
type processorDeps struct {
	store    processStore
	iss      enroller
	progress pollProgress  // how far the polls have read
	holds    *restoreHolds // the restore guard's: a message it holds up waits
	// settings gives the offers, the replies' texts, the windows and the
	// issuer's timeout, as the last reload left them.
	settings func() *settings
	now      func() time.Time
	log      *slog.Logger
	// work gives the context of the step's calls: cancelled when work in
	// flight is abandoned (the bot makes it when it opens).
	work func() context.Context
	// stopped reports that the bot takes no more work: look-ups are not
	// started then.
	stopped func() bool
	// wg counts the goroutines the processor starts (look-ups, polls),
	// which the bot waits for when it closes.
	wg *sync.WaitGroup
	// botID is the bot's own user id, 0 until known: its own messages are
	// not acted on.
	botID func() int64
	// inheritedBefore: a message posted before it may have been decided
	// by a daemon before this one (set when the bot opens).
	inheritedBefore func() time.Time
	// limit is what the API last said of a list's budget, and pollMentions
	// and pollDMs poll a channel now: a buy waiting for the horizon starts
	// polls (see pokePolls).
	limit                 func(twitterapi.Call) (twitterapi.RateLimit, bool)
	pollMentions, pollDMs func()
	// users looks an account up on Twitter, for a buy that came without
	// its author's account age (a v1.1 DM); accounts keeps the answer.
	users    func(id int64) (twitterapi.User, error)
	accounts accountStore
	// wake pokes the other workers when a decision gives them work, and
	// the processor itself when a look-up is in.
	wake processorWakes
	// loop runs step: the processor's wake-up, idle pause and database
	// backoff.
	loop loop

	maxAge          time.Duration // Options.MaxAge
	messageAttempts int           // Options.MessageAttempts
	lookupCollect   time.Duration // Options.LookupCollect
}

// processorWakes are the wake-ups a processor gives.
type processorWakes struct{ processor, sender, charger, auditor func() }

func newProcessorOf(d processorDeps) *processor {
	d.log = d.log.With("component", "processor")
	p := &processor{processorDeps: d, waiting: map[int64]time.Time{}, horizonWaits: map[int64]time.Time{}}
	p.lookups = newLookups(
		func(m storage.InboxMessage) (conversations.Enrollment, error) {
			p.learnAuthor(d.work(), m)
			return p.enrollment(d.work(), m.UserID)
		},
		d.wake.processor, d.stopped, d.wg, d.lookupCollect)
	return p
}

// Run decides about the stored messages until ctx ends.
func (p *processor) Run(ctx context.Context) { p.loop.run(ctx, p.step) }

// step decides about the oldest messages that may go now: a run of
// consecutive messages of different cardholders (at most
// storage.MaxBatch), decided one after the other and committed together,
// so that a burst of buyers costs one fsync per batch rather than one per
// message. A message whose decision cannot be made yet (its enrollment
// look-up is under way or failed, a request's outcome is not known)
// waits, and so do its cardholder's later ones, but nobody else's; one
// whose processing fails is tried again with a growing backoff and after
// MessageAttempts is set aside as failed, holding back nobody else. It returns an error only when the database
// failed.
func (p *processor) step() (bool, time.Duration, error) {
	ctx := p.work()
	limits, horizon, err := p.progress.inboxLimits(ctx, p.now)
	if err != nil {
		return false, 0, fmt.Errorf("read poll cursors: %w", err)
	}
	// Waiting is for work in flight elsewhere, so it is measured on the
	// wall clock, not the business clock (which tests hold still).
	wall := time.Now()
	skip, nextWake := p.waitingUsers(wall)
	skip = append(skip, p.lookups.waitingUsers()...)
	msgs, err := p.store.NextInboxBatch(ctx, limits, skip, wall, storage.MaxBatch)
	if err != nil {
		return false, 0, err
	}
	if len(msgs) == 0 {
		return false, nextWake, nil
	}
	return true, 0, p.processBatch(ctx, msgs, horizon)
}

// processBatch decides about msgs (of different cardholders) and records
// the decisions in one commit. A message that needs the cardholder's
// enrollment is decided once the issuer has answered the look-up, which
// runs in the background (see lookups): until then it waits, and so do
// its cardholder's later messages, but nobody else's. It returns an error
// only when the database failed.
func (p *processor) processBatch(ctx context.Context, msgs []storage.InboxMessage, horizon time.Time) error {
	now := p.now()
	st := p.settings()
	var items []storage.BatchItem
	for _, m := range msgs {
		it, ok, err := p.prepare(ctx, m, st, now, horizon)
		if err != nil {
			return err
		}
		if ok {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil
	}
	results, err := p.store.ProcessBatch(ctx, items, now)
	if err != nil {
		return p.batchFailed(ctx, items, err)
	}
	crashpoint.Hit(crashpoint.AfterProcess)
	return p.recordResults(ctx, items, results)
}

// prepare returns the batch item that decides m, or false when m waits:
// for its enrollment look-up, or after it failed. It returns an error only
// when the database failed.
func (p *processor) prepare(ctx context.Context, m storage.InboxMessage, st *settings, now, horizon time.Time) (storage.BatchItem, bool, error) {
	var intent conversations.Intent
	var enrollment conversations.Enrollment
	skip := p.skipReason(m, now)
	if skip == "" {
		var err error
		if intent, err = classify(m, st.catalog); err != nil {
			return storage.BatchItem{}, false, p.failed(ctx, m, err)
		}
		if intent.NeedsEnrollment() {
			var ok bool
			if enrollment, ok, err = p.enrollmentFor(m); !ok {
				return storage.BatchItem{}, false, err
			}
		}
	}
	// Requests whose window closed before this message was posted are
	// released first, so that a buyer arriving after a window closed can
	// have the unit: but only up to the horizon, before which every
	// message of both channels is read, so that a confirmation sent in
	// time by the other channel is never beaten to it.
	expiry := conversations.ExpiryBounds{Before: minTime(m.PostedAt, now, horizon), Hard: now.Add(-maxPollStall)}
	return storage.BatchItem{Msg: m, Skip: skip, Expiry: expiry, Decide: p.decider(m, st, now, intent, enrollment)}, true, nil
}

// enrollmentFor returns the answer to the look-up of m's cardholder's
// enrollment, or false when m waits: the look-up is outstanding (it is
// started if need be), too many are, or it failed (her messages then wait
// a little before it is tried again; one that panicked is set aside).
// It returns an error only when the database failed.
func (p *processor) enrollmentFor(m storage.InboxMessage) (conversations.Enrollment, bool, error) {
	e, state, err := p.lookups.result(m)
	switch {
	case state == lookupPending:
		return e, false, nil
	case state == lookupFull:
		p.wait(m.UserID, time.Now().Add(lookupsFullWait))
		return e, false, nil
	case errors.Is(err, errPanic):
		return e, false, p.failed(p.work(), m, err)
	case err != nil:
		p.log.Warn("issuer enrollment lookup failed; this cardholder's messages wait", "channel", m.Channel, "message_id", m.Inbound.ID, "user_id", m.UserID, "err", err)
		p.wait(m.UserID, time.Now().Add(2*time.Second))
		return e, false, nil
	}
	return e, true, nil
}

// decider returns the decision of message m, made in the batch's
// transaction on the history read there; a panic is returned as an errPanic
// error.
func (p *processor) decider(m storage.InboxMessage, st *settings, now time.Time, intent conversations.Intent, enrollment conversations.Enrollment) func(conversations.History) (conversations.Decision, error) {
	cfg := st.cfg
	mayWait := p.mayWaitForHorizon(m.ID)
	return func(h conversations.History) (d conversations.Decision, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: %v", errPanic, r)
			}
		}()
		if p.holds.holdsUp(m, intent, h.Orders) {
			return conversations.Decision{Wait: waitRestore}, nil
		}
		return conversations.Decide(conversations.Situation{
			Now: now, Catalog: st.catalog, Messages: st.messages, Privacy: cfg.Privacy,
			Window: cfg.Confirmation.Window, EnrollURL: cfg.Issuer.EnrollURL, Risk: st.risk,
			Enrollment: enrollment, History: h, MayWaitForHorizon: mayWait,
			NewOrderID: orderIDFor(m.Channel, m.Inbound.ID, intent.Offer.ID),
			Inherited:  m.PostedAt.Before(p.inheritedBefore()),
		}, m.Inbound, intent), nil
	}
}

// batchFailed handles a batch whose commit failed with err: nothing was
// recorded; each message is counted as failed, unless the bot is
// shutting down or the database refuses work (then err is returned).
func (p *processor) batchFailed(ctx context.Context, items []storage.BatchItem, err error) error {
	switch {
	case p.work().Err() != nil:
		return nil // shutting down: the messages stay as they were
	case storage.Unavailable(err):
		return err
	}
	for _, it := range items {
		if err := p.failed(ctx, it.Msg, err); err != nil {
			return err
		}
	}
	return nil
}

// recordResults sets off what each committed decision makes happen, and
// counts the messages whose decision failed. It returns an error only
// when the database failed.
func (p *processor) recordResults(ctx context.Context, items []storage.BatchItem, results []storage.BatchResult) error {
	for i, r := range results {
		m := items[i].Msg
		if r.Err != nil {
			if p.work().Err() != nil {
				return nil
			}
			if err := p.failed(ctx, m, r.Err); err != nil {
				return err
			}
			continue
		}
		if why := items[i].Skip; why != "" {
			p.log.Info("message not acted on", "channel", m.Channel, "message_id", m.Inbound.ID, "user_id", m.UserID, "why", why)
			continue
		}
		p.decided(m, r.Decision)
	}
	return nil
}

// errPanic marks a message whose processing panicked: it is set aside
// like one whose processing failed, and holds back nobody else.
var errPanic = errors.New("panic")

// classify reads what message m asks for, and returns an errPanic error
// when that panicked.
func classify(m storage.InboxMessage, catalog *conversations.Catalog) (intent conversations.Intent, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	return conversations.Classify(m.Inbound, catalog), nil
}

// decided logs a decision about m and sets off what it makes happen: the
// sender for its replies, the charger for a confirmation, or the wait it
// asked for.
func (p *processor) decided(m storage.InboxMessage, d conversations.Decision) {
	log := p.log.With("channel", m.Channel, "message_id", m.Inbound.ID, "user_id", m.UserID)
	switch d.Wait {
	case conversations.NoWait:
	case conversations.WaitHorizon:
		log.Info("waiting: units whose window closed may be released once both channels are read up to now")
		if _, ok := p.horizonWaits[m.ID]; !ok {
			p.horizonWaits[m.ID] = time.Now()
		}
		p.pokePolls()
		p.wait(m.UserID, time.Now().Add(500*time.Millisecond))
		return
	default:
		log.Info("waiting: a reply this message may answer is being sent, and its outcome is not known yet", "wait", d.Wait)
		p.wait(m.UserID, time.Now().Add(500*time.Millisecond))
		return
	}
	delete(p.horizonWaits, m.ID)
	log.Info("processed", "action", d.Action, "replies", len(d.Replies))
	if len(d.Replies) > 0 {
		p.wake.sender()
	}
	if len(d.Transitions) > 0 {
		p.wake.charger()
		p.wake.auditor()
	}
}

// failed records that processing m failed with cause: its cardholder's
// messages wait a growing backoff, and after MessageAttempts it is set
// aside with an ALERT. It returns an error when that cannot be recorded.
func (p *processor) failed(ctx context.Context, m storage.InboxMessage, cause error) error {
	attempt := m.Attempts + 1
	final := attempt >= p.messageAttempts
	wait := backoff.Wait(attempt)
	if err := p.store.InboxFailed(context.WithoutCancel(ctx), m.ID, cause.Error(), time.Now().Add(wait), final); err != nil {
		return err
	}
	log := p.log.With("inbox_id", m.ID, "channel", m.Channel, "message_id", m.Inbound.ID, "user_id", m.UserID, "attempts", attempt)
	if final {
		delete(p.horizonWaits, m.ID)
		log.Error("ALERT: a message failed to process too often and is set aside; the cardholder's other messages go on (paybytweet inbox -state failed; inbox retry ID)",
			"alert", "inbox_failed", "err", cause)
		return nil
	}
	log.Warn("processing a message failed; this cardholder's messages wait, the others go on", "retry_in", wait.String(), "err", cause)
	return nil
}

// wait puts a cardholder's messages off until at.
func (p *processor) wait(user int64, at time.Time) { p.waiting[user] = at }

// waitingUsers returns the cardholders whose messages wait now, and how
// long until the first of them may go again.
func (p *processor) waitingUsers(now time.Time) ([]int64, time.Duration) {
	var users []int64
	var next time.Duration
	for u, at := range p.waiting {
		if !now.Before(at) {
			delete(p.waiting, u)
			continue
		}
		users = append(users, u)
		if d := at.Sub(now); next == 0 || d < next {
			next = d
		}
	}
	return users, next
}

// skipReason says why a stored message is not acted on, or "".
func (p *processor) skipReason(m storage.InboxMessage, now time.Time) string {
	if id := p.botID(); id != 0 && m.UserID == id {
		return "the bot's own message"
	}
	if now.Sub(m.PostedAt) > p.maxAge {
		return "older than " + p.maxAge.String()
	}
	return ""
}

// mayWaitForHorizon reports whether a buy may still wait for the expiry
// horizon to pass the windows that closed before it: for at most
// maxHorizonWait of wall time from its first wait, after which it is
// decided on what is known.
func (p *processor) mayWaitForHorizon(inboxID int64) bool {
	first, ok := p.horizonWaits[inboxID]
	return !ok || time.Since(first) < maxHorizonWait
}

// maxHorizonWait bounds how long a buy waits for both channels to be read
// (a DM poll that keeps failing must not hold a buyer for ever).
const maxHorizonWait = 30 * time.Second

// pokePolls starts a poll of both channels now, so that the horizon
// catches up with a waiting buyer: at most every pokeEvery, and only a
// channel with budget to spare beyond what its schedule and the sender
// need, so that waiting buyers never starve the DM list.
func (p *processor) pokePolls() {
	if time.Since(p.lastPoke) < pokeEvery {
		return
	}
	p.lastPoke = time.Now()
	spare := func(call twitterapi.Call, keep int) bool {
		l, ok := p.limit(call)
		return !ok || l.Remaining > keep || !p.now().Before(l.Reset)
	}
	dms, mentions := spare(twitterapi.CallDMList, pokeReserve), spare(twitterapi.CallMentions, pokeReserve)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if dms {
			p.pollDMs()
		}
		if mentions {
			p.pollMentions()
		}
	}()
}

// pokeEvery and pokeReserve pace the polls a waiting buyer asks for: one
// every few seconds, and none that would leave a channel fewer calls than
// its schedule and the sender's searches need.
const (
	pokeEvery   = 5 * time.Second
	pokeReserve = 5
)

func minTime(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.IsZero() {
			return time.Time{}
		}
		if out.IsZero() || t.Before(out) {
			out = t
		}
	}
	return out
}

// enrollment asks the issuer whether the user has a card linked. It
// returns an error only when the answer is not known.
func (p *processor) enrollment(ctx context.Context, userID int64) (conversations.Enrollment, error) {
	ctx, cancel := context.WithTimeout(ctx, p.settings().cfg.Issuer.Timeout)
	defer cancel()
	e, err := p.iss.Enrollment(ctx, userID)
	if err != nil {
		var ie *issuer.Error
		if errors.As(err, &ie) && ie.Code == issuer.CodeNotEnrolled {
			return conversations.Enrollment{}, nil // told how to link a card
		}
		// Anything else (a misrouted URL's 404, a bad key) says nothing
		// about the cardholder: the buy waits rather than tell them to
		// link a card they have linked.
		return conversations.Enrollment{}, err
	}
	return conversations.Enrollment{Enrolled: true, Active: e.Active(), Cardholder: e.Cardholder, CardLast4: e.CardLast4}, nil
}

// learnAuthor looks up, once, the account of a buyer whose message came
// without its age (a v1.1 DM carries no user), so that the risk rules
// know it; the answer is kept as a sighting. A failed look-up (the
// budget spent, Twitter down) only leaves the age unknown: the buy is
// never held back for it.
func (p *processor) learnAuthor(ctx context.Context, m storage.InboxMessage) {
	if p.users == nil || p.accounts == nil || !m.Author.CreatedAt.IsZero() {
		return
	}
	acc, found, err := p.accounts.Account(ctx, m.UserID)
	if err != nil || (found && (!acc.CreatedAt.IsZero() || !acc.LookedUpAt.IsZero())) {
		return
	}
	u, err := p.users(m.UserID)
	if err != nil {
		p.log.Warn("could not look the buyer's account up; the risk rules go without its age", "user_id", m.UserID, "err", err)
		return
	}
	sighting := storage.AccountSighting{UserID: m.UserID, Username: u.ScreenName, CreatedAt: u.CreatedAt, LookedUp: true, At: p.now()}
	if u.Automated.Known() {
		yes := u.Automated == twitterapi.AutomatedYes
		sighting.Automated = &yes
	}
	if _, err := p.accounts.SeeAccount(ctx, sighting); err != nil {
		p.log.Warn("could not keep the buyer's account", "user_id", m.UserID, "err", err)
	}
}
