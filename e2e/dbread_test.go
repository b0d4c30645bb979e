package e2e

import (
	"database/sql"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the tests' own reads of the daemon's file

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// The tests read what the product has no reader for (every outbox row,
// every issuer call) with their own SQL, beside the daemon: WAL lets them.

// readDB runs fn on a read-only connection to the SQLite file at path.
func readDB(t testing.TB, path string, fn func(*sql.DB) error) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_query_only=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := fn(db); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// readOutbox returns every outbox message of the database at path,
// oldest first.
func readOutbox(t testing.TB, path string) []storage.OutboxMessage {
	t.Helper()
	var out []storage.OutboxMessage
	readDB(t, path, func(db *sql.DB) error {
		rows, err := db.Query(`SELECT id, channel, user_id, screen_name, in_reply_to, kind, order_id, is_request, text, state,
			attempts, next_attempt_at, sending_since, COALESCE(sent_id, 0), last_error, created_at, sent_at FROM outbox ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m storage.OutboxMessage
			var channel string
			var next, since, created, sent int64
			if err := rows.Scan(&m.ID, &channel, &m.UserID, &m.ScreenName, &m.InReplyTo, &m.Kind, &m.OrderID, &m.IsRequest, &m.Text, &m.State,
				&m.Attempts, &next, &since, &m.SentID, &m.LastError, &created, &sent); err != nil {
				return err
			}
			m.Channel = conversations.Channel(channel)
			m.NextAttemptAt, m.SendingSince, m.CreatedAt, m.SentAt = fromMS(next), fromMS(since), fromMS(created), fromMS(sent)
			out = append(out, m)
		}
		return rows.Err()
	})
	return out
}

// chargeAttempt is one recorded issuer call for an order.
type chargeAttempt struct {
	Kind, Outcome, Detail string
	Started, Finished     time.Time
}

// readChargeAttempts returns the issuer calls recorded for an order,
// oldest first.
func readChargeAttempts(t testing.TB, path, orderID string) []chargeAttempt {
	t.Helper()
	var out []chargeAttempt
	readDB(t, path, func(db *sql.DB) error {
		rows, err := db.Query(`SELECT kind, outcome, detail, started_at, finished_at FROM charge_attempts WHERE order_id = ? ORDER BY id`, orderID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a chargeAttempt
			var s, f int64
			if err := rows.Scan(&a.Kind, &a.Outcome, &a.Detail, &s, &f); err != nil {
				return err
			}
			a.Started, a.Finished = fromMS(s), fromMS(f)
			out = append(out, a)
		}
		return rows.Err()
	})
	return out
}

// integrityCheck returns PRAGMA integrity_check's answer for the file at
// path: "ok" for a sound one.
func integrityCheck(t testing.TB, path string) string {
	t.Helper()
	var s string
	readDB(t, path, func(db *sql.DB) error { return db.QueryRow(`PRAGMA integrity_check`).Scan(&s) })
	return s
}
