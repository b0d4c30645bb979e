package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestMetricCountsStartFromAnOlderDatabase: a database made before the
// metrics migration gets counts that match what it holds, and the
// triggers keep them from there.
func TestMetricCountsStartFromAnOlderDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrations.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		string(first),
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO inbox (channel, message_id, user_id, screen_name, text, hashtags, posted_at, received_at, state, action)
			VALUES ('tweet', 1, 7, 'u', 't', '[]', 0, 0, 'done', 'reserve'), ('tweet', 2, 7, 'u', 't', '[]', 0, 0, 'done', 'skip: too old'),
			       ('dm', 3, 7, 'u', 't', '[]', 0, 0, 'pending', '')`,
		`INSERT INTO orders (id, offer_id, user_id, screen_name, state, channel, buy_message_id, title, buy_hashtag, confirm_hashtag,
			amount, currency, merchant, cardholder, card_last4, created_at, expires_at, updated_at)
			VALUES ('ord_a', 'o', 7, 'u', 'paid', 'tweet', 1, 'T', 'B', 'C', 100, 'USD', 'm', 'c', '1234', 0, 0, 0),
			       ('ord_b', 'o', 7, 'u', 'pending', 'tweet', 1, 'T', 'B', 'C', 100, 'USD', 'm', 'c', '1234', 0, 0, 0)`,
		`INSERT INTO outbox (channel, user_id, kind, text, state, created_at) VALUES ('tweet', 7, 'receipt', 'x', 'sent', 0), ('dm', 7, 'help', 'y', 'failed', 0)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	f, err := db.Figures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, label string
		want        int64
	}{
		{"read", "tweet", 2}, {"read", "dm", 1}, {"processed", "reserve", 1}, {"processed", "skip", 1},
		{"orders", "paid", 1}, {"orders", "pending", 1}, {"sent", "tweet", 1}, {"refused", "dm", 1},
	} {
		if got := f.Counts[c.name][c.label]; got != c.want {
			t.Errorf("%s{%s} = %d, want %d", c.name, c.label, got, c.want)
		}
	}
	if f.InboxPending != 1 || f.OutboxWaiting["tweet"] != 0 {
		t.Errorf("pending %d, outbox waiting %v", f.InboxPending, f.OutboxWaiting)
	}
	// From here the triggers count: the pending order expires.
	if _, err := db.db.Exec(`UPDATE orders SET state = 'expired' WHERE id = 'ord_b'`); err != nil {
		t.Fatal(err)
	}
	f, _ = db.Figures(ctx)
	if f.Counts["orders"]["pending"] != 0 || f.Counts["orders"]["expired"] != 1 {
		t.Errorf("after an expiry, orders %v", f.Counts["orders"])
	}
	if err := db.probeWrite(ctx); err != nil {
		t.Errorf("probe write: %v", err)
	}
}

// TestDMAnswerTimesItsOwnMessage: a DM reply is timed from the message
// whose decision made it, even when another of the cardholder's messages
// was decided at the same instant (as in one batch of the processor, or
// under a clock that stands still): the transaction's time does not say
// which message a reply answers.
func TestDMAnswerTimesItsOwnMessage(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	for _, m := range []struct {
		id   int64
		wait time.Duration
	}{{1, 60 * time.Second}, {2, 5 * time.Second}} {
		in := conversations.Inbound{Channel: conversations.DM, ID: m.id, UserID: 7, ScreenName: "u", Text: "help", PostedAt: t0.Add(-m.wait)}
		help := conversations.Reply{Channel: conversations.DM, UserID: 7, Kind: "help", Text: "help"}
		if _, err := processOne(t, db, in, conversations.Decision{Action: "help", Replies: []conversations.Reply{help}}); err != nil {
			t.Fatal(err)
		}
	}
	box, err := db.Outbox(ctx)
	if err != nil || len(box) != 2 {
		t.Fatalf("outbox = %+v, %v", box, err)
	}
	if _, err := db.MarkSentAll(ctx, map[int64]Post{box[0].ID: {ID: 100, At: db.now()}, box[1].ID: {ID: 101, At: db.now()}}); err != nil {
		t.Fatal(err)
	}
	f, err := db.Figures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Counts["answer_ms_sum"]["dm"]; got != 65000 {
		t.Errorf("answer time sum = %d ms, want 65000 (60 s and 5 s)", got)
	}
	if b := f.Answer["dm"]; b[5] != 1 || b[60] != 2 {
		t.Errorf("answer buckets = %v, want one within 5 s and both within 60 s", b)
	}
}

