package bot

import (
	"context"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// sender posts the outbox, each cardholder's messages in order, within
// Twitter's budgets, and makes each visible once: a message whose post was
// interrupted is looked for on Twitter before it is posted again.
type sender struct {
	b   *Bot
	log *slog.Logger

	mu     sync.Mutex
	paused map[conversations.Channel]time.Time // no posting on a channel until then

	searches map[int64]search // unfinished searches, by outbox id (sender goroutine only)
	guard    *restoreGuard    // what Twitter holds that the database does not record
}

func newSender(b *Bot) *sender {
	s := &sender{b: b, log: b.log.With("component", "sender"), paused: map[conversations.Channel]time.Time{}, searches: map[int64]search{}}
	s.guard = newRestoreGuard(s)
	return s
}

func (s *sender) pause(ch conversations.Channel, until time.Time, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.paused[ch]) {
		s.paused[ch] = until
		s.log.Warn("posting paused", "channel", ch, "until", until.Format(time.RFC3339), "why", why)
	}
}

func (s *sender) pausedUntil(ch conversations.Channel, now time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.paused[ch]
	return t, now.Before(t)
}

// sendDue sends the next messages that may go now. It returns how long
// until something may be due when there is nothing to do now.
func (s *sender) sendDue() (bool, time.Duration) {
	b := s.b
	if b.botID.Load() == 0 || !b.checkAuth() {
		return false, 5 * time.Second
	}
	ctx := b.work
	now := b.now()
	msgs, err := b.db.NextOutbox(ctx, now, 20)
	if err != nil {
		s.log.Error("read outbox", "err", err)
		return false, b.opt.Idle
	}
	msgs, did := s.guard.screen(ctx, msgs)
	for _, m := range msgs {
		if b.ctx.Err() != nil || b.authBroken.Load() {
			break
		}
		if _, paused := s.pausedUntil(m.Channel, now); paused {
			continue
		}
		if !s.withinBudget(ctx, m.Channel, now) {
			continue
		}
		s.send(ctx, m)
		did = true
	}
	return did, 0
}

// withinBudget checks the bot's own count of what it posted against the
// configured budgets (tweets per window, DMs per day), and pauses the
// channel until budget comes back when it is used up.
func (s *sender) withinBudget(ctx context.Context, ch conversations.Channel, now time.Time) bool {
	cfg := s.b.settings().cfg
	limit, window := cfg.Twitter.Limits.TweetsPerWindow, cfg.Twitter.Limits.TweetWindow
	if ch == conversations.DM {
		limit, window = cfg.Twitter.Limits.DMsPerDay, 24*time.Hour
	}
	if limit <= 0 {
		return true
	}
	n, err := s.b.db.SentSince(ctx, ch, now.Add(-window))
	if err != nil {
		s.log.Error("count sent messages", "err", err)
		return false
	}
	if n < limit {
		return true
	}
	oldest, err := s.b.db.OldestSentSince(ctx, ch, now.Add(-window))
	if err != nil || oldest.IsZero() {
		oldest = now
	}
	s.pause(ch, oldest.Add(window), "posting budget used up: "+strconv.Itoa(n)+" in "+window.String())
	return false
}

