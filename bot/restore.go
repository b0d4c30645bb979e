package bot

import (
	"context"
	"errors"
	"html"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/money"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// restoreGuard keeps the sender from making a reply visible twice when the
// database is behind Twitter: restored from a replica that lost its last
// seconds, or a copy run by a second daemon on the same account.
//
// Before its first post, the sender reads the bot's own timeline and DM
// events newer than the newest post the database records. What it finds
// there that no outbox message records was posted by a daemon that had
// this database's lost future, or by another daemon. Every outbox message
// is first matched against those posts by what identifies it (the tweet it
// answers, or its recipient, and its order and text), and recorded as
// sent when one is it. While such posts are unclaimed, the guard is
// careful: a message is posted only after a settling delay longer than a
// poll, and after a fresh read of Twitter, so that a second daemon that
// answered the same message first is found rather than repeated. A post
// made by somebody else while this daemon runs, which this daemon had
// queued too, proves a second daemon is live on the account: this one
// then posts nothing more (it fences itself) and says so loudly.
//
// Careful lasts while such posts are unclaimed, and at least
// carefulRounds settling delays after the first read that found them:
// a daemon that came back on an old database while another runs must
// still be careful when the other one next posts.
//
// The sender's goroutine owns the guard; what the processor reads too
// is its restoreHolds.
type restoreGuard struct {
	guardDeps
	holds *restoreHolds

	scanned   bool
	retryScan time.Time                           // wall clock: when a failed first read is tried again
	newest    map[conversations.Channel]int64     // newest post id each channel's reads reached
	lastScan  map[conversations.Channel]time.Time // wall clock at the start of the last read
	firstSeen map[int64]time.Time                 // outbox id: when a careful guard first held it
	lastAlert time.Time
}

// guardStore is what the restore guard reads; *storage.DB is it.
type guardStore interface {
	NewestSentID(ctx context.Context, ch conversations.Channel) (int64, error)
	SendingOutbox(ctx context.Context) ([]storage.OutboxMessage, error)
	RandomIDOrders(ctx context.Context) (int, error)
	SentIDRecorded(ctx context.Context, ch conversations.Channel, sentID int64) (bool, error)
	Order(ctx context.Context, id string) (conversations.Order, error)
	Quiet(ctx context.Context) (bool, error)
	NewestDoneInboxID(ctx context.Context) (int64, error)
	AnyOrderPending(ctx context.Context, ids []string) (bool, error)
}

// guardTwitter is what the restore guard reads of Twitter: the bot's own
// posts, and what is left of those lists' budgets.
type guardTwitter interface {
	OwnTweets(userID, sinceID int64, token string) (twitterapi.Page, error)
	DMEvents(token string) ([]twitterapi.DM, string, error)
	Limit(call twitterapi.Call) (twitterapi.RateLimit, bool)
}

// guardDeps is what a restore guard is made of.
type guardDeps struct {
	store    guardStore
	twitter  guardTwitter
	access   twitterAccess
	settings func() *settings
	now      func() time.Time
	log      *slog.Logger
	maxAge   time.Duration // Options.MaxAge
}

// restoreHolds is what the restore guard and the processor share: the
// bot's posts on Twitter that no outbox message records yet, and whether
// the guard is careful. The guard writes it; the processor asks it
// whether a message must wait (holdsUp).
type restoreHolds struct {
	log  *slog.Logger
	wait time.Duration // Options.RestoreWait

	fenced atomic.Bool // another daemon posts for this account: post nothing

	mu          sync.Mutex
	read        bool          // the first read of both channels is done
	posts       []twitterPost // unclaimed, oldest first
	suspects    bool          // some of posts are suspect
	carefulTill time.Time     // wall clock: careful at least until then
	wasCareful  bool

	waits map[int64]time.Time // inbox id: since when a message waits (processor only)
}

// newRestoreHolds returns holds that are careful until the guard's first
// read says otherwise: the processor must not answer a confirmation as
// too early while its request may be on Twitter already.
func newRestoreHolds(log *slog.Logger, wait time.Duration) *restoreHolds {
	return &restoreHolds{log: log, wait: wait, waits: map[int64]time.Time{}, suspects: true}
}

// twitterPost is one of the bot's posts on Twitter that no outbox message
// records.
type twitterPost struct {
	ch        conversations.Channel
	id        int64
	inReplyTo int64 // tweets
	recipient int64 // DMs
	text      string
	created   time.Time // Twitter's time of it
	// suspect: a reply or DM that no interrupted post of this daemon
	// explains: it makes the guard careful.
	suspect bool
	// live: first seen after the first read, so posted while this daemon
	// runs.
	live bool
}

func newRestoreGuard(d guardDeps, holds *restoreHolds) *restoreGuard {
	return &restoreGuard{guardDeps: d, holds: holds, newest: map[conversations.Channel]int64{}, lastScan: map[conversations.Channel]time.Time{},
		firstSeen: map[int64]time.Time{}}
}

// recordFunc records m as posted as p (the sender's markSent). It returns
// an error when the database failed.
type recordFunc func(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, p storage.Post, note string) error

// screen takes the messages due now and returns those the sender may post;
// the others are recorded as sent with record (claimed: they are on
// Twitter already) or held for now. claimed reports whether any was
// recorded. It returns an error when the database failed.
func (g *restoreGuard) screen(ctx context.Context, due []storage.OutboxMessage, record recordFunc) (post []storage.OutboxMessage, claimed bool, err error) {
	if !g.scanned {
		// Nothing is posted before both channels are read: a reply made
		// before a restore must be found before it could be made again.
		if read, err := g.readFirst(ctx); !read {
			return nil, false, err
		}
	}
	if len(due) == 0 {
		g.prune(ctx)
		return nil, false, nil
	}
	for _, m := range due {
		ok, c, err := g.screenOne(ctx, m, record)
		claimed = claimed || c
		if err != nil {
			return post, claimed, err
		}
		if ok {
			post = append(post, m)
		}
	}
	return post, claimed, nil
}

// readFirst makes the first read (firstScan), unless a failed one is not
// to be tried again yet, and reports whether it is done. It returns an
// error when the database failed.
func (g *restoreGuard) readFirst(ctx context.Context) (bool, error) {
	if time.Now().Before(g.retryScan) {
		return false, nil
	}
	if err := g.firstScan(ctx); err != nil {
		g.retryScan = time.Now().Add(5 * time.Second)
		if storage.Unavailable(err) {
			return false, err
		}
		g.access.failed("read the bot's own posts before posting", err)
		return false, nil
	}
	return true, nil
}

// screenOne reports whether m may be posted now, and whether it was
// claimed instead. It returns an error when the database failed.
func (g *restoreGuard) screenOne(ctx context.Context, m storage.OutboxMessage, record recordFunc) (postIt, claimed bool, err error) {
	terms, err := g.requestTerms(ctx, m)
	if err != nil {
		return false, false, err
	}
	if p, ok := g.holds.match(m, terms); ok {
		return false, true, g.claim(ctx, m, p, record)
	}
	if g.holds.fenced.Load() {
		if time.Since(g.lastAlert) > time.Minute {
			g.lastAlert = time.Now()
			g.log.Error("ALERT: ANOTHER DAEMON IS POSTING FOR THIS ACCOUNT: this one posts nothing more; stop one of them (the one on the older database) and restart the other")
		}
		return false, false, nil
	}
	// A message held while careful finishes its settling and its fresh
	// read even when careful ends meanwhile: the other daemon's answer
	// to it may be posted just after.
	first, held := g.firstSeen[m.ID]
	if !held && !g.holds.isCareful() {
		return true, false, nil
	}
	now := time.Now()
	if !held {
		first = now
		g.firstSeen[m.ID] = now
	}
	ready := settledAt(first, g.settleDelay())
	if now.Before(ready) {
		return false, false, nil
	}
	if g.lastScan[m.Channel].Before(ready) {
		if wait, claimed, err := g.lookAgain(ctx, m, terms, record); wait || err != nil {
			return false, claimed, err
		}
	}
	delete(g.firstSeen, m.ID)
	return true, false, nil
}

// settledAt is when a message first held at first has settled: after the
// delay d, rounded up to a multiple of it, so that the messages of a
// burst share one read (the DM list allows 15 in 15 minutes).
func settledAt(first time.Time, d time.Duration) time.Time {
	ready := first.Add(d)
	if r := ready.Truncate(d); r.Before(ready) {
		ready = r.Add(d)
	}
	return ready
}

// lookAgain reads m's channel afresh before m, settled, is posted; wait
// reports that m must not be posted now: claimed, fenced, or the read not
// made. It returns an error when the database failed.
func (g *restoreGuard) lookAgain(ctx context.Context, m storage.OutboxMessage, terms []string, record recordFunc) (wait, claimed bool, err error) {
	if !g.budgetLeft(m.Channel) {
		return true, false, nil
	}
	if err := g.scan(ctx, m.Channel, false); err != nil {
		if storage.Unavailable(err) {
			return true, false, err
		}
		g.access.failed("read the bot's own posts before posting", err)
		return true, false, nil
	}
	if p, ok := g.holds.match(m, terms); ok {
		return true, true, g.claim(ctx, m, p, record)
	}
	return g.holds.fenced.Load(), false, nil
}

// firstScan reads both channels from the newest post the database records.
func (g *restoreGuard) firstScan(ctx context.Context) error {
	for _, ch := range []conversations.Channel{conversations.Tweet, conversations.DM} {
		if _, ok := g.newest[ch]; ok {
			continue // read before an error on the other channel
		}
		since, err := g.store.NewestSentID(ctx, ch)
		if err != nil {
			return err
		}
		g.newest[ch] = since
		if err := g.scan(ctx, ch, true); err != nil {
			delete(g.newest, ch)
			return err
		}
	}
	sending, err := g.store.SendingOutbox(ctx)
	if err != nil {
		return err
	}
	g.scanned = true
	if n := g.holds.judgeFirstRead(sending, g.settleDelay()); n > 0 {
		random, _ := g.store.RandomIDOrders(ctx)
		g.log.Warn("Twitter holds posts of the bot that this database does not record (it was restored, or another daemon posts for this account): every message is looked for there before it is posted",
			"posts", n, "settle_delay", g.settleDelay().String(), "orders_with_random_ids", random)
	}
	return nil
}

// judgeFirstRead marks the first read done, and as suspect each reply or
// DM it found that no interrupted post (sending) explains; while any is,
// and for carefulRounds settling delays at least, the guard is careful.
// It returns how many are suspect.
func (h *restoreHolds) judgeFirstRead(sending []storage.OutboxMessage, settle time.Duration) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.read = true
	n := 0
	for i := range h.posts {
		p := &h.posts[i]
		p.suspect = (p.ch == conversations.DM || p.inReplyTo != 0) && !slices.ContainsFunc(sending, func(m storage.OutboxMessage) bool {
			return p.matches(m) && sameText(p.text, m.Text)
		})
		if p.suspect {
			n++
		}
	}
	h.suspects = n > 0
	if n > 0 {
		h.carefulTill = time.Now().Add(carefulRounds * settle)
	}
	h.wasCareful = n > 0
	return n
}