// TestFiguresOfApprovals: the figures read the approvals still pending
// (orders confirmed, awaiting the cardholder) apart from the orders
// waiting for their charge, and the counts the bot keeps of approvals and
// refusals come as they are stored.
func TestFiguresOfApprovals(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	f, err := db.Figures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !f.OldestPendingApproval.IsZero() || !f.OverdueApproval.IsZero() || !f.OldestUnpaid.IsZero() {
		t.Errorf("an empty database: oldest pending approval %v, overdue %v, oldest unpaid %v", f.OldestPendingApproval, f.OverdueApproval, f.OldestUnpaid)
	}

	insertOrdersIn(t, db, conversations.Confirmed, conversations.Confirmed, conversations.Confirmed, conversations.Confirmed,
		conversations.Paid, conversations.Declined, conversations.Confirmed)
	for _, o := range []struct {
		id        string
		confirmed time.Duration // before t0
		status    string
		expires   time.Duration // after t0; 0: unknown
	}{
		{"ord_0", 20 * time.Minute, "", 0},                         // being charged
		{"ord_1", 10 * time.Minute, "pending", -time.Minute},       // past its expires
		{"ord_2", 5 * time.Minute, "pending", 10 * time.Minute},    // still in time
		{"ord_3", 30 * time.Minute, "pending", 0},                  // no expires known
		{"ord_4", 40 * time.Minute, "approved", -30 * time.Minute}, // paid
		{"ord_5", 50 * time.Minute, "declined", -45 * time.Minute}, // declined
		{"ord_6", 15 * time.Minute, "approved", -5 * time.Minute},  // approved, the charge not settled yet
	} {
		var expires int64
		if o.expires != 0 {
			expires = t0.Add(o.expires).UnixMilli()
		}
		if _, err := db.db.Exec(`UPDATE orders SET confirmed_at = ?, approval_status = ?, approval_expires = ? WHERE id = ?`,
			t0.Add(-o.confirmed).UnixMilli(), o.status, expires, o.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.db.Exec(`INSERT INTO metric_counts (name, label, value) VALUES
		('approvals', 'asked', 4), ('approvals', 'declined', 1), ('risk_refused', 'daily_limit', 2)`); err != nil {
		t.Fatal(err)
	}
	f, err = db.Figures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want time.Time
	}{
		{"oldest pending approval", f.OldestPendingApproval, t0.Add(-30 * time.Minute)},
		{"overdue approval", f.OverdueApproval, t0.Add(-time.Minute)},
		{"oldest unpaid", f.OldestUnpaid, t0.Add(-20 * time.Minute)},
	} {
		if !c.got.Equal(c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if f.Counts["approvals"]["asked"] != 4 || f.Counts["approvals"]["declined"] != 1 || f.Counts["risk_refused"]["daily_limit"] != 2 {
		t.Errorf("counts of approvals %v, of refusals %v", f.Counts["approvals"], f.Counts["risk_refused"])
	}

	// Settled, nothing pends: the figures go back to zero.
	if _, err := db.db.Exec(`UPDATE orders SET state = 'declined', approval_status = 'expired' WHERE approval_status = 'pending'`); err != nil {
		t.Fatal(err)
	}
	if f, err = db.Figures(ctx); err != nil || !f.OldestPendingApproval.IsZero() || !f.OverdueApproval.IsZero() {
		t.Errorf("no approval pending: oldest %v, overdue %v, %v", f.OldestPendingApproval, f.OverdueApproval, err)
	}
}

// TestFiguresReadNoOrderHistory runs Figures on a database with history
// and asks SQLite how it reads orders: by the index of the state
// 'confirmed', which orders leave, never by a scan of every order.
func TestFiguresReadNoOrderHistory(t *testing.T) {
	driverName = "sqlite3_logged"
	defer func() { driverName = "sqlite3" }()
	db, ctx := openTest(t), context.Background()
	seedOrders(t, db, 2000, "kindle")

	statements.mu.Lock()
	statements.on = true
	from := len(statements.list)
	statements.mu.Unlock()
	// The log is shared, and TestMessagePathUsesIndexes reads all of it:
	// what Figures runs (a scan of metric_counts, a few rows) is taken
	// out again.
	defer func() {
		statements.mu.Lock()
		statements.on = false
		for _, q := range statements.list[from:] {
			delete(statements.seen, q)
		}
		statements.list = statements.list[:from]
		statements.mu.Unlock()
	}()
	if _, err := db.Figures(ctx); err != nil {
		t.Fatal(err)
	}
	statements.mu.Lock()
	list := append([]string(nil), statements.list[from:]...)
	statements.on = false
	statements.mu.Unlock()
	read := false
	for _, q := range list {
		if !strings.Contains(q, "FROM orders") {
			continue
		}
		read = true
		plan, err := queryPlan(db, q, statements.seen[q])
		if err != nil {
			t.Fatalf("EXPLAIN QUERY PLAN %s: %v", q, err)
		}
		for _, line := range plan {
			// Every read of orders here is by the state 'confirmed', which
			// orders leave (the query's inbox states would confuse
			// historyRead).
			if strings.Contains(line, "orders") && !strings.HasPrefix(line, "SEARCH orders USING INDEX orders_state_created (state=?)") &&
				!strings.HasPrefix(line, "SEARCH orders USING INDEX orders_state_expires (state=?)") {
				t.Errorf("%s\n  reads orders otherwise than by a live state: %s\n  plan: %s", oneLine(q), line, strings.Join(plan, "; "))
			}
		}
	}
	if !read {
		t.Fatalf("no statement on orders recorded: the log is not seeing Figures:\n%s", strings.Join(list, "\n"))
	}
}
