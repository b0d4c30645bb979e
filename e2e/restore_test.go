package e2e

// Losing the disk: the daemon runs under the real `litestream replicate
// -exec`, the database is deleted, an earlier point of the replica is
// restored with `litestream restore`, and the restarted bot reads Twitter
// again. Checked against the emulators' own records: every confirmed
// cardholder charged exactly once, no reply visible twice, no confirmed
// order lost.

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// litestreamBinary finds the litestream command on PATH or in
// $(go env GOPATH)/bin, where .ci/run installs it.
func litestreamBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("litestream"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "litestream")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("litestream is not installed (neither on PATH nor in $(go env GOPATH)/bin): " +
		"go install github.com/benbjohnson/litestream/cmd/litestream@v0.5.18 (.ci/run does)")
	return ""
}

// restorePoint is a moment between two steps of a purchase, recognised in
// the restored database at a path.
type restorePoint struct {
	name  string
	holds func(t *testing.T, path string) bool
}

var restorePoints = []restorePoint{
	{"buy read, not decided", func(t *testing.T, path string) bool {
		var n int
		readDB(t, path, func(db *sql.DB) error {
			return db.QueryRow(`SELECT COUNT(*) FROM inbox WHERE state = 'pending' AND text LIKE '%#Buy%'`).Scan(&n)
		})
		return n > 0
	}},
	{"request decided, not posted", func(t *testing.T, path string) bool {
		return countOrders(t, path, func(o conversations.Order, _ []storage.OutboxMessage) bool {
			return o.State == conversations.Pending && o.RequestMessageID == 0
		}) > 0
	}},
	{"request posted, not confirmed", func(t *testing.T, path string) bool {
		return countOrders(t, path, func(o conversations.Order, _ []storage.OutboxMessage) bool {
			return o.State == conversations.Pending && o.RequestMessageID != 0
		}) > 0
	}},
	{"confirmed not charged, charged not answered", midPurchase},
}

// midPurchase: some orders confirmed and not yet charged, some charged and
// their outcome not yet told.
func midPurchase(t *testing.T, path string) bool {
	confirmed := countOrders(t, path, func(o conversations.Order, _ []storage.OutboxMessage) bool { return o.State == conversations.Confirmed })
	return confirmed > 0 && chargedUntold(t, path) > 0
}

func chargedUntold(t *testing.T, path string) int {
	return countOrders(t, path, func(o conversations.Order, box []storage.OutboxMessage) bool {
		if o.State != conversations.Paid && o.State != conversations.Declined {
			return false
		}
		for _, m := range box {
			if m.OrderID == o.ID && m.State == storage.OutboxSent && (m.Kind == "receipt" || m.Kind == "declined") {
				return false
			}
		}
		return true
	})
}

func countOrders(t *testing.T, path string, pred func(conversations.Order, []storage.OutboxMessage) bool) int {
	t.Helper()
	db, err := storage.Open(path, nil)
	if err != nil {
		t.Fatalf("open a restored database: %v", err)
	}
	defer db.Close()
	orders, err := db.Orders(context.Background(), storage.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	box := readOutbox(t, path)
	n := 0
	for _, o := range orders {
		if pred(o, box) {
			n++
		}
	}
	return n
}

// TestRestoreFromFileReplica loses the disk and restores a file replica at
// each restore point.
func TestRestoreFromFileReplica(t *testing.T) {
	bin := litestreamBinary(t)
	for i, rp := range restorePoints {
		// The points take turns with the two APIs: each API meets a
		// restore at two points, at the cost of four daemons, not eight.
		// The points v1.1 takes are met on v2 with push on as well: each
		// point meets a v2 daemon, and push meets two, at the cost of
		// six daemons.
		ms := []mode{{api: apis[i%len(apis)]}}
		if ms[0].api == config.APIv1 {
			ms = append(ms, mode{api: config.APIv2, push: true})
		}
		for _, m := range ms {
			t.Run(rp.name+" "+m.String(), func(t *testing.T) {
				t.Parallel()
				runRestoreScenario(t, bin, m, rp, func(t *testing.T) string {
					return "type: file\n      path: " + filepath.Join(t.TempDir(), "replica")
				})
			})
		}
	}
}

// TestRestoreFromS3Replica does the same with an S3-compatible replica,
// served in the test, on v2 with push off and on, one after the other.
func TestRestoreFromS3Replica(t *testing.T) {
	bin := litestreamBinary(t)
	// A CA bundle in the environment makes the AWS SDK refuse litestream's
	// HTTP client; the replica here is plain HTTP on loopback.
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, m := range []mode{{api: config.APIv2}, {api: config.APIv2, push: true}} {
		t.Run(m.String(), func(t *testing.T) {
			runRestoreScenario(t, bin, m, restorePoints[len(restorePoints)-1], func(t *testing.T) string {
				backend := s3mem.New()
				if err := backend.CreateBucket("paybytweet"); err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(gofakes3.New(backend).Server())
				t.Cleanup(srv.Close)
				return "type: s3\n      bucket: paybytweet\n      path: paybytweet.db\n      endpoint: " + srv.URL +
					"\n      region: us-east-1\n      force-path-style: true\n      access-key-id: test\n      secret-access-key: test"
			})
		})
	}
}

// litestreamDaemon runs the child daemon under litestream replicate -exec,
// in a process group of its own so that SIGKILL reaches both.
type litestreamDaemon struct {
	*daemonProc
	bin, config string
}

func newLitestreamDaemon(t *testing.T, w *world, m mode, bin, replica string) *litestreamDaemon {
	dir := t.TempDir()
	p := newDaemonProc(t, dir, m.spec(w))
	ld := &litestreamDaemon{daemonProc: p, bin: bin, config: filepath.Join(dir, "litestream.yml")}
	cfg := "dbs:\n  - path: " + p.spec.DB + "\n    replica:\n      " + replica + "\n      sync-interval: 50ms\n"
	if err := os.WriteFile(ld.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p.command = func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, "replicate", "-config", ld.config, "-exec", strings.Join(append([]string{name}, args...), " "))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd
	}
	t.Cleanup(ld.killAll)
	return ld
}

