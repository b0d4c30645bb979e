package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestStockNeverOversells races many buyers for the last units, through
// two handles on one file (as two processes would be), and checks that
// reserved plus sold never exceeds the quantity: each decision sees the
// count of units taken inside its own write transaction.
func TestStockNeverOversells(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stock.db")
	var handles []*DB
	for i := 0; i < 2; i++ {
		db, err := Open(path, func() time.Time { return t0 })
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		handles = append(handles, db)
	}
	ctx := context.Background()
	const buyers, quantity = 60, 3
	msgs := make([]conversations.Inbound, buyers)
	for i := range msgs {
		msgs[i] = mention(int64(1000+i), int64(i+1))
	}
	if _, err := handles[0].SavePage(ctx, msgs, "c", 0); err != nil {
		t.Fatal(err)
	}
	all, _ := handles[0].Inbox(ctx, "")
	var wg sync.WaitGroup
	for i, m := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := handles[i%2]
			_, err := db.Process(ctx, m, conversations.ExpiryBounds{Before: t0}, t0, func(f Facts) conversations.Decision {
				if f.Taken["kindle"] >= quantity {
					return conversations.Decision{Action: "sold-out"}
				}
				o := pendingOrder(fmt.Sprintf("ord_%d", i), m.UserID, t0.Add(time.Hour))
				return conversations.Decision{Action: "reserve", NewOrder: &o}
			})
			if err != nil {
				t.Error(err)
				return
			}
			// Never more than the quantity, at any moment between commits.
			if n, _ := handles[0].OfferStats(ctx); n["kindle"].Reserved > quantity {
				t.Errorf("reserved %d of %d", n["kindle"].Reserved, quantity)
			}
		}()
	}
	wg.Wait()
	stats, _ := handles[1].OfferStats(ctx)
	if reserved := stats["kindle"].Reserved; reserved != quantity {
		t.Errorf("reserved = %d, want exactly %d", reserved, quantity)
	}
	if n, _ := handles[0].PendingInbox(ctx); n != 0 {
		t.Errorf("%d messages left unprocessed", n)
	}
}
