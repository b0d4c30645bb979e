package twitteremu

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/go-twitter/twitter"
)

func newDM(to int64, text string) *twitter.DirectMessageEventsNewParams {
	return &twitter.DirectMessageEventsNewParams{Event: &twitter.DirectMessageEvent{
		Type: "message_create",
		Message: &twitter.DirectMessageEventMessage{
			Target: &twitter.DirectMessageTarget{RecipientID: strconv.FormatInt(to, 10)},
			Data:   &twitter.DirectMessageData{Text: text},
		},
	}}
}

func TestDMListPagingWhileNewMessagesArrive(t *testing.T) {
	e := newEnv(t, Options{RateLimits: map[string]int{"direct_messages/events/list": 1000}})
	var want []string
	for i := range 23 {
		from, to := alice.ID, e.bot.ID
		if i%3 == 0 {
			from, to = e.bot.ID, bob.ID // sent ones are listed too
		}
		dm, err := e.srv.SendDM(from, to, fmt.Sprintf("#BuyX %d", i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, idStr(dm.ID))
		e.clock.Advance(time.Second)
	}
	e.srv.SendDM(alice.ID, bob.ID, "not the bot's")
	slices.Reverse(want)

	var got []string
	cursor := ""
	arrived := 0
	for page := 0; ; page++ {
		res, _, err := e.client.DirectMessages.EventsList(&twitter.DirectMessageEventsListParams{Count: 5, Cursor: cursor})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		for _, ev := range res.Events {
			got = append(got, ev.ID)
		}
		if res.NextCursor == "" {
			if len(res.Events) == 0 {
				t.Errorf("last page is empty; next_cursor should have been left out before")
			}
			break
		}
		if len(res.Events) != 5 {
			t.Errorf("page %d has %d events", page, len(res.Events))
		}
		cursor = res.NextCursor
		// New messages at the head must not shift the next page.
		e.srv.SendDM(bob.ID, e.bot.ID, fmt.Sprintf("arrived during paging %d", page))
		arrived++
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged %v\nwant    %v", got, want)
	}
	first, _, _ := e.client.DirectMessages.EventsList(&twitter.DirectMessageEventsListParams{Count: 50})
	if len(first.Events) != 23+arrived || arrived != 4 || !strings.HasPrefix(first.Events[0].Message.Data.Text, "arrived during paging") {
		t.Errorf("head after paging: %d events, newest %q", len(first.Events), first.Events[0].Message.Data.Text)
	}
}

func TestDMListOnlyLast30Days(t *testing.T) {
	e := newEnv(t, Options{})
	old, _ := e.srv.SendDM(alice.ID, e.bot.ID, "old")
	e.clock.Advance(20 * 24 * time.Hour)
	recent, _ := e.srv.SendDM(alice.ID, e.bot.ID, "recent")
	e.clock.Advance(11 * 24 * time.Hour)

	res, _, err := e.client.DirectMessages.EventsList(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 || res.Events[0].ID != idStr(recent.ID) || res.NextCursor != "" {
		t.Errorf("events = %+v, next %q", res.Events, res.NextCursor)
	}
	_, resp, err := e.client.DirectMessages.EventsShow(idStr(old.ID), nil)
	wantCode(t, resp, err, http.StatusNotFound, CodePageNotFound)
}

func TestDMNewThenVisible(t *testing.T) {
	e := newEnv(t, Options{})
	in, _ := e.srv.SendDM(alice.ID, e.bot.ID, "＃ＢｕｙＸ please")
	ev, resp, err := e.client.DirectMessages.EventsNew(newDM(alice.ID, "Reply #ConfirmX to buy, details at https://issuer.example.com/enroll"))
	if err != nil {
		t.Fatalf("EventsNew: %v", err)
	}
	if resp.StatusCode != 200 || ev.Type != "message_create" || ev.Message.SenderID != idStr(e.bot.ID) ||
		ev.Message.Target.RecipientID != idStr(alice.ID) {
		t.Errorf("event = %+v", ev)
	}
	if ms, _ := strconv.ParseInt(ev.CreatedAt, 10, 64); ms != e.clock.Now().UnixMilli() {
		t.Errorf("created_timestamp = %q", ev.CreatedAt)
	}
	if id, _ := strconv.ParseInt(ev.ID, 10, 64); id <= in.ID {
		t.Errorf("sent id %s not after received %d", ev.ID, in.ID)
	}
	res, _, err := e.client.DirectMessages.EventsList(nil)
	if err != nil || len(res.Events) != 2 || res.Events[0].ID != ev.ID || res.Events[1].ID != idStr(in.ID) {
		t.Fatalf("list: %v %+v", err, res)
	}
	got := res.Events[1].Message.Data
	if got.Text != "＃ＢｕｙＸ please" || len(got.Entities.Hashtags) != 1 || got.Entities.Hashtags[0].Text != "ＢｕｙＸ" {
		t.Errorf("received data = %+v", got)
	}
	sent := res.Events[0].Message.Data
	if len(sent.Entities.Urls) != 1 || sent.Entities.Urls[0].ExpandedURL != "https://issuer.example.com/enroll" {
		t.Errorf("sent urls = %+v", sent.Entities.Urls)
	}
	shown, _, err := e.client.DirectMessages.EventsShow(ev.ID, nil)
	if err != nil || shown.ID != ev.ID {
		t.Errorf("show: %v %+v", err, shown)
	}
	if dms := e.srv.DMs(); len(dms) != 2 || dms[1].SenderID != e.bot.ID || !strings.HasSuffix(dms[1].Text, "/enroll") {
		t.Errorf("DMs() = %+v", dms)
	}
}

func TestDMNewErrors(t *testing.T) {
	e := newEnv(t, Options{DMSendLimit: 2, DMSendWindow: time.Hour})
	_, resp, err := e.client.DirectMessages.EventsNew(newDM(999, "who?"))
	wantCode(t, resp, err, http.StatusForbidden, CodeCannotFindUser)
	_, resp, err = e.client.DirectMessages.EventsNew(newDM(alice.ID, strings.Repeat("x", 10001)))
	wantCode(t, resp, err, http.StatusForbidden, CodeDMTooLong)
	if _, _, err := e.client.DirectMessages.EventsNew(newDM(alice.ID, strings.Repeat("y", 10000))); err != nil {
		t.Errorf("10,000 characters: %v", err)
	}
	if _, _, err := e.client.DirectMessages.EventsNew(newDM(alice.ID, "second")); err != nil {
		t.Fatal(err)
	}
	_, resp, err = e.client.DirectMessages.EventsNew(newDM(alice.ID, "third"))
	wantCode(t, resp, err, http.StatusTooManyRequests, CodeRateLimitExceeded)
	e.clock.Advance(time.Hour + time.Second)
	if _, _, err := e.client.DirectMessages.EventsNew(newDM(alice.ID, "third")); err != nil {
		t.Errorf("after the budget window: %v", err)
	}
	_, resp, err = e.client.DirectMessages.EventsShow("12345", nil)
	wantCode(t, resp, err, http.StatusNotFound, CodePageNotFound)
	_, resp, err = e.client.DirectMessages.EventsList(&twitter.DirectMessageEventsListParams{Cursor: "%%%"})
	wantCode(t, resp, err, http.StatusBadRequest, CodeBadRequest)
}
