package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestProcessorBatchSetsAsidePanicAndKeepsTheRest runs one processor step
// over a run of messages of different cardholders, one of whose decision
// panics (a nil set of texts: rendering any reply panics), and a second
// message of a cardholder already in the run: the step decides the run in
// one commit, sets the panicking message aside as failed with an ALERT,
// keeps the others' decisions, and leaves the second message of a
// cardholder for a later step, so that each cardholder's messages keep
// their order.
func TestProcessorBatchSetsAsidePanicAndKeepsTheRest(t *testing.T) {
	now := time.Now().UTC()
	msgs := []conversations.Inbound{
		{Channel: conversations.Tweet, ID: 100, UserID: 2, ScreenName: "two", Text: "@bot hello", PostedAt: now},                   // ignored: no reply
		{Channel: conversations.DM, ID: 101, UserID: 1, Text: "help", PostedAt: now},                                               // needs a reply: panics
		{Channel: conversations.Tweet, ID: 102, UserID: 3, ScreenName: "three", Text: "@bot hi", PostedAt: now},                    // ignored
		{Channel: conversations.Tweet, ID: 103, UserID: 2, ScreenName: "two", Text: "@bot again", PostedAt: now.Add(time.Second)},  // two's second: next step
		{Channel: conversations.Tweet, ID: 104, UserID: 4, ScreenName: "four", Text: "@bot later", PostedAt: now.Add(time.Second)}, // after it: next step too
	}
	p, db, logs := panickingProcessor(t, now, msgs)
	ctx := context.Background()
	states := func() string {
		all, err := db.Inbox(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, m := range all {
			s = append(s, m.State)
		}
		return strings.Join(s, " ")
	}
	if busy, _, err := p.step(); !busy || err != nil {
		t.Fatalf("step = %v, %v; want busy and no database error", busy, err)
	}
	if got := states(); got != "done failed done pending pending" {
		t.Errorf("after one step: %s; want the run of three decided (the panicking one set aside), the rest waiting", got)
	}
	if !strings.Contains(logs.String(), "alert=inbox_failed") || !strings.Contains(logs.String(), "panic") {
		t.Errorf("no ALERT about the panic logged:\n%s", logs)
	}
	if busy, _, err := p.step(); !busy || err != nil {
		t.Fatalf("second step = %v, %v", busy, err)
	}
	if got := states(); got != "done failed done done done" {
		t.Errorf("after two steps: %s; want everything decided", got)
	}
}
