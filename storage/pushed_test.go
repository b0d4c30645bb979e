package storage

import (
	"context"
	"testing"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestPushedAndPolledAreOneMessage: a message pushed and then polled (or
// polled, then pushed, or pushed twice) is stored once, and each pushed
// copy is counted by what it turned out to be.
func TestPushedAndPolledAreOneMessage(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	first, second := mention(100, 1, "BuyGiftCard"), mention(101, 2, "BuyGiftCard")
	if n, err := db.SavePushed(ctx, []Pushed{{Type: "post.mention.create", Msgs: []conversations.Inbound{first}}}); err != nil || n != 1 {
		t.Fatalf("first push: %d new, %v", n, err)
	}
	if n, err := db.SavePushed(ctx, []Pushed{{Type: "post.mention.create", Msgs: []conversations.Inbound{first}}}); err != nil || n != 0 {
		t.Fatalf("the same event again: %d new, %v", n, err)
	}
	if n, err := db.SavePage(ctx, []conversations.Inbound{first, second}, "mentions", 0); err != nil || n != 1 {
		t.Fatalf("polled after the push: %d new, %v; want only the message push did not bring", n, err)
	}
	if n, err := db.SavePushed(ctx, []Pushed{{Type: "post.mention.create", Msgs: []conversations.Inbound{second}}}); err != nil || n != 0 {
		t.Fatalf("pushed after the poll: %d new, %v", n, err)
	}
	if n, _ := db.PendingInbox(ctx); n != 2 {
		t.Errorf("%d messages in the inbox, want 2", n)
	}
	f, err := db.Figures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Counts["push_events"]; got["post.mention.create/new"] != 1 || got["post.mention.create/duplicate"] != 2 {
		t.Errorf("push events counted %v", got)
	}
}
