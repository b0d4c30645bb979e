package e2e

// Benchmarks of push (X's Activity API, issue 19): how soon the bot
// answers what X pushes, timed on the wall clock from the emulator's own
// record of when each post or DM was made to when the bot's answer was
// made; and what a purchase by DM costs with push and with polling alone.

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/daemon"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// pushBenchUnlimited is a budget no benchmark reaches.
const pushBenchUnlimited = 1 << 30

// pushWorldOptions say how a pushWorld runs.
type pushWorldOptions struct {
	buyers int
	// now is the clock of both emulators and the daemon; nil is the wall
	// clock (the emulator then stamps every post and DM with real time).
	now func() time.Time
	// push turns the stream on; else the bot polls only.
	push bool
	// idle is the bot's Options.Idle; 0 keeps the production default (1 s,
	// woken sooner by new work).
	idle time.Duration
	// productionBudgets keeps v2's default posting budgets (100 posts per
	// 15 minutes; 15 DMs per 15 minutes, 1,440 a day) instead of raising
	// them past any benchmark.
	productionBudgets bool
}

// pushWorld is both emulators on v2 with n enrolled buyers, and a daemon
// in process with twitter.poll (and push.reconcile) at "@every 1h": no
// scheduled poll runs while a benchmark does, so that what answers a
// buyer is push, or a poll the benchmark runs itself.
type pushWorld struct {
	tw     *twitteremu.Server
	iss    *issuersandbox.Server
	d      *daemon.Daemon
	dbPath string
	buyers []twitteremu.User
	close  func()
}

func newPushWorld(b *testing.B, o pushWorldOptions) *pushWorld {
	b.Helper()
	w := &pushWorld{}
	limits := map[string]int{}
	for _, ep := range []string{"2/users/me", "2/users/:id", "2/users/:id/mentions", "2/users/:id/tweets", "2/tweets", "2/dm_events",
		"2/dm_conversations/with/:participant_id/messages"} {
		limits[ep] = pushBenchUnlimited
	}
	w.tw = twitteremu.New(twitteremu.Options{Clock: o.now, Bot: botUser, FirstID: 999999999999999990,
		PostingLimit: pushBenchUnlimited, DMSendLimit: pushBenchUnlimited, RateLimits: limits,
		DailyLimits: map[string]int{"2/tweets": pushBenchUnlimited, "2/dm_conversations/with/:participant_id/messages": pushBenchUnlimited}})
	w.iss = issuersandbox.New(issuersandbox.Options{APIKey: "sk_test", Clock: o.now})
	for i := 0; i < o.buyers; i++ {
		u := twitteremu.User{ID: 20000000 + int64(i), ScreenName: fmt.Sprintf("buyer%d", i), Name: "Buyer"}
		w.tw.AddUser(u)
		w.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(u), Cardholder: "chd_" + u.ScreenName, CardLast4: "1005", CardBrand: "amex", Status: "active"})
		w.buyers = append(w.buyers, u)
	}
	if _, err := w.tw.Start(); err != nil {
		b.Fatal(err)
	}
	if _, err := w.iss.Start(); err != nil {
		w.tw.Close()
		b.Fatal(err)
	}
	w.dbPath = filepath.Join(b.TempDir(), "paybytweet.db")
	cfg := testConfig(config.APIv2, w.tw.URLv2(), w.iss.URL(), w.dbPath)
	if o.push {
		cfg.Twitter.Push = config.Push{Mode: config.PushStream, BearerToken: twitteremu.DefaultPushBearerToken, Reconcile: "@every 1h"}
	}
	if !o.productionBudgets {
		cfg.Twitter.Limits.TweetsPerWindow, cfg.Twitter.Limits.DMsPerWindow, cfg.Twitter.Limits.DMsPerDay = pushBenchUnlimited, pushBenchUnlimited, pushBenchUnlimited
	}
	for i := range cfg.Offers {
		cfg.Offers[i].PerUserLimit = pushBenchUnlimited // a buyer may buy again in every round
	}
	var logs io.Writer = io.Discard
	if os.Getenv("E2E_LOGS") != "" {
		logs = os.Stderr
	}
	d, err := daemon.Open(context.Background(), cfg, daemon.Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: o.now,
		Bot: func(bo *bot.Options) {
			if o.idle > 0 {
				bo.Idle = o.idle
			}
		}})
	if err != nil {
		w.iss.Close()
		w.tw.Close()
		b.Fatal(err)
	}
	w.d = d
	var once sync.Once
	w.close = func() {
		once.Do(func() {
			d.Close()
			w.iss.Close()
			w.tw.Close()
		})
	}
	b.Cleanup(w.close)
	if o.push {
		w.waitFor(b, "push healthy", 30*time.Second, func() bool { _, healthy, _ := d.Bot.PushState(); return healthy })
	}
	w.waitQuiet(b)
	return w
}

