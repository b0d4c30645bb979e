package e2e

// Benchmarks of a viral campaign end to end: many buyers at once against
// the emulators, timed by what they see (the bot's tweets and DMs).

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/daemon"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// burstWorld is both emulators, on the real clock, with n enrolled buyers
// and budgets no burst reaches (the budgets have tests of their own).
type burstWorld struct {
	tw     *twitteremu.Server
	iss    *issuersandbox.Server
	buyers []twitteremu.User
}

func newBurstWorld(tb testing.TB, n int) *burstWorld {
	tb.Helper()
	w := &burstWorld{}
	w.tw = twitteremu.New(twitteremu.Options{Bot: botUser, FirstID: 999999999999999990, PostingLimit: 1 << 30, DMSendLimit: 1 << 30,
		RateLimits: map[string]int{
			"statuses/mentions_timeline": 1 << 30, "statuses/user_timeline": 1 << 30, "account/verify_credentials": 1 << 30,
			"direct_messages/events/list": 1 << 30, "direct_messages/events/show": 1 << 30, "statuses/show": 1 << 30,
		}})
	w.iss = issuersandbox.New(issuersandbox.Options{APIKey: "sk_test"})
	for i := 0; i < n; i++ {
		u := twitteremu.User{ID: 20000000 + int64(i), ScreenName: fmt.Sprintf("buyer%d", i), Name: "Buyer"}
		w.tw.AddUser(u)
		w.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(u), Cardholder: "chd_" + u.ScreenName, CardLast4: "1005", CardBrand: "amex", Status: "active"})
		w.buyers = append(w.buyers, u)
	}
	w.tw.AddUser(alice)
	w.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(alice), Cardholder: "chd_alice", CardLast4: "1005", CardBrand: "amex", Status: "active"})
	if _, err := w.tw.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.tw.Close)
	if _, err := w.iss.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.iss.Close)
	return w
}

// ceiling measures, on this machine and in this run, one synchronous=FULL
// commit and one round trip of each kind a purchase needs (read mentions,
// post a tweet, look up an enrollment, make a purchase), through the
// bot's own clients: what one purchase would cost if nothing were done
// twice and nothing overlapped.
func (w *burstWorld) ceiling(tb testing.TB, dir string) (time.Duration, map[string]time.Duration) {
	tb.Helper()
	const rounds = 30
	db, err := storage.Open(filepath.Join(dir, "ceiling.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tw, err := twitterapi.New(twitterapi.Config{APIURL: w.tw.URL(), ConsumerKey: "consumer-key", ConsumerSecret: "consumer-secret",
		AccessToken: "access-token", AccessSecret: "access-secret"})
	if err != nil {
		tb.Fatal(err)
	}
	defer tw.Close()
	iss := issuer.New(w.iss.URL(), "sk_test", 5*time.Second)
	ctx := context.Background()
	kinds := []struct {
		name string
		call func(i int) error
	}{
		{"commit", func(i int) error { return db.SetCursor(ctx, "probe", i) }},
		{"mentions", func(int) error { _, err := tw.Mentions(0, ""); return err }},
		{"post", func(i int) error { _, err := tw.Post(fmt.Sprintf("ceiling probe %d", i), 0); return err }},
		{"enrollment", func(int) error { _, err := iss.Enrollment(ctx, alice.ID); return err }},
		{"purchase", func(i int) error {
			_, err := iss.CreatePurchase(ctx, fmt.Sprintf("probe-%d", i), issuer.PurchaseRequest{Cardholder: "chd_alice", Merchant: "mer_probe",
				Amount: 100, Currency: "USD", Description: "probe", Reference: fmt.Sprintf("probe_%d", i)})
			return err
		}},
	}
	parts := map[string]time.Duration{}
	var total time.Duration
	for _, k := range kinds {
		k.call(-1) // warm the connection
		start := time.Now()
		for i := 0; i < rounds; i++ {
			if err := k.call(i); err != nil {
				tb.Fatalf("ceiling %s: %v", k.name, err)
			}
		}
		parts[k.name] = time.Since(start) / rounds
		total += parts[k.name]
	}
	return total, parts
}

// BenchmarkBurst500 has 500 buyers tweet the buy hashtag at once and each
// confirm as soon as the bot asks, against an in-process daemon (as the
// rig runs it, polling as fast as it can), and reports the wall time per
// purchase, from the first buy to the last receipt, next to the serial
// ceiling measured in the same run, and their ratio: at most 1 is the
// target. Run it with -benchtime=1x.
func BenchmarkBurst500(b *testing.B) {
	const buyers = 500
	w := newBurstWorld(b, buyers)
	dir := b.TempDir()
	cfg := testConfig(config.APIv1, w.tw.URL(), w.iss.URL(), filepath.Join(dir, "paybytweet.db"))
	cfg.Twitter.Limits.TweetsPerWindow, cfg.Twitter.Limits.DMsPerDay = 1<<30, 1<<30
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := daemon.Open(context.Background(), cfg, daemon.Options{Logger: logger, Bot: func(o *bot.Options) { o.Idle = 5 * time.Millisecond }})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ceiling, parts := w.ceiling(b, dir)
	var wall time.Duration
	round := 0
	for b.Loop() {
		wall = runTweetBurst(b, w, d, buyers, round)
		round++
	}
	per := wall / buyers
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/purchase")
	b.ReportMetric(float64(ceiling.Microseconds())/1000, "ceiling-ms")
	b.ReportMetric(float64(per)/float64(ceiling), "ratio")
	b.Logf("ceiling parts: %v", parts)
}

