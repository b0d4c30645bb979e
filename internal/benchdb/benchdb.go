// Package benchdb makes databases with a campaign's history for the
// benchmarks and the query-plan test: n paid orders of one offer, each a
// cardholder's own, with the two messages and two replies that made it.
// Seeding is one INSERT ... SELECT per table over a recursive CTE, and a
// seeded file is kept under os.TempDir, keyed by the schema it was made
// with, so that a second benchmark run does not seed a million orders
// again.
package benchdb

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// Base is when the seeded history starts: a day before the tests' clock
// (2026-11-27 12:00 UTC), one order a millisecond.
var Base = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// Ids of the seeded rows, out of the way of the tests' own.
const (
	FirstUser    = 1000000    // cardholders FirstUser+1 ... FirstUser+n
	FirstMessage = 3000000000 // order i's messages are FirstMessage + 4i + 0 (buy), 1 (request), 2 (confirm), 3 (receipt)
)

// Seed adds n paid orders of offer to the database at path, whose schema
// must be current (storage.Open made it), in one transaction, and
// checkpoints the WAL into the file. Others may have the file open.
func Seed(path string, n int, offer string) error {
	return seed(path, n, offer, false)
}

// seed is Seed; alone says that nobody else has the file open, so that it
// may be written without a journal: a million orders are written once,
// rather than into the WAL (again and again, as a small page cache spills
// them) and then into the file, which took minutes on a loaded machine.
// The file is left in WAL mode, as storage.Open made it, with nothing in
// a WAL, and synced.
func seed(path string, n int, offer string, alone bool) error {
	dsn := "file:" + path + "?_busy_timeout=5000&_txlock=immediate"
	if alone {
		dsn += "&_journal_mode=OFF&_synchronous=OFF&_cache_size=-262144"
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	base := Base.UnixMilli()
	seq := fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d) `, n)
	stmts := []string{
		seq + fmt.Sprintf(`INSERT INTO orders (id, offer_id, user_id, screen_name, state, channel, buy_message_id, request_message_id, title, buy_hashtag,
			confirm_hashtag, amount, currency, merchant, cardholder, card_last4, created_at, expires_at, confirm_message_id, confirm_channel,
			confirmed_at, idempotency_key, purchase_id, settled_at, updated_at)
		SELECT printf('ord_seed%%09d', i), '%s', %d + i, 'u' || i, 'paid', 'tweet', %d + i * 4, %d + i * 4 + 1, 'Kindle', 'BuyKindle',
			'ConfirmKindle', 19900, 'USD', 'mer', 'chd', '1005', %d + i, %d + i + 900000, %d + i * 4 + 2, 'tweet',
			%d + i, printf('pbt-ord_seed%%09d', i), printf('pur_%%09d', i), %d + i, %d + i FROM seq`,
			offer, FirstUser, FirstMessage, FirstMessage, base, base, FirstMessage, base, base, base),
		seq + fmt.Sprintf(`INSERT INTO inbox (channel, message_id, user_id, screen_name, text, hashtags, posted_at, received_at, state, action, processed_at)
		SELECT 'tweet', %d + i * 4 + k, %d + i, 'u' || i, CASE k WHEN 0 THEN '@AmexOffers #BuyKindle' ELSE '@AmexOffers #ConfirmKindle' END,
			CASE k WHEN 0 THEN '["BuyKindle"]' ELSE '["ConfirmKindle"]' END, %d + i, %d + i, 'done',
			CASE k WHEN 0 THEN 'reserve' ELSE 'confirm' END, %d + i
		FROM seq, (SELECT 0 AS k UNION ALL SELECT 2)`, FirstMessage, FirstUser, base, base, base),
		seq + fmt.Sprintf(`INSERT INTO outbox (channel, user_id, screen_name, in_reply_to, kind, order_id, is_request, text, state, attempts,
			sending_since, sent_id, created_at, sent_at)
		SELECT 'tweet', %d + i, 'u' || i, %d + i * 4 + k, CASE k WHEN 0 THEN 'confirm_request' ELSE 'receipt' END,
			printf('ord_seed%%09d', i), k = 0,
			CASE k WHEN 0 THEN '@u' || i || ' Reply #ConfirmKindle to buy Kindle for $199.00 on your card ending 1005 (order ord_seed' || i || ')'
				ELSE '@u' || i || ' Done! Kindle, $199.00, card ending 1005. Order ord_seed' || i END,
			'sent', 1, %d + i, %d + i * 4 + k + 1, %d + i, %d + i
		FROM seq, (SELECT 0 AS k UNION ALL SELECT 2)`, FirstUser, FirstMessage, base, FirstMessage, base, base),
	}
	var restore []string
	if alone {
		// The insert triggers cost half a millisecond an order, mostly
		// setting up their IN lists, and would take the better part of
		// an hour for a million orders on a loaded machine. Here they are
		// dropped, their counts made in bulk, and they are put back, in
		// the same transaction; the check below holds the counters to
		// the rows whichever way they were made.
		if restore, err = dropInsertTriggers(tx); err != nil {
			return fmt.Errorf("seed %d orders: %w", n, err)
		}
		if restore != nil {
			stmts = append(stmts,
				fmt.Sprintf(`INSERT OR IGNORE INTO offer_stock (offer_id, currency) VALUES ('%s', 'USD')`, offer),
				fmt.Sprintf(`UPDATE offer_stock SET sold = sold + %d, revenue = revenue + %d * 19900, currency = MAX(currency, 'USD') WHERE offer_id = '%s'`, n, n, offer),
				seq+fmt.Sprintf(`INSERT INTO holdings (user_id, offer_id, held) SELECT %d + i, '%s', 1 FROM seq WHERE true
					ON CONFLICT (user_id, offer_id) DO UPDATE SET held = held + 1`, FirstUser, offer),
				fmt.Sprintf(`INSERT INTO metric_counts (name, label, value) VALUES ('orders', 'paid', %d), ('read', 'tweet', %d)
					ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value`, n, 2*n))
			stmts = append(stmts, restore...)
		}
	}
	for _, s := range stmts {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("seed %d orders: %w", n, err)
		}
	}
	var sold, paid, held int64
	if err := tx.QueryRow(`SELECT (SELECT sold FROM offer_stock WHERE offer_id = ?1),
		(SELECT COUNT(*) FROM orders WHERE offer_id = ?1 AND state = 'paid'),
		(SELECT COALESCE(SUM(held), 0) FROM holdings WHERE offer_id = ?1)`, offer).Scan(&sold, &paid, &held); err != nil {
		return fmt.Errorf("seed %d orders: %w", n, err)
	}
	if sold != paid || held < paid {
		return fmt.Errorf("seed %d orders: the counters say %d sold, %d held, of %d paid orders", n, sold, held, paid)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if alone {
		if _, err := db.Exec(`PRAGMA journal_mode=WAL`); err != nil {
			return err
		}
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	return syncFile(path)
}

// Copy returns the path, in tb's temporary directory, of a copy of a
// database holding n seeded orders of offer. create makes an empty
// database with the current schema at a path (storage.Open, then Close).
// The seeded original is made once per schema and kept in os.TempDir.
func Copy(tb testing.TB, n int, offer string, create func(path string) error) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "bench.db")
	if err := create(dst); err != nil {
		tb.Fatal(err)
	}
	if n == 0 {
		return dst
	}
	key, err := schemaKey(dst)
	if err != nil {
		tb.Fatal(err)
	}
	cached := filepath.Join(os.TempDir(), fmt.Sprintf("paybytweet-bench-%s-%s-%d.db", key, offer, n))
	if _, err := os.Stat(cached); err != nil {
		start := time.Now()
		tmp := cached + fmt.Sprintf(".%d.tmp", os.Getpid())
		if err := copyFile(dst, tmp); err != nil {
			tb.Fatal(err)
		}
		if err := seed(tmp, n, offer, true); err != nil {
			os.Remove(tmp)
			tb.Fatal(err)
		}
		if err := os.Rename(tmp, cached); err != nil {
			tb.Fatal(err)
		}
		// Files seeded under an older schema are never read again, and a
		// million orders take more than a gigabyte.
		stale, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("paybytweet-bench-*-%s-%d.db", offer, n)))
		for _, f := range stale {
			if f != cached {
				os.Remove(f)
			}
		}
		tb.Logf("seeded %d orders in %s into %s", n, time.Since(start).Round(time.Millisecond), cached)
	}
	if err := copyFile(cached, dst); err != nil {
		tb.Fatal(err)
	}
	return dst
}

// schemaKey names the schema of the database at path: a change to any
// table, index or trigger makes a new key, so a stale seeded file is
// never used.
func schemaKey(path string) (string, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var schema string
	if err := db.QueryRow(`SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name)`).Scan(&schema); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(schema))
	return hex.EncodeToString(sum[:6]), nil
}

func copyFile(src, dst string) error {
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(dst + suffix)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	// Synced, so that the kernel is not still writing a gigabyte of copy
	// back to the disk while a benchmark times its commits' fsyncs.
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// insertTriggers are the triggers that run on inserting the rows Seed
// makes, whose counts seed makes in bulk when it drops them.
var insertTriggers = map[string]bool{"orders_count_insert": true, "metric_order_new": true, "metric_read": true}

// dropInsertTriggers drops the triggers on inserts into the tables Seed
// fills, and returns the statements that make them again; none, and
// nothing dropped, when they are not the ones seed knows how to count
// for (a new migration changed them): seed then inserts through them.
func dropInsertTriggers(tx *sql.Tx) ([]string, error) {
	rows, err := tx.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger'
		AND tbl_name IN ('orders', 'inbox', 'outbox', 'offer_stock', 'holdings', 'metric_counts') AND sql LIKE '%INSERT ON%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names, create []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			return nil, err
		}
		if !insertTriggers[name] {
			return nil, nil
		}
		names, create = append(names, name), append(create, sql)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(names) != len(insertTriggers) {
		return nil, nil
	}
	for _, name := range names {
		if _, err := tx.Exec(`DROP TRIGGER ` + name); err != nil {
			return nil, err
		}
	}
	return create, nil
}
