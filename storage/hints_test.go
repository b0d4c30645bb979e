package storage

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestHintsAreRecordedWithTheDecision: a decision's "did you mean" is
// remembered for its cardholder and offer, and the next message of that
// cardholder sees when; another cardholder sees nothing.
func TestHintsAreRecordedWithTheDecision(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, err := db.SavePage(ctx, []conversations.Inbound{mention(1, 7, "ByKindle"), mention(2, 7, "ByKindle"), mention(3, 8, "ByKindle")}, "c", 0); err != nil {
		t.Fatal(err)
	}
	msgs, _ := db.Inbox(ctx, "")
	seen := map[int64]map[string]time.Time{}
	for i, m := range msgs {
		at := t0.Add(time.Duration(i) * time.Minute)
		_, err := db.Process(ctx, m, conversations.ExpiryBounds{Before: at}, at, func(f Facts) conversations.Decision {
			seen[m.Inbound.ID] = f.HintedAt
			return conversations.Decision{Action: "did-you-mean", Hinted: "kindle"}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(seen[1]) != 0 || len(seen[3]) != 0 {
		t.Errorf("hints before any was given: %v, %v", seen[1], seen[3])
	}
	if got := seen[2]["kindle"]; !got.Equal(t0) {
		t.Errorf("second message sees the hint at %v, want %v", got, t0)
	}
}