// scanTimelinePages and scanDMPages bound one read: 16 pages of the user timeline reach back as
// far as Twitter lets it (3,200 tweets); 5 of the DM list, 250 events,
// spare its small budget.
const (
	scanTimelinePages = 16
	scanDMPages       = findPages
)

// scan reads a channel's posts by the bot newer than the last read, and
// keeps those no outbox message records.
func (g *restoreGuard) scan(ctx context.Context, ch conversations.Channel, first bool) error {
	r := &reading{ctx: context.WithoutCancel(ctx), g: g, ch: ch, first: first, since: g.newest[ch], newest: g.newest[ch], started: time.Now()}
	// A database that never recorded a post looks back only as far as
	// messages are acted on: older posts are the account's history.
	if r.since == 0 {
		r.oldest = g.now().Add(-g.maxAge)
	}
	var err error
	if ch == conversations.Tweet {
		err = r.tweets()
	} else {
		err = r.dms()
	}
	if err != nil {
		return err
	}
	g.holds.add(r.found)
	g.newest[ch] = r.newest
	g.lastScan[ch] = r.started
	return nil
}

// reading is one read of a channel (scan).
type reading struct {
	ctx     context.Context
	g       *restoreGuard
	ch      conversations.Channel
	first   bool
	since   int64     // the newest post the last read reached
	oldest  time.Time // older posts are the account's history
	started time.Time
	newest  int64
	found   []twitterPost
}

