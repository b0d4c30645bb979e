package e2e

// What must hold after any number of crashes and faults, checked against
// the emulators' own records (what the cardholders saw, what the issuer
// did) and the database of a daemon that has stopped.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// More cardholders for the crash and kill-loop tests; all enrolled.
var (
	frank   = twitteremu.User{ID: 44, ScreenName: "frank", Name: "Frank"}     // asks, never confirms
	grace   = twitteremu.User{ID: 45, ScreenName: "grace", Name: "Grace"}     // buys by DM with the hashtag
	mallory = twitteremu.User{ID: 46, ScreenName: "mallory", Name: "Mallory"} // confirms other people's requests
	heidi   = twitteremu.User{ID: 4611686018427387904, ScreenName: "heidi", Name: "Heidi"}
	ivan    = twitteremu.User{ID: 47, ScreenName: "ivan", Name: "Ivan"}
	judy    = twitteremu.User{ID: 48, ScreenName: "judy", Name: "Judy"}
)

// world is the emulators of a child-process test, on the real clock (the
// child daemon has its own), with every cardholder known and enrolled.
type world struct {
	t   *testing.T
	api string
	tw  *twitteremu.Server
	iss *issuersandbox.Server
}

func newWorld(t *testing.T, api string) *world {
	t.Helper()
	w := &world{t: t, api: api}
	// The child polls several times a second: Twitter's real budgets
	// would stop it within seconds, which is not what these tests are
	// about (the fault tests cover rate limits).
	w.tw = twitteremu.New(twitteremu.Options{Bot: botUser, FirstID: 999999999999999990,
		PostingLimit: 1000000, DMSendLimit: 1000000,
		RateLimits: map[string]int{
			"statuses/mentions_timeline": 1000000, "statuses/user_timeline": 1000000, "account/verify_credentials": 1000000,
			"direct_messages/events/list": 1000000, "direct_messages/events/show": 1000000, "statuses/show": 1000000,
			"2/users/me": 1000000, "2/users/:id/mentions": 1000000, "2/users/:id/tweets": 1000000, "2/dm_events": 1000000,
			"2/tweets": 1000000, "2/dm_conversations/with/:participant_id/messages": 1000000,
		},
		DailyLimits: map[string]int{"2/tweets": 1000000, "2/dm_conversations/with/:participant_id/messages": 1000000},
	})
	for _, u := range []twitteremu.User{alice, bob, carol, dave, erin, frank, grace, mallory, heidi, ivan, judy} {
		w.tw.AddUser(u)
	}
	if _, err := w.tw.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.tw.Close)
	w.iss = issuersandbox.New(issuersandbox.Options{APIKey: "sk_test"})
	if _, err := w.iss.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.iss.Close)
	for i, u := range []twitteremu.User{alice, bob, dave, erin, frank, grace, mallory, heidi, ivan, judy} {
		e := issuersandbox.Enrollment{TwitterUserID: id(u), Cardholder: "chd_" + u.ScreenName, CardLast4: fmt.Sprintf("%04d", 1000+i), CardBrand: "amex", Status: "active"}
		if u.ID == dave.ID {
			e.Status = "suspended"
		}
		w.iss.Enroll(e)
	}
	w.iss.DeclineCard("chd_erin", "insufficient_funds")
	return w
}

// ep is how the emulator names the endpoint of call on the world's API.
func (w *world) ep(call twitterapi.Call) string { return endpoint(w.api, call) }

func (w *world) spec() childSpec {
	return childSpec{API: w.api, TwitterURL: apiURL(w.tw, w.api), IssuerURL: w.iss.URL(), IssuerTimeout: 2 * time.Second}
}

// shopper is a cardholder of the driver: what they buy, by which channel,
// and whether they confirm when asked.
type shopper struct {
	user     twitteremu.User
	dm       bool
	buy      string // "#BuyGiftCard"
	confirm  string // "#ConfirmGiftCard": how a request is recognised, and a tweet confirms
	dmYes    string // what a DM confirmation says: "yes" or the confirm hashtag
	confirms bool
}

// cycle is one purchase attempt of a shopper, driven by what the bot
// visibly answers.
type cycle struct {
	s         *shopper
	n         int
	stage     int   // stageBuy to stageDone
	buyID     int64 // the buy tweet or DM
	answer    string
	answerID  int64
	orderID   string
	confirmID int64 // the confirming tweet or DM
	// notice is the bot's answer to the confirmation when it was the
	// approval notice ("approve it in your card issuer's app"), and
	// noticeID its tweet or DM; outcome is then the answer after it.
	notice   string
	noticeID int64
	outcome  string
	start    time.Time
}

