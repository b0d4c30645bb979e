// Package storage keeps everything the bot knows in one SQLite file: the
// inbox of mentions and DMs, orders, the outbox of replies, poll cursors.
// Each method is one transaction, so that a crash between any two of them
// leaves rows that say exactly what is left to do.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Sentinel errors, for errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict means a row was not in the state a change expected:
	// someone else moved it first.
	ErrConflict = errors.New("conflict")
)

// driverName is the database/sql driver Open uses: mattn/go-sqlite3,
// which a test wraps to see every statement the bot runs.
var driverName = "sqlite3"

// DB is the bot's database.
type DB struct {
	path string
	db   *sql.DB // the one writer
	ro   *sql.DB // readers, which in WAL mode neither wait for nor block it
	now  func() time.Time

	auditBefore atomic.Int64 // Unix ms; see AuditOrdersBefore
	// writeFailed is the error of the writer's last write when it failed
	// for the database itself (see failing), nil once a commit succeeds:
	// what CheckWrites reports without writing.
	writeFailed atomic.Pointer[error]
	// accountsKept is how many accounts Compact keeps: MaxAccounts when
	// 0, which only a test changes.
	accountsKept int
}

// Open opens (creating if needed) the SQLite file at path and brings its
// schema up to date. It returns an error when the file cannot be opened or
// a migration fails, and ErrNewerSchema, leaving the file untouched, when
// a newer paybytweet migrated it past the migrations this one knows.
//
// The pragmas sit in the DSN so that every pooled connection has them:
// WAL so that the admin commands read while the daemon writes; a busy
// timeout for those other processes; foreign keys; immediate transactions,
// so that a write never fails half-way on a lock upgrade; and
// synchronous=FULL everywhere. FULL costs an fsync per commit, which at a
// bot's rate (a few messages a second at most) is nothing, and it is what
// makes a commit survive power loss: every table here records money or a
// position in Twitter's streams, so there is no table where NORMAL's "may
// lose the last commits on power loss" would be acceptable. Each
// connection keeps its prepared statements (_stmt_cache_size): the
// message path runs the same few dozen statements for every message, and
// parsing them again each time was an eighth of a decision's cost.
func Open(path string, now func() time.Time) (*DB, error) {
	return open(path, now, math.MaxInt)
}

// open is Open with the schema brought up to migration upTo only, so that
// a test can make a database as an older version left it.
func open(path string, now func() time.Time, upTo int) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	tuneMalloc()
	if err := checkVersion(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "FULL")
	q.Set("_stmt_cache_size", "128")
	sqldb, err := sql.Open(driverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: one writer, in order, and no SQLITE_BUSY between the
	// daemon's own components.
	sqldb.SetMaxOpenConns(1)
	db := &DB{path: path, db: sqldb, now: now}
	if err := db.migrate(context.Background(), upTo); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Reads take no write lock (deferred transactions), so that an admin
	// listing orders never holds up the daemon's writes.
	q.Del("_txlock")
	q.Set("_query_only", "true")
	if db.ro, err = sql.Open(driverName, "file:"+path+"?"+q.Encode()); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.ro.SetMaxOpenConns(4)
	return db, nil
}

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error {
	rerr := db.ro.Close()
	if err := db.db.Close(); err != nil {
		return err
	}
	return rerr
}

// Tx is a transaction. Every helper that takes one runs inside it.
type Tx struct {
	tx          *sql.Tx
	now         time.Time
	auditBefore int64 // Unix ms; see AuditOrdersBefore
}

// update runs fn in a write transaction and commits it, or rolls it back
// when fn or the commit fails.
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = fn(&Tx{tx: tx, now: db.now(), auditBefore: db.auditBefore.Load()})
	if err == nil {
		err = tx.Commit()
	}
	switch {
	case err == nil:
		db.writeFailed.Store(nil)
	case failing(err):
		db.writeFailed.Store(&err)
	}
	return err
}

// view runs fn in a read transaction, which sees one consistent state of
// the database and is always rolled back.
func (db *DB) view(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.ro.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(&Tx{tx: tx, now: db.now()})
}

// migration is one numbered file of migrations/.
type migration struct {
	version int
	name    string
}

// knownMigrations returns the embedded migrations in order. It fails
// when a file's name does not start with its number.
func knownMigrations() ([]migration, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(entries))
	for _, e := range entries {
		version, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", e.Name())
		}
		out = append(out, migration{version, e.Name()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// ErrNewerSchema means the database was migrated by a newer paybytweet
// than this one: running this binary's code on a schema it does not know
// could lose or misread what the newer one recorded.
var ErrNewerSchema = errors.New("run the newer paybytweet, or restore a backup made by this version")

// newerSchema returns ErrNewerSchema, naming both versions, when the
// database's version is above the highest this binary knows.
func newerSchema(current int) error {
	known, err := knownMigrations()
	if err != nil {
		return err
	}
	if latest := known[len(known)-1].version; current > latest {
		return fmt.Errorf("the database is at schema version %d, this paybytweet knows up to %d: %w", current, latest, ErrNewerSchema)
	}
	return nil
}

// checkVersion refuses a database that a newer paybytweet migrated. It
// reads through a read-only connection before anything opens the file
// for writing: a writer's connection would change the file even if it
// then wrote nothing (the last connection to close checkpoints the WAL
// into the database and deletes it), and a rolled-back binary must leave
// the newer version's file exactly as it found it. A file that does not
// exist yet is a new database.
func checkVersion(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	ro, err := sql.Open(driverName, "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return err
	}
	defer ro.Close()
	var tables, current int
	if err := ro.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if tables == 0 {
		return nil
	}
	if err := ro.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	return newerSchema(current)
}

// migrate applies the migrations above the database's version, up to
// upTo. It refuses a database at a version above the highest it knows
// (checkVersion refused it already, unless a newer paybytweet migrated
// it since): skipping what it does not know would run old code on a
// newer schema.
func (db *DB) migrate(ctx context.Context, upTo int) error {
	known, err := knownMigrations()
	if err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
			return err
		}
		var current int
		if err := tx.tx.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return err
		}
		if err := newerSchema(current); err != nil {
			return err
		}
		for _, m := range known {
			if m.version <= current || m.version > upTo {
				continue
			}
			body, err := migrations.ReadFile("migrations/" + m.name)
			if err != nil {
				return err
			}
			if _, err := tx.tx.Exec(string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.tx.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.version, ms(tx.now)); err != nil {
				return err
			}
		}
		return nil
	})
}

// execOne runs a statement that must change exactly one row: a row in
// the state it expects. It returns ErrConflict when it changed none.
func (tx *Tx) execOne(query string, args ...any) error {
	res, err := tx.tx.Exec(query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	return nil
}

// queryAll runs a query in tx and scans every row with scan.
func queryAll[T any](tx *Tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
