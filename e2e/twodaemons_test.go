package e2e

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// TestTwoDaemonsOnOneAccount is a failover done wrong: the new machine
// runs on a copy of the database taken earlier, and the old machine comes
// back, on its own copy, while the new one runs. Both read the same
// Twitter account and charge through the same issuer. Nobody may be
// charged twice and no reply may be visible twice: the new daemon finds
// the old one's posts before posting them again, and the old one, once it
// sees the new one answer what it had queued, posts nothing more.
func TestTwoDaemonsOnOneAccount(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			testTwoDaemonsOnOneAccount(t, api)
		})
	}
}

func testTwoDaemonsOnOneAccount(t *testing.T, api string) {
	w := newWorld(t, api)
	spec := w.spec()
	// The guard's settling delay and careful time follow the poll
	// schedule (the test polls every 100ms all the same): slower
	// schedules leave a loaded machine time to show the old daemon the
	// new one's posts while it is careful.
	spec.PollSchedule = "@every 5s"
	old := newDaemonProc(t, t.TempDir(), spec)
	standby := newDaemonProc(t, t.TempDir(), spec)
	d := newDriver(t, w.tw)
	gift := func(u twitteremu.User, dm bool) *shopper {
		return &shopper{user: u, dm: dm, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", dmYes: "yes", confirms: true}
	}
	aliceBuys := &shopper{user: alice, buy: "#BuyKindleFireHD", confirm: "#ConfirmKindleFireHD", confirms: true}
	bobBuys, heidiBuys := gift(bob, true), gift(heidi, false)
	run := func(p *daemonProc, shoppers ...*shopper) {
		t.Helper()
		for _, s := range shoppers {
			if !d.begin(s) {
				t.Fatalf("%s is still buying", s.user.ScreenName)
			}
		}
		waitFor(t, 60*time.Second, "the purchases to settle", func() bool {
			d.stepAll()
			return d.idle() && p.idleSince(d.last())
		})
	}

	old.start("")
	run(old, aliceBuys, bobBuys)
	// The backup the new machine will start from.
	if took, st := old.term(10 * time.Second); !st.Success() {
		t.Fatalf("SIGTERM: %v after %s", st, took)
	}
	copyDatabase(t, old.spec.DB, standby.spec.DB)
	old.start("")
	run(old, gift(erin, false), heidiBuys, &shopper{user: grace, dm: true, buy: "#BuyKindleFireHD", confirm: "#ConfirmKindleFireHD", dmYes: "#ConfirmKindleFireHD", confirms: true})
	old.kill() // the old machine is lost

	// The new machine takes over from the older copy: it reads again what
	// the old one answered, and answers new buyers.
	standby.start("")
	run(standby, gift(ivan, false), bobBuys)
	waitFor(t, 60*time.Second, "the new daemon to have accounted for the old one's posts", func() bool {
		return strings.Contains(standby.log(), "posting goes at full speed again")
	})

	// The old machine comes back while the new one runs. New buyers come
	// once it has read the account's posts: what the new daemon answers
	// from then on, the old one sees posted while it runs.
	old.start("")
	waitFor(t, 60*time.Second, "the old daemon to find the new one's posts", func() bool {
		l := old.log()
		return strings.Contains(l[strings.LastIndex(l, "==== run"):], "Twitter holds posts of the bot that this database does not record")
	})
	// frank's purchase waits for his approval at the issuer while both
	// daemons read his messages: it is followed by GET, never POSTed
	// again, and he is told once to approve and once of the outcome.
	w.iss.RequireApproval("chd_frank", true)
	for _, s := range []*shopper{gift(judy, true), heidiBuys, gift(frank, false)} {
		d.begin(s)
	}
	waitFor(t, 60*time.Second, "the purchases to settle", func() bool {
		d.stepAll()
		for _, p := range w.iss.PendingApprovals() {
			if d.noticed(p.Reference) {
				if _, err := w.iss.Approve(p.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		return d.idle() && standby.idleSince(d.last())
	})
	fenced := func() bool { return strings.Contains(old.log(), "ANOTHER DAEMON IS POSTING FOR THIS ACCOUNT") }
	for deadline := time.Now().Add(30 * time.Second); !fenced() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	// Long enough for the old daemon to post what it held, were it to.
	time.Sleep(4 * time.Second)
	old.kill()
	if took, st := standby.term(10 * time.Second); !st.Success() {
		t.Fatalf("SIGTERM: %v after %s", st, took)
	}

	d.checkCycles(t)
	checkApprovedOnce(t, w.iss, "chd_frank")
	db := standby.openDB()
	checkInvariants(t, w.tw, w.iss, db, standby.spec.DB, expectations{confirmed: d.confirmed})
	checkNoneLost(t, w.iss, d, db)
	if !fenced() {
		t.Error("the old daemon never noticed that the new one posts for the account")
	}
}

// checkApprovedOnce checks that the cardholder's one purchase went
// through their approval, and was POSTed once: a pending purchase is
// settled by GET.
func checkApprovedOnce(t *testing.T, iss *issuersandbox.Server, cardholder string) {
	t.Helper()
	var mine []issuersandbox.Purchase
	for _, p := range iss.Purchases() {
		if p.Cardholder == cardholder {
			mine = append(mine, p)
		}
	}
	if len(mine) != 1 || mine[0].Approval == nil || mine[0].Status != issuersandbox.StatusApproved {
		t.Fatalf("%s's purchases %+v, want one, approved by the cardholder", cardholder, mine)
	}
	posts := 0
	for _, q := range iss.Requests() {
		if q.Method == "POST" && q.Path == "/v1/purchases" && strings.Contains(string(q.Body), `"`+mine[0].Reference+`"`) {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d POSTs for %s, want one: a pending purchase is settled by GET", posts, mine[0].Reference)
	}
}

// copyDatabase copies a stopped daemon's SQLite file and its WAL.
func copyDatabase(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(from + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(to + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
