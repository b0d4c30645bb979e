//go:build crashpoint

package e2e

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/crashpoint"
)

// TestCrashPoints kills the daemon with SIGKILL at each crash point (up
// to three times, at different hits), restarts it on the same database
// until nothing is left to do, and checks that every purchase was made and
// told exactly once. On v2 it runs with push on too (the stream): what X
// pushed to a daemon that died before storing it, or while none ran, the
// polls at the next start find.
func TestCrashPoints(t *testing.T) { eachMode(t, testCrashPoints) }

func testCrashPoints(t *testing.T, m mode) {
	for _, point := range crashpoint.Points {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			runCrashScenario(t, m, point)
		})
	}
}

func runCrashScenario(t *testing.T, m mode, point string) {
	const maxCrashes = 3
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	w := newWorld(t, m.api)
	p := newDaemonProc(t, t.TempDir(), m.spec(w))
	d := newDriver(t, w.tw)
	d.hijacker = true
	for _, s := range campaignShoppers() {
		d.begin(s) // the buys are there before the daemon first starts
	}

	crashes := 0
	p.start(point)
	done := d.driveUntil(90*time.Second, 10*time.Millisecond, func() bool {
		if !p.alive() {
			st := p.wait(time.Second)
			if !killedBy(st, syscall.SIGKILL) {
				t.Fatalf("the daemon exited on its own (%v) instead of dying at %s", st, point)
			}
			crashes++
			if got := strings.Count(p.log(), "crashpoint: SIGKILL at "+point); got != crashes {
				t.Fatalf("%d crashes, %d of them at %s", crashes, got, point)
			}
			next := ""
			if crashes < maxCrashes {
				next = point + ":" + strconv.Itoa(1+rng.IntN(3))
			}
			p.start(next)
			return false
		}
		return d.idle() && p.idleSince(d.last())
	})
	if !done {
		t.Fatalf("not done after 90s (%d crashes at %s); waiting for:%s", crashes, point, d.pending())
	}
	if crashes == 0 {
		t.Fatalf("the daemon never reached %s", point)
	}
	t.Logf("%d crashes at %s, %d runs", crashes, point, p.runs)
	if took, st := p.term(10 * time.Second); !st.Success() {
		t.Fatalf("after SIGTERM the daemon exited with %v after %s", st, took)
	}

	d.checkCycles(t)
	db := p.openDB()
	checkInvariants(t, w.tw, w.iss, db, p.spec.DB, expectations{confirmed: d.confirmed, unanswered: d.mustNotAnswer()})
	if m.push {
		checkPushed(t, w, db)
	}
	// What each cardholder got, besides the invariants.
	outcomes := map[string]string{}
	for _, c := range d.cycles {
		outcomes[c.s.user.ScreenName] = c.answer + " => " + c.outcome
	}
	for name, want := range map[string]string{"alice": "Done!", "bob": "Done!", "grace": "Done!", "heidi": "Done!", "erin": "declined", "frank": "#ConfirmGiftCard", "carol": "link your card"} {
		if !strings.Contains(outcomes[name], want) {
			t.Errorf("%s got %q, want it to contain %q", name, outcomes[name], want)
		}
	}
	for _, u := range []string{"frank", "carol", "mallory"} {
		for _, pu := range w.iss.Purchases() {
			if pu.Cardholder == "chd_"+u {
				t.Errorf("%s was charged: %+v", u, pu)
			}
		}
	}
	if n := len(w.iss.Purchases()); n != 5 {
		t.Errorf("%d purchases, want 5 (4 approved, 1 declined): %+v", n, w.iss.Purchases())
	}
}
