package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/backoff"
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

	// started bounds when the daemon before this one last posted.
	started time.Time

	searchMu sync.Mutex
	searches map[int64]search // unfinished searches, by outbox id
	guard    *restoreGuard    // what Twitter holds that the database does not record
}

// concurrentPosts bounds the posts the sender has in flight at once: each
// is a different cardholder's (NextOutbox gives one message per
// recipient), so overlapping them keeps everyone's order.
const concurrentPosts = 8

func newSender(b *Bot) *sender {
	s := &sender{b: b, log: b.log.With("component", "sender"), started: b.now(), paused: map[conversations.Channel]time.Time{}, searches: map[int64]search{}}
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

// step sends the next messages that may go now: news about money first,
// then the cardholders who have had the fewest posts in the window, so
// that when the posting budget runs short one cardholder cannot spend it
// for everyone. Each is a different cardholder's, and up to
// concurrentPosts are posted at once. It returns how long until something may be due when there
// is nothing to do now, and an error when the database failed.
func (s *sender) step() (bool, time.Duration, error) {
	b := s.b
	if b.botID.Load() == 0 || !b.checkAuth() {
		return false, 5 * time.Second, nil
	}
	ctx := b.work
	now := b.now()
	msgs, err := b.db.NextOutbox(ctx, now, 20, moneyKinds)
	if err != nil {
		return false, 0, err
	}
	msgs, did, err := s.guard.screen(ctx, msgs)
	if err != nil {
		return false, 0, err
	}
	if len(msgs) == 0 {
		return did, 0, nil
	}
	budgets, err := s.budgets(ctx, now)
	if err != nil {
		return false, 0, err
	}
	sort.SliceStable(msgs, func(i, j int) bool {
		mi, mj := msgs[i], msgs[j]
		if oi, oj := outcomeKinds[mi.Kind], outcomeKinds[mj.Kind]; oi != oj {
			return oi
		}
		return budgets[mi.Channel][0].byUser[mi.UserID] < budgets[mj.Channel][0].byUser[mj.UserID]
	})
	var out []storage.OutboxMessage
	for _, m := range msgs {
		if b.ctx.Err() != nil || b.authBroken.Load() {
			break
		}
		if _, paused := s.pausedUntil(m.Channel, now); paused {
			continue
		}
		buds := budgets[m.Channel]
		if bud := spentBudget(buds); bud != nil {
			if err := s.pauseForBudget(ctx, m.Channel, bud, now); err != nil {
				return did, 0, err
			}
			continue
		}
		if !outcomeKinds[m.Kind] && overShare(buds, m.UserID) {
			// Held, not dropped: it goes when the window frees budget.
			s.log.Debug("posting budget short; this cardholder has had their share of it", "outbox", m.ID, "user_id", m.UserID, "channel", m.Channel)
			continue
		}
		// Counted before the outcome is known: a post that fails may have
		// been made, and the budget must not be overrun.
		for _, bud := range buds {
			bud.used++
			bud.byUser[m.UserID]++
		}
		out = append(out, m)
	}
	return did || len(out) > 0, 0, s.sendAll(ctx, out)
}

// sendAll sends msgs, up to concurrentPosts at a time, and returns the
// first database failure. The posts of messages never tried are recorded
// as begun all in one commit, before any of them is made.
func (s *sender) sendAll(ctx context.Context, msgs []storage.OutboxMessage) error {
	var fresh []int64
	for _, m := range msgs {
		if m.State == storage.OutboxPending {
			fresh = append(fresh, m.ID)
		}
	}
	marked, err := s.b.db.MarkSendingAll(ctx, fresh)
	if err != nil {
		return fmt.Errorf("mark sending: %w", err)
	}
	batch := &posted{msgs: map[int64]storage.OutboxMessage{}, posts: map[int64]storage.Post{}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, concurrentPosts)
	for _, m := range msgs {
		if m.State == storage.OutboxPending && !marked[m.ID] {
			continue // finished meanwhile
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var err error
			if marked[m.ID] {
				// Its post is recorded as begun: made now, it costs no
				// search of Twitter at the next start. Twitter's own
				// refusals (a pause, a rate limit) put it back.
				err = s.post(ctx, s.log.With("outbox", m.ID, "channel", m.Channel, "user_id", m.UserID, "kind", m.Kind), m, batch)
			} else if s.b.ctx.Err() == nil && !s.b.authBroken.Load() {
				if _, paused := s.pausedUntil(m.Channel, s.b.now()); !paused {
					err = s.send(ctx, m)
				}
			}
			if err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return cmp.Or(first, s.recordSent(ctx, batch))
}

// recordSent records the posts of batch in one commit, and what follows
// from each; when that commit fails, each is recorded on its own. It
// returns an error when the database failed.
func (s *sender) recordSent(ctx context.Context, batch *posted) error {
	// Recorded even while shutting down: they are on Twitter now.
	finished, err := s.b.db.MarkSentAll(context.WithoutCancel(ctx), batch.posts)
	var errs []error
	for outboxID, p := range batch.posts {
		m := batch.msgs[outboxID]
		log := s.log.With("outbox", m.ID, "channel", m.Channel, "user_id", m.UserID, "kind", m.Kind)
		switch {
		case err != nil:
			// Every post is tried, whatever the one before came to: each
			// left unrecorded costs a search of Twitter later.
			errs = append(errs, s.markSent(ctx, log, m, p, ""))
		case finished[outboxID]:
			log.Warn("already finished; not recorded twice", "sent_id", p.ID)
		default:
			s.sent(log, m, p.ID, "")
		}
	}
	return errors.Join(errs...)
}

// budget is a channel's posting budget (twitter.limits) in its rolling
// window: how much of it the bot used, and who it was used for.
type budget struct {
	limit  int // 0: none configured
	window time.Duration
	used   int
	byUser map[int64]int // posts per recipient in the window; 0 is announcements
}

func (b *budget) spent() bool { return b.limit > 0 && b.used >= b.limit }

// short reports whether less than half of the window's budget is left:
// from then on each cardholder's share is bounded (see share).
func (b *budget) short() bool { return b.limit > 0 && b.used*2 >= b.limit }

// share is the most posts of one window a cardholder gets once the budget
// is short, news of their money aside: a tenth of it, and at least
// minShare.
func (b *budget) share() int { return max(minShare, b.limit/10) }

// minShare is what any cardholder may always have of a window's budget:
// a request, its repeat and one answer more.
const minShare = 3

// spentBudget returns the first of a channel's budgets that is used up,
// or nil.
func spentBudget(buds []*budget) *budget {
	for _, bud := range buds {
		if bud.spent() {
			return bud
		}
	}
	return nil
}

// overShare reports whether a cardholder has had their share of one of a
// channel's budgets that is short.
func overShare(buds []*budget, userID int64) bool {
	for _, bud := range buds {
		if bud.short() && bud.byUser[userID] >= bud.share() {
			return true
		}
	}
	return false
}

// budgets reads the bot's own count of what it posted in each of each
// channel's windows (twitter.limits: tweets per window; DMs per window and
// per day), by recipient.
func (s *sender) budgets(ctx context.Context, now time.Time) (map[conversations.Channel][]*budget, error) {
	lim := s.b.settings().cfg.Twitter.Limits
	out := map[conversations.Channel][]*budget{
		conversations.Tweet: {{limit: lim.TweetsPerWindow, window: lim.TweetWindow}},
		conversations.DM:    {{limit: lim.DMsPerDay, window: 24 * time.Hour}, {limit: lim.DMsPerWindow, window: lim.DMWindow}},
	}
	for ch, buds := range out {
		for _, bud := range buds {
			if bud.window <= 0 {
				bud.limit, bud.byUser = 0, map[int64]int{}
				continue
			}
			byUser, err := s.b.db.SentByUserSince(ctx, ch, now.Add(-bud.window))
			if err != nil {
				return nil, fmt.Errorf("count sent messages: %w", err)
			}
			bud.byUser = byUser
			for _, n := range byUser {
				bud.used += n
			}
		}
	}
	return out, nil
}

// pauseForBudget pauses a channel whose budget is used up until the
// oldest post of its window leaves it.
func (s *sender) pauseForBudget(ctx context.Context, ch conversations.Channel, bud *budget, now time.Time) error {
	oldest, err := s.b.db.OldestSentSince(ctx, ch, now.Add(-bud.window))
	if err != nil {
		return err
	}
	if oldest.IsZero() {
		oldest = now
	}
	s.pause(ch, oldest.Add(bud.window), "posting budget used up: "+strconv.Itoa(bud.used)+" in "+bud.window.String())
	return nil
}

// moneyKinds are outcomeKinds as the outbox stores them: they go out
// before everything else.
var moneyKinds = func() []string {
	var kinds []string
	for k := range outcomeKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}()

// send posts message m, or settles an interrupted post of it first. It
// returns an error when the database failed.
func (s *sender) send(ctx context.Context, m storage.OutboxMessage) error {
	b := s.b
	log := s.log.With("outbox", m.ID, "channel", m.Channel, "user_id", m.UserID, "kind", m.Kind)
	if m.State == storage.OutboxSending {
		// An earlier post may have reached Twitter: look before posting,
		// once Twitter lists what the daemon before this one may have
		// posted just before it stopped.
		if at := s.started.Add(b.opt.PollLag); b.now().Before(at) {
			return s.reschedule(ctx, log, m, at, false, errNotListedYet)
		}
		p, found, err := s.find(m)
		if err != nil {
			if errors.Is(err, errNotSettled) {
				log.Warn("still looking for an interrupted post on Twitter; it is not posted again until that is known", "err", err)
			} else {
				b.twitterFailed("look for an interrupted post", err)
			}
			return s.reschedule(ctx, log, m, s.retryAt(m, err), false, err)
		}
		if found {
			return s.markSent(ctx, log, m, p, "found on Twitter after an interrupted post")
		}
	}
	if err := b.db.MarkSending(ctx, m.ID); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil // finished meanwhile
		}
		return fmt.Errorf("mark sending: %w", err)
	}
	return s.post(ctx, log, m, nil)
}

// posted collects the posts of a step that went through, to record them
// in one commit.
type posted struct {
	mu    sync.Mutex
	msgs  map[int64]storage.OutboxMessage
	posts map[int64]storage.Post // by outbox id
}

// post posts m, whose post is recorded as begun (MarkSending), and
// records what came of it: a post that went through is added to batch to
// be recorded with the others, or recorded at once when batch is nil. It
// returns an error when the database failed.
func (s *sender) post(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, batch *posted) error {
	b := s.b
	crashpoint.Hit(crashpoint.BeforePost)
	var id int64
	var err error
	began := b.now()
	if m.Channel == conversations.DM {
		id, err = b.tw.SendDM(m.UserID, m.Text)
	} else {
		id, err = b.tw.Post(m.Text, m.InReplyTo)
	}
	crashpoint.Hit(crashpoint.AfterPost)
	if err == nil {
		p := storage.Post{ID: id, At: postedAt(id, began, b.now())}
		if batch == nil {
			return s.markSent(ctx, log, m, p, "")
		}
		batch.mu.Lock()
		batch.msgs[m.ID], batch.posts[m.ID] = m, p
		batch.mu.Unlock()
		return nil
	}
	if shortened, serr := s.shortenTooLong(ctx, log, m, err); shortened || serr != nil {
		return serr
	}
	now := b.now()
	switch twitterapi.Classify(err) {
	case twitterapi.KindDuplicate:
		// 187 alone does not prove the reply is out: it may be an older
		// tweet with the same text. Look for this reply itself.
		p, found, ferr := s.find(m)
		if ferr != nil {
			return s.reschedule(ctx, log, m, s.retryAt(m, ferr), false, ferr)
		}
		if found {
			return s.markSent(ctx, log, m, p, "duplicate status, and it is this reply")
		}
		text := m.Text + " ·" + strconv.FormatInt(m.ID, 36)
		if err := b.db.ReplaceText(context.WithoutCancel(ctx), m.ID, text); err != nil {
			return fmt.Errorf("change duplicate text: %w", err)
		}
		log.Warn("Twitter calls this text a duplicate of an older tweet; sending it with a distinguishing suffix")
		return s.reschedule(ctx, log, m, now, true, err)
	case twitterapi.KindGone, twitterapi.KindRefused, twitterapi.KindTooLong:
		// A text too long that shortenTooLong did not shorten is refused.
		return s.refused(ctx, log, m, err)
	case twitterapi.KindAccount:
		at := now.Add(5 * time.Minute)
		log.Error("TWITTER REFUSES THE ACCOUNT THIS: posting paused, everything stays queued; an operator must look", "err", err, "alert", "twitter_account_refused")
		s.pause(m.Channel, at, err.Error())
		return s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindUnexpected:
		// A refusal Twitter's documentation does not explain: maybe this
		// message's (a reply its author does not allow), maybe passing.
		// Only this message waits; after a few tries it counts as refused.
		if m.Attempts >= unexpectedTries {
			return s.refused(ctx, log, m, err)
		}
		log.Error("Twitter refuses this message with an unexpected error; it is tried again", "err", err)
		return s.reschedule(ctx, log, m, now.Add(time.Minute), true, err)
	case twitterapi.KindRateLimited:
		at := s.retryAt(m, err)
		s.pause(m.Channel, at, "rate limited")
		return s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindPostingLimit:
		at := now.Add(b.settings().cfg.Twitter.Limits.TweetWindow)
		if oldest, oerr := b.db.OldestSentSince(ctx, m.Channel, now.Add(-b.settings().cfg.Twitter.Limits.TweetWindow)); oerr == nil && !oldest.IsZero() {
			at = oldest.Add(b.settings().cfg.Twitter.Limits.TweetWindow)
		}
		s.pause(m.Channel, at, "Twitter's posting limit (185)")
		return s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindPaused:
		at := now.Add(15 * time.Minute)
		log.Error("Twitter asks the account to pause (226/326); posting paused", "err", err)
		s.pause(m.Channel, at, err.Error())
		return s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindCapped:
		at := now.Add(15 * time.Minute)
		if e := (*twitterapi.Error)(nil); errors.As(err, &e) && e.ResetAt.After(now) {
			at = e.ResetAt
		}
		if !twitterapi.NotSent(err) {
			log.Error("ALERT: the API's usage cap or pay-per-use credits are used up: posting on this channel paused, everything stays queued; an operator must raise the cap or add credits", "until", at.Format(time.RFC3339), "err", err)
		}
		s.pause(m.Channel, at, "usage cap or credits used up")
		return s.reschedule(ctx, log, m, at, true, err)
	case twitterapi.KindAuth:
		b.twitterFailed("post", err)
		return s.reschedule(ctx, log, m, now.Add(5*time.Second), true, err)
	default: // transient or unknown: it may be on Twitter
		if !twitterapi.MayHavePosted(err) {
			return s.reschedule(ctx, log, m, now.Add(backoff.Wait(m.Attempts+1)), true, err)
		}
		return s.reschedule(ctx, log, m, s.listedAfter(now, backoff.Wait(m.Attempts+1)), false, err)
	}
}

// listedAfter is when to look for a post that may have been made by now:
// wait from now, and no sooner than PollLag, since Twitter's lists may
// not show a post until then, and a search that looked sooner would miss
// it and post it again. Tweets have Twitter's duplicate check (187)
// behind this; direct messages have nothing.
func (s *sender) listedAfter(now time.Time, wait time.Duration) time.Time {
	return now.Add(max(wait, s.b.opt.PollLag))
}

// errNotListedYet says that an interrupted post is not looked for yet:
// Twitter may not list it yet.
var errNotListedYet = errors.New("an interrupted post may not be listed by Twitter yet; it is looked for shortly")

// postedAt is when Twitter made post id, as near as the sender can tell
// and never later, so that a confirmation request's window is never
// longer than its text says: the time in the id when it is a snowflake
// of the call's span (as Twitter's ids are), else the moment the call
// began.
func postedAt(id int64, began, answered time.Time) time.Time {
	if at := time.UnixMilli(id>>22 + snowflakeEpoch); !at.Before(began) && !at.After(answered) {
		return at
	}
	return began
}

// snowflakeEpoch is Twitter's epoch of ids, in Unix milliseconds.
const snowflakeEpoch = 1288834974657

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
func (s *sender) refused(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, cause error) error {
	b := s.b
	ctx = context.WithoutCancel(ctx)
	if outcomeKinds[m.Kind] && m.Channel == conversations.Tweet && m.InReplyTo != 0 && twitterapi.Classify(cause) == twitterapi.KindGone {
		log.Warn("the tweet this answers was deleted; sending it as a mention instead", "err", cause)
		if err := b.db.Unthread(ctx, m.ID); err != nil {
			return fmt.Errorf("unthread: %w", err)
		}
		return s.reschedule(ctx, log, m, b.now(), true, cause)
	}
	var notes []conversations.Reply
	if m.Channel == conversations.DM && m.OrderID != "" && (outcomeKinds[m.Kind] || m.IsRequest) {
		o, err := b.db.Order(ctx, m.OrderID)
		if err != nil {
			log.Error("read the order to tell its cardholder; tried again later", "err", err)
			return s.reschedule(ctx, log, m, b.now().Add(time.Minute), true, cause)
		}
		if o.ScreenName == "" {
			log.Error("ALERT: a direct message about a cardholder's order could not be delivered, and no screen name is known to tell them in public", "order", o.ID, "alert", "dm_undeliverable")
		} else {
			notes = append(notes, conversations.UndeliverableReply(b.settings().messages, o))
		}
	}
	log.Error("Twitter refuses this message for good; it will not be sent", "err", cause, "public_note", len(notes) > 0)
	if err := b.db.MarkFailed(ctx, m.ID, cause.Error(), notes...); err != nil && !errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("mark failed: %w", err)
	}
	return nil
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
	return now.Add(backoff.Wait(m.Attempts + 1))
}

