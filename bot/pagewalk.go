package bot

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// streamCursor is where the poll of one channel (mentions or DMs) is.
// Every message with an id up to Stored is in the inbox. A poll walks
// from the newest message back to Stored, page by page with the API's
// opaque page tokens; Walk, saved with each page, lets a walk cut short
// (a crash, a rate limit) resume where it stopped.
type streamCursor struct {
	Stored int64 `json:"stored"`
	// PolledAt is when the last complete walk began: every message posted
	// before it is stored. Expiry waits for it (see pollProgress.expiryHorizon).
	PolledAt time.Time `json:"polled_at,omitzero"`
	Walk     *pageWalk `json:"walk,omitempty"`
	// Read is the newest id of the last walk that the API led in a circle,
	// above Stored: that walk stored every message from there down to the
	// page where it stopped, so those may be acted on, although messages
	// behind the circle (between Stored and that page) may be unread yet.
	// Without it, a list that circles for good would hold back what it
	// shows for ever, as nothing above Stored is acted on.
	Read int64 `json:"read,omitempty"`

	// The names the two channels' cursors had before they shared this
	// type; read once, never written again.
	OldSinceID   int64 `json:"since_id,omitempty"`
	OldHighWater int64 `json:"high_water,omitempty"`
}

type pageWalk struct {
	Top       int64     `json:"top"`   // the newest id seen in this walk
	Token     string    `json:"token"` // the next page's token; "" for the newest
	StartedAt time.Time `json:"started_at"`
}

// restart is the cursor with its walk dropped: the next poll walks again
// from the newest page; what is stored stays stored.
func (c streamCursor) restart() streamCursor {
	return streamCursor{Stored: c.Stored, PolledAt: c.PolledAt, Read: c.Read}
}

// walking returns the walk the cursor is in, or a new one from the newest
// page, begun at now.
func (c streamCursor) walking(now time.Time) *pageWalk {
	if c.Walk != nil {
		return c.Walk
	}
	return &pageWalk{StartedAt: now}
}

// actOnUpTo is the newest id up to which the channel's stored messages may
// be acted on: those of complete walks, and of the last walk that went in
// a circle. Messages behind a circle, read once the API pages past it
// again, are then acted on late, after newer ones: better than never.
// While no walk is under way there is no bound: what push stored beyond
// the last walk came in order, and nothing older is left unread.
func (c streamCursor) actOnUpTo() int64 {
	if c.Walk == nil {
		return math.MaxInt64
	}
	return c.readUpTo()
}

// readUpTo is the newest id of complete walks, and of the last walk that
// went in a circle.
func (c streamCursor) readUpTo() int64 { return max(c.Stored, c.Read) }

// polledPage is one page of a channel, as its poller read it.
type polledPage struct {
	msgs           []conversations.Inbound // the messages to store
	newest, oldest int64                   // ids on the page, those not stored included; 0 when none
	next           string                  // the next, older page's token; "" at the end
	reachedStored  bool                    // the page reached messages already stored: the walk is complete
}

// pollStore is what a poller needs of storage; *storage.DB is the real
// one.
type pollStore interface {
	Cursor(ctx context.Context, name string, v any) error
	SetCursor(ctx context.Context, name string, cursor any) error
	SavePage(ctx context.Context, msgs []conversations.Inbound, cursorName string, cursor any) (int, error)
}

// pollTwitter is what a poller needs of Twitter.
type pollTwitter interface {
	Mentions(sinceID int64, token string) (twitterapi.Page, error)
	DMEvents(token string) ([]twitterapi.DM, string, error)
	Limit(call twitterapi.Call) (twitterapi.RateLimit, bool)
}

// poller walks one channel's pages newest first and stores each page with
// the channel's cursor in one commit. It decides nothing about the
// messages; read says what a page holds and which of it to store.
//
// A poller has no Run of its own: a poll is a job, which the scheduler
// runs on the channel's schedule (and at once when it starts), the
// processor when a buyer waits for the expiry horizon, the bot once
// Twitter confirms the credentials, and Bot.PollNow when asked.
type poller struct {
	pollerDeps
	name  string          // the cursor's name
	call  twitterapi.Call // whose budget the walk watches
	point string          // the crash point after a page is stored
	read  func(p *poller, cur streamCursor, token string) (polledPage, error)

	mu sync.Mutex // a poll still walking makes the next tick skip
}

// pollerDeps is what a poller is made of.
type pollerDeps struct {
	store   pollStore
	twitter pollTwitter
	// access: the bot's own id (its own messages are not stored), whether
	// Twitter may be called, and where its failures are told.
	access twitterAccess
	now    func() time.Time
	log    *slog.Logger
	// stopped reports that the bot takes no more work: no poll starts,
	// and a walk ends after the page it is on.
	stopped func() bool
	// work gives the context of the poll's storage calls: cancelled when
	// work in flight is abandoned (the bot makes it when it opens).
	work func() context.Context
	// wakeProcessor is poked when a page stored messages to decide.
	wakeProcessor func()
	maxAge        time.Duration // Options.MaxAge: older DMs end a walk
}

func newPoller(d pollerDeps, name string, call twitterapi.Call, point string, read func(*poller, streamCursor, string) (polledPage, error)) *poller {
	d.log = d.log.With("component", "poll-"+name)
	return &poller{pollerDeps: d, name: name, call: call, point: point, read: read}
}

// maxWalkPages bounds the pages one poll reads: more than the 800
// reachable mentions take on either API. A longer walk (a DM list far
// behind) resumes at the next poll.
const maxWalkPages = 40

// reserveListCalls keeps a little of a list's budget for the sender, which
// reads the lists to find a post whose sending was interrupted.
const reserveListCalls = 2