// waitFor waits until cond holds, failing after limit.
func (w *pushWorld) waitFor(b *testing.B, what string, limit time.Duration, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitQuiet waits until the daemon has nothing left to do.
func (w *pushWorld) waitQuiet(b *testing.B) {
	b.Helper()
	w.waitFor(b, "the daemon to be quiet", 30*time.Second, func() bool {
		quiet, err := w.d.Bot.Idle(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return quiet
	})
}

// polls counts the requests to endpoint the emulator received since.
func (w *pushWorld) polls(endpoint string, since time.Time) int {
	n := 0
	for _, r := range w.tw.Requests() {
		if r.Endpoint == endpoint && !r.Time.Before(since) {
			n++
		}
	}
	return n
}

// percentile is the nearest-rank p-th percentile of ds, in seconds.
func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return math.NaN()
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)].Seconds()
}

// pushIdles are the bot's idle sleeps the latency benchmarks run with:
// production's (1 s, woken sooner by new work) and the e2e rig's.
var pushIdles = []struct {
	name string
	idle time.Duration
}{{"idle=1s", 0}, {"idle=20ms", 20 * time.Millisecond}}

// BenchmarkPushBurst500 has 500 buyers post the buy hashtag at once, on
// v2 with push on (the stream) and twitter.poll at "@every 1h", and each
// confirm as soon as the bot's request is posted. It reports, over all
// buyers, the p50 and p95 of the time from a buy to the bot's request
// and from a confirmation to its receipt, each from the emulator's
// created_at of the two posts (the wall clock); the targets are p50 ≤ 1 s
// and p95 ≤ 2 s. mention-polls counts the mentions polls during the
// bursts: 0 means push alone answered. Run it with -benchtime=1x.
func BenchmarkPushBurst500(b *testing.B) {
	for _, v := range pushIdles {
		b.Run(v.name, func(b *testing.B) { benchPushBurst(b, 500, v.idle) })
	}
}

func benchPushBurst(b *testing.B, buyers int, idle time.Duration) {
	w := newPushWorld(b, pushWorldOptions{buyers: buyers, push: true, idle: idle})
	defer w.close()
	var all []burstPurchase
	var walls []time.Duration
	start := time.Now()
	faultsBefore := minorFaults(b)
	seen, round := 0, 0
	for b.Loop() {
		t0 := time.Now()
		all = append(all, runPushTweetBurst(b, w, &seen, round)...)
		walls = append(walls, time.Since(t0))
		round++
	}
	b.StopTimer()
	faultsAfter := minorFaults(b)
	polls := w.polls("GET 2/users/:id/mentions", start)
	var requests, receipts []time.Duration
	for _, p := range all {
		requests = append(requests, p.request.CreatedAt.Sub(p.buy.CreatedAt))
		receipts = append(receipts, p.receipt.CreatedAt.Sub(p.confirm.CreatedAt))
	}
	b.ReportMetric(percentile(requests, 50), "req-p50-s")
	b.ReportMetric(percentile(requests, 95), "req-p95-s")
	b.ReportMetric(percentile(receipts, 50), "receipt-p50-s")
	b.ReportMetric(percentile(receipts, 95), "receipt-p95-s")
	b.ReportMetric(percentile(walls, 50), "burst-s")
	b.ReportMetric(float64(polls), "mention-polls")
	b.ReportMetric(commitTime(b).Seconds()*1000, "commit-ms")
	if faultsBefore >= 0 && faultsAfter >= 0 {
		b.ReportMetric(float64(faultsAfter-faultsBefore)/float64(len(all)), "pagefaults/purchase")
	}
	w.logStages(b, all)
	if f, err := w.d.DB.Figures(context.Background()); err == nil {
		b.Logf("pushed events by type and outcome: %v", f.Counts["push_events"])
	}
}

