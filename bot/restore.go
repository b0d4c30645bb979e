package bot

import (
	"context"
	"errors"
	"html"
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
// The sender's goroutine owns everything but what mu guards, which the
// processor reads too, and waits, which only the processor uses.
type restoreGuard struct {
	s *sender

	scanned   bool
	retryScan time.Time                           // wall clock: when a failed first read is tried again
	newest    map[conversations.Channel]int64     // newest post id each channel's reads reached
	lastScan  map[conversations.Channel]time.Time // wall clock at the start of the last read
	firstSeen map[int64]time.Time                 // outbox id: when a careful guard first held it
	lastAlert time.Time
	fenced    atomic.Bool // another daemon posts for this account: post nothing

	mu          sync.Mutex
	read        bool          // the first read of both channels is done
	posts       []twitterPost // unclaimed, oldest first
	suspects    bool          // some of posts are suspect
	carefulTill time.Time     // wall clock: careful at least until then
	wasCareful  bool

	waits map[int64]time.Time // inbox id: since when a message waits (processor only)
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

func newRestoreGuard(s *sender) *restoreGuard {
	// Careful until the first read says otherwise: the processor must not
	// answer a confirmation as too early while its request may be on
	// Twitter already.
	return &restoreGuard{s: s, newest: map[conversations.Channel]int64{}, lastScan: map[conversations.Channel]time.Time{},
		firstSeen: map[int64]time.Time{}, waits: map[int64]time.Time{}, suspects: true}
}

// screen takes the messages due now and returns those the sender may post;
// the others are recorded as sent (claimed: they are on Twitter already)
// or held for now. claimed reports whether any was recorded. It returns an
// error when the database failed.
func (g *restoreGuard) screen(ctx context.Context, due []storage.OutboxMessage) (post []storage.OutboxMessage, claimed bool, err error) {
	log := g.s.log
	if !g.scanned {
		// Nothing is posted before both channels are read: a reply made
		// before a restore must be found before it could be made again.
		if time.Now().Before(g.retryScan) {
			return nil, false, nil
		}
		if err := g.firstScan(ctx); err != nil {
			g.retryScan = time.Now().Add(5 * time.Second)
			if storage.Unavailable(err) {
				return nil, false, err
			}
			g.s.b.twitterFailed("read the bot's own posts before posting", err)
			return nil, false, nil
		}
	}
	if len(due) == 0 {
		g.prune(ctx)
		return nil, false, nil
	}
	for _, m := range due {
		terms, err := g.requestTerms(ctx, m)
		if err != nil {
			return post, claimed, err
		}
		if p, ok := g.match(m, terms); ok {
			if err := g.claim(ctx, m, p); err != nil {
				return post, claimed, err
			}
			claimed = true
			continue
		}
		if g.fenced.Load() {
			if time.Since(g.lastAlert) > time.Minute {
				g.lastAlert = time.Now()
				log.Error("ALERT: ANOTHER DAEMON IS POSTING FOR THIS ACCOUNT: this one posts nothing more; stop one of them (the one on the older database) and restart the other")
			}
			continue
		}
		// A message held while careful finishes its settling and its fresh
		// read even when careful ends meanwhile: the other daemon's answer
		// to it may be posted just after.
		first, held := g.firstSeen[m.ID]
		if !held && !g.isCareful() {
			post = append(post, m)
			continue
		}
		now := time.Now()
		if !held {
			first = now
			g.firstSeen[m.ID] = now
		}
		// Rounded up to a multiple of the delay, so that the messages of a
		// burst share one read (the DM list allows 15 in 15 minutes).
		d := g.settleDelay()
		ready := first.Add(d)
		if r := ready.Truncate(d); r.Before(ready) {
			ready = r.Add(d)
		}
		if now.Before(ready) {
			continue
		}
		if g.lastScan[m.Channel].Before(ready) {
			if !g.budgetLeft(m.Channel) {
				continue
			}
			if err := g.scan(ctx, m.Channel, false); err != nil {
				if storage.Unavailable(err) {
					return post, claimed, err
				}
				g.s.b.twitterFailed("read the bot's own posts before posting", err)
				continue
			}
			if p, ok := g.match(m, terms); ok {
				if err := g.claim(ctx, m, p); err != nil {
					return post, claimed, err
				}
				claimed = true
				continue
			}
			if g.fenced.Load() {
				continue
			}
		}
		delete(g.firstSeen, m.ID)
		post = append(post, m)
	}
	return post, claimed, nil
}

// firstScan reads both channels from the newest post the database records.
func (g *restoreGuard) firstScan(ctx context.Context) error {
	for _, ch := range []conversations.Channel{conversations.Tweet, conversations.DM} {
		if _, ok := g.newest[ch]; ok {
			continue // read before an error on the other channel
		}
		since, err := g.s.b.db.NewestSentID(ctx, ch)
		if err != nil {
			return err
		}
		g.newest[ch] = since
		if err := g.scan(ctx, ch, true); err != nil {
			delete(g.newest, ch)
			return err
		}
	}
	sending, err := g.s.b.db.SendingOutbox(ctx)
	if err != nil {
		return err
	}
	g.scanned = true
	g.mu.Lock()
	g.read = true
	n := 0
	for i := range g.posts {
		p := &g.posts[i]
		p.suspect = (p.ch == conversations.DM || p.inReplyTo != 0) && !slices.ContainsFunc(sending, func(m storage.OutboxMessage) bool {
			return p.matches(m) && sameText(p.text, m.Text)
		})
		if p.suspect {
			n++
		}
	}
	g.suspects = n > 0
	if n > 0 {
		g.carefulTill = time.Now().Add(carefulRounds * g.settleDelay())
	}
	g.wasCareful = n > 0
	g.mu.Unlock()
	if n > 0 {
		random, _ := g.s.b.db.RandomIDOrders(ctx)
		g.s.log.Warn("Twitter holds posts of the bot that this database does not record (it was restored, or another daemon posts for this account): every message is looked for there before it is posted",
			"posts", n, "settle_delay", g.settleDelay().String(), "orders_with_random_ids", random)
	}
	return nil
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
	b := g.s.b
	started := time.Now()
	since := g.newest[ch]
	bot := b.botID.Load()
	var found []twitterPost
	newest := since
	// A database that never recorded a post looks back only as far as
	// messages are acted on: older posts are the account's history.
	oldest := time.Time{}
	if since == 0 {
		oldest = b.now().Add(-b.opt.MaxAge)
	}
	keep := func(p twitterPost, created time.Time) error {
		newest = max(newest, p.id)
		if created.Before(oldest) {
			return nil
		}
		recorded, err := b.db.SentIDRecorded(context.WithoutCancel(ctx), ch, p.id)
		if err != nil || recorded {
			return err
		}
		p.live, p.created = !first, created
		found = append(found, p)
		return nil
	}
	if ch == conversations.Tweet {
		token := ""
		for page := 0; page < scanTimelinePages; page++ {
			p, err := b.tw.OwnTweets(bot, since, token)
			if err != nil {
				return err
			}
			for _, t := range p.Tweets {
				if t.ID <= since || t.IsRetweet {
					continue
				}
				if err := keep(twitterPost{ch: ch, id: t.ID, inReplyTo: t.InReplyTo, text: t.Text}, t.CreatedAt); err != nil {
					return err
				}
			}
			if p.Count == 0 || p.Next == "" || p.Oldest <= since+1 {
				break
			}
			token = p.Next
		}
	} else {
		cursor := ""
		for page := 0; page < scanDMPages; page++ {
			events, next, err := b.tw.DMEvents(cursor)
			if err != nil {
				return err
			}
			reached := false
			for _, e := range events {
				if e.ID <= since {
					reached = true
					break
				}
				if e.SenderID != bot {
					newest = max(newest, e.ID)
					continue
				}
				if err := keep(twitterPost{ch: ch, id: e.ID, recipient: e.RecipientID, text: e.Text}, e.CreatedAt); err != nil {
					return err
				}
			}
			if reached || next == "" || len(events) == 0 {
				break
			}
			cursor = next
		}
	}
	g.mu.Lock()
	for _, p := range found {
		if !slices.ContainsFunc(g.posts, func(q twitterPost) bool { return q.ch == p.ch && q.id == p.id }) {
			p.suspect = p.live // a first read's are judged by firstScan
			g.posts = append(g.posts, p)
		}
	}
	slices.SortFunc(g.posts, func(a, b twitterPost) int { return compareInt(a.id, b.id) })
	g.mu.Unlock()
	g.newest[ch] = newest
	g.lastScan[ch] = started
	return nil
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
	g.mu.Lock()
	none := len(g.posts) == 0
	g.mu.Unlock()
	if !m.IsRequest || m.OrderID == "" || none {
		return nil, nil
	}
	o, err := g.s.b.db.Order(ctx, m.OrderID)
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
func (g *restoreGuard) match(m storage.OutboxMessage, terms []string) (twitterPost, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	says := func(p twitterPost) bool {
		for _, t := range terms {
			if !strings.Contains(html.UnescapeString(p.text), t) {
				return false
			}
		}
		return true
	}
	for _, p := range g.posts {
		if p.matches(m) && (sameText(p.text, m.Text) || looseText(p.text) == looseText(m.Text) && says(p)) {
			return p, true
		}
	}
	if !m.IsRequest || m.OrderID == "" {
		return twitterPost{}, false
	}
	for _, p := range g.posts {
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
func (g *restoreGuard) claim(ctx context.Context, m storage.OutboxMessage, p twitterPost) error {
	delete(g.firstSeen, m.ID)
	log := g.s.log.With("outbox", m.ID, "channel", m.Channel, "user_id", m.UserID, "kind", m.Kind)
	if p.live && m.State == storage.OutboxPending && !g.fenced.Swap(true) {
		g.lastAlert = time.Now()
		log.Error("ALERT: ANOTHER DAEMON IS POSTING FOR THIS ACCOUNT: it posted a reply this one had queued; this one posts nothing more (charges stay safe: both use the same order ids and keys). Stop the daemon on the older database",
			"their_post", p.id)
	}
	if err := g.s.markSent(ctx, log, m, storage.Post{ID: p.id, At: p.created}, "found on Twitter, posted before this database knew of it"); err != nil {
		return err
	}
	g.remove(p)
	return nil
}

func (g *restoreGuard) remove(p twitterPost) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.posts = slices.DeleteFunc(g.posts, func(q twitterPost) bool { return q.ch == p.ch && q.id == p.id })
	g.recount()
}

func (g *restoreGuard) recount() {
	g.suspects = slices.ContainsFunc(g.posts, func(q twitterPost) bool { return q.suspect })
}

// carefulRounds is how many settling delays a guard stays careful at least
// after its first read found posts it did not know.
const carefulRounds = 5

// isCareful reports whether messages must settle and be looked for again
// before they are posted; it logs when that ends.
func (g *restoreGuard) isCareful() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	careful := g.suspects || g.fenced.Load() || time.Now().Before(g.carefulTill)
	if g.wasCareful && !careful {
		g.s.log.Info("every post on Twitter this database did not know of is accounted for; posting goes at full speed again")
	}
	g.wasCareful = careful
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
	if !g.isCareful() {
		return
	}
	db := g.s.b.db
	quiet, err := db.Quiet(ctx)
	if err != nil || !quiet {
		return
	}
	done, err := db.NewestDoneInboxID(ctx)
	if err != nil {
		return
	}
	g.mu.Lock()
	posts := slices.Clone(g.posts)
	g.mu.Unlock()
	drop := map[int64]bool{}
	for _, p := range posts {
		if p.id >= done {
			continue
		}
		pending, err := db.AnyOrderPending(ctx, orderIDs.FindAllString(p.text, -1))
		if err != nil {
			return
		}
		if p.suspect {
			// Once: it is no longer suspect after this pass.
			g.s.log.Error("ALERT: a post of the bot on Twitter is no reply this database made again (it was restored, or another daemon posts for this account); it stays as it is, and any order it names is audited at the issuer if it ends unpaid",
				"alert", "restore_unmatched_post", "channel", p.ch, "post", p.id, "text", p.text, "kept_for_a_pending_order", pending)
		}
		if !pending {
			drop[p.id] = true
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.posts = slices.DeleteFunc(g.posts, func(p twitterPost) bool { return drop[p.id] })
	for i := range g.posts {
		if g.posts[i].id < done {
			g.posts[i].suspect = false
		}
	}
	g.recount()
}

// orderIDs finds the order ids a post names.
var orderIDs = regexp.MustCompile(`ord_[0-9A-Za-z]+`)

// settleDelay is how long a careful guard holds a message before the
// fresh read that may find it posted by another daemon: longer than the
// slower of the two polls, so that a daemon reading the same message
// later than the other one still finds the other's answer.
func (g *restoreGuard) settleDelay() time.Duration {
	cfg := g.s.b.settings().cfg
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
	l, ok := g.s.b.tw.Limit(call)
	return !ok || l.Remaining > pokeReserve || !g.s.b.now().Before(l.Reset)
}

// holdsUp reports whether a message must wait for the guard: in careful
// mode, a confirmation whose request has not been sent or found on
// Twitter yet (after a restore its request is on Twitter, and about to be
// found), or a tweet answering one of the bot's posts not yet claimed, or
// any tweet answering another before the first read is done (whose post
// it answers decides whether a confirmation counts, and for whom). Each message
// waits at most Options.RestoreWait; the processor's goroutine calls it.
func (g *restoreGuard) holdsUp(m storage.InboxMessage, intent conversations.Intent, orders []conversations.Order) bool {
	if !g.isCareful() {
		return false
	}
	hold := false
	if intent.Kind == conversations.ConfirmTag || intent.Kind == conversations.Yes {
		hold = slices.ContainsFunc(orders, func(o conversations.Order) bool {
			return o.State == conversations.Pending && o.RequestMessageID == 0
		})
	}
	if !hold && m.Channel == conversations.Tweet && m.InReplyTo != 0 {
		g.mu.Lock()
		hold = !g.read || slices.ContainsFunc(g.posts, func(p twitterPost) bool { return p.ch == conversations.Tweet && p.id == m.InReplyTo })
		g.mu.Unlock()
	}
	if !hold {
		delete(g.waits, m.ID)
		return false
	}
	first, ok := g.waits[m.ID]
	if !ok {
		g.waits[m.ID] = time.Now()
		return true
	}
	if time.Since(first) < g.s.b.opt.RestoreWait {
		return true
	}
	delete(g.waits, m.ID)
	g.s.log.Warn("a message waited long for a post on Twitter to be accounted for; deciding it now", "message_id", m.Inbound.ID)
	return false
}

// waitRestore is why a message the guard holds up waits.
const waitRestore conversations.Wait = "restore-guard"