func (s *sender) send(ctx context.Context, m storage.OutboxMessage) {
	b := s.b
	log := s.log.With("outbox", m.ID, "channel", m.Channel, "user_id", m.UserID, "kind", m.Kind)
	if m.State == storage.OutboxSending {
		// An earlier post may have reached Twitter: look before posting.
		id, found, err := s.find(m)
		if err != nil {
			if errors.Is(err, errNotSettled) {
				log.Warn("still looking for an interrupted post on Twitter; it is not posted again until that is known", "err", err)
			} else {
				b.twitterFailed("look for an interrupted post", err)
			}
			s.reschedule(ctx, log, m, s.retryAt(m, err), false, err)
			return
		}
		if found {
			s.markSent(ctx, log, m, id, "found on Twitter after an interrupted post")
			return
		}
	}
	if err := b.db.MarkSending(ctx, m.ID); err != nil {
		log.Error("mark sending", "err", err)
		return
	}
	crashpoint.Hit(crashpoint.BeforePost)
	var id int64
	var err error
	if m.Channel == conversations.DM {
		id, err = b.tw.SendDM(m.UserID, m.Text)
	} else {
		id, err = b.tw.Post(m.Text, m.InReplyTo)
	}
	crashpoint.Hit(crashpoint.AfterPost)
	if err == nil {
		s.markSent(ctx, log, m, id, "")
		return
	}
	now := b.now()
	switch twitterapi.Classify(err) {
	case twitterapi.KindDuplicate:
		// 187 alone does not prove the reply is out: it may be an older
		// tweet with the same text. Look for this reply itself.
		id, found, ferr := s.find(m)
		if ferr != nil {
			s.reschedule(ctx, log, m, s.retryAt(m, ferr), false, ferr)
			return
		}
		if found {
			s.markSent(ctx, log, m, id, "duplicate status, and it is this reply")
			return
		}
		text := m.Text + " ·" + strconv.FormatInt(m.ID, 36)
		if err := b.db.ReplaceText(context.WithoutCancel(ctx), m.ID, text); err != nil {
			log.Error("change duplicate text", "err", err)
		}
		log.Warn("Twitter calls this text a duplicate of an older tweet; sending it with a distinguishing suffix")
		s.reschedule(ctx, log, m, now, true, err)
	case twitterapi.KindGone, twitterapi.KindRefused:
		s.refused(ctx, log, m, err)
	case twitterapi.KindAccount:
		at := now.Add(5 * time.Minute)
		log.Error("TWITTER REFUSES THE ACCOUNT THIS: posting paused, everything stays queued; an operator must look", "err", err)
		s.pause(m.Channel, at, err.Error())
		s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindUnexpected:
		// A refusal Twitter's documentation does not explain: maybe this
		// message's (a reply its author does not allow), maybe passing.
		// Only this message waits; after a few tries it counts as refused.
		if m.Attempts >= unexpectedTries {
			s.refused(ctx, log, m, err)
			return
		}
		log.Error("Twitter refuses this message with an unexpected error; it is tried again", "err", err)
		s.reschedule(ctx, log, m, now.Add(time.Minute), true, err)
	case twitterapi.KindRateLimited:
		at := s.retryAt(m, err)
		s.pause(m.Channel, at, "rate limited")
		s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindPostingLimit:
		at := now.Add(b.settings().cfg.Twitter.Limits.TweetWindow)
		if oldest, oerr := b.db.OldestSentSince(ctx, m.Channel, now.Add(-b.settings().cfg.Twitter.Limits.TweetWindow)); oerr == nil && !oldest.IsZero() {
			at = oldest.Add(b.settings().cfg.Twitter.Limits.TweetWindow)
		}
		s.pause(m.Channel, at, "Twitter's posting limit (185)")
		s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindPaused:
		at := now.Add(15 * time.Minute)
		log.Error("Twitter asks the account to pause (226/326); posting paused", "err", err)
		s.pause(m.Channel, at, err.Error())
		s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindAuth:
		b.twitterFailed("post", err)
		s.reschedule(ctx, log, m, now.Add(5*time.Second), true, err)
	default: // transient or unknown: it may be on Twitter
		s.reschedule(ctx, log, m, now.Add(backoff(m.Attempts+1)), !twitterapi.MayHavePosted(err), err)
	}
}

// outcomeKinds are the messages that tell a cardholder what happened to
// their money: they must reach them even when the way first chosen fails.
var outcomeKinds = map[string]bool{
	string(messages.Receipt): true, string(messages.Declined): true, string(messages.ChargeFailed): true,
	string(messages.ReceiptPointer): true, string(messages.Refunded): true, string(messages.DMUndeliverable): true,
}