// runTweetBurst runs one burst and returns its wall time. Each round's
// tweets have text of their own (Twitter refuses a duplicate status); the
// gift card allows two purchases each, so at most two rounds.
func runTweetBurst(b *testing.B, w *burstWorld, d *daemon.Daemon, buyers, round int) time.Duration {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the bot polls every 20 ms: the ceiling has no poll interval either
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			d.Bot.PollNow()
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	start := time.Now()
	buys := map[int64]twitteremu.User{}
	for _, u := range w.buyers[:buyers] {
		t, err := w.tw.PostTweet(u.ID, fmt.Sprintf("@AmexOffers #BuyGiftCard %d", round), twitteremu.TweetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		buys[t.ID] = u
	}
	confirms := map[int64]bool{}
	receipts := 0
	seen := 0
	deadline := time.Now().Add(10 * time.Minute)
	for receipts < len(w.buyers) {
		if time.Now().After(deadline) {
			b.Fatalf("after 10 minutes %d of %d receipts", receipts, buyers)
		}
		tweets := w.tw.TweetsBy(botUser.ID)
		for _, t := range tweets[seen:] {
			if u, ok := buys[t.InReplyTo]; ok && strings.Contains(t.Text, "#ConfirmGiftCard") {
				c, err := w.tw.PostTweet(u.ID, fmt.Sprintf("@AmexOffers #ConfirmGiftCard %d", round), twitteremu.TweetOptions{InReplyTo: t.ID})
				if err != nil {
					b.Fatal(err)
				}
				confirms[c.ID] = true
			}
			if confirms[t.InReplyTo] {
				receipts++
			}
		}
		seen = len(tweets)
		time.Sleep(2 * time.Millisecond)
	}
	wall := time.Since(start)
	if n := len(w.iss.Purchases()); n < buyers*(round+1) {
		b.Fatalf("%d purchases for %d buyers", n, buyers)
	}
	return wall
}

// BenchmarkBurstDM10000 has 10,000 buyers DM the buy hashtag at once and
// answer "yes" as soon as the bot asks, against the daemon in a child
// process (as the crash tests run it), and reports the wall time per
// purchase and the daemon's peak resident memory (VmHWM): the target is
// 64 MB at most. DMs have no 800-item reach, so the whole burst is read.
// Run it with -benchtime=1x.
func BenchmarkBurstDM10000(b *testing.B) {
	const buyers = 10000
	w := newBurstWorld(b, buyers)
	p := newDaemonProc(b, b.TempDir(), childSpec{API: config.APIv1, TwitterURL: w.tw.URL(), IssuerURL: w.iss.URL(), IssuerTimeout: 5 * time.Second, PollEvery: 200 * time.Millisecond})
	p.start("")
	defer func() { p.term(time.Minute) }()
	var wall time.Duration
	for b.Loop() {
		wall = runDMBurst(b, w, p)
	}
	hwm, err := peakRSS(p.pid())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(wall.Microseconds())/1000/buyers, "ms/purchase")
	b.ReportMetric(float64(hwm)/1024, "peak-RSS-MB")
}

// runDMBurst runs one burst of DM buyers and returns its wall time.
func runDMBurst(b *testing.B, w *burstWorld, p *daemonProc) time.Duration {
	start := time.Now()
	for _, u := range w.buyers {
		if _, err := w.tw.SendDM(u.ID, botUser.ID, "#BuyGiftCard"); err != nil {
			b.Fatal(err)
		}
	}
	asked := map[int64]bool{}
	receipts, seen := 0, 0
	deadline := time.Now().Add(30 * time.Minute)
	for receipts < len(w.buyers) {
		if time.Now().After(deadline) || !p.alive() {
			b.Fatalf("%d of %d receipts after %s (daemon alive: %v)", receipts, len(w.buyers), time.Since(start), p.alive())
		}
		dms := w.tw.DMs()
		for _, e := range dms[seen:] {
			if e.SenderID != botUser.ID {
				continue
			}
			switch {
			case strings.Contains(e.Text, "Done!"):
				receipts++
			case strings.Contains(e.Text, "#ConfirmGiftCard") && !asked[e.RecipientID]:
				asked[e.RecipientID] = true
				if _, err := w.tw.SendDM(e.RecipientID, botUser.ID, "yes"); err != nil {
					b.Fatal(err)
				}
			}
		}
		seen = len(dms)
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// peakRSS reads a process's peak resident set (VmHWM), in KiB.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
