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

// TestPushedLabelReachesTheAccount: X gives the Automated label in push
// payloads; a pushed copy of a message polling stored first (without the
// label) still records it on the account, where the next decision reads
// it. A copy without the label erases nothing.
func TestPushedLabelReachesTheAccount(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	polled := mention(100, 1, "BuyGiftCard")
	if _, err := db.SavePage(ctx, []conversations.Inbound{polled}, "mentions", 0); err != nil {
		t.Fatal(err)
	}
	if _, known, err := db.Account(ctx, polled.UserID); err != nil || known {
		t.Fatalf("account known (%v, %v) before any sighting", known, err)
	}
	unlabelled := polled
	if _, err := db.SavePushed(ctx, []Pushed{{Type: "post.mention.create", Msgs: []conversations.Inbound{unlabelled}}}); err != nil {
		t.Fatal(err)
	}
	if _, known, err := db.Account(ctx, polled.UserID); err != nil || known {
		t.Fatalf("a pushed copy that says nothing of the author made the account known (%v, %v)", known, err)
	}
	yes := true
	labelled := polled
	labelled.Author = conversations.Author{Username: "alice", Automated: &yes}
	if n, err := db.SavePushed(ctx, []Pushed{{Type: "post.mention.create", Msgs: []conversations.Inbound{labelled}}}); err != nil || n != 0 {
		t.Fatalf("pushed copy: %d new, %v", n, err)
	}
	a, known, err := db.Account(ctx, polled.UserID)
	if err != nil || !known {
		t.Fatalf("account after the labelled push: known %v, %v", known, err)
	}
	if a.Automated == nil || !*a.Automated {
		t.Errorf("account %+v: the pushed Automated label was dropped with the duplicate", a)
	}
	if a.Username != "" {
		t.Errorf("account %+v: the pushed copy recorded a username before its message was decided", a)
	}
	if _, err := db.SavePushed(ctx, []Pushed{{Type: "post.mention.create", Msgs: []conversations.Inbound{unlabelled}}}); err != nil {
		t.Fatal(err)
	}
	if a, _, _ := db.Account(ctx, polled.UserID); a.Automated == nil || !*a.Automated {
		t.Errorf("account %+v: a later copy without the label erased it", a)
	}
	if n, _ := db.PendingInbox(ctx); n != 1 {
		t.Errorf("%d messages in the inbox, want 1", n)
	}
}
