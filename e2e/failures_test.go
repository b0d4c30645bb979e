package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the test's own connection, to plant a fault

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// plantFault makes the database refuse, with an error, to record any
// decision about the message with id messageID: a trigger on the daemon's
// own file. It returns a function that removes it.
func (r *rig) plantFault(messageID int64) (remove func()) {
	r.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+r.cfg.Storage.Path+"?_busy_timeout=5000")
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TRIGGER planted_fault BEFORE UPDATE OF state ON inbox
		WHEN NEW.state = 'done' AND NEW.message_id = ` + strconv.FormatInt(messageID, 10) + `
		BEGIN SELECT RAISE(ABORT, 'planted fault: this message cannot be recorded'); END`); err != nil {
		r.t.Fatal(err)
	}
	return func() {
		if _, err := db.Exec(`DROP TRIGGER planted_fault`); err != nil {
			r.t.Fatal(err)
		}
	}
}

// logLines counts the daemon's log lines that hold every one of subs.
func (r *rig) logLines(subs ...string) int { return len(r.logMatching(subs...)) }

// logMatching returns the daemon's log lines that hold every one of subs.
func (r *rig) logMatching(subs ...string) []string {
	var out []string
	for _, line := range strings.Split(r.logs.String(), "\n") {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(line, s)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

// logDurations returns the durations logged under key, in order, on the
// daemon's log lines that hold every one of subs; a line where key is
// missing or not a duration fails the test.
func (r *rig) logDurations(key string, subs ...string) []time.Duration {
	r.t.Helper()
	var out []time.Duration
	for _, line := range r.logMatching(subs...) {
		_, v, ok := strings.Cut(line, " "+key+"=")
		v, _, _ = strings.Cut(v, " ")
		d, err := time.ParseDuration(v)
		if !ok || err != nil {
			r.t.Fatalf("no duration %s in the log line %q", key, line)
		}
		out = append(out, d)
	}
	return out
}

// inboxMessage returns the inbox row of the message with id messageID.
func (r *rig) inboxMessage(messageID int64) (storage.InboxMessage, bool) {
	all, err := r.d.DB.Inbox(context.Background(), "")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, m := range all {
		if m.Inbound.ID == messageID {
			return m, true
		}
	}
	return storage.InboxMessage{}, false
}

// TestFailingMessageHoldsBackOnlyItsCardholder: a message whose processing
// fails every time holds back its own cardholder, with a growing backoff,
// while the others are answered; after five attempts it is set aside as
// failed with an ALERT, listed for the admin, and the cardholder's later
// messages go on. Put back after the fix, it is answered.
func TestFailingMessageHoldsBackOnlyItsCardholder(t *testing.T) {
	eachAPI(t, testFailingMessageHoldsBackOnlyItsCardholder)
}

func testFailingMessageHoldsBackOnlyItsCardholder(t *testing.T, api string) {
	r := newRig(t, api)
	bobsBuy := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	remove := r.plantFault(bobsBuy.ID)
	alicesBuy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.d.Bot.PollNow()
	r.waitFor("alice's answer", func() bool { return len(r.repliesTo(alicesBuy.ID)) == 1 })
	mustContain(t, "alice's answer", r.reply(alicesBuy.ID).Text, "#ConfirmKindleFireHD", "1005")

	// Bob's DM after his failing tweet waits behind it, in his order;
	// Erin, later still, is answered meanwhile.
	r.dm(bob, "help")
	erinsBuy := r.tweet(erin, "@AmexOffers #BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFor("erin's answer", func() bool { return len(r.repliesTo(erinsBuy.ID)) == 1 })
	if dms := r.dmsTo(bob); len(dms) != 0 {
		t.Errorf("bob's DM was answered before his older tweet: %q", dms[0].Text)
	}

	// Five attempts, further and further apart (the backoff is on the
	// wall clock: 7.5 to 15 s in all), then it is set aside and bob's DM
	// is answered. Each attempt is awaited from the retry time the one
	// before it recorded, so that a loaded machine makes the wait longer,
	// not the test fail.
	retryAt := time.Now()
	for attempt := 1; attempt <= 5; attempt++ {
		waitFor(t, time.Until(retryAt)+15*time.Second, "attempt "+itoa(attempt)+" at bob's message", func() bool {
			m, ok := r.inboxMessage(bobsBuy.ID)
			if ok && m.Attempts >= attempt {
				retryAt = m.RetryAt
			}
			return ok && m.Attempts >= attempt
		})
	}
	if failed, _ := r.d.DB.Inbox(context.Background(), storage.InboxFailed); len(failed) != 1 || failed[0].Inbound.ID != bobsBuy.ID {
		t.Fatalf("failed messages after five attempts = %+v; want bob's buy set aside", failed)
	}
	waitFor(t, 10*time.Second, "bob's DM answered", func() bool { return len(r.dmsTo(bob)) == 1 })
	mustContain(t, "bob's DM", r.dmsTo(bob)[0].Text, "#BuyGiftCard")
	waits := r.logDurations("retry_in", "processing a message failed", "user_id="+id(bob))
	if len(waits) != 4 {
		t.Errorf("%d warnings of a failed attempt, want 4 (then the ALERT)", len(waits))
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] < waits[i-1] {
			t.Errorf("the backoff shrank: %v", waits)
		}
	}
	if n := r.logLines("ALERT", "alert=inbox_failed", "user_id="+id(bob), "planted fault"); n != 1 {
		t.Errorf("%d ALERT lines for the failed message, want 1:\n%s", n, r.logs.String())
	}
	if rs := r.repliesTo(bobsBuy.ID); len(rs) != 0 {
		t.Errorf("bob's failed message was answered: %q", rs[0].Text)
	}

	// The admin's listing (paybytweet inbox -state failed -json) shows it
	// with its last error.
	failed, err := r.d.DB.Inbox(context.Background(), storage.InboxFailed)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := admin.WriteInbox(&out, failed, true); err != nil {
		t.Fatal(err)
	}
	var rows []admin.InboxRow
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("inbox -json: %v\n%s", err, out.String())
	}
	if len(rows) != 1 || rows[0].MessageID != id2s(bobsBuy.ID) || rows[0].UserID != id(bob) || rows[0].Attempts != 5 ||
		!strings.Contains(rows[0].LastError, "planted fault") || rows[0].State != "failed" {
		t.Fatalf("inbox -state failed = %+v", rows)
	}

	// Fixed and put back (paybytweet inbox retry ID): answered.
	remove()
	if err := r.d.DB.RetryInbox(context.Background(), rows[0].ID); err != nil {
		t.Fatal(err)
	}
	r.settle()
	mustContain(t, "bob's answer after the retry", r.reply(bobsBuy.ID).Text, "#ConfirmKindleFireHD", "2002")
}

// fullDiskChild, naming an API, makes the test binary run the full-disk
// test on it itself: the file-size limit it sets holds for the whole
// process, so it runs in a process of its own, where nothing else (the
// test log, other tests' databases) meets the limit.
const fullDiskChild = "PAYBYTWEET_E2E_FULL_DISK"

// TestWorkersBackOffWhileTheDiskIsFull fills the disk under a running
// daemon (a file-size limit on the process: no file may grow) while each
// worker has work: the processor a buy, the charger a confirmed order, the
// sender a reply. Each backs off, growing, rather than spin or flood the
// log, and each recovers once the disk has room again: nothing is lost and
// nothing is charged twice.
func TestWorkersBackOffWhileTheDiskIsFull(t *testing.T) {
	if api := os.Getenv(fullDiskChild); api != "" {
		workersBackOffWhileTheDiskIsFull(t, api)
		return
	}
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestWorkersBackOffWhileTheDiskIsFull$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), fullDiskChild+"="+api)
			out, err := cmd.CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("--- PASS: TestWorkersBackOffWhileTheDiskIsFull")) {
				t.Fatalf("the full-disk test, in a process of its own: %v\n%s", err, out)
			}
		})
	}
}

// workersBackOffWhileTheDiskIsFull is the full-disk test on api, in the
// child process.
func workersBackOffWhileTheDiskIsFull(t *testing.T, api string) {
	r := newRig(t, api)
	ctx := context.Background()
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	// Alice's confirmed order waits for the issuer.
	r.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 503, Times: 1000})
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", r.reply(buy.ID).ID)
	r.d.Bot.PollNow()
	r.waitFor("a charge attempt", func() bool {
		for _, q := range r.iss.Requests() {
			if q.Method == "POST" && q.Path == "/v1/purchases" && q.Status == 503 {
				return true
			}
		}
		return false
	})
	// Carol's answer waits for Twitter.
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallPost), Status: 503, Times: -1})
	carols := r.tweet(carol, "@AmexOffers #BuyKindleFireHD")
	r.d.Bot.PollNow()
	r.waitFor("a failed post", func() bool { return r.logLines("send failed; will retry") > 0 })
	// Bob's buy waits for the issuer's enrollment answer.
	r.iss.InjectFault(issuersandbox.Fault{Path: "/v1/enrollments", Status: 503, Times: 1000})
	bobs := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	r.d.Bot.PollNow()
	r.waitFor("bob's buy waiting", func() bool { return r.logLines("enrollment lookup failed", "user_id="+id(bob)) > 0 })

	// An empty WAL: a commit must grow a file, which the limit refuses
	// (a WAL left long by earlier writes has room for one more).
	truncateWAL(t, r.cfg.Storage.Path)
	full := syscall.Rlimit{}
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		t.Fatal(err)
	}
	limited := full
	limited.Cur = 1
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limited); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer restore()
	r.iss.ClearFaults()
	r.tw.ClearFaults()
	r.clock.Advance(2 * time.Minute) // the charge and the post are due again
	time.Sleep(7 * time.Second)
	for _, worker := range []string{"processor", "charger", "sender"} {
		alerts := r.logLines("component="+worker, "alert=database_unavailable")
		again := r.logLines("component="+worker, "the database still refuses work")
		// Backing off 1s, 2s, 4s: three or four failures in 7s. A worker
		// that spun (the rig's idle wait is 20ms) would log hundreds.
		if alerts != 1 || again > 4 {
			t.Errorf("%s: %d ALERTs and %d more failures logged in 7s; want one ALERT and a few, backing off", worker, alerts, again)
		}
	}
	// A charge may still go out while the disk is full: the order's key
	// was recorded when it was confirmed, and a retry whose outcome
	// cannot be recorded is settled by reference afterwards. What must
	// not happen is a second purchase.
	if ps := r.iss.Purchases(); len(ps) > 1 {
		t.Errorf("more than one purchase while the disk was full: %+v", ps)
	}
	restore()

	waitFor(t, 30*time.Second, "everyone answered", func() bool {
		return len(r.repliesTo(confirm.ID)) == 1 && len(r.repliesTo(carols.ID)) == 1 && len(r.repliesTo(bobs.ID)) == 1
	})
	r.settle()
	mustContain(t, "alice's receipt", r.reply(confirm.ID).Text, "199.00")
	mustContain(t, "carol's answer", r.reply(carols.ID).Text, "https://issuer.example/link-twitter")
	mustContain(t, "bob's request", r.reply(bobs.ID).Text, "#ConfirmKindleFireHD", "2002")
	r.charged(alice, 1)
	for _, worker := range []string{"processor", "charger", "sender"} {
		if r.logLines("component="+worker, "the database works again") == 0 {
			t.Errorf("%s never said it recovered", worker)
		}
	}
	if pending, _ := r.d.DB.Inbox(ctx, storage.InboxPending); len(pending) != 0 {
		t.Errorf("messages left pending: %+v", pending)
	}
}

// truncateWAL checkpoints the database at path and empties its WAL file.
func truncateWAL(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, frames, done int
	for range 50 {
		if err := db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
			t.Fatal(err)
		}
		if busy == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the WAL of %s could not be emptied: a reader never let go", path)
}