// minorFaults is how many minor page faults the process has taken (Linux:
// /proc/self/stat), -1 where that is not known. Memory freed and faulted
// in again cost a fifth of a burst's CPU before storage kept it (see
// storage.tuneMalloc); this shows if it comes back.
func minorFaults(b *testing.B) int64 {
	b.Helper()
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return -1
	}
	// The fields after the command name's closing parenthesis start at
	// state (field 3); minflt is field 10.
	stat := string(data)
	fields := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
	if len(fields) < 8 {
		return -1
	}
	n, err := strconv.ParseInt(fields[7], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// commitTime is one synchronous=FULL commit of a small write on this
// machine now, the mean of 30: each pushed event costs the bot two.
func commitTime(b *testing.B) time.Duration {
	b.Helper()
	db, err := storage.Open(filepath.Join(b.TempDir(), "probe.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	db.SetCursor(ctx, "probe", -1)
	const rounds = 30
	start := time.Now()
	for i := 0; i < rounds; i++ {
		if err := db.SetCursor(ctx, "probe", i); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / rounds
}

// burstPurchase is one buyer's four posts in a burst.
type burstPurchase struct{ buy, request, confirm, receipt twitteremu.Tweet }

// runPushTweetBurst runs one burst and returns its purchases. seen is how
// many of the bot's posts earlier rounds looked at.
func runPushTweetBurst(b *testing.B, w *pushWorld, seen *int, round int) []burstPurchase {
	buys := map[int64]*burstPurchase{}
	for _, u := range w.buyers {
		t, err := w.tw.PostTweet(u.ID, fmt.Sprintf("@AmexOffers #BuyGiftCard %d", round), twitteremu.TweetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		buys[t.ID] = &burstPurchase{buy: t}
	}
	confirms := map[int64]*burstPurchase{}
	var done []burstPurchase
	deadline := time.Now().Add(10 * time.Minute)
	for len(done) < len(w.buyers) {
		if time.Now().After(deadline) {
			b.Fatalf("after 10 minutes %d requests and %d receipts for %d buyers", len(confirms), len(done), len(w.buyers))
		}
		tweets := w.tw.TweetsBy(botUser.ID)
		for _, t := range tweets[*seen:] {
			if p, ok := buys[t.InReplyTo]; ok && strings.Contains(t.Text, "#ConfirmGiftCard") {
				c, err := w.tw.PostTweet(p.buy.AuthorID, fmt.Sprintf("@AmexOffers #ConfirmGiftCard %d", round), twitteremu.TweetOptions{InReplyTo: t.ID})
				if err != nil {
					b.Fatal(err)
				}
				p.request, p.confirm = t, c
				confirms[c.ID] = p
			}
			if p, ok := confirms[t.InReplyTo]; ok && strings.Contains(t.Text, "Done!") {
				p.receipt = t
				done = append(done, *p)
			}
		}
		*seen = len(tweets)
		// The buyers look every 10 ms: a confirmation's time is when it
		// was posted, so looking less often changes no figure, and leaves
		// the bot the CPU.
		time.Sleep(10 * time.Millisecond)
	}
	return done
}

// logStages splits the burst's answers into the daemon's stages, from
// its database (wall-clock milliseconds): posted to written on the
// stream (the emulator's record: a line waits there while the bot reads
// the ones before), written to stored in the inbox (the bot's stream
// reader and SavePushed), stored to decided (the processor's queue,
// the enrollment look-up), decided to the reply queued (for a receipt,
// the charge), queued to posted (the sender). It logs their p50 and p95.
func (w *pushWorld) logStages(b *testing.B, ps []burstPurchase) {
	b.Helper()
	type row struct{ received, processed time.Time }
	inbox := map[int64]row{}
	readDB(b, w.dbPath, func(db *sql.DB) error {
		rows, err := db.Query(`SELECT message_id, received_at, COALESCE(processed_at, 0) FROM inbox WHERE channel = 'tweet'`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, rec, proc int64
			if err := rows.Scan(&id, &rec, &proc); err != nil {
				return err
			}
			inbox[id] = row{fromMS(rec), fromMS(proc)}
		}
		return rows.Err()
	})
	queued := map[int64]time.Time{}
	for _, m := range readOutbox(b, w.dbPath) {
		queued[m.InReplyTo] = m.CreatedAt
	}
	pushed := map[int64]time.Time{}
	for _, e := range w.tw.PushEvents() {
		if _, ok := pushed[e.MessageID]; !ok && e.Via == twitteremu.PushViaStream {
			pushed[e.MessageID] = e.At
		}
	}
	type stages struct{ pushed, stored, decided, queued, posted []time.Duration }
	var req, rec stages
	add := func(s *stages, msg, reply twitteremu.Tweet) {
		in := inbox[msg.ID]
		s.pushed = append(s.pushed, pushed[msg.ID].Sub(msg.CreatedAt))
		s.stored = append(s.stored, in.received.Sub(pushed[msg.ID]))
		s.decided = append(s.decided, in.processed.Sub(in.received))
		s.queued = append(s.queued, queued[msg.ID].Sub(in.processed))
		s.posted = append(s.posted, reply.CreatedAt.Sub(queued[msg.ID]))
	}
	for _, p := range ps {
		add(&req, p.buy, p.request)
		add(&rec, p.confirm, p.receipt)
	}
	for _, s := range []struct {
		name string
		st   stages
	}{{"buy → request", req}, {"confirmation → receipt", rec}} {
		b.Logf("%s, p50/p95 in s: pushed %.3f/%.3f, stored %.3f/%.3f, decided %.3f/%.3f, queued %.3f/%.3f, posted %.3f/%.3f", s.name,
			percentile(s.st.pushed, 50), percentile(s.st.pushed, 95),
			percentile(s.st.stored, 50), percentile(s.st.stored, 95), percentile(s.st.decided, 50), percentile(s.st.decided, 95),
			percentile(s.st.queued, 50), percentile(s.st.queued, 95), percentile(s.st.posted, 50), percentile(s.st.posted, 95))
	}
}

// BenchmarkPushDMPurchase has 30 buyers, one after the other, buy by DM
// on v2 with push on and twitter.poll at "@every 1h": the buy DM, the
// bot's request, "yes" sent as soon as it arrives, the receipt. It
// reports the p50 and p95 of a purchase end to end (the buy's created_at
// to the receipt's, on the wall clock: the target is p50 ≤ 3 s), and of
// its two answers (buy to request, "yes" to receipt). Run it with
// -benchtime=1x.
func BenchmarkPushDMPurchase(b *testing.B) {
	for _, v := range pushIdles {
		b.Run(v.name, func(b *testing.B) { benchPushDMPurchase(b, 30, v.idle) })
	}
}

func benchPushDMPurchase(b *testing.B, buyers int, idle time.Duration) {
	w := newPushWorld(b, pushWorldOptions{buyers: buyers, push: true, idle: idle})
	defer w.close()
	var ends, requests, receipts []time.Duration
	start := time.Now()
	for b.Loop() {
		for _, u := range w.buyers {
			buy := w.sendDM(b, u, "#BuyGiftCard")
			req := w.botDMAfter(b, u, buy.ID, "#ConfirmGiftCard")
			yes := w.sendDM(b, u, "yes")
			rec := w.botDMAfter(b, u, yes.ID, "Done!")
			ends = append(ends, rec.CreatedAt.Sub(buy.CreatedAt))
			requests = append(requests, req.CreatedAt.Sub(buy.CreatedAt))
			receipts = append(receipts, rec.CreatedAt.Sub(yes.CreatedAt))
		}
	}
	polls := w.polls("GET 2/dm_events", start)
	b.ReportMetric(percentile(ends, 50), "p50-s")
	b.ReportMetric(percentile(ends, 95), "p95-s")
	b.ReportMetric(percentile(requests, 50), "req-p50-s")
	b.ReportMetric(percentile(receipts, 50), "receipt-p50-s")
	b.ReportMetric(float64(polls), "dm-polls")
}

func (w *pushWorld) sendDM(b *testing.B, u twitteremu.User, text string) twitteremu.DMEvent {
	b.Helper()
	ev, err := w.tw.SendDM(u.ID, botUser.ID, text)
	if err != nil {
		b.Fatalf("%s DMs %q: %v", u.ScreenName, text, err)
	}
	return ev
}

// botDMAfter waits for the bot's first DM to u, made after the DM event
// after, that has want in its text.
func (w *pushWorld) botDMAfter(b *testing.B, u twitteremu.User, after int64, want string) twitteremu.DMEvent {
	b.Helper()
	var got twitteremu.DMEvent
	w.waitFor(b, fmt.Sprintf("the bot's DM to %s with %q", u.ScreenName, want), time.Minute, func() bool {
		for _, e := range w.tw.DMs() {
			if e.SenderID == botUser.ID && e.RecipientID == u.ID && e.ID > after && strings.Contains(e.Text, want) {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

// BenchmarkPushDMCost runs the same 20 purchases by DM (one every 3
// minutes through a simulated hour) twice, on the rig's fake clock,
// and reports each run's cost per paid purchase from the usage report
// (admin.UsageRows, X's pay-per-use prices), and their ratio (the target
// is below 1):
//
//   - poll: polling alone, at the schedule a v2 deployment uses for DMs,
//     twitter.poll direct_messages "@every 1m": a poll every simulated
//     minute (15 DM reads per 15 minutes, the whole of X's allowance);
//   - push: the stream, with polling on push.reconcile "@every 5m": a poll
//     every fifth simulated minute, and the poll at the stream's connect.
//
// The schedules run on the wall clock, so each run sets them to
// "@every 1h" (none fires during it) and plays them itself with PollNow
// as the fake clock passes each minute: the same polls every time, however
// loaded the machine. A buyer answers "yes" as soon as the bot's request
// is there (at the next poll without push). Each run goes on to minute
// 65, so that in both every DM has been read by a poll, as it would be in
// a campaign that goes on. Every resource is counted once a UTC day, as
// X bills, and the run stays within one day. Run it with -benchtime=1x.
func BenchmarkPushDMCost(b *testing.B) {
	var poll, push dmCost
	for b.Loop() {
		poll = runDMCost(b, false)
		push = runDMCost(b, true)
	}
	b.ReportMetric(poll.perPurchase, "poll-usd/purchase")
	b.ReportMetric(push.perPurchase, "push-usd/purchase")
	b.ReportMetric(push.perPurchase/poll.perPurchase, "push/poll")
	b.ReportMetric(float64(poll.dmLists), "poll-dm-list-calls")
	b.ReportMetric(float64(push.dmLists), "push-dm-list-calls")
	b.Logf("polling only: %s", poll)
	b.Logf("push:         %s", push)
}

// dmCost is one run of BenchmarkPushDMCost.
type dmCost struct {
	perPurchase float64          // USD per paid purchase
	counts      map[string]int64 // the usage report's counts, all offers
	paid        int64
	dmLists     int // GET 2/dm_events calls (pages included)
}

func (c dmCost) String() string {
	return fmt.Sprintf("%.4f USD per purchase, %d paid, counts %v, %d DM list calls", c.perPurchase, c.paid, c.counts, c.dmLists)
}

func runDMCost(b *testing.B, push bool) dmCost {
	const (
		minutes   = 65 // the buyers' hour, and the next reconcile
		purchases = 20
		every     = 3 // minutes between two buyers' first DMs
		reconcile = 5 // push.reconcile, in minutes
	)
	clk := testkit.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	// v2's own DM budget (15 per 15 minutes): 20 purchases an hour fit.
	w := newPushWorld(b, pushWorldOptions{buyers: purchases, now: clk.Now, push: push, idle: 20 * time.Millisecond, productionBudgets: true})
	defer w.close()
	start := clk.Now()
	sent := map[int64]int{}     // the buyer's DMs so far
	answered := map[int64]int{} // the bot's DMs to the buyer looked at
	dm := func(u twitteremu.User, text string) {
		w.sendDM(b, u, text)
		sent[u.ID]++
		clk.Advance(time.Second)
	}
	// react has every buyer answer the bot's new DMs: "yes" to a request.
	// It reports whether any buyer said something.
	react := func() bool {
		acted := false
		byBuyer := map[int64][]twitteremu.DMEvent{}
		for _, e := range w.tw.DMs() {
			if e.SenderID == botUser.ID {
				byBuyer[e.RecipientID] = append(byBuyer[e.RecipientID], e)
			}
		}
		for _, u := range w.buyers {
			for _, e := range byBuyer[u.ID][answered[u.ID]:] {
				answered[u.ID]++
				if strings.Contains(e.Text, "#ConfirmGiftCard") {
					dm(u, "yes")
					acted = true
				}
			}
		}
		return acted
	}
	// pushed waits, with push, until the bot has answered every DM of
	// the buyers (one DM each) and is quiet.
	pushed := func() {
		w.waitFor(b, "the bot's answers to the pushed DMs", 30*time.Second, func() bool {
			n := map[int64]int{}
			for _, e := range w.tw.DMs() {
				if e.SenderID == botUser.ID {
					n[e.RecipientID]++
				}
			}
			for u, s := range sent {
				if n[u] < s {
					return false
				}
			}
			return true
		})
		w.waitQuiet(b)
	}
	for m := 1; m <= minutes; m++ {
		clk.Advance(start.Add(time.Duration(m) * time.Minute).Sub(clk.Now()))
		if !push || m%reconcile == 0 {
			w.d.Bot.PollNow()
			w.waitQuiet(b)
		}
		react()
		if k := m - 1; k%every == 0 && k/every < purchases {
			dm(w.buyers[k/every], "#BuyGiftCard")
		}
		for push {
			pushed()
			if !react() {
				break
			}
		}
	}
	if n := len(w.iss.Purchases()); n != purchases {
		b.Fatalf("%d purchases after %d simulated minutes, want %d", n, minutes, purchases)
	}
	counts, paid, err := w.d.DB.Usage(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	c := dmCost{dmLists: w.polls("GET 2/dm_events", start)}
	for _, row := range admin.UsageRows(counts, paid) {
		if row.Offer != "" {
			continue
		}
		if c.counts != nil {
			b.Fatalf("usage on more than one day: %+v", admin.UsageRows(counts, paid))
		}
		c.counts, c.paid = row.Counts, row.Paid
		if row.Paid > 0 {
			c.perPurchase = float64(row.CostMillis) / 1000 / float64(row.Paid)
		}
	}
	if c.paid != purchases {
		b.Fatalf("the usage report counts %d paid purchases, want %d: %s", c.paid, purchases, c)
	}
	if push && c.counts[string(twitterapi.UsagePushDM)] == 0 {
		b.Fatalf("no pushed DM counted with push on: %s", c)
	}
	return c
}