// The stages of a cycle.
const (
	stageBuy      = iota // to buy
	stageAnswer          // waiting for the answer to the buy
	stageOutcome         // confirmed: waiting for the answer to the confirmation
	stageApproval        // told to approve at the issuer: waiting for the outcome after that
	stageDone
)

// approvalNotice is what every approval notice says (messages kind
// approval_pending), and notApproved every answer that a purchase was not
// approved (kind not_approved).
const (
	approvalNotice = "approve it"
	notApproved    = "not approved"
)

// driver plays the shoppers against the bot through the Twitter emulator
// only: it sees what a cardholder sees.
type driver struct {
	t  *testing.T
	tw *twitteremu.Server

	mu         sync.Mutex
	cycles     []*cycle
	active     map[int64]*cycle     // per user id
	confirmed  map[int64]int64      // confirming message id -> user id
	hijacks    []int64              // mallory's confirmations of other people's requests
	repeats    []int64              // buys repeating a request already answered twice: not answered again
	asked      map[string]int       // per order id, the answers that were its confirmation request
	askedAt    map[string]time.Time // when each was first seen
	hijacked   map[int64]bool       // requests mallory answered
	lastAction time.Time
	seq        int
	hijacker   bool

	// What the bot made visible, read incrementally (the emulator's
	// lists only grow in these tests): its replies to each tweet, in
	// order, its DMs to each cardholder in order, and the orders whose
	// approval notice it posted or sent.
	seenTweets, seenDMs int
	replies             map[int64][]twitteremu.Tweet
	botDMs              map[int64][]twitteremu.DMEvent
	requests            []twitteremu.Tweet // public confirmation requests not yet hijacked
	notices             map[string]bool
}

func newDriver(t *testing.T, tw *twitteremu.Server) *driver {
	return &driver{t: t, tw: tw, active: map[int64]*cycle{}, confirmed: map[int64]int64{}, hijacked: map[int64]bool{},
		asked: map[string]int{}, askedAt: map[string]time.Time{},
		replies: map[int64][]twitteremu.Tweet{}, botDMs: map[int64][]twitteremu.DMEvent{}, notices: map[string]bool{}}
}

// refresh reads what the bot posted since the last refresh.
func (d *driver) refresh() {
	tweets := d.tw.TweetsBy(botUser.ID)
	for _, t := range tweets[min(d.seenTweets, len(tweets)):] {
		if t.InReplyTo != 0 {
			d.replies[t.InReplyTo] = append(d.replies[t.InReplyTo], t)
		}
		if t.InReplyTo != 0 && strings.Contains(t.Text, "Reply #Confirm") {
			d.requests = append(d.requests, t)
		}
		d.noticeIn(t.Text)
	}
	d.seenTweets = len(tweets)
	dms := d.tw.DMs()
	for _, e := range dms[min(d.seenDMs, len(dms)):] {
		if e.SenderID == botUser.ID {
			d.botDMs[e.RecipientID] = append(d.botDMs[e.RecipientID], e)
			d.noticeIn(e.Text)
		}
	}
	d.seenDMs = len(dms)
}

// noticeIn records the order of an approval notice.
func (d *driver) noticeIn(text string) {
	if strings.Contains(text, approvalNotice) {
		if oid := orderIDIn(text); oid != "" {
			d.notices[oid] = true
		}
	}
}

// noticed reports whether the bot made visible its approval notice for
// order orderID, as of the last refresh.
func (d *driver) noticed(orderID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.notices[orderID]
}

// begin starts a purchase cycle for s; it returns false while s has one
// going.
func (d *driver) begin(s *shopper) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.active[s.user.ID]; c != nil && c.stage != stageDone {
		return false
	}
	d.seq++
	d.refresh()
	c := &cycle{s: s, n: d.seq, start: time.Now()}
	d.cycles = append(d.cycles, c)
	d.active[s.user.ID] = c
	d.step(c)
	return true
}

// idle reports whether every cycle is done.
func (d *driver) idle() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.cycles {
		if c.stage != stageDone {
			return false
		}
	}
	return true
}

func (d *driver) last() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastAction
}

