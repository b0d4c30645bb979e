package bot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// Page sizes: the most each endpoint gives in one request.
const (
	mentionsPageSize = 200
	dmPageSize       = 50
)

const (
	cursorMentions = "mentions"
	cursorDMs      = "direct_messages"
)

// mentionCursor is where the mentions poll is. Every mention with an id
// up to SinceID is stored. A poll walks from the newest mention back to
// SinceID, page by page with max_id; Walk, saved with each page, lets a
// walk cut short (a crash, a rate limit) resume where it stopped.
type mentionCursor struct {
	SinceID int64 `json:"since_id"`
	// PolledAt is when the last complete walk began: every mention posted
	// before it is stored. Expiry waits for it (see Bot.expiryHorizon).
	PolledAt time.Time     `json:"polled_at,omitzero"`
	Walk     *mentionsWalk `json:"walk,omitempty"`
}

type mentionsWalk struct {
	Top       int64     `json:"top"`    // the newest id seen in this walk
	MaxID     int64     `json:"max_id"` // the next page's max_id
	StartedAt time.Time `json:"started_at"`
}

// dmCursor is where the DM poll is. The DM list has no since_id: it is
// read newest first with an opaque cursor, until it reaches HighWater (or
// messages older than MaxAge, which are not acted on anyway).
type dmCursor struct {
	HighWater int64     `json:"high_water"`
	PolledAt  time.Time `json:"polled_at,omitzero"` // as mentionCursor's
	Walk      *dmsWalk  `json:"walk,omitempty"`
}

type dmsWalk struct {
	Top       int64     `json:"top"`
	Cursor    string    `json:"cursor"`
	StartedAt time.Time `json:"started_at"`
}

func (b *Bot) mentionCursor(ctx context.Context) (mentionCursor, error) {
	var c mentionCursor
	if err := b.db.Cursor(ctx, cursorMentions, &c); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return c, err
	}
	return c, nil
}

func (b *Bot) dmCursor(ctx context.Context) (dmCursor, error) {
	var c dmCursor
	if err := b.db.Cursor(ctx, cursorDMs, &c); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return c, err
	}
	return c, nil
}

// pollMentions stores every mention since the last poll. It decides
// nothing: each page goes to the inbox with the cursor in one commit.
func (b *Bot) pollMentions() {
	if !b.pollMentionsMu.TryLock() {
		return // the previous poll is still walking
	}
	defer b.pollMentionsMu.Unlock()
	log := b.log.With("component", "poll-mentions")
	if b.ctx.Err() != nil || !b.checkAuth() {
		return
	}
	ctx := b.work
	cur, err := b.mentionCursor(ctx)
	if err != nil {
		log.Error("read cursor", "err", err)
		return
	}
	botID := b.botID.Load()
	for b.ctx.Err() == nil {
		walk := cur.Walk
		if walk == nil {
			walk = &mentionsWalk{StartedAt: b.now()}
		}
		page, err := b.tw.Mentions(cur.SinceID, walk.MaxID, mentionsPageSize)
		if err != nil {
			b.twitterFailed("poll mentions", err)
			return
		}
		walk.Top = max(walk.Top, page.Newest)
		var msgs []conversations.Inbound
		for _, t := range page.Tweets {
			if t.ID <= cur.SinceID {
				continue // the API's since_id is exclusive; a server that is sloppy about it must not make us act twice
			}
			switch {
			case t.IsRetweet:
				log.Debug("ignoring a retweet", "id", t.ID)
			case t.UserID == botID:
				log.Debug("ignoring the bot's own tweet", "id", t.ID)
			case !t.Mentions(botID):
				log.Debug("ignoring a tweet that does not itself mention the bot", "id", t.ID)
			default:
				msgs = append(msgs, inboundTweet(t))
			}
		}
		// A short page is the end of the walk; Twitter drops deleted
		// tweets after counting, so only a page under half full is.
		done := page.Count == 0 || page.Count < mentionsPageSize/2 || page.Oldest <= cur.SinceID+1
		next := cur
		if done {
			next = mentionCursor{SinceID: max(cur.SinceID, walk.Top), PolledAt: walk.StartedAt}
		} else {
			walk.MaxID = page.Oldest - 1
			next.Walk = walk
		}
		if !b.savePage(ctx, log, msgs, cursorMentions, next, done, crashpoint.AfterMentionsStored) {
			return
		}
		cur = next
		if done {
			return
		}
	}
}