func (p *poller) cursor(ctx context.Context) (streamCursor, error) {
	return readCursor(ctx, p.store, p.name)
}

// poll stores every message since the last poll, a page at a time, and
// reports whether its walk reached what was stored before: false when it
// could not poll (not ready, a poll already walking), a page failed, or
// the walk ends for now (long, the list's budget low, or led in a
// circle). A walk that the API leads in a circle (a page token that comes
// back, a page no older than the one before) ends for this poll with a
// warning: the pages read are kept and acted on, and the next poll walks
// again from the newest.
func (p *poller) poll() bool {
	if !p.mu.TryLock() {
		return false // the previous poll is still walking
	}
	defer p.mu.Unlock()
	if p.stopped() || !p.access.ready() {
		return false
	}
	ctx := p.work()
	cur, err := p.cursor(ctx)
	if err != nil {
		p.log.Error("read cursor", "err", err)
		return false
	}
	var guard walkGuard
	if cur.Walk != nil {
		guard.used(cur.Walk.Token)
	}
	for pages := 1; !p.stopped(); pages++ {
		walk := cur.walking(p.now())
		page, err := p.read(p, cur, walk.Token)
		if err != nil {
			p.readFailed(ctx, cur, walk.Token, err)
			return false
		}
		walk.Top = max(walk.Top, page.newest)
		done := page.reachedStored || page.next == ""
		broken := ""
		if !done {
			broken = guard.check(page)
		}
		next := nextCursor(cur, walk, page.next, done, broken != "")
		if !p.save(ctx, page.msgs, next, done || next.Read > cur.Read) {
			return false
		}
		cur = next
		if broken != "" {
			p.log.Warn("paging went in a circle; this walk ends for this poll and the next poll starts again from the newest; the pages read are kept and acted on",
				"why", broken, "pages", pages, "token", page.next)
			return false
		}
		if done {
			return true
		}
		if p.pause(pages) {
			return false
		}
	}
	return false
}

// readFailed handles a page that could not be read with token.
func (p *poller) readFailed(ctx context.Context, cur streamCursor, token string, err error) {
	var te *twitterapi.Error
	if token != "" && errors.As(err, &te) && te.Status == http.StatusBadRequest {
		// A token the API no longer accepts: start the walk again
		// from the newest; what is stored stays stored.
		p.log.Warn("page token refused; restarting the walk", "err", err)
		if err := p.store.SetCursor(ctx, p.name, cur.restart()); err != nil {
			p.log.Error("store cursor", "err", err)
		}
		return
	}
	p.access.failed("poll "+p.name, err)
}

// pause reports whether a walk still going, after pages pages, resumes
// at the next poll rather than now: it is long, or the list's budget is
// low.
func (p *poller) pause(pages int) bool {
	if pages >= maxWalkPages {
		p.log.Info("a long walk; it resumes at the next poll", "pages", pages)
		return true
	}
	if l, ok := p.twitter.Limit(p.call); ok && l.Remaining <= reserveListCalls && p.now().Before(l.Reset) {
		p.log.Info("list budget low; the walk resumes at the next poll", "remaining", l.Remaining, "reset", l.Reset.Format(time.RFC3339))
		return true
	}
	return false
}

// nextCursor is the channel's cursor after a page of walk, whose next
// page's token is token: the walk complete (done), ended by a circle
// (broken: what it read may be acted on, see streamCursor.Read), or going
// on from token.
func nextCursor(cur streamCursor, walk *pageWalk, token string, done, broken bool) streamCursor {
	switch {
	case broken:
		next := cur.restart()
		next.Read = max(next.Read, walk.Top)
		return next
	case done:
		next := streamCursor{Stored: max(cur.Stored, walk.Top), PolledAt: walk.StartedAt}
		if cur.Read > next.Stored {
			next.Read = cur.Read // ids the API no longer lists are no reason to hold back more
		}
		return next
	}
	walk.Token = token
	next := cur
	next.Walk = walk
	return next
}

// save stores a page of messages with the poll's next cursor, in one
// commit, and wakes the processor when there is something for it: new
// messages, or messages held back until now that may go (ready). It
// returns false when the page could not be stored.
func (p *poller) save(ctx context.Context, msgs []conversations.Inbound, next streamCursor, ready bool) bool {
	n, err := p.store.SavePage(ctx, msgs, p.name, next)
	if err != nil {
		p.log.Error("store a polled page", "err", err)
		return false
	}
	crashpoint.Hit(p.point)
	if n > 0 || ready {
		p.wakeProcessor()
	}
	if n > 0 {
		p.log.Info("stored new messages", "new", n)
	}
	return true
}

// walkGuard notices a walk going in a circle: pages are newest first, so
// each must be older than the one before, and no token may come twice.
type walkGuard struct {
	tokens     map[string]bool
	lastOldest int64
}

func (g *walkGuard) used(token string) {
	if g.tokens == nil {
		g.tokens = map[string]bool{}
	}
	g.tokens[token] = true
}

// check returns why the walk must not go on from page, or "".
func (g *walkGuard) check(page polledPage) string {
	switch {
	case g.tokens[page.next]:
		return "a page token came back that this walk already used"
	case g.lastOldest != 0 && page.newest != 0 && page.newest >= g.lastOldest:
		return "a page is not older than the page before it"
	}
	g.used(page.next)
	if page.oldest != 0 {
		g.lastOldest = page.oldest
	}
	return ""
}

// pollAfterRunning waits for a poll already running, then polls, and
// reports whether its walk was complete (see poll).
func (p *poller) pollAfterRunning() bool {
	p.mu.Lock()
	p.mu.Unlock()
	return p.poll()
}