// keep keeps p, made at created, unless an outbox message records it.
func (r *reading) keep(p twitterPost, created time.Time) error {
	r.newest = max(r.newest, p.id)
	if created.Before(r.oldest) {
		return nil
	}
	recorded, err := r.g.store.SentIDRecorded(r.ctx, r.ch, p.id)
	if err != nil || recorded {
		return err
	}
	p.live, p.created = !r.first, created
	r.found = append(r.found, p)
	return nil
}

func (r *reading) tweets() error {
	token := ""
	for page := 0; page < scanTimelinePages; page++ {
		p, err := r.g.twitter.OwnTweets(r.g.access.botID(), r.since, token)
		if err != nil {
			return err
		}
		for _, t := range p.Tweets {
			if t.ID <= r.since || t.IsRetweet {
				continue
			}
			if err := r.keep(twitterPost{ch: r.ch, id: t.ID, inReplyTo: t.InReplyTo, text: t.Text}, t.CreatedAt); err != nil {
				return err
			}
		}
		if p.Count == 0 || p.Next == "" || p.Oldest <= r.since+1 {
			return nil
		}
		token = p.Next
	}
	return nil
}

func (r *reading) dms() error {
	bot := r.g.access.botID()
	cursor := ""
	for page := 0; page < scanDMPages; page++ {
		events, next, err := r.g.twitter.DMEvents(cursor)
		if err != nil {
			return err
		}
		reached, err := r.dmPage(events, bot)
		if err != nil || reached || next == "" || len(events) == 0 {
			return err
		}
		cursor = next
	}
	return nil
}

