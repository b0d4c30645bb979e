package bot

import (
	"fmt"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// enrollmentLookups bounds the issuer calls the processor makes at once.
const enrollmentLookups = 8

// maxQueuedLookups bounds the cardholders whose enrollment look-up is
// queued or under way; past it a buyer waits lookupsFullWait before
// asking again (her messages are left out of the batches meanwhile, as
// are those of every cardholder whose look-up is outstanding).
const (
	maxQueuedLookups = 4096
	lookupsFullWait  = time.Second
)

// lookupCollect is how long a finished look-up waits, by default, for the
// others under way before its message is decided (Options.LookupCollect),
// so that a burst of buyers is still decided in one commit when the
// issuer answers quickly, and never held back by a look-up that hangs.
const lookupCollect = 50 * time.Millisecond

// staleLookup is how long the answer to a look-up is kept for a message
// that the processor has not come back to (it was decided some other
// way: set aside, retried by an admin).
const staleLookup = time.Minute

// lookups runs the processor's enrollment look-ups in the background, so
// that a batch decides at once whatever needs no look-up, and a buy
// whose look-up hangs holds back only its own cardholder. One look-up per
// cardholder at a time, for her oldest message waiting for one: while it
// is outstanding her messages are left out of the batches, so that they
// keep their order. Safe for concurrent use.
type lookups struct {
	fetch   func(m storage.InboxMessage) (conversations.Enrollment, error)
	wake    func()          // wakes the processor
	stopped func() bool     // no new look-up starts once it is true
	wg      *sync.WaitGroup // counts the goroutines that run look-ups
	collect time.Duration   // how long an answer waits for the others under way

	mu          sync.Mutex
	byUser      map[int64]*lookup
	queue       []*lookup // not started yet, oldest first
	outstanding int       // look-ups queued or under way
	running     int       // goroutines running look-ups
	armed       bool      // a wake-up for finished look-ups is due
}

// newLookups returns an idle lookups that calls fetch for each look-up,
// wake when answers are in, and stops starting look-ups once stopped
// says so; wg counts its goroutines; an answer waits up to collect for
// the look-ups still under way.
func newLookups(fetch func(storage.InboxMessage) (conversations.Enrollment, error), wake func(), stopped func() bool, wg *sync.WaitGroup, collect time.Duration) *lookups {
	return &lookups{fetch: fetch, wake: wake, stopped: stopped, wg: wg, collect: collect, byUser: map[int64]*lookup{}}
}

// lookup is one cardholder's enrollment look-up, for one message.
type lookup struct {
	user, inboxID int64
	msg           storage.InboxMessage
	done          bool
	doneAt        time.Time
	enrollment    conversations.Enrollment
	err           error
}

// lookupState says where a message's look-up stands.
type lookupState int

const (
	lookupReady   lookupState = iota // answered (or failed): decide, or wait on the error
	lookupPending                    // queued or under way: the message waits
	lookupFull                       // too many outstanding: none was started
)

// result returns the answer to m's look-up when it is in, and forgets
// it; otherwise it starts one (unless one for m's cardholder is
// outstanding, or too many are) and says that m waits.
func (l *lookups) result(m storage.InboxMessage) (conversations.Enrollment, lookupState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lk, ok := l.byUser[m.UserID]; ok {
		switch {
		case !lk.done, l.collecting(lk):
			return conversations.Enrollment{}, lookupPending, nil
		case lk.inboxID == m.ID:
			delete(l.byUser, m.UserID)
			return lk.enrollment, lookupReady, lk.err
		}
		delete(l.byUser, m.UserID) // the answer for a message decided otherwise
	}
	if len(l.byUser) >= maxQueuedLookups {
		return conversations.Enrollment{}, lookupFull, nil
	}
	lk := &lookup{user: m.UserID, inboxID: m.ID, msg: m}
	l.byUser[m.UserID] = lk
	l.queue = append(l.queue, lk)
	l.outstanding++
	if l.running < enrollmentLookups {
		l.running++
		l.wg.Add(1)
		go l.run()
	}
	return conversations.Enrollment{}, lookupPending, nil
}

// collecting reports whether a finished look-up's answer still waits for
// the others under way (see lookupCollect). l.mu is held.
func (l *lookups) collecting(lk *lookup) bool {
	return lk.done && l.outstanding > 0 && time.Since(lk.doneAt) < l.collect
}

// waitingUsers returns the cardholders whose look-up is queued or under
// way, and forgets answers nobody came back for.
func (l *lookups) waitingUsers() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var users []int64
	for u, lk := range l.byUser {
		switch {
		case !lk.done:
			users = append(users, u)
		case time.Since(lk.doneAt) > staleLookup:
			delete(l.byUser, u)
		}
	}
	return users
}

// run makes the queued look-ups one after the other until none is left
// or the bot stops taking work.
func (l *lookups) run() {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		if len(l.queue) == 0 || l.stopped() {
			l.running--
			l.mu.Unlock()
			return
		}
		lk := l.queue[0]
		l.queue[0] = nil
		l.queue = l.queue[1:]
		l.mu.Unlock()

		e, err := l.safeFetch(lk.msg)

		l.mu.Lock()
		lk.enrollment, lk.err, lk.done, lk.doneAt = e, err, true, time.Now()
		l.outstanding--
		l.wakeLocked()
		l.mu.Unlock()
	}
}

// wakeLocked wakes the processor for the answers in: at once when no
// look-up is outstanding any more, else within lookupCollect.
func (l *lookups) wakeLocked() {
	if l.outstanding == 0 {
		l.wake()
		return
	}
	if l.armed {
		return
	}
	l.armed = true
	time.AfterFunc(l.collect, func() {
		l.mu.Lock()
		l.armed = false
		l.mu.Unlock()
		l.wake()
	})
}

// safeFetch looks the enrollment up, and returns an errPanic error when
// that panicked, so that the message is set aside rather than the daemon
// killed.
func (l *lookups) safeFetch(m storage.InboxMessage) (e conversations.Enrollment, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: enrollment look-up: %v", errPanic, r)
		}
	}()
	return l.fetch(m)
}
