package twitteremu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/go-twitter/twitter"

	"github.com/paybytweet/paybytweet/twitterv2"
)

// rawV1 GETs a v1.1 path (without ".json") signed as the bot, and returns
// the status and the body as JSON.
func (e *env) rawV1(t *testing.T, pathAndQuery string) (int, any) {
	t.Helper()
	path, query, _ := strings.Cut(pathAndQuery, "?")
	u := e.base + path + ".json"
	if query != "" {
		u += "?" + query
	}
	hc := newHTTPClient(e.base, testConsumerKey, testConsumerSecret, testAccessToken, testAccessSecret, 0)
	resp, err := hc.Get(strings.Replace(u, e.base, "https://api.twitter.com/1.1/", 1))
	if err != nil {
		t.Fatalf("GET %s: %v", pathAndQuery, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("GET %s: body %q is not JSON: %v", pathAndQuery, raw, err)
	}
	return resp.StatusCode, out
}

// v2User returns the includes.users entry of id in a decoded v2 page.
func v2IncludedUser(body map[string]any, id int64) map[string]any {
	inc, _ := body["includes"].(map[string]any)
	users, _ := inc["users"].([]any)
	for _, u := range users {
		if m, _ := u.(map[string]any); m["id"] == idStr(id) {
			return m
		}
	}
	return nil
}

func TestAccountsAreOldUnlessSaid(t *testing.T) {
	e := newEnv(t, Options{})
	carolMade := time.Date(2024, 2, 28, 9, 30, 0, 0, time.UTC)
	carol := User{ID: 1003, ScreenName: "carol", CreatedAt: carolMade}
	e.srv.AddUser(carol)
	for _, tc := range []struct {
		user User
		want time.Time
	}{{alice, DefaultAccountCreatedAt}, {carol, carolMade}, {e.bot, DefaultAccountCreatedAt}} {
		got, ok := e.srv.User(tc.user.ID)
		if !ok || !got.CreatedAt.Equal(tc.want) || got.ScreenName != tc.user.ScreenName || got.Automated {
			t.Errorf("User(%d) = %+v %v, want created %v", tc.user.ID, got, ok, tc.want)
		}
	}
	if !DefaultAccountCreatedAt.Before(e.clock.Now().AddDate(-10, 0, 0)) {
		t.Errorf("DefaultAccountCreatedAt %v is not years old", DefaultAccountCreatedAt)
	}
	if _, ok := e.srv.User(999); ok {
		t.Error("User(999) found")
	}

	e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	e.mustPost(t, carol.ID, "@PayByTweet #BuyY", TweetOptions{})
	// v1.1: every tweet's user carries created_at in Twitter's format.
	tweets, _, err := e.client.Timelines.MentionTimeline(&twitter.MentionTimelineParams{})
	if err != nil || len(tweets) != 2 {
		t.Fatalf("mentions: %v %v", tweets, err)
	}
	for _, tw := range tweets {
		want := DefaultAccountCreatedAt
		if tw.User.ID == carol.ID {
			want = carolMade
		}
		got, err := time.Parse("Mon Jan 02 15:04:05 -0700 2006", tw.User.CreatedAt)
		if err != nil || !got.Equal(want) {
			t.Errorf("user %d created_at %q (%v), want %v", tw.User.ID, tw.User.CreatedAt, err, want)
		}
	}
	// v2: created_at in includes.users when asked, RFC 3339 with
	// milliseconds as X writes it; absent when not asked.
	path := fmt.Sprintf("users/%d/mentions?expansions=author_id&user.fields=username,created_at", e.bot.ID)
	status, body := e.rawV2(t, "GET", path, "", "")
	if u := v2IncludedUser(body, carol.ID); status != 200 || u["created_at"] != "2024-02-28T09:30:00.000Z" || u["username"] != "carol" {
		t.Errorf("carol included as %v (%d %v)", u, status, body)
	}
	if u := v2IncludedUser(body, alice.ID); u["created_at"] != "2012-03-21T20:50:14.000Z" {
		t.Errorf("alice included as %v", u)
	}
	_, body = e.rawV2(t, "GET", fmt.Sprintf("users/%d/mentions?expansions=author_id", e.bot.ID), "", "")
	if u := v2IncludedUser(body, carol.ID); u == nil || u["created_at"] != nil || u["affiliation"] != nil {
		t.Errorf("created_at not asked for, yet carol included as %v", u)
	}

	// SetAccountCreatedAt shows in every later answer.
	fresh := e.clock.Now().Add(-48 * time.Hour)
	if err := e.srv.SetAccountCreatedAt(alice.ID, fresh); err != nil {
		t.Fatal(err)
	}
	u, err := e.v2(t).User(ctx, alice.ID)
	if err != nil || !u.CreatedAt.Equal(fresh) {
		t.Errorf("v2 lookup after SetAccountCreatedAt: %+v %v, want %v", u, err, fresh)
	}
	v1, _, err := e.client.Users.Show(&twitter.UserShowParams{UserID: alice.ID})
	if got, _ := time.Parse(time.RubyDate, v1.CreatedAt); err != nil || !got.Equal(fresh) {
		t.Errorf("v1.1 lookup after SetAccountCreatedAt: %q %v, want %v", v1.CreatedAt, err, fresh)
	}
	var ae *APIError
	if err := e.srv.SetAccountCreatedAt(999, fresh); !errors.As(err, &ae) || ae.Code != CodeUserNotFound {
		t.Errorf("SetAccountCreatedAt of no account: %v", err)
	}
}

func TestRenameKeepsTheIDAndShowsTheNewName(t *testing.T) {
	e := newEnv(t, Options{})
	before := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	if _, err := e.srv.SendDM(alice.ID, e.bot.ID, "#BuyX"); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.RenameUser(alice.ID, "alice_2"); err != nil {
		t.Fatal(err)
	}
	after := e.mustPost(t, alice.ID, "@PayByTweet #BuyY", TweetOptions{})
	if u, ok := e.srv.User(alice.ID); !ok || u.ScreenName != "alice_2" || u.ID != alice.ID || u.Name != alice.Name {
		t.Errorf("User after rename = %+v", u)
	}

	tweets, _, err := e.client.Timelines.MentionTimeline(&twitter.MentionTimelineParams{})
	if err != nil || len(tweets) != 2 || tweets[0].ID != after.ID {
		t.Fatalf("mentions: %v %v", ids(tweets), err)
	}
	for _, tw := range tweets {
		if tw.User.ID != alice.ID || tw.User.ScreenName != "alice_2" {
			t.Errorf("v1.1 tweet %d by %d @%s", tw.ID, tw.User.ID, tw.User.ScreenName)
		}
	}
	c := e.v2(t)
	page, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{MaxResults: 5})
	if err != nil || len(page.Tweets) != 2 || page.Tweets[1].ID != before.ID {
		t.Fatalf("v2 mentions: %+v %v", page, err)
	}
	for _, tw := range page.Tweets {
		if tw.AuthorID != alice.ID || tw.AuthorUsername != "alice_2" {
			t.Errorf("v2 post %d by %d @%s", tw.ID, tw.AuthorID, tw.AuthorUsername)
		}
	}
	dms, err := c.DMEvents(ctx, twitterv2.DMParams{})
	if err != nil || len(dms.Events) != 1 || dms.Events[0].SenderUsername != "alice_2" {
		t.Errorf("v2 DMs: %+v %v", dms, err)
	}
	if u, err := c.User(ctx, alice.ID); err != nil || u.Username != "alice_2" {
		t.Errorf("v2 lookup: %+v %v", u, err)
	}
	if u, _, err := e.client.Users.Show(&twitter.UserShowParams{UserID: alice.ID}); err != nil || u.ScreenName != "alice_2" {
		t.Errorf("v1.1 lookup: %+v %v", u, err)
	}
	// The new name is mentionable, the old one no longer names anyone.
	if tw := e.mustPost(t, bob.ID, "@alice_2 @alice hello", TweetOptions{}); len(tw.Mentions) != 1 || tw.Mentions[0] != alice.ID {
		t.Errorf("mentions of the new and the old name: %v", tw.Mentions)
	}
	if _, _, err := e.client.Users.Show(&twitter.UserShowParams{ScreenName: "alice"}); err == nil {
		t.Error("the old name still finds an account")
	}

	// The bot may be renamed too: Bot says so.
	if err := e.srv.RenameUser(e.bot.ID, "PayByTweet2"); err != nil || e.srv.Bot().ScreenName != "PayByTweet2" || e.srv.Bot().ID != e.bot.ID {
		t.Errorf("bot renamed: %+v %v", e.srv.Bot(), err)
	}
	if err := e.srv.RenameUser(alice.ID, "ALICE_2"); err != nil {
		t.Errorf("a change of case of one's own name: %v", err)
	}
	if err := e.srv.RenameUser(alice.ID, "bob_2"); err == nil {
		t.Error("renamed to a name bob holds")
	}
	if err := e.srv.RenameUser(alice.ID, ""); err == nil {
		t.Error("renamed to nothing")
	}
	var ae *APIError
	if err := e.srv.RenameUser(999, "x"); !errors.As(err, &ae) || ae.Code != CodeUserNotFound {
		t.Errorf("rename of no account: %v", err)
	}
}

