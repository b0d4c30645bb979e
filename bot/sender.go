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
	senderDeps

	mu     sync.Mutex
	paused map[conversations.Channel]time.Time // no posting on a channel until then

	// started bounds when the daemon before this one last posted.
	started time.Time

	searchMu sync.Mutex
	searches map[int64]search // unfinished searches, by outbox id
}

// senderStore is what the sender reads and writes; *storage.DB is it.
type senderStore interface {
	NextOutbox(ctx context.Context, now time.Time, limit int, first []string) ([]storage.OutboxMessage, error)
	MarkSending(ctx context.Context, id int64) error
	MarkSendingAll(ctx context.Context, ids []int64) (map[int64]bool, error)
	MarkSentAll(ctx context.Context, sent map[int64]storage.Post) (map[int64]bool, error)
	ApplyDelivery(ctx context.Context, id int64, d storage.Delivery) error
	SentByUserSince(ctx context.Context, ch conversations.Channel, t time.Time) (map[int64]int, error)
	OldestSentSince(ctx context.Context, ch conversations.Channel, t time.Time) (time.Time, error)
	SentIDRecorded(ctx context.Context, ch conversations.Channel, sentID int64) (bool, error)
	Order(ctx context.Context, id string) (conversations.Order, error)
}

// senderTwitter is what the sender calls of Twitter: posts, and the lists
// where it looks for a post it may have made.
type senderTwitter interface {
	Post(text string, inReplyTo int64) (int64, error)
	SendDM(recipient int64, text string) (int64, error)
	OwnTweets(userID, sinceID int64, token string) (twitterapi.Page, error)
	DMEvents(token string) ([]twitterapi.DM, string, error)
}

// twitterAccess is what a worker that calls Twitter learns from the bot
// of the account's standing, and tells it of failures.
type twitterAccess struct {
	botID  func() int64 // the bot's own user id; 0 until known
	ready  func() bool  // verified, and the credentials work (tried again when refused)
	broken func() bool  // the credentials are refused
	failed func(what string, err error)
}

// senderDeps is what a sender is made of.
type senderDeps struct {
	store         senderStore
	twitter       senderTwitter
	access        twitterAccess
	guard         *restoreGuard
	settings      func() *settings
	now           func() time.Time
	log           *slog.Logger
	pollLag       time.Duration // Options.PollLag
	wakeProcessor func()        // a sent request may let a confirmation be decided
	// work gives the context of the posts and storage calls in flight:
	// cancelled when they are abandoned, later than Run's (the bot makes
	// it when it opens).
	work func() context.Context
	// loop runs step: the sender's wake-up, idle pause and database
	// backoff.
	loop loop
}

// concurrentPosts bounds the posts the sender has in flight at once: each
// is a different cardholder's (NextOutbox gives one message per
// recipient), so overlapping them keeps everyone's order.
const concurrentPosts = 8