// reschedule puts m off until at. It returns an error when the database
// failed.
func (s *sender) reschedule(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, at time.Time, notPosted bool, cause error) error {
	if err := s.b.db.Reschedule(context.WithoutCancel(ctx), m.ID, at, notPosted, cause.Error()); err != nil {
		return fmt.Errorf("reschedule: %w", err)
	}
	log.Warn("send failed; will retry", "at", at.Format(time.RFC3339), "known_not_posted", notPosted, "err", cause)
	return nil
}

// markSent records m as posted as p. It returns an error when the
// database failed.
func (s *sender) markSent(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, p storage.Post, note string) error {
	// Recorded even while shutting down: it is on Twitter now.
	if err := s.b.db.MarkSent(context.WithoutCancel(ctx), m.ID, p); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			log.Warn("already finished; not recorded twice", "sent_id", p.ID, "err", err)
			return nil
		}
		log.Error("record sent", "sent_id", p.ID, "err", err)
		// Still unsettled: look again later rather than at once, so that
		// a failing write cannot spin on Twitter's budgets, and once
		// Twitter lists the post.
		if rerr := s.reschedule(ctx, log, m, s.listedAfter(s.b.now(), backoff.Wait(m.Attempts+1)), false, err); rerr != nil {
			return rerr
		}
		return fmt.Errorf("record sent: %w", err)
	}
	s.sent(log, m, p.ID, note)
	return nil
}

