package twitterv2_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterv2"
)

// lastQuery is the query of the last request to endpoint.
func lastQuery(srv *twitteremu.Server, endpoint string) map[string][]string {
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Endpoint == endpoint {
			return reqs[i].Query
		}
	}
	return nil
}

func TestPagesCarryTheirUsersAccountAgesAndLabels(t *testing.T) {
	srv, c := start(t, twitteremu.Options{}, nil)
	made := time.Date(2025, 12, 24, 18, 0, 0, 0, time.UTC)
	if err := srv.SetAccountCreatedAt(alice.ID, made); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetAutomated(alice.ID, true); err != nil {
		t.Fatal(err)
	}
	bot := srv.Bot()
	if _, err := srv.PostTweet(alice.ID, "@"+bot.ScreenName+" #BuyX", twitteremu.TweetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SendDM(alice.ID, bot.ID, "#BuyX"); err != nil {
		t.Fatal(err)
	}

	page, err := c.Mentions(ctx, bot.ID, twitterv2.TimelineParams{MaxResults: 5})
	if err != nil || len(page.Tweets) != 1 {
		t.Fatalf("mentions: %+v %v", page, err)
	}
	u := page.Users[alice.ID]
	if page.Tweets[0].AuthorUsername != "alice" || !u.CreatedAt.Equal(made) || !u.Automated() || u.Affiliation.Description != twitterv2.AutomatedLabel {
		t.Errorf("mentions' author: %+v %+v", page.Tweets[0], u)
	}
	if q := lastQuery(srv, "GET 2/users/:id/mentions"); strings.Join(q["user.fields"], "") != "username,created_at" || strings.Join(q["expansions"], "") != "author_id" {
		t.Errorf("mentions asked %v", q)
	}

	dms, err := c.DMEvents(ctx, twitterv2.DMParams{MaxResults: 10})
	if err != nil || len(dms.Events) != 1 {
		t.Fatalf("dm_events: %+v %v", dms, err)
	}
	if u := dms.Users[alice.ID]; dms.Events[0].SenderUsername != "alice" || !u.CreatedAt.Equal(made) || !u.Automated() {
		t.Errorf("DM's sender: %+v %+v", dms.Events[0], u)
	}
	if q := lastQuery(srv, "GET 2/dm_events"); strings.Join(q["user.fields"], "") != "username,created_at" || strings.Join(q["expansions"], "") != "sender_id" {
		t.Errorf("dm_events asked %v", q)
	}
}

func TestUserLookup(t *testing.T) {
	srv, c := start(t, twitteremu.Options{}, nil)
	made := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv.AddUser(twitteremu.User{ID: 1002, ScreenName: "bob", Name: "Bob", CreatedAt: made})
	u, err := c.User(ctx, 1002)
	if err != nil || u.ID != 1002 || u.Username != "bob" || u.Name != "Bob" || !u.CreatedAt.Equal(made) || u.Automated() || u.Affiliation != nil {
		t.Errorf("User = %+v %v", u, err)
	}
	if q := lastQuery(srv, "GET 2/users/:id"); len(q) != 1 || strings.Join(q["user.fields"], "") != "created_at,username" {
		t.Errorf("asked %v", q)
	}
	if rl, ok := c.RateLimit(twitterv2.EndpointUser); !ok || rl.Limit != 900 {
		t.Errorf("rate limit %+v %v", rl, ok)
	}
	if err := srv.RenameUser(1002, "bobby"); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetAutomated(1002, true); err != nil {
		t.Fatal(err)
	}
	if u, err := c.User(ctx, 1002); err != nil || u.Username != "bobby" || !u.Automated() {
		t.Errorf("after rename and label: %+v %v", u, err)
	}
}

// TestUserNotFoundBothWays: X answers a lookup of no such account 200 with
// only an errors array; the contract allows a 404 too. Both are IsNotFound
// and neither a bad request nor a server error.
func TestUserNotFoundBothWays(t *testing.T) {
	for _, as404 := range []bool{false, true} {
		_, c := start(t, twitteremu.Options{UserNotFoundAs404: as404}, nil)
		_, err := c.User(ctx, 999)
		ae, ok := err.(*twitterv2.APIError)
		want := 200
		if as404 {
			want = 404
		}
		if !ok || ae.Status != want || ae.Endpoint != twitterv2.EndpointUser || !twitterv2.IsNotFound(err) || twitterv2.IsBadRequest(err) || twitterv2.IsServerError(err) {
			t.Errorf("404 %v: %v (%T)", as404, err, err)
			continue
		}
		if !strings.Contains(err.Error(), "Could not find user with id: [999].") || !strings.Contains(ae.Body, "999") {
			t.Errorf("404 %v: says %q, body %q", as404, err, ae.Body)
		}
		if !as404 && (ae.RateLimit.Limit != 900 || len(ae.Errors) != 1 || ae.Errors[0].ResourceType != "user") {
			t.Errorf("200 with errors: %+v", ae)
		}
	}
}

// TestMalformedCreatedAtKeepsTheUser: an account whose created_at does not
// parse keeps its id and username, with a zero CreatedAt, and is logged.
func TestMalformedCreatedAtKeepsTheUser(t *testing.T) {
	var logs bytes.Buffer
	srv, c := start(t, twitteremu.Options{}, slog.New(slog.NewTextHandler(&logs, nil)))
	// A year past 9999 cannot be written in RFC 3339.
	if err := srv.SetAccountCreatedAt(alice.ID, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	u, err := c.User(ctx, alice.ID)
	if err != nil || u.Username != "alice" || !u.CreatedAt.IsZero() {
		t.Errorf("User = %+v %v", u, err)
	}
	if !strings.Contains(logs.String(), "malformed created_at") {
		t.Errorf("not logged: %s", logs.String())
	}
}
