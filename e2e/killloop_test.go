//go:build crashpoint

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// killsEnv sets how many times TestKillLoop kills the daemon; CI runs
// defaultKills. PAYBYTWEET_KILLS=1000 is the long run.
const (
	killsEnv     = "PAYBYTWEET_KILLS"
	defaultKills = 15
)

// TestKillLoop runs concurrent buyers against the daemon while both
// emulators misbehave (the issuer commits and then hangs past the client's
// timeout, resets or answers 503; Twitter posts and then answers 503; the
// mentions timeline answers 429), and SIGKILLs the daemon at random
// moments, restarting it on the same database each time. Some purchases
// wait for the cardholder's approval at the issuer (the Kindle is over
// risk.approval_over; the issuer asks alice and ivan for every purchase),
// which the cardholders give or refuse meanwhile. At the end every
// purchase must have been made once and told once, and every approval
// settled by GET, its notice and its outcome told once.
//
// PAYBYTWEET_API=v1.1 or v2 runs it against that API alone; without it,
// against each in turn.
func TestKillLoop(t *testing.T) {
	if api := os.Getenv(apiEnv); api != "" {
		if api != config.APIv1 && api != config.APIv2 {
			t.Fatalf("%s=%q: want %s or %s", apiEnv, api, config.APIv1, config.APIv2)
		}
		t.Run(api, func(t *testing.T) { testKillLoop(t, api) })
		return
	}
	eachAPI(t, testKillLoop)
}

// apiEnv names the variable that picks TestKillLoop's API.
const apiEnv = "PAYBYTWEET_API"

