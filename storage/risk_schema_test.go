package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestRiskMigrationKeepsOrders opens a database made before migration
// 0011 with orders in it: every order gets the risk columns empty (no
// approval asked, no rule, no signal), and an order awaiting approval
// can be recorded as confirmed, the one state the CHECK is unchanged for.
func TestRiskMigrationKeepsOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(path, func() time.Time { return t0 }, 10)
	if err != nil {
		t.Fatal(err)
	}
	insertOrdersIn(t, old, conversations.Pending, conversations.Confirmed, conversations.Paid)
	old.Close()
	db, err := Open(path, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	if err := db.db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&version); err != nil || version < 11 {
		t.Fatalf("schema version %d, %v; want 11 or later", version, err)
	}
	rows, err := db.db.Query(`SELECT id, approval || '|' || risk_reasons || '|' || risk_rules || '|' || risk_signals || '|' ||
		approval_status || '|' || approval_channel || '|' || approval_expires || '|' || approval_told FROM orders ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, risk string
		if err := rows.Scan(&id, &risk); err != nil {
			t.Fatal(err)
		}
		if risk != "||||||0|0" {
			t.Errorf("order %s after the migration: %q", id, risk)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d orders after the migration, want 3", n)
	}
	_, err = db.db.Exec(`UPDATE orders SET approval = 'required', risk_reasons = 'amount,handle_changed', risk_rules = 'approval_over,handle_change_hold',
		risk_signals = '{"account_age_days":"12"}', approval_status = 'pending', approval_channel = 'app', approval_expires = ?, approval_told = 1
		WHERE id = 'ord_1' AND state = 'confirmed'`, t0.Add(15*time.Minute).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Order(context.Background(), "ord_1")
	if err != nil || got.State != conversations.Confirmed {
		t.Errorf("the order awaiting approval reads back as %+v, %v", got, err)
	}
	checkCounters(t, db, "risk migration")
}

// TestRiskStatementsUseIndexes runs every statement of the risk tables
// on a database with history and asks SQLite how it runs each, as
// TestMessagePathUsesIndexes does for the message path: the decision
// about a message will run them.
func TestRiskStatementsUseIndexes(t *testing.T) {
	driverName = "sqlite3_logged"
	defer func() { driverName = "sqlite3" }()
	db, ctx := openTest(t), context.Background()
	seedOrders(t, db, 200, "kindle")
	for u := int64(1); u <= 200; u++ {
		db.SeeAccount(ctx, AccountSighting{UserID: u, Username: "u"})
		db.RecordApproval(ctx, u, fmt.Sprintf("ord_%d", u), ApprovalAsked, t0)
	}

	statements.mu.Lock()
	statements.on = true
	from := len(statements.list)
	statements.mu.Unlock()
	defer func() {
		statements.mu.Lock()
		statements.on = false
		statements.mu.Unlock()
	}()
	db.SeeAccount(ctx, AccountSighting{UserID: 7, Username: "v", CreatedAt: t0, Automated: yes(), LookedUp: true})
	db.Account(ctx, 7)
	db.RecordApproval(ctx, 7, "ord_new", ApprovalDeclined, t0)
	db.ApprovalsAsked(ctx, 7, t0.Add(-24*time.Hour))
	db.LastDecline(ctx, 7)
	db.NoticeDecline(ctx, 7)
	db.SetPaused(ctx, true, t0)
	db.Paused(ctx)
	db.PruneAccounts(ctx, 100)

	statements.mu.Lock()
	list := append([]string(nil), statements.list[from:]...)
	statements.on = false
	statements.mu.Unlock()
	for _, table := range []string{"accounts", "approval_events", "switches"} {
		if !strings.Contains(strings.Join(list, "\n"), " "+table+" ") {
			t.Fatalf("no statement on %s recorded: the log is not seeing them:\n%s", table, strings.Join(list, "\n"))
		}
	}
	for _, q := range list {
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
