//go:build crashpoint

package e2e

import (
	"math/rand/v2"
	"os"
	"strconv"
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
// moments, restarting it on the same database each time. At the end every
// purchase must have been made once and told once.
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

func killEpoch(t *testing.T, api string, kills int, rng *rand.Rand) {
	w := newWorld(t, api)
	spec := w.spec()
	spec.IssuerTimeout = 400 * time.Millisecond
	spec.GiftCardLimit = 1 << 30
	p := newDaemonProc(t, t.TempDir(), spec)
	d := newDriver(t, w.tw)
	d.hijacker = true
	buyers := []*shopper{
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
	deadline := time.Now().Add(150 * time.Second)
	for !(d.idle() && p.idleSince(d.last())) {
		d.stepAll()
		if !p.alive() {
			st := p.wait(time.Second)
			if !killedBy(st, syscall.SIGKILL) {
				t.Fatalf("the daemon died on its own: %v", st)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled 150s after the last kill; waiting for:%s", d.pending())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took, st := p.term(10 * time.Second); !st.Success() {
		t.Fatalf("after SIGTERM the daemon exited with %v after %s", st, took)
	}

	d.checkCycles(t)
	checkInvariants(t, w.tw, w.iss, p.openDB(), p.spec.DB, expectations{confirmed: d.confirmed, unanswered: d.mustNotAnswer()})
	approved := 0
	for _, pu := range w.iss.Purchases() {
		if pu.Status == issuersandbox.StatusApproved {
			approved++
		}
		switch pu.Cardholder {
		case "chd_frank", "chd_mallory":
			t.Errorf("%s was charged without confirming: %+v", pu.Cardholder, pu)
		}
	}
	if approved == 0 {
		t.Errorf("no purchase was approved in %d cycles: the loop tested nothing", len(d.cycles))
	}
	t.Logf("%d kills, %d runs, %d purchase cycles, %d purchases (%d approved), %d hijack attempts",
		killed, p.runs, len(d.cycles), len(w.iss.Purchases()), approved, len(d.hijacks))
}
