package twitteremu

import (
	"context"
	"testing"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/paybytweet/paybytweet/twitterv2"
)

// repeatCursorEnv holds three DMs to the bot, oldest "one", and a
// RepeatCursor fault on both APIs' DM lists for good.
func repeatCursorEnv(t *testing.T) *env {
	e := newEnv(t, Options{})
	for _, text := range []string{"one", "two", "three"} {
		if _, err := e.srv.SendDM(alice.ID, e.bot.ID, text); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.InjectFault(Fault{Endpoint: "GET direct_messages/events/list", RepeatCursor: true, Times: -1})
	e.srv.InjectFault(Fault{Endpoint: "GET 2/dm_events", RepeatCursor: true, Times: -1})
	return e
}

// TestFaultRepeatCursor: a v1.1 DM list with the fault answers the real
// page asked for, with the cursor it was asked with as the next page's;
// the newest page, asked for without a cursor, is the real one.
func TestFaultRepeatCursor(t *testing.T) {
	e := repeatCursorEnv(t)
	first, _, err := e.client.DirectMessages.EventsList(&twitter.DirectMessageEventsListParams{Count: 2})
	if err != nil || len(first.Events) != 2 || first.NextCursor == "" {
		t.Fatalf("newest page %+v, %v; want two events and a next cursor", first, err)
	}
	second, _, err := e.client.DirectMessages.EventsList(&twitter.DirectMessageEventsListParams{Count: 2, Cursor: first.NextCursor})
	if err != nil || len(second.Events) != 1 || second.Events[0].Message.Data.Text != "one" || second.NextCursor != first.NextCursor {
		t.Fatalf("second page %+v, %v; want the oldest event and the cursor it was asked with", second, err)
	}
}

// TestV2FaultRepeatCursor: the same on v2's dm_events and its
// pagination_token.
func TestV2FaultRepeatCursor(t *testing.T) {
	e := repeatCursorEnv(t)
	c := e.v2(t)
	ctx := context.Background()
	p1, err := c.DMEvents(ctx, twitterv2.DMParams{MaxResults: 2})
	if err != nil || len(p1.Events) != 2 || p1.Meta.NextToken == "" {
		t.Fatalf("newest page %+v, %v; want two events and a next token", p1, err)
	}
	p2, err := c.DMEvents(ctx, twitterv2.DMParams{MaxResults: 2, PaginationToken: p1.Meta.NextToken})
	if err != nil || len(p2.Events) != 1 || p2.Events[0].Text != "one" || p2.Meta.NextToken != p1.Meta.NextToken {
		t.Fatalf("second page %+v, %v; want the oldest event and the token it was asked with", p2, err)
	}
}