// dmPage keeps the DMs of a page the bot sent, and reports whether the
// page reached the last read.
func (r *reading) dmPage(events []twitterapi.DM, bot int64) (bool, error) {
	for _, e := range events {
		if e.ID <= r.since {
			return true, nil
		}
		if e.SenderID != bot {
			r.newest = max(r.newest, e.ID)
			continue
		}
		if err := r.keep(twitterPost{ch: r.ch, id: e.ID, recipient: e.RecipientID, text: e.Text}, e.CreatedAt); err != nil {
			return false, err
		}
	}
	return false, nil
}

// add adds the posts a read found that are not among the unclaimed yet.
func (h *restoreHolds) add(found []twitterPost) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range found {
		if !slices.ContainsFunc(h.posts, func(q twitterPost) bool { return q.ch == p.ch && q.id == p.id }) {
			p.suspect = p.live // a first read's are judged by firstScan
			h.posts = append(h.posts, p)
		}
	}
	slices.SortFunc(h.posts, func(a, b twitterPost) int { return compareInt(a.id, b.id) })
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// matches reports whether p answers what m answers: the same tweet, or a
// DM to the same cardholder; and, for a message about an order, names it.
func (p twitterPost) matches(m storage.OutboxMessage) bool {
	if p.ch != m.Channel {
		return false
	}
	// The receipt an audit sends (see auditor) answers no tweet, since
	// which confirmation counted is not known, while the one posted
	// before the restore answered it: a receipt names its order, and an
	// order has one.
	auditReceipt := m.OrderID != "" && m.InReplyTo == 0 && (m.Kind == string(messages.Receipt) || m.Kind == string(messages.ReceiptPointer))
	if m.Channel == conversations.Tweet && p.inReplyTo != m.InReplyTo && !auditReceipt {
		return false
	}
	if m.Channel == conversations.DM && p.recipient != m.UserID {
		return false
	}
	return m.OrderID == "" || strings.Contains(p.text, m.OrderID)
}