// killAll sends SIGKILL to the process group of the current run:
// litestream and the daemon it started.
func (ld *litestreamDaemon) killAll() {
	ld.mu.Lock()
	cmd := ld.cmd
	ld.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the group this test started, by its id
	<-ld.exited()
}

// idle reports whether the daemon said it had nothing left to do after a
// poll that began after t (its pid is litestream's child's, not ours).
func (ld *litestreamDaemon) idle(t time.Time) bool {
	st, ok := ld.status()
	return ok && st.Idle && st.PollStart > t.UnixNano()
}

// restore runs litestream restore into the database's path.
func (ld *litestreamDaemon) restore(t *testing.T, out string, at time.Time) {
	t.Helper()
	args := []string{"restore", "-config", ld.config, "-if-replica-exists"}
	if !at.IsZero() {
		args = append(args, "-timestamp", at.UTC().Format(time.RFC3339Nano))
	}
	if out != ld.spec.DB {
		args = append(args, "-o", out)
	}
	cmd := exec.Command(ld.bin, append(args, ld.spec.DB)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("litestream %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

// probe restores the replica as it is now into a new file and reports the
// moment it was taken and whether the point holds there.
func (ld *litestreamDaemon) probe(t *testing.T, rp restorePoint, n int) (time.Time, bool) {
	at := time.Now()
	out := filepath.Join(t.TempDir(), "probe"+strconv.Itoa(n)+".db")
	ld.restore(t, out, at)
	if _, err := os.Stat(out); err != nil {
		return at, false // nothing replicated yet
	}
	return at, rp.holds(t, out)
}

// catch looks for the restore point in the daemon's own database, with
// the daemon stopped (SIGSTOP) so that it cannot move on while it is
// looked at; when the point holds there, the daemon stays stopped until
// the replica shows it too, so a point that lasts a moment is caught
// however slow the machine (and a restore takes its own time). It
// reports the moment the replica showed the point, and whether it did.
func (ld *litestreamDaemon) catch(t *testing.T, rp restorePoint) (time.Time, bool) {
	t.Helper()
	st, ok := ld.status()
	if !ok || st.PID == 0 {
		return time.Time{}, false
	}
	if err := syscall.Kill(st.PID, syscall.SIGSTOP); err != nil {
		return time.Time{}, false // between two runs
	}
	defer syscall.Kill(st.PID, syscall.SIGCONT)
	// Stopped inside a write transaction, it would keep litestream from
	// writing its own bookkeeping, and so from replicating: not there.
	if !writeLockFree(t, ld.spec.DB) || !rp.holds(t, liveSnapshot(t, ld.spec.DB)) {
		return time.Time{}, false
	}
	// Frozen at the point: the replica catches up with it.
	for n, deadline := 0, time.Now().Add(2*time.Minute); time.Now().Before(deadline); n++ {
		if at, ok := ld.probe(t, rp, n); ok {
			return at, true
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the daemon was stopped at %q for 2 minutes and the replica never showed it", rp.name)
	return time.Time{}, false
}

// writeLockFree reports whether nobody holds the database's write lock
// now: it takes the lock and lets it go at once, writing nothing.
func writeLockFree(t *testing.T, path string) bool {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=0&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return false // SQLITE_BUSY
	}
	tx.Rollback()
	return true
}

// liveSnapshot copies the committed state of a database in use into a new
// file (VACUUM INTO, which takes no write lock) and returns its path.
func liveSnapshot(t *testing.T, path string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "live.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`VACUUM INTO ?`, out); err != nil {
		t.Fatalf("snapshot %s: %v", path, err)
	}
	return out
}

// restoreShoppers are the crash scenario's cast and ivan, one more gift
// card buyer, so that more orders are in flight at each restore point.
func restoreShoppers() []*shopper {
	return append(campaignShoppers(), &shopper{user: ivan, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true})
}

// slowWorld makes each purchase and each post take a while, so that the
// daemon is often found between the steps of a purchase (catch stops it
// there until the replica shows it, however slow the machine).
func slowWorld(w *world) {
	w.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/enrollments", Hang: 400 * time.Millisecond, Times: 1000})
	w.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Hang: 400 * time.Millisecond, Times: 1000})
	for _, call := range []twitterapi.Call{twitterapi.CallPost, twitterapi.CallSendDM} {
		w.tw.InjectFault(twitteremu.Fault{Endpoint: w.ep(call), Delay: time.Second, Times: -1})
	}
}

func runRestoreScenario(t *testing.T, bin string, m mode, rp restorePoint, replica func(*testing.T) string) {
	w := newWorld(t, m.api)
	slowWorld(w)
	ld := newLitestreamDaemon(t, w, m, bin, replica(t))
	d := newDriver(t, w.tw)
	d.hijacker = true // mallory confirms other people's public requests
	shoppers := restoreShoppers()
	for _, s := range shoppers {
		d.begin(s)
	}
	ld.start("")

	// 1-2. The campaign runs; a moment where the point holds is found in
	// the daemon's database, and then in the replica.
	var point time.Time
	found := d.driveUntil(3*time.Minute, 20*time.Millisecond, func() bool {
		buyAgain(d, shoppers)
		at, ok := ld.catch(t, rp)
		if ok {
			point = at
			return true
		}
		if !ld.alive() {
			t.Fatalf("litestream or the daemon exited: %v", ld.wait(time.Second))
		}
		return false
	})
	if !found {
		t.Fatalf("the replica never showed %q; waiting for:%s", rp.name, d.pending())
	}
	t.Logf("restore point %q at %s", rp.name, point.Format(time.RFC3339Nano))

	// 3. Everything settles; then the machine is lost.
	settleUnder(t, d, ld, shoppers)
	ld.killAll()
	if !killedBy(ld.wait(time.Second), syscall.SIGKILL) {
		t.Fatal("litestream did not die of SIGKILL")
	}
	db := ld.spec.DB
	for _, f := range []string{db, db + "-wal", db + "-shm", filepath.Join(filepath.Dir(db), "."+filepath.Base(db)+"-litestream")} {
		if err := os.RemoveAll(f); err != nil {
			t.Fatal(err)
		}
	}

	// 4. The earlier point is restored, checked, and the bot started on it.
	ld.restore(t, db, point)
	if s := integrityCheck(t, db); s != "ok" {
		t.Fatalf("the restored database: integrity_check = %q", s)
	}
	if !rp.holds(t, db) {
		t.Fatalf("the database restored at %s is not %q: the test would test nothing", point.Format(time.RFC3339Nano), rp.name)
	}
	ld.start("")
	settleUnder(t, d, ld, shoppers)
	if took, st := ld.term(15 * time.Second); !st.Success() {
		t.Fatalf("after SIGTERM litestream exited with %v after %s", st, took)
	}

	d.checkCycles(t)
	final := ld.openDB()
	checkInvariants(t, w.tw, w.iss, final, ld.spec.DB, expectations{confirmed: d.confirmed, unanswered: d.hijacks})
	checkNoneLost(t, w.iss, d, final)
	if m.push {
		checkPushed(t, w, final)
	}
	for _, p := range w.iss.Purchases() {
		if p.Cardholder == "chd_mallory" || p.Cardholder == "chd_frank" {
			t.Errorf("%s was charged: %+v", p.Cardholder, p)
		}
	}
}

// settleUnder drives the shoppers until every cycle is done and the
// daemon has nothing left to do.
func settleUnder(t *testing.T, d *driver, ld *litestreamDaemon, shoppers []*shopper) {
	t.Helper()
	settled := d.driveUntil(3*time.Minute, 20*time.Millisecond, func() bool {
		buyAgain(d, shoppers)
		if d.idle() && ld.idle(d.last()) {
			return true
		}
		if !ld.alive() {
			t.Fatalf("litestream or the daemon exited: %v", ld.wait(time.Second))
		}
		return false
	})
	if !settled {
		t.Fatalf("not settled after 3 minutes; waiting for:%s", d.pending())
	}
}

// buyAgain starts a second gift card purchase for each gift card shopper
// who confirms, once the first is done: buys that arrive while earlier
// purchases are in flight, so that every restore point loses some orders
// whole and the bot makes them again from the buys it reads again.
func buyAgain(d *driver, shoppers []*shopper) {
	d.mu.Lock()
	cycles := map[int64]int{}
	for _, c := range d.cycles {
		cycles[c.s.user.ID]++
	}
	d.mu.Unlock()
	for _, s := range shoppers {
		if s.confirms && s.buy == "#BuyGiftCard" && cycles[s.user.ID] < 2 {
			d.begin(s) // false while the first is going
		}
	}
}

// checkNoneLost: every confirmation by an enrolled, active cardholder
// became exactly one purchase, and its order is settled in the database.
func checkNoneLost(t *testing.T, iss *issuersandbox.Server, d *driver, db *storage.DB) {
	t.Helper()
	byConfirm := map[string]int{}
	for _, p := range iss.Purchases() {
		byConfirm[p.Metadata["confirm_tweet_id"]]++
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.cycles {
		if c.confirmID == 0 || c.s.user.ID == carol.ID {
			continue
		}
		if n := byConfirm[strconv.FormatInt(c.confirmID, 10)]; n != 1 {
			t.Errorf("%s confirmed order %s (message %d) and has %d purchases, want exactly 1", c.s.user.ScreenName, c.orderID, c.confirmID, n)
		}
		o, err := db.Order(context.Background(), c.orderID)
		if err != nil {
			t.Errorf("%s's confirmed order %s is not in the database: %v", c.s.user.ScreenName, c.orderID, err)
			continue
		}
		if o.State != conversations.Paid && o.State != conversations.Declined {
			t.Errorf("%s's confirmed order %s is %s", c.s.user.ScreenName, o.ID, o.State)
		}
	}
}

// TestRestoredDatabaseMeetsAnswersToPostsItLost: after a restore, the bot
// reads again a buy, the confirmation request it had posted for it (which
// the restored database does not record), the buyer's confirmation in
// reply to that request, and carol's confirmation of the same request.
// The sender's first read of Twitter is made slow, so that the processor
// meets both confirmations before the request is found: they wait for it.
// The buyer is charged once and told once; carol is not answered.
func TestRestoredDatabaseMeetsAnswersToPostsItLost(t *testing.T) {
	eachAPI(t, testRestoredDatabaseMeetsAnswersToPostsItLost)
}

func testRestoredDatabaseMeetsAnswersToPostsItLost(t *testing.T, api string) {
	r := newRig(t, api)
	bobs := r.buyAndConfirm(bob, "#BuyGiftCard", "#ConfirmGiftCard")
	db := r.cfg.Storage.Path
	backup := filepath.Join(t.TempDir(), "backup.db")
	r.stop()
	copyDatabase(t, db, backup)
	r.start()

	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settle()
	req := r.reply(buy.ID)
	hijack := r.tweet(carol, "@AmexOffers #ConfirmGiftCard mine now", req.ID)
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
	r.settle()
	mustContain(t, "receipt", r.reply(confirm.ID).Text, "Done!")

	// The disk is lost; the backup is all there is.
	r.stop()
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	copyDatabase(t, backup, db)
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallOwnTweets), Delay: 1500 * time.Millisecond})
	r.start()
	r.settle()

	if rs := r.repliesTo(confirm.ID); len(rs) != 1 {
		t.Errorf("alice's confirmation has %d replies, want her one receipt: %+v", len(rs), rs)
	}
	if ps := r.purchases(alice); len(ps) != 1 {
		t.Errorf("alice has %d purchases, want 1: %+v", len(ps), ps)
	}
	r.checkRig(map[int64]int64{confirm.ID: alice.ID, bobs.InReplyTo: bob.ID}, expectations{unanswered: []int64{hijack.ID}})
}
