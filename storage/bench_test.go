package storage

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/internal/benchdb"
)

// benchDB opens a copy of a database holding n seeded paid orders of the
// offer "kindle" (n = 0: an empty one), seeded once and cached by
// internal/benchdb.
func benchDB(b *testing.B, n int) *DB {
	b.Helper()
	db, err := Open(benchPath(b, n), func() time.Time { return t0 })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// benchPath is where benchDB's copy is.
func benchPath(b *testing.B, n int) string {
	b.Helper()
	return benchdb.Copy(b, n, "kindle", func(path string) error {
		db, err := Open(path, nil)
		if err != nil {
			return err
		}
		return db.Close()
	})
}

// historySizes are the campaign sizes the per-message benchmarks run at.
var historySizes = []int{0, 100000, 1000000}

// BenchmarkProcessReserve measures one message through Process on a real
// file: expiry, the facts, a new order and its request queued, the
// message marked done, committed with synchronous=FULL. It bounds how many
// messages a second the bot can decide; it runs on databases already
// holding 0, 100,000 and 1,000,000 orders, and should cost the same on
// each.
//
// Each size's file is seeded once (internal/benchdb), checkpointed and
// synced to the disk before it is copied, and the copy is synced too, so
// that no write-back of the seeding is timed. Warm-up reserves, not
// timed, bring the pages a reserve reads into SQLite's cache and take the
// WAL through a checkpoint first. Besides the time, which on a shared
// machine varies with its load, it reports what repeats: the pages read
// (pread calls: misses of SQLite's page cache, from the file or the WAL)
// and the KiB written (WAL frames and checkpoints) per message, from
// /proc/self/io; an instruction count per message comes from running it
// under callgrind (see docs/testing.md).
func BenchmarkProcessReserve(b *testing.B) {
	for _, n := range historySizes {
		b.Run("orders="+strconv.Itoa(n), func(b *testing.B) {
			db := benchDB(b, n)
			ctx := context.Background()
			limits := map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}
			reserve := func(i int) {
				if _, err := db.SavePage(ctx, []conversations.Inbound{mention(int64(i), int64(i))}, "c", i); err != nil {
					b.Fatal(err)
				}
				m, _, err := db.NextInbox(ctx, limits, nil, time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				o := pendingOrder(fmt.Sprintf("ord_%d", i), m.UserID, t0.Add(time.Hour))
				reply := conversations.Reply{Channel: conversations.Tweet, UserID: m.UserID, Kind: "confirm_request", OrderID: o.ID, Request: true, Text: "confirm?"}
				if _, err := db.Process(ctx, m, conversations.ExpiryBounds{Before: t0}, t0, func(f Facts) conversations.Decision {
					if f.Taken["kindle"] < int64(n) {
						b.Fatalf("taken = %d, the history has %d", f.Taken["kindle"], n)
					}
					return conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{reply}}
				}); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			for ; i < reserveWarmUp; i++ {
				reserve(i + 1)
			}
			before, ioOK := readProcIO()
			b.ReportAllocs()
			for b.Loop() {
				i++
				reserve(i)
			}
			if after, ok := readProcIO(); ok && ioOK {
				b.ReportMetric(float64(after.syscr-before.syscr)/float64(b.N), "pagereads/op")
				b.ReportMetric(float64(after.wchar-before.wchar)/1024/float64(b.N), "KiBwritten/op")
			}
		})
	}
}

// reserveWarmUp is how many reserves BenchmarkProcessReserve makes before
// it times any: enough to fill the WAL past the automatic checkpoint
// (1,000 pages) once, so that checkpoints are part of the steady state
// timed rather than a surprise of the first run.
const reserveWarmUp = 200

// procIO is this process's I/O counters from /proc/self/io (Linux).
type procIO struct{ syscr, wchar int64 }

// readProcIO reads procIO; false where there is no /proc/self/io.
func readProcIO() (procIO, bool) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return procIO{}, false
	}
	var io procIO
	found := 0
	for _, line := range strings.Split(string(data), "\n") {
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "syscr":
			io.syscr, found = v, found+1
		case "wchar":
			io.wchar, found = v, found+1
		}
	}
	return io, found == 2
}

// BenchmarkOpen measures opening a database of a million orders, as the
// daemon and every admin command do, with the reads the daemon makes
// before its first decision: the stock check, whether work is left, the
// first message, reply and charge due.
func BenchmarkOpen(b *testing.B) {
	path := benchPath(b, 1000000)
	ctx := context.Background()
	limits := map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}
	for b.Loop() {
		db, err := Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		stats, err := db.OfferStats(ctx)
		if err != nil || stats["kindle"].Sold != 1000000 {
			b.Fatalf("stats = %+v, %v", stats, err)
		}
		if _, err := db.Quiet(ctx); err != nil {
			b.Fatal(err)
		}
		if _, _, err := db.NextInbox(ctx, limits, nil, time.Time{}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.NextOutbox(ctx, t0, 20, []string{"receipt"}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.DueCharges(ctx, t0, 1); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkAdminReads measures what `paybytweet orders -limit 20` and
// `paybytweet offers` read, on a database of a million orders.
func BenchmarkAdminReads(b *testing.B) {
	db := benchDB(b, 1000000)
	ctx := context.Background()
	b.Run("orders-limit-20", func(b *testing.B) {
		for b.Loop() {
			if o, err := db.Orders(ctx, OrderFilter{Limit: 20}); err != nil || len(o) != 20 {
				b.Fatalf("orders = %d, %v", len(o), err)
			}
		}
	})
	b.Run("orders-of-offer-limit-20", func(b *testing.B) {
		for b.Loop() {
			if o, err := db.Orders(ctx, OrderFilter{OfferID: "kindle", State: conversations.Paid, Limit: 20}); err != nil || len(o) != 20 {
				b.Fatalf("orders = %d, %v", len(o), err)
			}
		}
	})
	b.Run("offers", func(b *testing.B) {
		for b.Loop() {
			if s, err := db.OfferStats(ctx); err != nil || s["kindle"].Sold != 1000000 {
				b.Fatalf("stats = %+v, %v", s, err)
			}
		}
	})
}

// BenchmarkSizePerPurchase reports the database's size per 1,000
// purchases (orders with the messages and replies that made them), from
// the seeded files of 100,000 and 1,000,000 orders.
func BenchmarkSizePerPurchase(b *testing.B) {
	for _, n := range historySizes[1:] {
		b.Run("orders="+strconv.Itoa(n), func(b *testing.B) {
			empty, err := os.Stat(benchPath(b, 0))
			if err != nil {
				b.Fatal(err)
			}
			full, err := os.Stat(benchPath(b, n))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(full.Size()-empty.Size())/float64(n)*1000/1024, "KiB/1000purchases")
		})
	}
}