// requestTerms returns what a post must say, word for word, to be m when
// m is a confirmation request that names them: the amount and the card's
// last four digits. A request made again on other terms (the price
// changed during the outage, or the card) is a new request, not the old
// one: a confirmation of the old one must not charge the new terms.
func (g *restoreGuard) requestTerms(ctx context.Context, m storage.OutboxMessage) ([]string, error) {
	g.holds.mu.Lock()
	none := len(g.holds.posts) == 0
	g.holds.mu.Unlock()
	if !m.IsRequest || m.OrderID == "" || none {
		return nil, nil
	}
	o, err := g.store.Order(ctx, m.OrderID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var terms []string
	for _, t := range []string{money.Format(o.Amount, o.Currency), o.CardLast4} {
		if t != "" && strings.Contains(m.Text, t) {
			terms = append(terms, t)
		}
	}
	return terms, nil
}

// match finds the oldest unclaimed post that is m: one that answers what
// m answers, with m's text but for what may change when the same decision
// is made again later (digits: a time left, a time of day; the suffix a
// duplicate text was given), and with terms word for word (see
// requestTerms).
//
// A confirmation request is also known by what it must say rather than
// how: the oldest post of the conversation (a reply to the same buy, or a
// DM to the same cardholder) that names its order, when it carries the
// request's hashtags, is it, whatever its wording (the operator may have
// reworded the template since). Nothing before a request names its
// order. A confirmation answering it then counts, as it did before the
// loss, instead of being too early for the request posted again.
func (h *restoreHolds) match(m storage.OutboxMessage, terms []string) (twitterPost, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	says := func(p twitterPost) bool {
		for _, t := range terms {
			if !strings.Contains(html.UnescapeString(p.text), t) {
				return false
			}
		}
		return true
	}
	for _, p := range h.posts {
		if p.matches(m) && (sameText(p.text, m.Text) || looseText(p.text) == looseText(m.Text) && says(p)) {
			return p, true
		}
	}
	if !m.IsRequest || m.OrderID == "" {
		return twitterPost{}, false
	}
	return h.matchRequest(m, says)
}

// matchRequest finds the oldest unclaimed post of request m's
// conversation that names its order, when it says what says checks and
// carries m's hashtags (see match).
func (h *restoreHolds) matchRequest(m storage.OutboxMessage, says func(twitterPost) bool) (twitterPost, bool) {
	for _, p := range h.posts {
		if !p.matches(m) {
			continue
		}
		if !says(p) {
			return twitterPost{}, false
		}
		for _, tag := range hashtags.FindAllString(m.Text, -1) {
			if !strings.Contains(strings.ToLower(p.text), strings.ToLower(tag)) {
				return twitterPost{}, false
			}
		}
		return p, true
	}
	return twitterPost{}, false
}

// hashtags finds the hashtags of a text the bot wrote.
var hashtags = regexp.MustCompile(`#[\pL\pN_]+`)

var (
	duplicateSuffix = regexp.MustCompile(` ·[0-9a-z]+$`)
	digitRuns       = regexp.MustCompile(`[0-9]+`)
)

func looseText(s string) string {
	s = strings.Join(strings.Fields(html.UnescapeString(s)), " ")
	return digitRuns.ReplaceAllString(duplicateSuffix.ReplaceAllString(s, ""), "0")
}

// claim records m as sent as post p. A post made while this daemon runs
// that answers a message this daemon never began to post was made by
// another daemon: this one fences itself. It returns an error when the
// database failed.
//
// The post stays among the unclaimed until its record is committed: the
// processor holds up a tweet answering an unclaimed post, and decides it
// on what the database says otherwise, so a post gone from the one and
// not yet in the other would let a reply to it be decided as answering
// nothing (a hijacker's confirmation of the post answered as "no request").
func (g *restoreGuard) claim(ctx context.Context, m storage.OutboxMessage, p twitterPost, record recordFunc) error {
	delete(g.firstSeen, m.ID)
	log := logFor(g.log, m)
	if p.live && m.State == storage.OutboxPending && !g.holds.fenced.Swap(true) {
		g.lastAlert = time.Now()
		log.Error("ALERT: ANOTHER DAEMON IS POSTING FOR THIS ACCOUNT: it posted a reply this one had queued; this one posts nothing more (charges stay safe: both use the same order ids and keys). Stop the daemon on the older database",
			"their_post", p.id)
	}
	if err := record(ctx, log, m, storage.Post{ID: p.id, At: p.created}, "found on Twitter, posted before this database knew of it"); err != nil {
		return err
	}
	g.holds.remove(p)
	return nil
}

func (h *restoreHolds) remove(p twitterPost) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.posts = slices.DeleteFunc(h.posts, func(q twitterPost) bool { return q.ch == p.ch && q.id == p.id })
	h.recount()
}

func (h *restoreHolds) recount() {
	h.suspects = slices.ContainsFunc(h.posts, func(q twitterPost) bool { return q.suspect })
}

// carefulRounds is how many settling delays a guard stays careful at least
// after its first read found posts it did not know.
const carefulRounds = 5

// isCareful reports whether messages must settle and be looked for again
// before they are posted; it logs when that ends.
func (h *restoreHolds) isCareful() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	careful := h.suspects || h.fenced.Load() || time.Now().Before(h.carefulTill)
	if h.wasCareful && !careful {
		h.log.Info("every post on Twitter this database did not know of is accounted for; posting goes at full speed again")
	}
	h.wasCareful = careful
	return careful
}