// unexpectedTries is how many times a message Twitter refuses with an
// unexpected error is tried before it counts as refused.
const unexpectedTries = 3

// refused handles a message Twitter will never accept as it is. A reply
// to a tweet since deleted (385) that tells of money is posted as a plain
// mention instead. The rest is recorded as failed (a request that cannot
// be delivered releases its unit); when it was a DM about an order (its
// request, or what became of the money) that the cardholder's closed DMs
// refused, a public note that holds nothing private tells them, queued in
// the same commit so that a crash cannot lose it.
func (s *sender) refused(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, cause error) {
	b := s.b
	ctx = context.WithoutCancel(ctx)
	if outcomeKinds[m.Kind] && m.Channel == conversations.Tweet && m.InReplyTo != 0 && twitterapi.Classify(cause) == twitterapi.KindGone {
		log.Warn("the tweet this answers was deleted; sending it as a mention instead", "err", cause)
		if err := b.db.Unthread(ctx, m.ID); err != nil {
			log.Error("unthread", "err", err)
		}
		s.reschedule(ctx, log, m, b.now(), true, cause)
		return
	}
	var notes []conversations.Reply
	if m.Channel == conversations.DM && m.OrderID != "" && (outcomeKinds[m.Kind] || m.IsRequest) {
		o, err := b.db.Order(ctx, m.OrderID)
		if err != nil {
			log.Error("read the order to tell its cardholder; tried again later", "err", err)
			s.reschedule(ctx, log, m, b.now().Add(time.Minute), true, cause)
			return
		}
		if o.ScreenName == "" {
			log.Error("ALERT: a direct message about a cardholder's order could not be delivered, and no screen name is known to tell them in public", "order", o.ID)
		} else {
			notes = append(notes, conversations.UndeliverableReply(b.settings().messages, o))
		}
	}
	log.Error("Twitter refuses this message for good; it will not be sent", "err", cause, "public_note", len(notes) > 0)
	if err := b.db.MarkFailed(ctx, m.ID, cause.Error(), notes...); err != nil {
		log.Error("mark failed", "err", err)
	}
}

func (s *sender) retryAt(m storage.OutboxMessage, err error) time.Time {
	now := s.b.now()
	var e *twitterapi.Error
	if errors.As(err, &e) && twitterapi.Classify(err) == twitterapi.KindRateLimited {
		if e.ResetAt.After(now) {
			return e.ResetAt.Add(time.Second)
		}
		return now.Add(time.Minute)
	}
	return now.Add(backoff(m.Attempts + 1))
}

func (s *sender) reschedule(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, at time.Time, notPosted bool, cause error) {
	if err := s.b.db.Reschedule(context.WithoutCancel(ctx), m.ID, at, notPosted, cause.Error()); err != nil {
		log.Error("reschedule", "err", err)
		return
	}
	log.Warn("send failed; will retry", "at", at.Format(time.RFC3339), "known_not_posted", notPosted, "err", cause)
}

func (s *sender) markSent(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, id int64, note string) {
	// Recorded even while shutting down: it is on Twitter now.
	if err := s.b.db.MarkSent(context.WithoutCancel(ctx), m.ID, id); err != nil {
		log.Error("record sent", "sent_id", id, "err", err)
		if !errors.Is(err, storage.ErrConflict) {
			// Still unsettled: look again later rather than at once, so
			// that a failing write cannot spin on Twitter's budgets.
			s.reschedule(ctx, log, m, s.b.now().Add(backoff(m.Attempts+1)), false, err)
		}
		return
	}
	crashpoint.Hit(crashpoint.AfterSent)
	log.Info("sent", "sent_id", id, "note", note)
	if m.IsRequest {
		s.b.wake(s.b.wakeProcessor) // a confirmation may be waiting on this
	}
}