func newSenderOf(d senderDeps) *sender {
	return &sender{senderDeps: d, started: d.now(), paused: map[conversations.Channel]time.Time{}, searches: map[int64]search{}}
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

// Run posts the outbox until ctx ends: nothing new is begun after it,
// and posts in flight go on under the work context.
func (s *sender) Run(ctx context.Context) {
	s.loop.run(ctx, func() (bool, time.Duration, error) { return s.step(ctx, s.work()) })
}

// step sends the next messages that may go now: news about money first,
// then the cardholders who have had the fewest posts in the window, so
// that when the posting budget runs short one cardholder cannot spend it
// for everyone. Each is a different cardholder's, and up to
// concurrentPosts are posted at once. Nothing new is begun once stop is
// done; work is the context of the work in flight. It returns how long
// until something may be due when there is nothing to do now, and an
// error when the database failed.
func (s *sender) step(stop, work context.Context) (bool, time.Duration, error) {
	if s.access.botID() == 0 || !s.access.ready() {
		return false, 5 * time.Second, nil
	}
	now := s.now()
	msgs, err := s.store.NextOutbox(work, now, 20, moneyKinds)
	if err != nil {
		return false, 0, err
	}
	msgs, did, err := s.guard.screen(work, msgs, s.markSent)
	if err != nil || len(msgs) == 0 {
		return did, 0, err
	}
	budgets, err := s.budgets(work, now)
	if err != nil {
		return false, 0, err
	}
	sortForBudget(msgs, budgets)
	out, err := s.withinBudget(stop, work, msgs, budgets, now)
	if err != nil {
		return did, 0, err
	}
	return did || len(out) > 0, 0, s.sendAll(stop, work, out)
}

// sortForBudget puts news about money first, then the cardholders who
// have had the fewest posts in the window.
func sortForBudget(msgs []storage.OutboxMessage, budgets map[conversations.Channel][]*budget) {
	sort.SliceStable(msgs, func(i, j int) bool {
		mi, mj := msgs[i], msgs[j]
		if oi, oj := outcomeKinds[mi.Kind], outcomeKinds[mj.Kind]; oi != oj {
			return oi
		}
		return budgets[mi.Channel][0].byUser[mi.UserID] < budgets[mj.Channel][0].byUser[mj.UserID]
	})
}

// withinBudget returns those of msgs that may be posted now, counting
// each against its channel's budgets, and pauses a channel whose budget
// is used up.
func (s *sender) withinBudget(stop, work context.Context, msgs []storage.OutboxMessage, budgets map[conversations.Channel][]*budget, now time.Time) ([]storage.OutboxMessage, error) {
	var out []storage.OutboxMessage
	for _, m := range msgs {
		if stop.Err() != nil || s.access.broken() {
			break
		}
		if _, paused := s.pausedUntil(m.Channel, now); paused {
			continue
		}
		buds := budgets[m.Channel]
		if bud := spentBudget(buds); bud != nil {
			if err := s.pauseForBudget(work, m.Channel, bud, now); err != nil {
				return out, err
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
	return out, nil
}

// sendAll sends msgs, up to concurrentPosts at a time, and returns the
// first database failure. The posts of messages never tried are recorded
// as begun all in one commit, before any of them is made.
func (s *sender) sendAll(stop, ctx context.Context, msgs []storage.OutboxMessage) error {
	var fresh []int64
	for _, m := range msgs {
		if m.State == storage.OutboxPending {
			fresh = append(fresh, m.ID)
		}
	}
	marked, err := s.store.MarkSendingAll(ctx, fresh)
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
			if err := s.sendOne(stop, ctx, m, marked[m.ID], batch); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return cmp.Or(first, s.recordSent(ctx, batch))
}

// sendOne posts m, one of a step's; marked says its post was recorded as
// begun in this step.
func (s *sender) sendOne(stop, ctx context.Context, m storage.OutboxMessage, marked bool, batch *posted) error {
	if marked {
		// Its post is recorded as begun: made now, it costs no search of
		// Twitter at the next start. Twitter's own refusals (a pause, a
		// rate limit) put it back.
		return s.post(ctx, logFor(s.log, m), m, batch)
	}
	if stop.Err() != nil || s.access.broken() {
		return nil
	}
	if _, paused := s.pausedUntil(m.Channel, s.now()); paused {
		return nil
	}
	return s.send(ctx, m)
}

func logFor(log *slog.Logger, m storage.OutboxMessage) *slog.Logger {
	return log.With("outbox", m.ID, "channel", m.Channel, "user_id", m.UserID, "kind", m.Kind)
}

// recordSent records the posts of batch in one commit, and what follows
// from each; when that commit fails, each is recorded on its own. It
// returns an error when the database failed.
func (s *sender) recordSent(ctx context.Context, batch *posted) error {
	// Recorded even while shutting down: they are on Twitter now.
	finished, err := s.store.MarkSentAll(context.WithoutCancel(ctx), batch.posts)
	var errs []error
	for outboxID, p := range batch.posts {
		m := batch.msgs[outboxID]
		log := logFor(s.log, m)
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
	lim := s.settings().cfg.Twitter.Limits
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
			byUser, err := s.store.SentByUserSince(ctx, ch, now.Add(-bud.window))
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
	oldest, err := s.store.OldestSentSince(ctx, ch, now.Add(-bud.window))
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
	log := logFor(s.log, m)
	if m.State == storage.OutboxSending {
		// An earlier post may have reached Twitter: look before posting,
		// once Twitter lists what the daemon before this one may have
		// posted just before it stopped.
		if at := s.started.Add(s.pollLag); s.now().Before(at) {
			return s.apply(ctx, log, m, retry(at, false, errNotListedYet))
		}
		p, found, err := s.find(ctx, m)
		if d, settled := afterSearch(m, p, found, err, s.now()); settled {
			return s.apply(ctx, log, m, d)
		}
	}
	if err := s.store.MarkSending(ctx, m.ID); err != nil {
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
// records what came of it (deliver): a post that went through is added to
// batch to be recorded with the others, or recorded at once when batch is
// nil. It returns an error when the database failed.
func (s *sender) post(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, batch *posted) error {
	crashpoint.Hit(crashpoint.BeforePost)
	var a postAnswer
	var id int64
	began := s.now()
	if m.Channel == conversations.DM {
		id, a.err = s.twitter.SendDM(m.UserID, m.Text)
	} else {
		id, a.err = s.twitter.Post(m.Text, m.InReplyTo)
	}
	crashpoint.Hit(crashpoint.AfterPost)
	if a.err == nil && batch != nil {
		batch.mu.Lock()
		batch.msgs[m.ID], batch.posts[m.ID] = m, storage.Post{ID: id, At: postedAt(id, began, s.now())}
		batch.mu.Unlock()
		return nil
	}
	if a.err == nil {
		a.post = storage.Post{ID: id, At: postedAt(id, began, s.now())}
	} else {
		s.lookUp(ctx, m, &a)
	}
	return s.apply(ctx, log, m, deliver(m, a, s.now(), s.rules()))
}

// lookUp reads what the transition needs to know besides Twitter's
// answer a.err: whether a duplicate is this message, when a posting
// limit's window frees, the order a refused DM is about.
func (s *sender) lookUp(ctx context.Context, m storage.OutboxMessage, a *postAnswer) {
	switch {
	case twitterapi.Classify(a.err) == twitterapi.KindDuplicate:
		a.foundPost, a.found, a.findErr = s.find(ctx, m)
	case twitterapi.Classify(a.err) == twitterapi.KindPostingLimit:
		window := s.settings().cfg.Twitter.Limits.TweetWindow
		a.oldestSent, _ = s.store.OldestSentSince(ctx, m.Channel, s.now().Add(-window))
	case mayRefuse(a.err) && aboutOrder(m):
		a.order, a.orderErr = s.store.Order(context.WithoutCancel(ctx), m.OrderID)
	}
}

func (s *sender) rules() sendRules {
	st := s.settings()
	return sendRules{pollLag: s.pollLag, tweetWindow: st.cfg.Twitter.Limits.TweetWindow, messages: st.messages}
}

// apply does what d says becomes of m: one storage call records it, and
// the channel is paused, the bot told of a failure, and the log told, as
// d says. It returns an error when the database failed.
func (s *sender) apply(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, d delivery) error {
	for _, l := range d.logs {
		log.Log(ctx, l.level, l.msg, l.args...)
	}
	if d.twitterFailed != "" {
		s.access.failed(d.twitterFailed, d.cause)
	}
	if !d.pause.IsZero() {
		s.pause(m.Channel, d.pause, d.pauseWhy)
	}
	if d.store.Sent != nil {
		return s.markSent(ctx, log, m, *d.store.Sent, d.note)
	}
	// Recorded even while shutting down: what Twitter answered is known.
	err := s.store.ApplyDelivery(context.WithoutCancel(ctx), m.ID, d.store)
	switch {
	case errors.Is(err, storage.ErrConflict):
		return nil // finished meanwhile
	case err != nil:
		return fmt.Errorf("record delivery: %w", err)
	case d.store.Failed:
		log.Error("Twitter refuses this message for good; it will not be sent", "err", d.cause, "public_note", len(d.store.Notes) > 0)
	default:
		log.Warn("send failed; will retry", "at", d.store.RetryAt.Format(time.RFC3339), "known_not_posted", d.store.NotPosted, "err", d.cause)
	}
	return nil
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
	string(messages.ApprovalPending): true, string(messages.NotApproved): true,
}

// unexpectedTries is how many times a message Twitter refuses with an
// unexpected error is tried before it counts as refused.
const unexpectedTries = 3

// markSent records m as posted as p. It returns an error when the
// database failed.
func (s *sender) markSent(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, p storage.Post, note string) error {
	// Recorded even while shutting down: it is on Twitter now.
	err := s.store.ApplyDelivery(context.WithoutCancel(ctx), m.ID, storage.Delivery{Sent: &p})
	if errors.Is(err, storage.ErrConflict) {
		log.Warn("already finished; not recorded twice", "sent_id", p.ID, "err", err)
		return nil
	}
	if err != nil {
		log.Error("record sent", "sent_id", p.ID, "err", err)
		// Still unsettled: look again later rather than at once, so that
		// a failing write cannot spin on Twitter's budgets, and once
		// Twitter lists the post.
		at := listedAfter(s.now(), backoff.Wait(m.Attempts+1), s.pollLag)
		if rerr := s.apply(ctx, log, m, retry(at, false, err)); rerr != nil {
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
		s.wakeProcessor() // a confirmation may be waiting on this
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
func (s *sender) find(ctx context.Context, m storage.OutboxMessage) (storage.Post, bool, error) {
	s.searchMu.Lock()
	at := s.searches[m.ID]
	s.searchMu.Unlock()
	f := finder{s: s, ctx: context.WithoutCancel(ctx), m: m, since: m.SendingSince.Add(-clockSkew), at: at}
	var p storage.Post
	var found bool
	var err error
	if m.Channel == conversations.DM {
		p, found, err = f.dms()
	} else {
		p, found, err = f.tweets()
	}
	s.searchMu.Lock()
	defer s.searchMu.Unlock()
	var te *twitterapi.Error
	if err == nil || errors.Is(err, errNotSettled) || (errors.As(err, &te) && te.Status == http.StatusBadRequest) {
		// Settled, or going on from here, or a saved cursor Twitter no
		// longer takes: the next search starts from the newest.
		delete(s.searches, m.ID)
	}
	if errors.Is(err, errNotSettled) {
		s.searches[m.ID] = f.at
	}
	return p, found, err
}

// finder is one search for message m (see find); at is where it is.
type finder struct {
	s     *sender
	ctx   context.Context
	m     storage.OutboxMessage
	since time.Time
	at    search
}

// match reports whether a post on Twitter that looks like m (ok) is it:
// made since its first attempt, and no other message's.
func (f *finder) match(id int64, created time.Time, ok bool) (bool, error) {
	if !ok || created.Before(f.since) {
		return false, nil
	}
	taken, err := f.s.store.SentIDRecorded(f.ctx, f.m.Channel, id)
	return !taken, err
}

func (f *finder) dms() (storage.Post, bool, error) {
	bot := f.s.access.botID()
	for page := 0; page < findPages; page++ {
		events, next, err := f.s.twitter.DMEvents(f.at.token)
		if err != nil {
			return storage.Post{}, false, err
		}
		for _, e := range events {
			ok, err := f.match(e.ID, e.CreatedAt, e.SenderID == bot && e.RecipientID == f.m.UserID && sameText(e.Text, f.m.Text))
			if err != nil || ok {
				return storage.Post{ID: e.ID, At: e.CreatedAt}, ok, err
			}
		}
		if next == "" || len(events) == 0 || events[len(events)-1].CreatedAt.Before(f.since) {
			return storage.Post{}, false, nil
		}
		f.at.token = next
	}
	return storage.Post{}, false, errNotSettled
}

func (f *finder) tweets() (storage.Post, bool, error) {
	sinceID := f.m.InReplyTo // our reply is newer than the tweet it answers
	for page := 0; page < findPages; page++ {
		p, err := f.s.twitter.OwnTweets(f.s.access.botID(), sinceID, f.at.token)
		if err != nil {
			return storage.Post{}, false, err
		}
		for _, t := range p.Tweets {
			ok, err := f.match(t.ID, t.CreatedAt, t.InReplyTo == f.m.InReplyTo && sameText(t.Text, f.m.Text))
			if err != nil || ok {
				return storage.Post{ID: t.ID, At: t.CreatedAt}, ok, err
			}
		}
		if p.Count == 0 || p.Next == "" || (len(p.Tweets) > 0 && p.Tweets[len(p.Tweets)-1].CreatedAt.Before(f.since)) {
			return storage.Post{}, false, nil
		}
		f.at.token = p.Next
	}
	return storage.Post{}, false, errNotSettled
}

// sameText compares a text read back from Twitter with the one sent:
// Twitter HTML-escapes &, < and > in what it returns, and trims.
func sameText(got, sent string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(html.UnescapeString(s)), " ") }
	return norm(got) == norm(sent)
}