// prune forgets, once nothing is left to do, the unclaimed posts older
// than the newest message processed: every message they could answer has
// been decided again, with every reply settled, and none of those replies
// was one of them (a decision made again came out otherwise). A post that
// names an order still pending is kept, no longer suspect: it may be the
// receipt of a charge whose record was lost, which the order's audit
// finds when the order ends unpaid, and which must then not be posted
// twice.
func (g *restoreGuard) prune(ctx context.Context) {
	if !g.holds.isCareful() {
		return
	}
	quiet, err := g.store.Quiet(ctx)
	if err != nil || !quiet {
		return
	}
	done, err := g.store.NewestDoneInboxID(ctx)
	if err != nil {
		return
	}
	g.holds.mu.Lock()
	posts := slices.Clone(g.holds.posts)
	g.holds.mu.Unlock()
	drop := map[int64]bool{}
	for _, p := range posts {
		if p.id >= done {
			continue
		}
		pending, err := g.store.AnyOrderPending(ctx, orderIDs.FindAllString(p.text, -1))
		if err != nil {
			return
		}
		if p.suspect {
			// Once: it is no longer suspect after this pass.
			g.log.Error("ALERT: a post of the bot on Twitter is no reply this database made again (it was restored, or another daemon posts for this account); it stays as it is, and any order it names is audited at the issuer if it ends unpaid",
				"alert", "restore_unmatched_post", "channel", p.ch, "post", p.id, "text", p.text, "kept_for_a_pending_order", pending)
		}
		if !pending {
			drop[p.id] = true
		}
	}
	g.holds.forget(drop, done)
}

// forget drops the posts of drop, and makes the others older than done
// no longer suspect.
func (h *restoreHolds) forget(drop map[int64]bool, done int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.posts = slices.DeleteFunc(h.posts, func(p twitterPost) bool { return drop[p.id] })
	for i := range h.posts {
		if h.posts[i].id < done {
			h.posts[i].suspect = false
		}
	}
	h.recount()
}

// orderIDs finds the order ids a post names.
var orderIDs = regexp.MustCompile(`ord_[0-9A-Za-z]+`)

// settleDelay is how long a careful guard holds a message before the
// fresh read that may find it posted by another daemon: longer than the
// slower of the two polls, so that a daemon reading the same message
// later than the other one still finds the other's answer.
func (g *restoreGuard) settleDelay() time.Duration {
	cfg := g.settings().cfg
	d := time.Duration(0)
	for _, spec := range []string{cfg.Twitter.Poll.Mentions, cfg.Twitter.Poll.DirectMessages} {
		s, err := cron.ParseStandard(spec)
		if err != nil {
			continue
		}
		t := s.Next(time.Now())
		d = max(d, s.Next(t).Sub(t))
	}
	return min(d+2*time.Second, 2*time.Minute)
}

// budgetLeft reports whether a fresh read of a channel leaves the budget
// its poller and the sender's searches need.
func (g *restoreGuard) budgetLeft(ch conversations.Channel) bool {
	call := twitterapi.CallOwnTweets
	if ch == conversations.DM {
		call = twitterapi.CallDMList
	}
	l, ok := g.twitter.Limit(call)
	return !ok || l.Remaining > pokeReserve || !g.now().Before(l.Reset)
}

// holdsUp reports whether a message must wait for the guard: in careful
// mode, a confirmation whose request has not been sent or found on
// Twitter yet (after a restore its request is on Twitter, and about to be
// found), or a tweet answering one of the bot's posts not yet claimed, or
// any tweet answering another before the first read is done (whose post
// it answers decides whether a confirmation counts, and for whom). Each message
// waits at most Options.RestoreWait; the processor's goroutine calls it.
func (h *restoreHolds) holdsUp(m storage.InboxMessage, intent conversations.Intent, orders []conversations.Order) bool {
	if !h.isCareful() {
		return false
	}
	if !h.holds(m, intent, orders) {
		delete(h.waits, m.ID)
		return false
	}
	first, ok := h.waits[m.ID]
	if !ok {
		h.waits[m.ID] = time.Now()
		return true
	}
	if time.Since(first) < h.wait {
		return true
	}
	delete(h.waits, m.ID)
	h.log.Warn("a message waited long for a post on Twitter to be accounted for; deciding it now", "message_id", m.Inbound.ID)
	return false
}

// holds reports whether a careful guard holds m up (see holdsUp), however
// long it waited.
func (h *restoreHolds) holds(m storage.InboxMessage, intent conversations.Intent, orders []conversations.Order) bool {
	if intent.Kind == conversations.ConfirmTag || intent.Kind == conversations.Yes {
		if slices.ContainsFunc(orders, func(o conversations.Order) bool {
			return o.State == conversations.Pending && o.RequestMessageID == 0
		}) {
			return true
		}
	}
	if m.Channel != conversations.Tweet || m.InReplyTo == 0 {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.read || slices.ContainsFunc(h.posts, func(p twitterPost) bool { return p.ch == conversations.Tweet && p.id == m.InReplyTo })
}

// waitRestore is why a message the guard holds up waits.
const waitRestore conversations.Wait = "restore-guard"
