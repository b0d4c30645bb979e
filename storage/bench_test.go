package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// BenchmarkProcessReserve measures one message through Process on a real
// file: expiry, the facts, a new order and its request queued, the
// message marked done, committed with synchronous=FULL. It bounds how many
// messages a second the bot can decide.
func BenchmarkProcessReserve(b *testing.B) {
	db, err := Open(b.TempDir()+"/bench.db", func() time.Time { return t0 })
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	limits := map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := db.SavePage(ctx, []conversations.Inbound{mention(int64(i), int64(i))}, "c", i); err != nil {
			b.Fatal(err)
		}
		m, _, err := db.NextInbox(ctx, limits, nil, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		o := pendingOrder(fmt.Sprintf("ord_%d", i), m.UserID, t0.Add(time.Hour))
		reply := conversations.Reply{Channel: conversations.Tweet, UserID: m.UserID, Kind: "confirm_request", OrderID: o.ID, Request: true, Text: "confirm?"}
		if _, err := db.Process(ctx, m, conversations.ExpiryBounds{Before: t0}, t0, func(Facts) conversations.Decision {
			return conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{reply}}
		}); err != nil {
			b.Fatal(err)
		}
	}
}