// errNotSettled says that find has not yet looked far enough back to tell
// whether a message is on Twitter: the send waits rather than risk posting
// it twice, and the next search goes on from where this one stopped.
var errNotSettled = errors.New("the search for an interrupted post has not yet reached the time it began")

// findPages bounds how far one search pages back: 5 pages of the user
// timeline (1,000 tweets) or of the DM list (250 events). A search that
// did not reach the attempt's start resumes there next time (searches),
// since what it looks for is older than anything posted after it began.
const findPages = 5

// clockSkew is how much earlier than our clock says Twitter may date a
// message we posted: generous, since the search resumes rather than
// restarts, and a message missed for want of it would be posted twice.
const clockSkew = time.Minute

// search is where an unfinished search for an outbox message stopped.
type search struct {
	cursor string // the DM list's next cursor
	maxID  int64  // the user timeline's next max_id
}

// find looks on Twitter for message m, whose post may or may not have
// gone through: a reply in the bot's own timeline, answering the same
// tweet with the same text; a DM among the bot's sent messages to the same
// cardholder with the same text; in both cases made since the attempt
// began. A message already recorded as another outbox message's is not m:
// the bot may send one cardholder the same text twice (the help text,
// say). It returns errNotSettled when it has not reached back that far
// yet.
func (s *sender) find(m storage.OutboxMessage) (int64, bool, error) {
	b := s.b
	since := m.SendingSince.Add(-clockSkew)
	at := s.searches[m.ID]
	match := func(id int64, created time.Time, ok bool) (bool, error) {
		if !ok || created.Before(since) {
			return false, nil
		}
		taken, err := b.db.SentIDRecorded(context.WithoutCancel(b.work), m.Channel, id)
		return !taken, err
	}
	done := func(id int64, found bool, err error) (int64, bool, error) {
		var te *twitterapi.Error
		if err == nil || errors.Is(err, errNotSettled) || (errors.As(err, &te) && te.Status == http.StatusBadRequest) {
			// Settled, or going on from here, or a saved cursor Twitter no
			// longer takes: the next search starts from the newest.
			delete(s.searches, m.ID)
		}
		if errors.Is(err, errNotSettled) {
			s.searches[m.ID] = at
		}
		return id, found, err
	}
	if m.Channel == conversations.DM {
		for page := 0; page < findPages; page++ {
			events, next, err := b.tw.DMEvents(at.cursor, dmPageSize)
			if err != nil {
				return done(0, false, err)
			}
			for _, e := range events {
				ok, err := match(e.ID, e.CreatedAt, e.SenderID == b.botID.Load() && e.RecipientID == m.UserID && sameText(e.Text, m.Text))
				if err != nil || ok {
					return done(e.ID, ok, err)
				}
			}
			if next == "" || len(events) == 0 || events[len(events)-1].CreatedAt.Before(since) {
				return done(0, false, nil)
			}
			at.cursor = next
		}
		return done(0, false, errNotSettled)
	}
	sinceID := m.InReplyTo // our reply is newer than the tweet it answers
	for page := 0; page < findPages; page++ {
		p, err := b.tw.UserTimeline(b.botID.Load(), sinceID, at.maxID, 200)
		if err != nil {
			return done(0, false, err)
		}
		for _, t := range p.Tweets {
			ok, err := match(t.ID, t.CreatedAt, t.InReplyTo == m.InReplyTo && sameText(t.Text, m.Text))
			if err != nil || ok {
				return done(t.ID, ok, err)
			}
		}
		if p.Count == 0 || (len(p.Tweets) > 0 && p.Tweets[len(p.Tweets)-1].CreatedAt.Before(since)) {
			return done(0, false, nil)
		}
		at.maxID = p.Oldest - 1
	}
	return done(0, false, errNotSettled)
}

// sameText compares a text read back from Twitter with the one sent:
// Twitter HTML-escapes &, < and > in what it returns, and trims.
func sameText(got, sent string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(html.UnescapeString(s)), " ") }
	return norm(got) == norm(sent)
}