// sent is what follows a post's record.
func (s *sender) sent(log *slog.Logger, m storage.OutboxMessage, id int64, note string) {
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

// search is where an unfinished search for an outbox message stopped:
// the next page's token of the DM list or of the bot's own tweets.
type search struct {
	token string
}

// find looks on Twitter for message m, whose post may or may not have
// gone through: a reply in the bot's own timeline, answering the same
// tweet with the same text; a DM among the bot's sent messages to the same
// cardholder with the same text; in both cases made since the attempt
// began (the first attempt: an earlier post may show only after a later
// one was made). A message already recorded as another outbox message's
// is not m: the bot may send one cardholder the same text twice (the help
// text, say). It returns the post with Twitter's time of it, or
// errNotSettled when it has not reached back that far yet.
func (s *sender) find(m storage.OutboxMessage) (storage.Post, bool, error) {
	b := s.b
	since := m.SendingSince.Add(-clockSkew)
	s.searchMu.Lock()
	at := s.searches[m.ID]
	s.searchMu.Unlock()
	match := func(id int64, created time.Time, ok bool) (bool, error) {
		if !ok || created.Before(since) {
			return false, nil
		}
		taken, err := b.db.SentIDRecorded(context.WithoutCancel(b.work), m.Channel, id)
		return !taken, err
	}
	done := func(p storage.Post, found bool, err error) (storage.Post, bool, error) {
		var te *twitterapi.Error
		s.searchMu.Lock()
		defer s.searchMu.Unlock()
		if err == nil || errors.Is(err, errNotSettled) || (errors.As(err, &te) && te.Status == http.StatusBadRequest) {
			// Settled, or going on from here, or a saved cursor Twitter no
			// longer takes: the next search starts from the newest.
			delete(s.searches, m.ID)
		}
		if errors.Is(err, errNotSettled) {
			s.searches[m.ID] = at
		}
		return p, found, err
	}
	if m.Channel == conversations.DM {
		for page := 0; page < findPages; page++ {
			events, next, err := b.tw.DMEvents(at.token)
			if err != nil {
				return done(storage.Post{}, false, err)
			}
			for _, e := range events {
				ok, err := match(e.ID, e.CreatedAt, e.SenderID == b.botID.Load() && e.RecipientID == m.UserID && sameText(e.Text, m.Text))
				if err != nil || ok {
					return done(storage.Post{ID: e.ID, At: e.CreatedAt}, ok, err)
				}
			}
			if next == "" || len(events) == 0 || events[len(events)-1].CreatedAt.Before(since) {
				return done(storage.Post{}, false, nil)
			}
			at.token = next
		}
		return done(storage.Post{}, false, errNotSettled)
	}
	sinceID := m.InReplyTo // our reply is newer than the tweet it answers
	for page := 0; page < findPages; page++ {
		p, err := b.tw.OwnTweets(b.botID.Load(), sinceID, at.token)
		if err != nil {
			return done(storage.Post{}, false, err)
		}
		for _, t := range p.Tweets {
			ok, err := match(t.ID, t.CreatedAt, t.InReplyTo == m.InReplyTo && sameText(t.Text, m.Text))
			if err != nil || ok {
				return done(storage.Post{ID: t.ID, At: t.CreatedAt}, ok, err)
			}
		}
		if p.Count == 0 || p.Next == "" || (len(p.Tweets) > 0 && p.Tweets[len(p.Tweets)-1].CreatedAt.Before(since)) {
			return done(storage.Post{}, false, nil)
		}
		at.token = p.Next
	}
	return done(storage.Post{}, false, errNotSettled)
}

// sameText compares a text read back from Twitter with the one sent:
// Twitter HTML-escapes &, < and > in what it returns, and trims.
func sameText(got, sent string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(html.UnescapeString(s)), " ") }
	return norm(got) == norm(sent)
}
