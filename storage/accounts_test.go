package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// clock is a settable time for a database's now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// openClocked opens a database in a new directory whose now is c's.
func openClocked(t *testing.T, c *clock) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := Open(path, c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

// TestSeeAccount follows one account through the sightings the bot makes
// of it: a first sight is not a change of handle, a change of case is
// not one either, a new username is, an earlier name seen late is not,
// and what a sighting does not say is kept.
func TestSeeAccount(t *testing.T) {
	c := &clock{t0}
	db, path := openClocked(t, c)
	ctx := context.Background()
	created := time.Date(2011, 3, 4, 5, 6, 7, 0, time.UTC)
	steps := []struct {
		name string
		s    AccountSighting
		want Account
	}{
		{"first sight", AccountSighting{UserID: 7, Username: "alice", CreatedAt: created, At: t0},
			Account{UserID: 7, Username: "alice", UsernameSince: t0, CreatedAt: created}},
		{"same name, other case", AccountSighting{UserID: 7, Username: "Alice", At: t0.Add(time.Hour)},
			Account{UserID: 7, Username: "Alice", UsernameSince: t0, CreatedAt: created}},
		{"a lookup with no username", AccountSighting{UserID: 7, Automated: no(), LookedUp: true, At: t0.Add(2 * time.Hour)},
			Account{UserID: 7, Username: "Alice", UsernameSince: t0, CreatedAt: created, Automated: no(), LookedUpAt: t0.Add(2 * time.Hour)}},
		{"nothing known", AccountSighting{UserID: 7, At: t0.Add(3 * time.Hour)},
			Account{UserID: 7, Username: "Alice", UsernameSince: t0, CreatedAt: created, Automated: no(), LookedUpAt: t0.Add(2 * time.Hour)}},
		{"a new username", AccountSighting{UserID: 7, Username: "mallory_", Automated: yes(), At: t0.Add(4 * time.Hour)},
			Account{UserID: 7, Username: "mallory_", UsernameSince: t0.Add(4 * time.Hour), HandleChangedAt: t0.Add(4 * time.Hour),
				CreatedAt: created, Automated: yes(), LookedUpAt: t0.Add(2 * time.Hour)}},
		{"the old name, seen late", AccountSighting{UserID: 7, Username: "alice", At: t0.Add(3 * time.Hour)},
			Account{UserID: 7, Username: "mallory_", UsernameSince: t0.Add(4 * time.Hour), HandleChangedAt: t0.Add(4 * time.Hour),
				CreatedAt: created, Automated: yes(), LookedUpAt: t0.Add(2 * time.Hour)}},
		{"an older lookup", AccountSighting{UserID: 7, LookedUp: true, At: t0.Add(time.Hour)},
			Account{UserID: 7, Username: "mallory_", UsernameSince: t0.Add(4 * time.Hour), HandleChangedAt: t0.Add(4 * time.Hour),
				CreatedAt: created, Automated: yes(), LookedUpAt: t0.Add(2 * time.Hour)}},
		{"back to the first name", AccountSighting{UserID: 7, Username: "ALICE", At: t0.Add(5 * time.Hour)},
			Account{UserID: 7, Username: "ALICE", UsernameSince: t0.Add(5 * time.Hour), HandleChangedAt: t0.Add(5 * time.Hour),
				CreatedAt: created, Automated: yes(), LookedUpAt: t0.Add(2 * time.Hour)}},
		{"no time: the transaction's", AccountSighting{UserID: 8, Username: "bob", At: time.Time{}},
			Account{UserID: 8, Username: "bob", UsernameSince: t0.Add(9 * time.Hour)}},
		{"first sight without a username", AccountSighting{UserID: 9, Automated: yes(), At: t0},
			Account{UserID: 9, Automated: yes()}},
		{"then its username: still a first sight", AccountSighting{UserID: 9, Username: "carol", At: t0.Add(time.Minute)},
			Account{UserID: 9, Username: "carol", UsernameSince: t0.Add(time.Minute), Automated: yes()}},
	}
	for i, st := range steps {
		c.t = t0.Add(time.Duration(i+1) * time.Hour)
		st.want.UpdatedAt = c.t
		got, err := db.SeeAccount(ctx, st.s)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s: SeeAccount =\n  %s\nwant\n  %s", st.name, showAccount(got), showAccount(st.want))
		}
		read, ok, err := db.Account(ctx, st.s.UserID)
		if err != nil || !ok || !reflect.DeepEqual(read, got) {
			t.Errorf("%s: Account = %s, %v, %v; want what SeeAccount returned", st.name, showAccount(read), ok, err)
		}
	}
	if _, ok, err := db.Account(ctx, 1234); ok || err != nil {
		t.Errorf("Account of an account never seen = %v, %v", ok, err)
	}
	if _, err := db.SeeAccount(ctx, AccountSighting{UserID: 0, Username: "x"}); err == nil {
		t.Error("an account of id 0 was recorded")
	}

	// What was learned is in the file.
	db.Close()
	again, err := Open(path, c.now)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if a, ok, _ := again.Account(ctx, 7); !ok || a.Username != "ALICE" || !a.HandleChangedAt.Equal(t0.Add(5*time.Hour)) || a.Automated == nil || !*a.Automated {
		t.Errorf("after reopening: %s, %v", showAccount(a), ok)
	}
}