func TestAutomatedLabelOnlyOnV2(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.srv.SetAutomated(alice.ID, true); err != nil {
		t.Fatal(err)
	}
	e.srv.AddUser(User{ID: 1003, ScreenName: "robot", Automated: true})
	e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	e.mustPost(t, bob.ID, "@PayByTweet #BuyY", TweetOptions{})
	if _, err := e.srv.SendDM(alice.ID, e.bot.ID, "#BuyX"); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.srv.User(1003); !u.Automated {
		t.Errorf("AddUser's Automated lost: %+v", u)
	}

	// v2 shows the label on every user object of the account, asked or
	// not (the bot asks for username and created_at alone).
	c := e.v2(t)
	page, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{MaxResults: 5})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := page.Users[alice.ID], page.Users[bob.ID]; !a.Automated() || a.Affiliation.Description != "Automated" || b.Automated() || b.Affiliation != nil {
		t.Errorf("v2 mentions' users: alice %+v, bob %+v", a, b)
	}
	dms, err := c.DMEvents(ctx, twitterv2.DMParams{})
	if err != nil || !dms.Users[alice.ID].Automated() {
		t.Errorf("v2 DMs' users: %+v %v", dms.Users, err)
	}
	if u, err := c.User(ctx, alice.ID); err != nil || !u.Automated() {
		t.Errorf("v2 lookup: %+v %v", u, err)
	}
	// v1.1 never has it.
	_, body := e.rawV1(t, fmt.Sprintf("users/show?user_id=%d", alice.ID))
	if m, _ := body.(map[string]any); m == nil || m["affiliation"] != nil || m["screen_name"] != "alice" {
		t.Errorf("v1.1 user object: %v", body)
	}
	_, body = e.rawV1(t, "statuses/mentions_timeline")
	if list, _ := body.([]any); len(list) != 2 || strings.Contains(fmt.Sprint(list), "ffiliation") || strings.Contains(fmt.Sprint(list), "Automated") {
		t.Errorf("v1.1 mentions: %v", body)
	}

	// Taken off, it is gone.
	if err := e.srv.SetAutomated(alice.ID, false); err != nil {
		t.Fatal(err)
	}
	if u, err := c.User(ctx, alice.ID); err != nil || u.Automated() || u.Affiliation != nil {
		t.Errorf("v2 lookup after SetAutomated false: %+v %v", u, err)
	}
	var ae *APIError
	if err := e.srv.SetAutomated(999, true); !errors.As(err, &ae) || ae.Code != CodeUserNotFound {
		t.Errorf("SetAutomated of no account: %v", err)
	}
}

