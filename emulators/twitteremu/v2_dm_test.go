package twitteremu

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/twitterv2"
)

func TestV2DMEventsNewestFirstWithOwnMessages(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	in1, err := e.srv.SendDM(alice.ID, e.bot.ID, "#BuyX please")
	if err != nil {
		t.Fatal(err)
	}
	sent, err := c.SendDM(ctx, alice.ID, "your code is A1")
	if err != nil {
		t.Fatal(err)
	}
	wantConv := fmt.Sprintf("%d-%d", alice.ID, e.bot.ID)
	if sent.ConversationID != wantConv || sent.EventID <= in1.ID {
		t.Errorf("sent = %+v", sent)
	}
	// A DM sent through v1.1 is seen through v2 too.
	v1, _, err := e.client.DirectMessages.EventsNew(newDM(bob.ID, "v1.1 message"))
	if err != nil {
		t.Fatal(err)
	}
	in2, err := e.srv.SendDM(bob.ID, e.bot.ID, "hi @PayByTweet")
	if err != nil {
		t.Fatal(err)
	}
	// A DM between two others is not the bot's to see.
	if _, err := e.srv.SendDM(alice.ID, bob.ID, "not the bot's"); err != nil {
		t.Fatal(err)
	}

	page, err := c.DMEvents(ctx, twitterv2.DMParams{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dmIDs(page.Events), []int64{in2.ID, mustID(t, v1.ID), sent.EventID, in1.ID}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	own := page.Events[2]
	if own.SenderID != e.bot.ID || own.SenderUsername != e.bot.ScreenName || own.Text != "your code is A1" || own.ConversationID != wantConv {
		t.Errorf("own event = %+v", own)
	}
	first := page.Events[3]
	if first.EventType != "MessageCreate" || first.SenderUsername != "alice" || !first.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("first event = %+v", first)
	}
	if len(first.Entities.Hashtags) != 1 || first.Entities.Hashtags[0].Tag != "BuyX" {
		t.Errorf("entities = %+v", first.Entities)
	}
	if m := page.Events[0].Entities.Mentions; len(m) != 1 || m[0].ID != e.bot.ID || m[0].Start != 3 {
		t.Errorf("mentions = %+v", m)
	}
	if page.Meta.ResultCount != 4 || page.Meta.NextToken != "" {
		t.Errorf("meta = %+v", page.Meta)
	}
}

func TestV2DMEventsPageAndReach30Days(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	old, err := e.srv.SendDM(alice.ID, e.bot.ID, "old")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(DMListWindow - time.Hour)
	var want []int64
	for i := range 5 {
		ev, err := e.srv.SendDM(bob.ID, e.bot.ID, fmt.Sprintf("m%d", i))
		if err != nil {
			t.Fatal(err)
		}
		want = append([]int64{ev.ID}, want...)
	}
	got, pages := walkDMs(t, c, 2)
	if !slices.Equal(got, append(slices.Clone(want), old.ID)) || pages != 3 {
		t.Errorf("pages of 2 = %v in %d pages", got, pages)
	}
	// Past 30 days the old event is gone; a new one arriving while paging
	// does not shift the pages.
	e.clock.Advance(2 * time.Hour)
	first, err := c.DMEvents(ctx, twitterv2.DMParams{MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	newer, err := e.srv.SendDM(alice.ID, e.bot.ID, "arrived while paging")
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := walkDMsFrom(t, c, 2, first.Meta.NextToken)
	if got := append(dmIDs(first.Events), rest...); !slices.Equal(got, want) {
		t.Errorf("after 30 days = %v, want %v (newer %d not in this walk)", got, want, newer.ID)
	}
}

func walkDMs(t *testing.T, c *twitterv2.Client, n int) ([]int64, int) {
	return walkDMsFrom(t, c, n, "")
}

func walkDMsFrom(t *testing.T, c *twitterv2.Client, n int, token string) ([]int64, int) {
	t.Helper()
	var out []int64
	for pages := 1; pages < 100; pages++ {
		page, err := c.DMEvents(ctx, twitterv2.DMParams{MaxResults: n, PaginationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, dmIDs(page.Events)...)
		if token = page.Meta.NextToken; token == "" {
			return out, pages
		}
	}
	t.Fatal("DM paging does not end")
	return nil, 0
}

func dmIDs(es []twitterv2.DMEvent) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}

func TestV2SendDMRefusals(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	_, err := c.SendDM(ctx, 999, "hello")
	if wantAPIStatus(t, err, 404); !twitterv2.IsNotFound(err) {
		t.Errorf("unknown participant: %v", err)
	}
	_, err = c.SendDM(ctx, alice.ID, "")
	wantAPIStatus(t, err, 400)
	_, err = c.SendDM(ctx, e.bot.ID, "me")
	wantAPIStatus(t, err, 400)
	if n := len(e.srv.DMs()); n != 0 {
		t.Errorf("%d DMs stored", n)
	}
	if status, body := e.rawV2(t, "POST", fmt.Sprintf("dm_conversations/with/%d/messages", alice.ID), "text/plain", `{"text":"hi"}`); status != 400 {
		t.Errorf("DM without JSON content type: %d %v", status, body)
	}
}