func testKillLoop(t *testing.T, api string) {
	kills := defaultKills
	if v := os.Getenv(killsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", killsEnv, v)
		}
		kills = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("PAYBYTWEET_KILL_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("%d kills, seed %d (PAYBYTWEET_KILL_SEED)", kills, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	// A long run is cut into epochs, each on fresh emulators and a fresh
	// database and each checked in full, so that what the checks and the
	// buyers read stays small.
	for epoch := 1; kills > 0 && !t.Failed(); epoch++ {
		n := min(kills, killsPerEpoch)
		kills -= n
		t.Run("epoch "+strconv.Itoa(epoch), func(t *testing.T) { killEpoch(t, api, n, rng) })
	}
}

const killsPerEpoch = 100

// settleAfterStorm bounds how long an epoch may take to settle once the
// kills and faults stop.
const settleAfterStorm = 5 * time.Minute

func killEpoch(t *testing.T, api string, kills int, rng *rand.Rand) {
	w := newWorld(t, api)
	spec := w.spec()
	spec.IssuerTimeout = 400 * time.Millisecond
	spec.GiftCardLimit = 1 << 30
	// The Kindle (199.00) needs the cardholder's approval, a gift card
	// (25.00) not. A declined approval holds the account briefly, so that
	// its buys are refused for a while and then go to approval again
	// (declined_approval), and the approvals a day do not run out: the
	// loop keeps making approvals.
	spec.ApprovalOver = map[string]int64{"USD": 100_00}
	spec.DeclineHold = 3 * time.Second
	spec.ApprovalsPerDay = 1 << 20
	p := newDaemonProc(t, t.TempDir(), spec)
	d := newDriver(t, w.tw)
	d.hijacker = true
	buyers := stormShoppers()
	// The issuer's own rule: alice (by tweet) and ivan (by DM) approve
	// every purchase of theirs.
	for _, u := range []string{"chd_alice", "chd_ivan"} {
		w.iss.RequireApproval(u, true)
	}
	ap := &approver{t: t, iss: w.iss, d: d, rng: rng, seen: map[string]time.Time{}, early: map[string]bool{},
		answered: map[string]bool{}, unseen: map[string]bool{}}

	issuerFaults := []issuersandbox.Fault{
		{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Hang: 2 * time.Second},
		{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Reset: true},
		{Method: "POST", Path: "/v1/purchases", Status: 503},
		{Method: "POST", Path: "/v1/purchases", Status: 409},
		{Method: "POST", Path: "/v1/purchases", Status: 429, RetryAfter: time.Second},
		{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Malformed: true},
		{Method: "GET", Path: "/v1/purchases", Status: 503},
		{Method: "GET", Path: "/v1/enrollments", Status: 503},
	}
	twitterFaults := []twitteremu.Fault{
		{Endpoint: w.ep(twitterapi.CallPost), Status: 503, AfterWork: true},
		{Endpoint: w.ep(twitterapi.CallPost), Drop: true, AfterWork: true},
		{Endpoint: w.ep(twitterapi.CallPost), Status: 503},
		{Endpoint: w.ep(twitterapi.CallSendDM), Status: 503, AfterWork: true},
		{Endpoint: w.ep(twitterapi.CallMentions), Status: 429},
		{Endpoint: w.ep(twitterapi.CallDMList), Status: 503},
		{Endpoint: w.ep(twitterapi.CallOwnTweets), Status: 503},
	}

	p.start("")
	killed := 0
	nextKill := time.Now().Add(randDuration(rng, 150*time.Millisecond, 1500*time.Millisecond))
	nextFault := time.Now()
	for killed < kills {
		for _, b := range buyers {
			d.begin(b)
		}
		d.stepAll()
		ap.answer(false)
		now := time.Now()
		if !now.Before(nextFault) {
			if rng.IntN(2) == 0 {
				w.iss.InjectFault(issuerFaults[rng.IntN(len(issuerFaults))])
			} else {
				w.tw.InjectFault(twitterFaults[rng.IntN(len(twitterFaults))])
			}
			nextFault = now.Add(randDuration(rng, 100*time.Millisecond, 600*time.Millisecond))
		}
		if !p.alive() {
			t.Fatalf("the daemon died on its own: %v", p.wait(time.Second))
		}
		if !now.Before(nextKill) {
			p.kill()
			killed++
			p.start("")
			nextKill = time.Now().Add(randDuration(rng, 150*time.Millisecond, 1500*time.Millisecond))
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The storm is over: the buyers finish what they started.
	w.iss.ClearFaults()
	w.tw.ClearFaults()
	p.kill()
	p.start("")
	// Settling includes auditing at the issuer every refused buy that a
	// daemon before the last restart may have decided (frank's thousands
	// of repeats): minutes on a loaded machine.
	deadline := time.Now().Add(settleAfterStorm)
	ap.settling()
	for !(d.idle() && p.idleSince(d.last())) {
		d.stepAll()
		ap.answer(true)
		if !p.alive() {
			st := p.wait(time.Second)
			if !killedBy(st, syscall.SIGKILL) {
				t.Fatalf("the daemon died on its own: %v", st)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled %s after the last kill; waiting for:%s%s", settleAfterStorm, d.pending(), ap.pending())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took, st := p.term(10 * time.Second); !st.Success() {
		t.Fatalf("after SIGTERM the daemon exited with %v after %s", st, took)
	}

	d.checkCycles(t)
	checkInvariants(t, w.tw, w.iss, p.openDB(), p.spec.DB, expectations{confirmed: d.confirmed, unanswered: d.mustNotAnswer(), answeredUnseen: ap.unseen})
	approved, pending, pendingApproved, pendingDeclined, byDM := 0, 0, 0, 0, 0
	for _, pu := range w.iss.Purchases() {
		if pu.Status == issuersandbox.StatusApproved {
			approved++
		}
		if pu.Approval != nil {
			pending++
			switch {
			case pu.Status == issuersandbox.StatusApproved:
				pendingApproved++
			case pu.DeclineCode == issuersandbox.DeclineApprovalDeclined:
				pendingDeclined++
			}
			if pu.Cardholder == "chd_ivan" || pu.Cardholder == "chd_grace" {
				byDM++
			}
		}
		switch pu.Cardholder {
		case "chd_frank", "chd_mallory":
			t.Errorf("%s was charged without confirming: %+v", pu.Cardholder, pu)
		}
	}
	if approved == 0 {
		t.Errorf("no purchase was approved in %d cycles: the loop tested nothing", len(d.cycles))
	}
	if pending == 0 {
		t.Errorf("no purchase went through the cardholder's approval in %d cycles: the loop did not test approvals", len(d.cycles))
	}
	t.Logf("%d kills, %d runs, %d purchase cycles, %d purchases (%d approved), %d hijack attempts; "+
		"%d through approval (%d by DM): %d approved, %d declined by the cardholder (%d answered before the notice was seen)",
		killed, p.runs, len(d.cycles), len(w.iss.Purchases()), approved, len(d.hijacks),
		pending, byDM, pendingApproved, pendingDeclined, len(ap.unseen))
}

// approver plays the cardholders' phones: it answers the purchases that
// wait for approval at the issuer, approving most and declining about one
// in six. A cardholder answers once the bot's notice is visible, or, for
// about one purchase in four, as soon as the issuer asks (before the bot
// may know the purchase waits). After the storm, a purchase still waiting
// without a notice 30s on is a failure (and is approved, so the epoch can
// settle).
type approver struct {
	t        *testing.T
	iss      *issuersandbox.Server
	d        *driver
	rng      *rand.Rand
	seen     map[string]time.Time // purchase id -> when first seen pending (again from settling)
	early    map[string]bool      // purchase id -> its cardholder answers without waiting for the notice
	answered map[string]bool      // purchase ids answered
	unseen   map[string]bool      // orders answered before their notice was visible
}

// settling starts the settle phase: from now on nobody answers early, and
// a purchase waiting without a notice is timed from now.
func (a *approver) settling() {
	now := time.Now()
	for id := range a.seen {
		a.seen[id] = now
	}
}

// answer answers the purchases now waiting for approval that the
// cardholders would answer.
func (a *approver) answer(settling bool) {
	now := time.Now()
	for _, p := range a.iss.PendingApprovals() {
		if a.answered[p.ID] {
			continue
		}
		if _, ok := a.seen[p.ID]; !ok {
			a.seen[p.ID] = now
			a.early[p.ID] = a.rng.IntN(4) == 0
		}
		noticed := a.d.noticed(p.Reference)
		switch {
		case noticed:
		case a.early[p.ID] && !settling:
			a.unseen[p.Reference] = true
		case settling && now.Sub(a.seen[p.ID]) > 90*time.Second:
			// A charge whose outcome the storm hid waits out its backoff
			// (up to a minute) before the look-up that finds it pending.
			a.t.Errorf("purchase %s of order %s (%s) still waits for approval 90s after the storm, and the bot never told its cardholder to approve it", p.ID, p.Reference, p.Cardholder)
			a.unseen[p.Reference] = true // reported here; approved so that the epoch settles
		default:
			continue
		}
		decline := a.rng.IntN(6) == 0
		var err error
		if decline {
			_, err = a.iss.Decline(p.ID)
		} else {
			_, err = a.iss.Approve(p.ID)
		}
		if err != nil {
			a.t.Errorf("answer purchase %s (decline %v): %v", p.ID, decline, err)
		}
		a.answered[p.ID] = true
	}
}

// pending describes the purchases still waiting for approval.
func (a *approver) pending() string {
	var b strings.Builder
	for _, p := range a.iss.PendingApprovals() {
		fmt.Fprintf(&b, "\n  purchase %s of order %s (%s) waits for approval since %s, notice seen %v",
			p.ID, p.Reference, p.Cardholder, time.Since(a.seen[p.ID]).Round(time.Millisecond), a.d.noticed(p.Reference))
	}
	return b.String()
}
