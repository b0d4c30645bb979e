package bot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/storage"
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
	// before it is stored. Expiry waits for it (see Bot.expiryHorizon).
	PolledAt time.Time `json:"polled_at,omitzero"`
	Walk     *pageWalk `json:"walk,omitempty"`

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
	return streamCursor{Stored: c.Stored, PolledAt: c.PolledAt}
}

// polledPage is one page of a channel, as its poller read it.
type polledPage struct {
	msgs           []conversations.Inbound // the messages to store
	newest, oldest int64                   // ids on the page, those not stored included; 0 when none
	next           string                  // the next, older page's token; "" at the end
	reachedStored  bool                    // the page reached messages already stored: the walk is complete
}

// poller walks one channel's pages newest first and stores each page with
// the channel's cursor in one commit. It decides nothing about the
// messages; read says what a page holds and which of it to store.
type poller struct {
	b     *Bot
	name  string          // the cursor's name
	call  twitterapi.Call // whose budget the walk watches
	point string          // the crash point after a page is stored
	log   *slog.Logger
	read  func(p *poller, cur streamCursor, token string) (polledPage, error)

	mu sync.Mutex // a poll still walking makes the next tick skip
}

func newPoller(b *Bot, name string, call twitterapi.Call, point string, read func(*poller, streamCursor, string) (polledPage, error)) *poller {
	return &poller{b: b, name: name, call: call, point: point, read: read, log: b.log.With("component", "poll-"+name)}
}

// maxWalkPages bounds the pages one poll reads: more than the 800
// reachable mentions take on either API. A longer walk (a DM list far
// behind) resumes at the next poll.
const maxWalkPages = 40

// reserveListCalls keeps a little of a list's budget for the sender, which
// reads the lists to find a post whose sending was interrupted.
const reserveListCalls = 2

func (p *poller) cursor(ctx context.Context) (streamCursor, error) {
	var c streamCursor
	if err := p.b.db.Cursor(ctx, p.name, &c); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return c, err
	}
	c.Stored = max(c.Stored, c.OldSinceID, c.OldHighWater)
	c.OldSinceID, c.OldHighWater = 0, 0
	return c, nil
}

// poll stores every message since the last poll, a page at a time. A
// walk that the API leads in a circle (a page token that comes back, a
// page no older than the one before) ends for this poll with a warning:
// the pages read are kept, and the next poll walks again from the newest.
func (p *poller) poll() {
	if !p.mu.TryLock() {
		return // the previous poll is still walking
	}
	defer p.mu.Unlock()
	b := p.b
	if b.ctx.Err() != nil || !b.checkAuth() {
		return
	}
	ctx := b.work
	cur, err := p.cursor(ctx)
	if err != nil {
		p.log.Error("read cursor", "err", err)
		return
	}
	var guard walkGuard
	if cur.Walk != nil {
		guard.used(cur.Walk.Token)
	}
	for pages := 1; b.ctx.Err() == nil; pages++ {
		walk := cur.Walk
		if walk == nil {
			walk = &pageWalk{StartedAt: b.now()}
		}
		page, err := p.read(p, cur, walk.Token)
		if err != nil {
			var te *twitterapi.Error
			if walk.Token != "" && errors.As(err, &te) && te.Status == http.StatusBadRequest {
				// A token the API no longer accepts: start the walk again
				// from the newest; what is stored stays stored.
				p.log.Warn("page token refused; restarting the walk", "err", err)
				if err := b.db.SetCursor(ctx, p.name, cur.restart()); err != nil {
					p.log.Error("store cursor", "err", err)
				}
				return
			}
			b.twitterFailed("poll "+p.name, err)
			return
		}
		walk.Top = max(walk.Top, page.newest)
		done := page.reachedStored || page.next == ""
		broken := ""
		if !done {
			broken = guard.check(page)
		}
		var next streamCursor
		switch {
		case broken != "":
			next = cur.restart()
		case done:
			next = streamCursor{Stored: max(cur.Stored, walk.Top), PolledAt: walk.StartedAt}
		default:
			walk.Token = page.next
			next = cur
			next.Walk = walk
		}
		if !p.save(ctx, page.msgs, next, done) {
			return
		}
		cur = next
		if broken != "" {
			p.log.Warn("paging went in a circle; this walk ends for this poll and the next poll starts again from the newest; the pages read are kept",
				"why", broken, "pages", pages, "token", page.next)
			return
		}
		if done {
			return
		}
		if pages >= maxWalkPages {
			p.log.Info("a long walk; it resumes at the next poll", "pages", pages)
			return
		}
		if l, ok := b.tw.Limit(p.call); ok && l.Remaining <= reserveListCalls && b.now().Before(l.Reset) {
			p.log.Info("list budget low; the walk resumes at the next poll", "remaining", l.Remaining, "reset", l.Reset.Format(time.RFC3339))
			return
		}
	}
}

// save stores a page of messages with the poll's next cursor, in one
// commit, and wakes the processor when there is something for it: new
// messages, or a walk complete (messages held back by it may go now). It
// returns false when the page could not be stored.
func (p *poller) save(ctx context.Context, msgs []conversations.Inbound, next streamCursor, done bool) bool {
	n, err := p.b.db.SavePage(ctx, msgs, p.name, next)
	if err != nil {
		p.log.Error("store a polled page", "err", err)
		return false
	}
	crashpoint.Hit(p.point)
	if n > 0 || done {
		p.b.wake(p.b.wakeProcessor)
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

// pollAfterRunning waits for a poll already running, then polls.
func (p *poller) pollAfterRunning() {
	p.mu.Lock()
	p.mu.Unlock()
	p.poll()
}