// stepAll moves every cycle on as far as the bot's answers allow.
func (d *driver) stepAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refresh()
	for _, c := range d.active {
		if c.stage != stageDone {
			d.step(c)
		}
	}
	if d.hijacker {
		d.hijack()
	}
}

// pending describes the cycles not done, for a failure message.
func (d *driver) pending() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	for _, c := range d.cycles {
		if c.stage != stageDone {
			fmt.Fprintf(&b, "\n  %s cycle %d: stage %d, buy %d, answer %q, confirm %d, notice %q, since %s", c.s.user.ScreenName, c.n, c.stage, c.buyID, c.answer, c.confirmID, c.notice, time.Since(c.start).Round(time.Millisecond))
		}
	}
	return b.String()
}

func (d *driver) acted() { d.lastAction = time.Now() }

func (d *driver) tweet(u twitteremu.User, text string, inReplyTo int64) int64 {
	tw, err := d.tw.PostTweet(u.ID, text, twitteremu.TweetOptions{InReplyTo: inReplyTo})
	if err != nil {
		d.t.Errorf("%s tweets %q: %v", u.ScreenName, text, err)
		return 0
	}
	d.acted()
	return tw.ID
}

func (d *driver) dm(u twitteremu.User, text string) int64 {
	ev, err := d.tw.SendDM(u.ID, botUser.ID, text)
	if err != nil {
		d.t.Errorf("%s DMs %q: %v", u.ScreenName, text, err)
		return 0
	}
	d.acted()
	return ev.ID
}

// answerTo returns the bot's answer to message id of cycle c: its first
// reply to the tweet, or its first DM to the shopper after the DM.
func (d *driver) answerTo(c *cycle, msgID int64) (int64, string, bool) {
	return d.nthAnswerTo(c, msgID, 0)
}

// nthAnswerTo returns the bot's answer n (from 0) to message id of cycle c:
// its reply n to the tweet, or its DM n to the shopper after the DM.
func (d *driver) nthAnswerTo(c *cycle, msgID int64, n int) (int64, string, bool) {
	if c.s.dm {
		dms := d.botDMs[c.s.user.ID]
		i := sort.Search(len(dms), func(i int) bool { return dms[i].ID > msgID }) + n
		if i < len(dms) {
			return dms[i].ID, dms[i].Text, true
		}
		return 0, "", false
	}
	if rs := d.replies[msgID]; n < len(rs) {
		return rs[n].ID, rs[n].Text, true
	}
	return 0, "", false
}

func (d *driver) step(c *cycle) {
	s := c.s
	switch c.stage {
	case stageBuy:
		text := s.buy + " please (" + strconv.Itoa(c.n) + ")"
		if s.dm {
			c.buyID = d.dm(s.user, text)
		} else {
			c.buyID = d.tweet(s.user, "@AmexOffers "+text, 0)
		}
		c.stage = stageAnswer
		if d.askedTwice(s) {
			// Its pending request was sent, and sent again: the bot
			// answers a repeat once at most, so this one must go
			// unanswered (conversation.md).
			d.repeats = append(d.repeats, c.buyID)
			c.stage = stageDone
		}
	case stageAnswer:
		aid, text, ok := d.answerTo(c, c.buyID)
		if !ok {
			return
		}
		c.answer, c.answerID = text, aid
		if strings.Contains(text, s.confirm) && strings.Contains(text, "ord_") {
			oid := orderIDIn(text)
			if d.asked[oid] == 0 {
				d.askedAt[oid] = time.Now()
			}
			d.asked[oid]++
			c.orderID = oid
		}
		if !strings.Contains(text, s.confirm) || !strings.Contains(text, "ord_") || !s.confirms {
			c.stage = stageDone
			return
		}
		c.orderID = orderIDIn(text)
		if s.dm {
			c.confirmID = d.dm(s.user, s.dmYes)
		} else {
			c.confirmID = d.tweet(s.user, "@AmexOffers "+s.confirm+" ("+strconv.Itoa(c.n)+")", aid)
		}
		d.confirmed[c.confirmID] = s.user.ID
		c.stage = stageOutcome
	case stageOutcome:
		id, text, ok := d.answerTo(c, c.confirmID)
		if !ok {
			return
		}
		if strings.Contains(text, approvalNotice) {
			// The purchase waits for the cardholder at the issuer: the
			// outcome comes after, in reply to the same confirmation
			// (its second reply), or as the next DM.
			c.notice, c.noticeID = text, id
			c.stage = stageApproval
			d.step(c)
			return
		}
		c.outcome = text
		c.stage = stageDone
	case stageApproval:
		if _, text, ok := d.nthAnswerTo(c, c.confirmID, 1); ok {
			c.outcome = text
			c.stage = stageDone
		}
	}
}

