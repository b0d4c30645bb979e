package e2e

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
)

// respec makes the children started from now on run with spec, on the
// same database and status file.
func (p *daemonProc) respec(spec childSpec) {
	p.t.Helper()
	spec.DB, spec.StatusFile = p.spec.DB, p.spec.StatusFile
	b, err := json.Marshal(spec)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(p.specPath, b, 0o600); err != nil {
		p.t.Fatal(err)
	}
	p.spec = spec
}

// settleThenStop drives d's cardholders until they and daemon p have
// nothing left to do (90 s at most after the last kill), then stops p
// with SIGTERM, which must end it cleanly.
func (p *daemonProc) settleThenStop(t *testing.T, d *driver) {
	t.Helper()
	done := d.driveUntil(90*time.Second, 10*time.Millisecond, func() bool {
		if !p.alive() {
			t.Fatalf("the daemon died on its own: %v", p.wait(time.Second))
		}
		return d.idle() && p.idleSince(d.last())
	})
	if !done {
		t.Fatalf("not settled 90s after the last kill; waiting for:%s", d.pending())
	}
	if took, st := p.term(10 * time.Second); !st.Success() {
		t.Fatalf("after SIGTERM the daemon exited with %v after %s", st, took)
	}
}

// pushKills is how many times TestPushCrashWhileCardholdersTweet kills
// the daemon while the cardholders buy.
const pushKills = 6

// TestPushCrashWhileCardholdersTweet runs a child daemon with push on (the
// stream, then the webhook) while cardholders buy and confirm, by tweet
// and by DM, and mallory confirms other people's requests; the daemon is
// SIGKILLed several times meanwhile and started again on the same
// database. While the storm lasts the child polls only at its start, at
// each connect of the stream (the webhook: when it is found valid) and on
// push.reconcile (a minute): push brings the rest, and what X pushed
// while no daemon ran is for those polls (and the webhook's replay) to
// find. After a last start, with polling at full pace, everything
// settles: each purchase charged once, each message answered once,
// nothing lost.
func TestPushCrashWhileCardholdersTweet(t *testing.T) {
	for _, mode := range []string{config.PushStream, config.PushWebhook} {
		t.Run(mode, func(t *testing.T) { testPushCrashWhileCardholdersTweet(t, mode) })
	}
}

func testPushCrashWhileCardholdersTweet(t *testing.T, mode string) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("PAYBYTWEET_KILL_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (PAYBYTWEET_KILL_SEED)", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	w := newWorld(t, config.APIv2)
	spec := w.spec()
	spec.Push = mode
	if mode == config.PushWebhook {
		spec.WebhookPort = freeLoopbackPort(t)
	}
	spec.GiftCardLimit = 1 << 30
	storm := spec
	storm.PollSchedule, storm.PushReconcile, storm.PollEvery = "@every 1m", "@every 1m", time.Hour
	p := newDaemonProc(t, t.TempDir(), storm)
	d := newDriver(t, w.tw)
	d.hijacker = true
	buyers := stormShoppers()

	p.start("")
	killed := 0
	nextKill := time.Now().Add(randDuration(rng, 500*time.Millisecond, 2500*time.Millisecond))
	for killed < pushKills {
		for _, b := range buyers {
			d.begin(b)
		}
		d.stepAll()
		if !p.alive() {
			t.Fatalf("the daemon died on its own: %v", p.wait(time.Second))
		}
		if !time.Now().Before(nextKill) {
			p.kill()
			killed++
			p.start("")
			nextKill = time.Now().Add(randDuration(rng, 500*time.Millisecond, 2500*time.Millisecond))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What X delivered during the storm: lines of a stream, or webhook
	// calls answered 2xx, of them the replays asked at each start.
	delivered, replayed := 0, 0
	for _, e := range w.tw.PushEvents() {
		if e.Delivered() {
			delivered++
			if e.Replay {
				replayed++
			}
		}
	}

	// The storm is over: a last start, polling at full pace, and the
	// cardholders finish what they started.
	p.kill()
	p.respec(spec)
	p.start("")
	p.settleThenStop(t, d)

	d.checkCycles(t)
	db := p.openDB()
	checkInvariants(t, w.tw, w.iss, db, p.spec.DB, expectations{confirmed: d.confirmed, unanswered: d.mustNotAnswer()})
	f, err := db.Figures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pushedNew := int64(0)
	for k, n := range f.Counts["push_events"] {
		if strings.HasSuffix(k, "/new") {
			pushedNew += n
		}
	}
	if delivered == 0 || pushedNew == 0 {
		t.Errorf("%d events delivered during the storm, %d messages stored from push: the test did not test push", delivered, pushedNew)
	}
	if replays := countRequests(w.tw.Requests(), "POST 2/webhooks/replay", 200); mode == config.PushWebhook && replays == 0 {
		t.Error("no replay was asked at any start")
	}
	approved := 0
	for _, pu := range w.iss.Purchases() {
		if pu.Status == "approved" {
			approved++
		}
		if pu.Cardholder == "chd_frank" || pu.Cardholder == "chd_mallory" {
			t.Errorf("%s was charged without confirming: %+v", pu.Cardholder, pu)
		}
	}
	if approved == 0 {
		t.Errorf("no purchase was approved in %d cycles", len(d.cycles))
	}
	t.Logf("%d kills, %d runs, %d purchase cycles, %d purchases (%d approved), %d hijack attempts; %d events delivered during the storm (%d replayed), push events %v",
		killed, p.runs, len(d.cycles), len(w.iss.Purchases()), approved, len(d.hijacks), delivered, replayed, f.Counts["push_events"])
}
