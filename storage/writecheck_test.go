package storage

import (
	"context"
	"database/sql"
	"testing"
)

// TestCheckWritesCommitsNothingWhileWritesWork: checking that the
// database takes writes commits nothing (PRAGMA data_version, seen from
// another connection, changes with every commit by anyone else) while
// writes work; after a write failed for the database itself, the check
// says so until a write goes through again.
func TestCheckWritesCommitsNothingWhileWritesWork(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	var path string
	if err := db.db.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open(driverName, "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dataVersion := func() (v int64) {
		if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	checks := func(what string) {
		t.Helper()
		before := dataVersion()
		for range 20 {
			if err := db.CheckWrites(ctx); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		if after := dataVersion(); after != before {
			t.Errorf("%s: the checks committed (data_version %d -> %d)", what, before, after)
		}
	}
	checks("a new database")

	// The writer's writes fail as on a read-only file.
	if _, err := db.db.Exec(`PRAGMA query_only = 1`); err != nil {
		t.Fatal(err)
	}
	if err := db.probeWrite(ctx); err == nil || !failing(err) {
		t.Fatalf("a write under query_only: %v, want SQLite refusing it", err)
	}
	if err := db.CheckWrites(ctx); err == nil {
		t.Error("the check passed after a write failed and while writes still fail")
	}
	if _, err := db.db.Exec(`PRAGMA query_only = 0`); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckWrites(ctx); err != nil {
		t.Fatalf("the check once writes work again: %v", err)
	}
	checks("after the database recovered")
}