func TestAffiliationOnlyWhenAsked(t *testing.T) {
	e := newEnv(t, Options{AffiliationOnlyWhenAsked: true})
	if err := e.srv.SetAutomated(alice.ID, true); err != nil {
		t.Fatal(err)
	}
	if u, err := e.v2(t).User(ctx, alice.ID); err != nil || u.Affiliation != nil {
		t.Errorf("not asked, yet shown: %+v %v", u, err)
	}
	for id, want := range map[int64]any{alice.ID: map[string]any{"description": "Automated"}, bob.ID: nil} {
		status, body := e.rawV2(t, "GET", fmt.Sprintf("users/%d?user.fields=affiliation", id), "", "")
		data, _ := body["data"].(map[string]any)
		if status != 200 || fmt.Sprint(data["affiliation"]) != fmt.Sprint(want) {
			t.Errorf("user %d asked: %d %v, want affiliation %v", id, status, body, want)
		}
	}
}

func TestV1UsersShow(t *testing.T) {
	e := newEnv(t, Options{RateLimits: map[string]int{"users/show": 2}})
	last := e.mustPost(t, alice.ID, "my #latest", TweetOptions{})
	u, resp, err := e.client.Users.Show(&twitter.UserShowParams{UserID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != alice.ID || u.IDStr != idStr(alice.ID) || u.ScreenName != alice.ScreenName || u.Name != alice.Name ||
		u.Status == nil || u.Status.ID != last.ID || u.StatusesCount != 1 {
		t.Errorf("user = %+v (status %+v)", u, u.Status)
	}
	if h := resp.Header; h.Get("x-rate-limit-limit") != "2" || h.Get("x-rate-limit-remaining") != "1" {
		t.Errorf("headers = %v", h)
	}
	_, resp, err = e.client.Users.Show(&twitter.UserShowParams{UserID: 999})
	wantCode(t, resp, err, http.StatusNotFound, CodeUserNotFound)
	_, resp, err = e.client.Users.Show(&twitter.UserShowParams{UserID: bob.ID})
	wantCode(t, resp, err, http.StatusTooManyRequests, CodeRateLimitExceeded)
	e.clock.Advance(RateLimitWindow)
	if u, _, err := e.client.Users.Show(&twitter.UserShowParams{ScreenName: "BOB_2"}); err != nil || u.ID != bob.ID {
		t.Errorf("by screen name: %+v %v", u, err)
	}
}

func TestV1UsersShowDefaultLimit(t *testing.T) {
	e := newEnv(t, Options{})
	_, resp, err := e.client.Users.Show(&twitter.UserShowParams{UserID: alice.ID})
	if err != nil || resp.Header.Get("x-rate-limit-limit") != "900" {
		t.Errorf("users/show: %v %v", resp.Header, err)
	}
}

func TestV2UserLookup(t *testing.T) {
	e := newEnv(t, Options{})
	made := time.Date(2023, 7, 4, 1, 2, 3, 0, time.UTC)
	if err := e.srv.SetAccountCreatedAt(bob.ID, made); err != nil {
		t.Fatal(err)
	}
	c := e.v2(t)
	u, err := c.User(ctx, bob.ID)
	if err != nil || u.ID != bob.ID || u.Username != bob.ScreenName || u.Name != bob.Name || !u.CreatedAt.Equal(made) || u.Affiliation != nil {
		t.Errorf("lookup = %+v %v", u, err)
	}
	if rl, ok := c.RateLimit(twitterv2.EndpointUser); !ok || rl.Limit != 900 || rl.Remaining != 899 {
		t.Errorf("rate limit = %+v %v, want 900", rl, ok)
	}
	reqs := e.srv.Requests()
	if r := reqs[len(reqs)-1]; r.Endpoint != "GET 2/users/:id" || r.Query.Get("user.fields") != "created_at,username" || len(r.Query) != 1 {
		t.Errorf("request = %+v", r)
	}
	// Only the fields asked for appear.
	status, body := e.rawV2(t, "GET", fmt.Sprintf("users/%d", bob.ID), "", "")
	if data, _ := body["data"].(map[string]any); status != 200 || len(data) != 3 || data["username"] != "Bob_2" || data["name"] != "Bob" {
		t.Errorf("no fields asked: %d %v", status, body)
	}
	// users/me is still the bot, not a user called "me".
	if me, err := c.Me(ctx); err != nil || me.ID != e.bot.ID {
		t.Errorf("me = %+v %v", me, err)
	}

	// No such account: 200 with no data and only a not-found error.
	status, body = e.rawV2(t, "GET", "users/999?user.fields=created_at,username", "", "")
	errs, _ := body["errors"].([]any)
	if status != 200 || body["data"] != nil || len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]), "Could not find user with id: [999].") {
		t.Errorf("unknown id: %d %v", status, body)
	}
	_, err = c.User(ctx, 999)
	if ae := wantAPIStatus(t, err, 200); !twitterv2.IsNotFound(err) || len(ae.Errors) != 1 || ae.Errors[0].ResourceID != "999" || ae.Type != ProblemResourceNotFound {
		t.Errorf("client on an unknown id: %+v", err)
	}

	for _, tc := range []struct{ name, path, message string }{
		{"path id not an id", "users/abc", "The `id` query parameter value [abc]"},
		{"unknown parameter", "users/1001?max_results=5", "The query parameter [max_results] is not one of ["},
		{"unknown user field", "users/1001?user.fields=age", "The `user.fields` query parameter value [age] is not one of ["},
		{"user field X knows", "users/1001?user.fields=public_metrics", "twitteremu does not emulate the `user.fields` query parameter value [public_metrics]"},
		{"expansion X knows", "users/1001?expansions=pinned_tweet_id", "twitteremu does not emulate the `expansions` query parameter value [pinned_tweet_id]"},
	} {
		status, body := e.rawV2(t, "GET", tc.path, "", "")
		if status != 400 || !strings.Contains(firstErrorMessage(body), tc.message) {
			t.Errorf("%s: %d %v", tc.name, status, body)
		}
	}

	// A fault names the route by its pattern or its path.
	e.srv.InjectFault(Fault{Endpoint: "GET /2/users/1001", Status: 503})
	_, err = c.User(ctx, alice.ID)
	wantAPIStatus(t, err, 503)
	if me, err := c.Me(ctx); err != nil || me.ID != e.bot.ID {
		t.Errorf("a users/:id fault hit users/me: %v", err)
	}
}

func TestV2UserNotFoundAs404(t *testing.T) {
	e := newEnv(t, Options{UserNotFoundAs404: true})
	status, body := e.rawV2(t, "GET", "users/999", "", "")
	if status != 404 || body["type"] != ProblemResourceNotFound || body["detail"] != "Could not find user with id: [999]." {
		t.Errorf("unknown id: %d %v", status, body)
	}
	_, err := e.v2(t).User(ctx, 999)
	if wantAPIStatus(t, err, 404); !twitterv2.IsNotFound(err) {
		t.Errorf("client: %v", err)
	}
}