// hijack makes mallory confirm, in reply, every public confirmation
// request the bot sent to somebody else.
func (d *driver) hijack() {
	reqs := d.requests
	d.requests = nil
	for _, t := range reqs {
		if d.hijacked[t.ID] {
			continue
		}
		d.hijacked[t.ID] = true
		tag := "#ConfirmGiftCard"
		if strings.Contains(t.Text, "#ConfirmKindleFireHD") {
			tag = "#ConfirmKindleFireHD"
		}
		if id := d.tweet(mallory, "@AmexOffers "+tag+" for you "+strconv.FormatInt(t.ID, 36), t.ID); id != 0 {
			d.hijacks = append(d.hijacks, id)
		}
	}
}

// askedTwice reports whether the newest order shopper s was asked to
// confirm, and did not, was asked twice already and is still well within
// its window: a buy of it now must not be answered.
func (d *driver) askedTwice(s *shopper) bool {
	if s.confirms {
		return false
	}
	for i := len(d.cycles) - 1; i >= 0; i-- {
		if c := d.cycles[i]; c.s == s && c.orderID != "" {
			return d.asked[c.orderID] >= 2 && time.Since(d.askedAt[c.orderID]) < 10*time.Minute
		}
	}
	return false
}

// mustNotAnswer returns the messages the bot must never answer: mallory's
// hijacks and the repeated buys beyond the one answered.
func (d *driver) mustNotAnswer() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append(append([]int64(nil), d.hijacks...), d.repeats...)
}

// orderIDIn finds an order id in a text, or "".
func orderIDIn(text string) string {
	i := strings.Index(text, "ord_")
	if i < 0 {
		return ""
	}
	j := i + 4
	for j < len(text) && (text[j] >= '0' && text[j] <= '9' || text[j] >= 'a' && text[j] <= 'z') {
		j++
	}
	return text[i:j]
}

// checkCycles checks that every shopper saw what they should: each
// confirmation answered with a receipt or a decline for its order.
func (d *driver) checkCycles(t *testing.T) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.cycles {
		if c.stage != stageDone {
			t.Errorf("%s cycle %d never finished (stage %d)", c.s.user.ScreenName, c.n, c.stage)
			continue
		}
		if c.confirmID == 0 {
			continue
		}
		if c.notice != "" && !strings.Contains(c.notice, c.orderID) {
			t.Errorf("%s cycle %d confirmed order %s and was told %q", c.s.user.ScreenName, c.n, c.orderID, c.notice)
		}
		if !strings.Contains(c.outcome, c.orderID) || !(strings.Contains(c.outcome, "Done!") || strings.Contains(c.outcome, "declined") || strings.Contains(c.outcome, notApproved)) {
			t.Errorf("%s cycle %d confirmed order %s and was answered %q (after %q), want its receipt, decline or that it was not approved", c.s.user.ScreenName, c.n, c.orderID, c.outcome, c.notice)
		}
		if strings.Contains(c.outcome, notApproved) && c.notice == "" {
			// Possible only when the bot never saw the purchase pending
			// (it learned the answer by a look-up): checkInvariants
			// allows it where the cardholder answered before the notice.
			t.Logf("%s cycle %d: order %s not approved without a notice first: %q", c.s.user.ScreenName, c.n, c.orderID, c.outcome)
		}
		if c.s.user.ID == erin.ID && !strings.Contains(c.outcome, "declined") {
			t.Errorf("erin's card declines, but she was answered %q", c.outcome)
		}
	}
}

// expectations are what the invariant checks need from the test.
type expectations struct {
	// confirmed maps each confirming message the test sent (tweet or DM
	// id) to its author: nobody else may be charged, nor for anything else.
	confirmed map[int64]int64
	// unanswered are messages the bot must never answer.
	unanswered []int64
	// failedOK allows outbox messages that Twitter refused for good.
	failedOK bool
	// byHand are tweets and DMs of the bot's account that the bot did not
	// send, or whose record a restore lost beyond what the bot could read
	// again.
	byHand []int64
	// toldTwice are orders whose receipt is visible exactly twice: after
	// a restore, when the first lies beyond what the bot can read.
	toldTwice []string
	// answeredTwice are tweets the bot may answer twice: after a restore,
	// when the answer made again differs from the lost one (new terms).
	answeredTwice []int64
	// answeredUnseen are orders whose purchase the cardholder approved or
	// declined at the issuer before the bot's approval notice was
	// visible: the bot may have learned the answer by a look-up without
	// ever seeing the purchase pending, so the notice may be missing
	// (told at most once still).
	answeredUnseen map[string]bool
}