// savePage stores a page of messages with the poll's next cursor, in one
// commit, and wakes the processor when there is something for it: new
// messages, or a walk complete (messages held back by it may go now). It
// returns false when the page could not be stored.
func (b *Bot) savePage(ctx context.Context, log *slog.Logger, msgs []conversations.Inbound, cursorName string, next any, done bool, point string) bool {
	n, err := b.db.SavePage(ctx, msgs, cursorName, next)
	if err != nil {
		log.Error("store a polled page", "cursor", cursorName, "err", err)
		return false
	}
	crashpoint.Hit(point)
	if n > 0 || done {
		b.wake(b.wakeProcessor)
	}
	if n > 0 {
		log.Info("stored new messages", "cursor", cursorName, "new", n)
	}
	return true
}

func inboundTweet(t twitterapi.Tweet) conversations.Inbound {
	return conversations.Inbound{
		Channel: conversations.Tweet, ID: t.ID, UserID: t.UserID, ScreenName: t.ScreenName, Text: t.Text,
		Hashtags: t.Hashtags, InReplyTo: t.InReplyTo, PostedAt: t.CreatedAt,
	}
}

// pollDMs stores every direct message received since the last poll,
// within the DM list's budget of 15 requests per 15 minutes: it stops a
// walk when the budget says so and resumes it at the next poll.
func (b *Bot) pollDMs() {
	if !b.pollDMsMu.TryLock() {
		return
	}
	defer b.pollDMsMu.Unlock()
	log := b.log.With("component", "poll-dms")
	if b.ctx.Err() != nil || !b.checkAuth() {
		return
	}
	ctx := b.work
	cur, err := b.dmCursor(ctx)
	if err != nil {
		log.Error("read cursor", "err", err)
		return
	}
	botID := b.botID.Load()
	oldest := b.now().Add(-b.opt.MaxAge)
	for b.ctx.Err() == nil {
		walk := cur.Walk
		if walk == nil {
			walk = &dmsWalk{StartedAt: b.now()}
		}
		events, nextCursor, err := b.tw.DMEvents(walk.Cursor, dmPageSize)
		if err != nil {
			var te *twitterapi.Error
			if walk.Cursor != "" && errors.As(err, &te) && te.Status == http.StatusBadRequest {
				// A cursor Twitter no longer accepts: start the walk
				// again from the newest; what is stored stays stored.
				log.Warn("DM cursor refused; restarting the walk", "err", err)
				if err := b.db.SetCursor(ctx, cursorDMs, dmCursor{HighWater: cur.HighWater, PolledAt: cur.PolledAt}); err != nil {
					log.Error("store DM cursor", "err", err)
				}
				return
			}
			b.twitterFailed("poll direct messages", err)
			return
		}
		reachedOld := false
		var msgs []conversations.Inbound
		for _, e := range events {
			walk.Top = max(walk.Top, e.ID)
			if e.ID <= cur.HighWater || e.CreatedAt.Before(oldest) {
				reachedOld = true
				continue
			}
			if e.SenderID == botID || e.RecipientID != botID {
				continue // the bot's own sent messages are in the same list
			}
			msgs = append(msgs, conversations.Inbound{
				Channel: conversations.DM, ID: e.ID, UserID: e.SenderID, Text: e.Text, Hashtags: e.Hashtags, PostedAt: e.CreatedAt,
			})
		}
		done := reachedOld || nextCursor == ""
		next := cur
		if done {
			next = dmCursor{HighWater: max(cur.HighWater, walk.Top), PolledAt: walk.StartedAt}
		} else {
			walk.Cursor = nextCursor
			next.Walk = walk
		}
		if !b.savePage(ctx, log, msgs, cursorDMs, next, done, crashpoint.AfterDMsStored) {
			return
		}
		cur = next
		if done {
			return
		}
		if l, ok := b.tw.Limit("direct_messages/events/list"); ok && l.Remaining <= reserveDMListCalls && b.now().Before(l.Reset) {
			log.Info("DM list budget low; the walk resumes at the next poll", "remaining", l.Remaining, "reset", l.Reset.Format(time.RFC3339))
			return
		}
	}
}

// reserveDMListCalls keeps a little of the DM list budget for the sender,
// which reads the list to find a DM whose sending was interrupted.
const reserveDMListCalls = 2