func showAccount(a Account) string {
	auto := "unknown"
	if a.Automated != nil {
		auto = fmt.Sprint(*a.Automated)
	}
	return fmt.Sprintf("{%d %q since %s changed %s created %s automated %s looked up %s updated %s}", a.UserID, a.Username,
		moment(a.UsernameSince), moment(a.HandleChangedAt), moment(a.CreatedAt), auto, moment(a.LookedUpAt), moment(a.UpdatedAt))
}

func moment(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// TestSeeAccountInATransaction: the transaction that decides about a
// message can record its author's sighting, and a decision that fails
// leaves nothing of it.
func TestSeeAccountInATransaction(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	boom := errors.New("decision failed")
	err := db.update(ctx, func(tx *Tx) error {
		a, err := tx.seeAccount(AccountSighting{UserID: 5, Username: "dave", At: t0})
		if err != nil || a.Username != "dave" {
			t.Errorf("seeAccount = %+v, %v", a, err)
		}
		if read, ok, err := tx.account(5); !ok || err != nil || read.Username != "dave" {
			t.Errorf("the transaction does not see its own sighting: %+v, %v, %v", read, ok, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, ok, _ := db.Account(ctx, 5); ok {
		t.Error("a rolled-back sighting was kept")
	}
}

// seeAccounts records a sighting of accounts 1 to n, account i at
// t0 + i minutes.
func seeAccounts(t *testing.T, db *DB, c *clock, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		c.t = t0.Add(time.Duration(i) * time.Minute)
		if _, err := db.SeeAccount(context.Background(), AccountSighting{UserID: int64(i), Username: fmt.Sprintf("u%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// accountIDs lists the ids of the accounts kept, in order.
func accountIDs(t *testing.T, db *DB) []int64 {
	t.Helper()
	var ids []int64
	err := db.view(context.Background(), func(tx *Tx) error {
		var err error
		ids, err = queryAll(tx, func(s scanner) (int64, error) { var id int64; return id, s.Scan(&id) }, `SELECT user_id FROM accounts ORDER BY user_id`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestPruneAccounts keeps the most recently updated accounts: an old
// account seen again is kept, and ties go by id.
func TestPruneAccounts(t *testing.T) {
	c := &clock{t0}
	db, _ := openClocked(t, c)
	ctx := context.Background()
	seeAccounts(t, db, c, 10)
	c.t = t0.Add(time.Hour)
	if _, err := db.SeeAccount(ctx, AccountSighting{UserID: 2}); err != nil { // seen again: the newest
		t.Fatal(err)
	}
	if n, err := db.PruneAccounts(ctx, 20); n != 0 || err != nil {
		t.Errorf("PruneAccounts(20) of 10 = %d, %v", n, err)
	}
	if n, err := db.PruneAccounts(ctx, 4); n != 6 || err != nil {
		t.Errorf("PruneAccounts(4) of 10 = %d, %v", n, err)
	}
	if got := accountIDs(t, db); !reflect.DeepEqual(got, []int64{2, 8, 9, 10}) {
		t.Errorf("kept %v, want 2, 8, 9, 10", got)
	}
	// Updated at the same moment: the higher ids are kept.
	c.t = t0.Add(2 * time.Hour)
	for _, id := range []int64{2, 8, 9, 10} {
		db.SeeAccount(ctx, AccountSighting{UserID: id})
	}
	if n, err := db.PruneAccounts(ctx, 3); n != 1 || err != nil {
		t.Errorf("PruneAccounts(3) = %d, %v", n, err)
	}
	if got := accountIDs(t, db); !reflect.DeepEqual(got, []int64{8, 9, 10}) {
		t.Errorf("kept %v, want 8, 9, 10", got)
	}
	if n, err := db.PruneAccounts(ctx, 0); n != 3 || err != nil || len(accountIDs(t, db)) != 0 {
		t.Errorf("PruneAccounts(0) = %d, %v, leaving %v", n, err, accountIDs(t, db))
	}
}

// TestCompactPrunesAccounts: retention keeps the table of accounts to
// its bound, a batch at a time, as it compacts messages.
func TestCompactPrunesAccounts(t *testing.T) {
	c := &clock{t0}
	db, _ := openClocked(t, c)
	db.accountsKept = 3
	seeAccounts(t, db, c, 8)
	n, full := compactAll(t, db, t0, 2)
	if n.Accounts != 5 || full != 2 {
		t.Errorf("compacted %+v in %d full batches of 2, want 5 accounts in 2", n, full)
	}
	if got := accountIDs(t, db); !reflect.DeepEqual(got, []int64{6, 7, 8}) {
		t.Errorf("kept %v, want 6, 7, 8", got)
	}
	if got := (Compacted{Accounts: 2}).Add(Compacted{Inbox: 1, Accounts: 3}); got != (Compacted{Inbox: 1, Accounts: 5}) || !got.Full(5) || got.Full(6) {
		t.Errorf("Add = %+v, Full(5) = %v, Full(6) = %v", got, got.Full(5), got.Full(6))
	}
	db.accountsKept = 0
	if n, err := db.Compact(context.Background(), t0, 500); n.Accounts != 0 || err != nil || len(accountIDs(t, db)) != 3 {
		t.Errorf("under MaxAccounts, Compact = %+v, %v", n, err)
	}
}
