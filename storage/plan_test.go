package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/internal/benchdb"
)

// statementLog records every statement run through the "sqlite3_logged"
// driver while on, with the arguments of its first run.
type statementLog struct {
	mu   sync.Mutex
	on   bool
	seen map[string][]driver.NamedValue
	list []string
}

func (l *statementLog) record(query string, args []driver.NamedValue) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.on {
		return
	}
	if _, ok := l.seen[query]; !ok {
		l.seen[query] = args
		l.list = append(l.list, query)
	}
}

var statements = &statementLog{seen: map[string][]driver.NamedValue{}}

func init() {
	sql.Register("sqlite3_logged", loggedDriver{&sqlite3.SQLiteDriver{}})
}

type loggedDriver struct{ d *sqlite3.SQLiteDriver }

func (d loggedDriver) Open(name string) (driver.Conn, error) {
	c, err := d.d.Open(name)
	if err != nil {
		return nil, err
	}
	return loggedConn{c.(*sqlite3.SQLiteConn)}, nil
}

type loggedConn struct{ c *sqlite3.SQLiteConn }

func (c loggedConn) Prepare(q string) (driver.Stmt, error) { return c.c.Prepare(q) }
func (c loggedConn) Close() error                          { return c.c.Close() }
func (c loggedConn) Begin() (driver.Tx, error)             { return c.c.Begin() }
func (c loggedConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	return c.c.BeginTx(ctx, o)
}
func (c loggedConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.c.PrepareContext(ctx, q)
}
func (c loggedConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	statements.record(q, args)
	return c.c.ExecContext(ctx, q, args)
}
func (c loggedConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	statements.record(q, args)
	return c.c.QueryContext(ctx, q, args)
}

// liveIndexes are partial indexes holding only rows with work left (a
// message pending, a reply not yet sent): a scan of one reads the work
// to do, never the history.
var liveIndexes = map[string]bool{
	"inbox_pending": true, "inbox_pending_channel": true, "inbox_pending_user": true,
	"outbox_open": true, "outbox_open_id": true, "outbox_sending": true,
	"issuer_audits_due": true,
}

// smallTables hold a row per offer, per cardholder or per poller: a scan
// of one reads no history.
var smallTables = map[string]bool{"CONSTANT ROW": true, "offer_stock": true, "cursors": true}

// retentionScans are indexes only retention walks whole, on a table it
// keeps bounded: accounts by updated_at, at most MaxAccounts rows, in a
// read that holds up no writer.
var retentionScans = map[string]bool{"accounts_updated": true}

var (
	scanOf   = regexp.MustCompile(`^SCAN (\w+(?: ROW)?|\(subquery-\d+\))(?: USING (?:COVERING )?INDEX (\w+))?`)
	searchOf = regexp.MustCompile(`^SEARCH (\w+) USING (?:COVERING )?INDEX (\w+) \((.*)\)`)
	// rangeOK are indexes a range may run over: expires_at under one
	// state ('pending', live), a posting budget's window of sent_at, and
	// the rows retention has not compacted yet (a batch at a time), and
	// API usage of the days retention deletes (its primary key is by day),
	// the accounts retention prunes (a batch at a time), and one
	// cardholder's approval events of one kind since a time.
	rangeOK = map[string]bool{"orders_state_expires": true, "outbox_sent_at": true, "inbox_compact": true, "outbox_compact": true,
		"sqlite_autoindex_api_usage_1": true, "accounts_updated": true, "approval_events_user": true}
	// historyStates are the states orders stay in for ever.
	stateTerm     = regexp.MustCompile(`(?:WHERE|AND|OR|\()\s*(?:\w+\.)?state\s*(?:=\s*'\w+'|IN\s*\([^)]*\))`)
	historyStates = regexp.MustCompile(`'(paid|declined|failed|expired|cancelled)'`)
)

// historyRead says how a plan line reads rows that are history, or "".
func historyRead(query, line string) string {
	if m := scanOf.FindStringSubmatch(line); m != nil {
		if smallTables[m[1]] || strings.HasPrefix(m[1], "(subquery") || liveIndexes[m[2]] || retentionScans[m[2]] {
			return ""
		}
		return "a scan"
	}
	if m := searchOf.FindStringSubmatch(line); m != nil {
		index, cond := m[2], m[3]
		if liveIndexes[index] {
			return ""
		}
		if strings.ContainsAny(cond, "<>") && !rangeOK[index] {
			return "a range over an index of every row"
		}
		if strings.HasPrefix(cond, "state=?") && historyStates.MatchString(strings.Join(stateTerm.FindAllString(query, -1), " ")) {
			return "a search by a state orders stay in for ever"
		}
	}
	return ""
}

