package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// Figures is what /metrics reads from the database at each scrape. Every
// query behind it reads a few rows: the counts kept by triggers
// (migration 0005), or an index over work still open.
type Figures struct {
	// Counts holds counters and gauges by name ("read", "processed",
	// "sent", "refused", "orders", "answer_ms_sum"), then label.
	Counts map[string]map[string]int64
	// Answer holds, by channel, the cumulative buckets of the time from
	// a cardholder's message to the bot's answer: upper bound in seconds
	// (1e15 for +Inf) to count.
	Answer map[string]map[float64]uint64

	InboxPending  int64
	OldestPending time.Time // when the oldest pending message was stored; zero when none
	InboxFailed   int64
	OldestUnpaid  time.Time // when the oldest order still waiting for its charge was confirmed, one awaiting approval left out; zero when none
	OutboxWaiting map[conversations.Channel]int64

	// OldestPendingApproval is when the oldest order awaiting the
	// cardholder's approval at the issuer was confirmed; zero when none.
	OldestPendingApproval time.Time
	// OverdueApproval is the earliest expires the issuer gave among the
	// approvals still pending (one with no expires known left out): past
	// it the issuer should have settled the purchase. It may be ahead of
	// now; zero when none.
	OverdueApproval time.Time
	// Paused is true while an operator has paused charging.
	Paused bool
}

// Figures reads the figures of /metrics in one read transaction.
func (db *DB) Figures(ctx context.Context) (Figures, error) {
	f := Figures{
		Counts: map[string]map[string]int64{}, Answer: map[string]map[float64]uint64{},
		OutboxWaiting: map[conversations.Channel]int64{},
	}
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.metricCounts(f.Counts); err != nil {
			return err
		}
		if err := tx.answerBuckets(f.Answer); err != nil {
			return err
		}
		// An order awaiting approval stays confirmed: it waits for the
		// cardholder, not for its charge, and is read apart. Confirmed
		// orders are the few being charged, found by their state's index.
		var oldest, unpaid, asked, expires *int64
		if err := tx.tx.QueryRow(`SELECT
			(SELECT COUNT(*) FROM inbox WHERE state = 'pending'),
			(SELECT MIN(received_at) FROM inbox WHERE state = 'pending'),
			(SELECT COUNT(*) FROM inbox WHERE state = 'failed'),
			(SELECT MIN(confirmed_at) FROM orders WHERE state = 'confirmed' AND approval_status != 'pending'),
			(SELECT MIN(confirmed_at) FROM orders WHERE state = 'confirmed' AND approval_status = 'pending'),
			(SELECT MIN(approval_expires) FROM orders WHERE state = 'confirmed' AND approval_status = 'pending' AND approval_expires > 0)`,
		).Scan(&f.InboxPending, &oldest, &f.InboxFailed, &unpaid, &asked, &expires); err != nil {
			return err
		}
		for _, t := range []struct {
			ms *int64
			to *time.Time
		}{{oldest, &f.OldestPending}, {unpaid, &f.OldestUnpaid}, {asked, &f.OldestPendingApproval}, {expires, &f.OverdueApproval}} {
			if t.ms != nil {
				*t.to = fromMS(*t.ms)
			}
		}
		var err error
		if f.Paused, err = tx.paused(); err != nil {
			return err
		}
		for _, ch := range []conversations.Channel{conversations.Tweet, conversations.DM} {
			var waiting int64
			if err := tx.tx.QueryRow(`SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending') AND channel = ?`, ch).Scan(&waiting); err != nil {
				return err
			}
			f.OutboxWaiting[ch] = waiting
		}
		return nil
	})
	if err != nil {
		return Figures{}, fmt.Errorf("metrics figures: %w", err)
	}
	return f, nil
}

// metricCounts reads the counters and gauges the triggers keep into
// counts, by name then label.
func (tx *Tx) metricCounts(counts map[string]map[string]int64) error {
	rows, err := tx.tx.Query(`SELECT name, label, value FROM metric_counts`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, label string
		var v int64
		if err := rows.Scan(&name, &label, &v); err != nil {
			rows.Close()
			return err
		}
		if counts[name] == nil {
			counts[name] = map[string]int64{}
		}
		counts[name][label] = v
	}
	rows.Close()
	return rows.Err()
}

// answerBuckets reads the cumulative buckets of the time to answer into
// answer, by channel then upper bound.
func (tx *Tx) answerBuckets(answer map[string]map[float64]uint64) error {
	rows, err := tx.tx.Query(`SELECT label, le, count FROM metric_buckets WHERE name = 'answer'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var label string
		var le float64
		var n uint64
		if err := rows.Scan(&label, &le, &n); err != nil {
			rows.Close()
			return err
		}
		if answer[label] == nil {
			answer[label] = map[float64]uint64{}
		}
		answer[label][le] = n
	}
	rows.Close()
	return rows.Err()
}

// SentSince counts the messages of a channel sent since t, from the index
// of sent messages: a posting budget's window holds at most the budget.
func (db *DB) SentSince(ctx context.Context, ch conversations.Channel, t time.Time) (int64, error) {
	var n int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COUNT(*) FROM outbox WHERE channel = ? AND state = 'sent' AND sent_at >= ?`, ch, ms(t)).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("sent since: %w", err)
	}
	return n, nil
}

// InboxBacklog returns how many messages wait to be processed and when
// the oldest of them was stored (zero when none waits), from the index of
// pending messages.
func (db *DB) InboxBacklog(ctx context.Context) (int64, time.Time, error) {
	var n int64
	var oldest *int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COUNT(*), MIN(received_at) FROM inbox WHERE state = 'pending'`).Scan(&n, &oldest)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("inbox backlog: %w", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, fromMS(*oldest), nil
}

// WritesFailing reports whether the writer's last write failed for the
// database itself (a full disk, an I/O error) and no commit has succeeded
// since: a worker whose step found nothing to write cannot tell that the
// database works again, and this can.
func (db *DB) WritesFailing() bool { return db.writeFailed.Load() != nil }

// CheckWrites reports whether the database takes writes (the file is
// not read-only, no other process holds the write lock for ever, the
// writer's last write did not fail for a full disk or an I/O error),
// without writing when all is well: readiness is asked by every probe and
// scrape, and a commit each time would cost an fsync on the one writer
// connection. It takes SQLite's write lock and lets it go, committing
// nothing, unless a write failed since the last commit; then it commits a
// one-row write, whose success is what says the database works again. It
// returns the error that says why the database refuses writes.
func (db *DB) CheckWrites(ctx context.Context) error {
	if failed := db.writeFailed.Load(); failed != nil {
		return db.probeWrite(ctx)
	}
	tx, err := db.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		return err
	}
	return tx.Rollback()
}

// probeWrite commits a one-row write. It returns the error of the write
// or of its commit.
func (db *DB) probeWrite(ctx context.Context) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.Exec(`INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`, ms(tx.now))
		return err
	})
}
