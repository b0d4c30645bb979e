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
// must be current (storage.Open made it), in one transaction.
func Seed(path string, n int, offer string) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
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
	for _, s := range stmts {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("seed %d orders: %w", n, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
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
		if err := Seed(tmp, n, offer); err != nil {
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
	return out.Close()
}