// TestMessagePathUsesIndexes runs the bot's whole message path (a poll
// stored; a buy decided, its request sent, a confirmation decided, the
// charge made and its receipt sent; expiry) on a database with history,
// records every statement it runs, and asks SQLite how it runs each: a
// scan of orders, inbox or outbox reads the history, so a campaign's
// millionth message would cost more than its first. Searches by an index
// read the rows they need.
func TestMessagePathUsesIndexes(t *testing.T) {
	driverName = "sqlite3_logged"
	defer func() { driverName = "sqlite3" }()
	db, ctx := openTest(t), context.Background()
	seedOrders(t, db, 2000, "kindle")

	statements.mu.Lock()
	statements.on = true
	statements.mu.Unlock()
	defer func() {
		statements.mu.Lock()
		statements.on = false
		statements.mu.Unlock()
	}()

	limits := map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}
	step := func(m conversations.Inbound, decide func(Facts) conversations.Decision) {
		t.Helper()
		if _, err := db.SavePage(ctx, []conversations.Inbound{m}, "mentions", m.ID); err != nil {
			t.Fatal(err)
		}
		in, ok, err := db.NextInbox(ctx, limits, []int64{999}, t0)
		if err != nil || !ok {
			t.Fatalf("NextInbox = %v, %v", ok, err)
		}
		if _, err := db.Process(ctx, in, conversations.ExpiryBounds{Before: t0, Hard: t0.Add(-time.Hour)}, t0, decide); err != nil {
			t.Fatal(err)
		}
	}
	o := pendingOrder("ord_new", 7, t0.Add(time.Hour))
	buy := mention(1<<40, 7, "BuyKindle")
	buy.InReplyTo = 55
	step(buy, func(f Facts) conversations.Decision {
		return conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{{
			Channel: conversations.Tweet, UserID: 7, InReplyTo: buy.ID, Kind: "confirm_request", OrderID: o.ID, Request: true, Text: "confirm?"}}}
	})
	box, err := db.NextOutbox(ctx, t0, 20, []string{"receipt"})
	if err != nil || len(box) != 1 {
		t.Fatalf("NextOutbox = %v, %v", box, err)
	}
	if _, err := db.MarkSendingAll(ctx, []int64{box[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSending(ctx, box[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SentIDRecorded(ctx, conversations.Tweet, 1<<41); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkSentAll(ctx, map[int64]Post{-1: {ID: 1 << 43, At: db.now()}}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, box[0].ID, Post{ID: 1 << 41, At: db.now()}); err != nil {
		t.Fatal(err)
	}
	db.SentByUserSince(ctx, conversations.Tweet, t0.Add(-3*time.Hour))
	db.OldestSentSince(ctx, conversations.Tweet, t0.Add(-3*time.Hour))
	confirm := mention(1<<42, 7, "ConfirmKindle")
	confirm.InReplyTo = 1 << 41
	step(confirm, func(f Facts) conversations.Decision {
		return conversations.Decision{Action: "confirm", Transitions: []conversations.Transition{{OrderID: o.ID, From: conversations.Pending, To: conversations.Confirmed,
			ConfirmMessageID: confirm.ID, ConfirmChannel: conversations.Tweet, IdempotencyKey: "pbt-" + o.ID, At: t0}}}
	})
	if _, err := db.ProcessBatch(ctx, []BatchItem{{Msg: InboxMessage{ID: 1}, Skip: "the bot's own"}}, t0); err != nil {
		t.Fatal(err)
	}
	due, err := db.DueCharges(ctx, t0, 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueCharges = %v, %v", due, err)
	}
	db.NextChargeAt(ctx)
	if _, err := db.StartCharges(ctx, "purchase", map[string]time.Time{"ord_none": t0}); err != nil {
		t.Fatal(err)
	}
	attempt, err := db.StartCharge(ctx, o.ID, "purchase", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeferCharge(ctx, o.ID, attempt, t0, "unknown", "timeout"); err != nil {
		t.Fatal(err)
	}
	receipt := conversations.Reply{Channel: conversations.Tweet, UserID: 7, InReplyTo: confirm.ID, Kind: "receipt", OrderID: o.ID, Text: "paid"}
	if _, err := db.SettleCharges(ctx, []Settlement{{OrderID: "ord_none", Outcome: conversations.Outcome{State: conversations.Paid}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SettleCharge(ctx, o.ID, attempt, conversations.Outcome{State: conversations.Paid, PurchaseID: "pur"}, "", []conversations.Reply{receipt}); err != nil {
		t.Fatal(err)
	}
	box, _ = db.NextOutbox(ctx, t0, 20, []string{"receipt"})
	if len(box) != 1 {
		t.Fatalf("receipt not due: %v", box)
	}
	if err := db.Reschedule(ctx, box[0].ID, t0, true, "503"); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkFailed(ctx, box[0].ID, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExpireDue(ctx, conversations.ExpiryBounds{Before: t0, Hard: t0.Add(-time.Hour)}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Quiet(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Compact(ctx, t0, 500); err != nil {
		t.Fatal(err)
	}

	statements.mu.Lock()
	list := append([]string(nil), statements.list...)
	statements.on = false
	statements.mu.Unlock()
	if len(list) < 20 {
		t.Fatalf("only %d statements recorded: the log is not seeing the message path", len(list))
	}
	for _, q := range list {
		if strings.HasPrefix(strings.TrimSpace(q), "PRAGMA") {
			continue
		}
		plan, err := queryPlan(db, q, statements.seen[q])
		if err != nil {
			t.Errorf("EXPLAIN QUERY PLAN %s: %v", q, err)
			continue
		}
		for _, line := range plan {
			if why := historyRead(q, line); why != "" {
				t.Errorf("%s\n  reads the history, by %s: %s\n  plan: %s", oneLine(q), why, line, strings.Join(plan, "; "))
			}
		}
	}
}

func queryPlan(db *DB, q string, args []driver.NamedValue) ([]string, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		if a.Name != "" {
			vals[i] = sql.Named(a.Name, a.Value)
		} else {
			vals[i] = a.Value
		}
	}
	rows, err := db.db.Query("EXPLAIN QUERY PLAN "+q, vals...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }

// seedOrders adds n paid orders of offer to db (see benchdb.Seed), each
// its own cardholder's, with their inbox and outbox rows: history for a
// plan or a test to run against.
func seedOrders(tb testing.TB, db *DB, n int, offer string) {
	tb.Helper()
	var seq int
	var name, path string
	if err := db.db.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &path); err != nil {
		tb.Fatal(err)
	}
	if err := benchdb.Seed(path, n, offer); err != nil {
		tb.Fatal(err)
	}
}
