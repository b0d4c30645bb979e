package bot

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestUsageCountsConcurrentCallsAllLand: calls counted at once from many
// goroutines, most of them while another's commit is under way, are
// all stored once the last call returns, each id once per day, with the
// day of its own call.
func TestUsageCountsConcurrentCallsAllLand(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "u.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	day1 := time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC)
	c := &usageCounts{db: db, log: slog.New(slog.DiscardHandler)}
	const calls = 200
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := day1
			if i%2 == 1 {
				at = day1.Add(2 * time.Minute) // the next UTC day
			}
			// Two calls read the same post: one count a day.
			c.add(storage.Usage{Kind: string(twitterapi.UsageMentionRead), At: at, IDs: []int64{int64(i / 4), 1_000_000 + int64(i)}})
		}()
	}
	wg.Wait()
	counts, _, err := db.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, u := range counts {
		if u.Offer == "" && u.Kind == string(twitterapi.UsageMentionRead) {
			got[u.Day] = u.Count
		}
	}
	// Each day: 100 distinct ids of their own, and 50 shared ones (i/4
	// for i of that parity: 0..49).
	want := map[string]int64{"2026-12-07": 150, "2026-12-08": 150}
	if len(got) != 2 || got["2026-12-07"] != want["2026-12-07"] || got["2026-12-08"] != want["2026-12-08"] {
		t.Errorf("counts by day = %v, want %v", got, want)
	}
}