// checkInvariants checks what must hold whatever crashed or failed, against
// the emulators' records and the stopped daemon's database.
func checkInvariants(t *testing.T, tw *twitteremu.Server, iss *issuersandbox.Server, db *storage.DB, dbPath string, exp expectations) {
	t.Helper()
	ctx := context.Background()
	if s := integrityCheck(t, dbPath); s != "ok" {
		t.Errorf("PRAGMA integrity_check = %q", s)
	}
	checkCounters(t, db)

	// What the bot made visible.
	botTweets := tw.TweetsBy(botUser.ID)
	var botDMs []twitteremu.DMEvent
	var dmsToBot []twitteremu.DMEvent
	for _, e := range tw.DMs() {
		switch {
		case e.SenderID == botUser.ID:
			botDMs = append(botDMs, e)
		case e.RecipientID == botUser.ID:
			dmsToBot = append(dmsToBot, e)
		}
	}
	var texts []string
	for _, b := range botTweets {
		texts = append(texts, b.Text)
	}
	for _, e := range botDMs {
		texts = append(texts, e.Text)
	}
	// The approval notices, by order, and when each order's first one
	// became visible.
	notices := map[string]int{}
	noticeAt := map[string]time.Time{}
	noticed := func(text string, at time.Time) {
		if !strings.Contains(text, approvalNotice) {
			return
		}
		oid := orderIDIn(text)
		notices[oid]++
		if first, ok := noticeAt[oid]; !ok || at.Before(first) {
			noticeAt[oid] = at
		}
	}
	for _, b := range botTweets {
		noticed(b.Text, b.CreatedAt)
	}
	for _, e := range botDMs {
		noticed(e.Text, e.CreatedAt)
	}
	countTexts := func(subs ...string) int {
		n := 0
	next:
		for _, s := range texts {
			for _, sub := range subs {
				if !strings.Contains(s, sub) {
					continue next
				}
			}
			n++
		}
		return n
	}

	// The issuer: at most one approved purchase per order and per
	// confirming message; nobody charged who did not confirm; each
	// outcome told exactly once.
	approvedByRef := map[string][]string{}
	approvedByConfirm := map[string][]string{}
	purchases := iss.Purchases()
	wentPending := map[string]bool{} // orders whose purchase waited for approval
	for _, p := range purchases {
		confirmID, _ := strconv.ParseInt(p.Metadata["confirm_tweet_id"], 10, 64)
		userID, _ := strconv.ParseInt(p.Metadata["twitter_user_id"], 10, 64)
		if author, ok := exp.confirmed[confirmID]; !ok || author != userID {
			t.Errorf("purchase %s (%s, user %d) was made for message %d, which is not a confirmation by that user", p.ID, p.Reference, userID, confirmID)
		}
		if p.IdempotencyKey != conversations.IdempotencyKey(p.Reference) {
			t.Errorf("purchase %s for order %s was made with key %q", p.ID, p.Reference, p.IdempotencyKey)
		}
		switch p.Status {
		case issuersandbox.StatusApproved:
			approvedByRef[p.Reference] = append(approvedByRef[p.Reference], p.ID)
			approvedByConfirm[p.Metadata["confirm_tweet_id"]] = append(approvedByConfirm[p.Metadata["confirm_tweet_id"]], p.ID)
			want := 1
			if slices.Contains(exp.toldTwice, p.Reference) {
				want = 2
			}
			if n := countTexts("Done!", p.Reference); n != want {
				t.Errorf("approved purchase %s of order %s has %d receipts visible, want exactly %d", p.ID, p.Reference, n, want)
			}
		case issuersandbox.StatusDeclined:
			if conversations.NotApproved(p.DeclineCode) {
				// Not the card's decline: the cardholder did not approve.
				if n := countTexts(notApproved, p.Reference); n != 1 {
					t.Errorf("purchase %s of order %s, declined %s, was told %d times that it was not approved, want exactly once", p.ID, p.Reference, p.DeclineCode, n)
				}
				if n := countTexts("declined", p.Reference); n != 0 {
					t.Errorf("purchase %s of order %s, declined %s, was told %d times that the card was declined, want never", p.ID, p.Reference, p.DeclineCode, n)
				}
				break
			}
			if n := countTexts("declined", p.Reference); n != 1 {
				t.Errorf("declined purchase %s of order %s was told %d times, want exactly once", p.ID, p.Reference, n)
			}
		case issuersandbox.StatusPendingApproval:
			t.Errorf("purchase %s of order %s still waits for the cardholder's approval", p.ID, p.Reference)
		}
		if p.Status != issuersandbox.StatusDeclined || !conversations.NotApproved(p.DeclineCode) {
			if n := countTexts(notApproved, p.Reference); n != 0 {
				t.Errorf("purchase %s of order %s is %s %s, but was told %d times that it was not approved", p.ID, p.Reference, p.Status, p.DeclineCode, n)
			}
		}
		// The cardholder is told to approve a purchase that waited for
		// it once, and before its outcome; one that never waited, never.
		if p.Approval != nil {
			wentPending[p.Reference] = true
			if n := notices[p.Reference]; n > 1 || n == 0 && !exp.answeredUnseen[p.Reference] {
				t.Errorf("purchase %s of order %s waited for approval (%s) and was told %d times to approve it, want exactly once", p.ID, p.Reference, p.Status, n)
			}
		}
	}
	for oid, n := range notices {
		if !wentPending[oid] {
			t.Errorf("order %s was told %d times to approve it, but no purchase of it waited for approval", oid, n)
		}
	}
	for ref, ids := range approvedByRef {
		if len(ids) > 1 {
			t.Errorf("order %s has %d approved purchases: %v", ref, len(ids), ids)
		}
	}
	for c, ids := range approvedByConfirm {
		if len(ids) > 1 {
			t.Errorf("confirmation %s has %d approved purchases: %v", c, len(ids), ids)
		}
	}

	// Every purchase POST of one order carries that order's one key; and
	// none is sent once the bot knew its purchase pending (it queues the
	// notice in the transaction that records it): a pending purchase is
	// settled by GET. (The emulators of these tests share the real clock.)
	keys := map[string]map[string]bool{}
	for _, r := range iss.Requests() {
		if r.Method != "POST" || r.Path != "/v1/purchases" {
			continue
		}
		var body struct{ Reference string }
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Errorf("purchase request body %q: %v", r.Body, err)
			continue
		}
		if keys[body.Reference] == nil {
			keys[body.Reference] = map[string]bool{}
		}
		keys[body.Reference][r.IdempotencyKey] = true
		if at, ok := noticeAt[body.Reference]; ok && r.Time.After(at) {
			t.Errorf("order %s: a purchase POST at %s (answered %d, replayed %v) after its purchase was known to wait for approval (notice visible at %s): a pending purchase is settled by GET",
				body.Reference, r.Time.Format(time.RFC3339Nano), r.Status, r.Replayed, at.Format(time.RFC3339Nano))
		}
	}
	for ref, ks := range keys {
		if len(ks) != 1 || !ks[conversations.IdempotencyKey(ref)] {
			t.Errorf("the purchase requests of order %s carried keys %v, want only %q", ref, ks, conversations.IdempotencyKey(ref))
		}
	}

	// The database agrees with the issuer.
	orders, err := db.Orders(ctx, storage.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		switch o.State {
		case conversations.Confirmed:
			t.Errorf("order %s is still being charged", o.ID)
		case conversations.Paid:
			if ids := approvedByRef[o.ID]; len(ids) != 1 || ids[0] != o.PurchaseID {
				t.Errorf("order %s is paid with purchase %q, the issuer approved %v", o.ID, o.PurchaseID, ids)
			}
		default:
			if ids := approvedByRef[o.ID]; len(ids) > 0 {
				t.Errorf("order %s is %s, but the issuer approved %v", o.ID, o.State, ids)
			}
		}
	}

	// Every mention and DM to the bot is stored once and acted on.
	inbox, err := db.Inbox(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]storage.InboxMessage{}
	for _, m := range inbox {
		stored[string(m.Channel)+":"+strconv.FormatInt(m.Inbound.ID, 10)] = m
		if m.State != "done" {
			t.Errorf("inbox %s %d is %s", m.Channel, m.Inbound.ID, m.State)
		}
	}
	for _, tt := range tw.Tweets() {
		if tt.AuthorID == botUser.ID || tt.RetweetOf != 0 || !containsID(tt.Mentions, botUser.ID) {
			continue
		}
		if _, ok := stored["tweet:"+strconv.FormatInt(tt.ID, 10)]; !ok {
			t.Errorf("mention %d (%q) was never stored", tt.ID, tt.Text)
		}
	}
	for _, e := range dmsToBot {
		if _, ok := stored["dm:"+strconv.FormatInt(e.ID, 10)]; !ok {
			t.Errorf("DM %d (%q) was never stored", e.ID, e.Text)
		}
	}

	// No tweet answered twice, and the ones that must not be, not at all.
	replies := map[int64][]string{}
	for _, b := range botTweets {
		if b.InReplyTo != 0 {
			replies[b.InReplyTo] = append(replies[b.InReplyTo], b.Text)
		}
	}
	for to, rs := range replies {
		// A confirmation whose purchase waited for approval is answered
		// twice: the notice, then the outcome.
		approval := len(rs) == 2 && strings.Contains(rs[0], approvalNotice) && !strings.Contains(rs[1], approvalNotice)
		if len(rs) > 1 && !(len(rs) == 2 && containsID(exp.answeredTwice, to)) && !approval {
			t.Errorf("the bot answered tweet %d %d times: %q", to, len(rs), rs)
		}
	}
	for _, u := range exp.unanswered {
		if rs := replies[u]; len(rs) > 0 {
			t.Errorf("the bot answered tweet %d, which it must not: %q", u, rs)
		}
	}

	// Every reply is visible once, and everything visible is a reply the
	// bot recorded: nothing posted twice, nothing posted unrecorded.
	box := readOutbox(t, dbPath)
	visible := map[string]int{}
	for _, b := range botTweets {
		if !containsID(exp.byHand, b.ID) {
			visible["tweet:"+strconv.FormatInt(b.ID, 10)] = 0
		}
	}
	for _, e := range botDMs {
		if !containsID(exp.byHand, e.ID) {
			visible["dm:"+strconv.FormatInt(e.ID, 10)] = 0
		}
	}
	for _, m := range box {
		switch m.State {
		case storage.OutboxSent:
			k := string(m.Channel) + ":" + strconv.FormatInt(m.SentID, 10)
			n, ok := visible[k]
			if !ok {
				t.Errorf("outbox %d (%s %q) is recorded as sent as %d, which is not the bot's", m.ID, m.Channel, m.Text, m.SentID)
				continue
			}
			visible[k] = n + 1
		case storage.OutboxFailed:
			if !exp.failedOK {
				t.Errorf("outbox %d (%s %q) failed: %s", m.ID, m.Channel, m.Text, m.LastError)
			}
		default:
			t.Errorf("outbox %d (%s %q) is still %s: %s", m.ID, m.Channel, m.Text, m.State, m.LastError)
		}
	}
	for k, n := range visible {
		if n != 1 {
			t.Errorf("the bot's message %s is the sent record of %d outbox messages, want 1", k, n)
		}
	}
}

// checkCounters fails the test when a stock or holding counter disagrees
// with a recount of the orders.
func checkCounters(t *testing.T, db *storage.DB) {
	t.Helper()
	drift, err := db.CounterDrift(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range drift {
		t.Errorf("counters: %s", d)
	}
}

func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// randDuration returns a duration in [lo, hi).
func randDuration(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}

func sprintJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// stormShoppers are the kill tests' cast: buyers by tweet and by DM, of
// both offers, with "yes" and the hashtag by DM, one who never confirms
// (frank), and carol, who is not enrolled.
func stormShoppers() []*shopper {
	return []*shopper{
		{user: alice, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true},
		{user: bob, dm: true, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", dmYes: "yes", confirms: true},
		{user: erin, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true},
		{user: heidi, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true},
		{user: ivan, dm: true, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", dmYes: "#ConfirmGiftCard", confirms: true},
		{user: grace, dm: true, buy: "#BuyKindleFireHD", confirm: "#ConfirmKindleFireHD", dmYes: "yes", confirms: true},
		{user: judy, buy: "#BuyKindleFireHD", confirm: "#ConfirmKindleFireHD", confirms: true},
		{user: frank, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: false},
		{user: carol, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true},
	}
}
