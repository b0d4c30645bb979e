package twitteremu

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/twitterv2"
)

func TestV2RefusesUnknownParametersFieldsAndExpansions(t *testing.T) {
	e := newEnv(t, Options{})
	mentions := fmt.Sprintf("users/%d/mentions", e.bot.ID)
	for _, tc := range []struct{ name, path, message string }{
		{"unknown parameter", mentions + "?count=20", "The query parameter [count] is not one of ["},
		{"unknown field", mentions + "?tweet.fields=author_id,favourites", "The `tweet.fields` query parameter value [favourites] is not one of ["},
		{"field X knows", mentions + "?tweet.fields=public_metrics", "twitteremu does not emulate the `tweet.fields` query parameter value [public_metrics]"},
		{"unknown expansion", mentions + "?expansions=author", "The `expansions` query parameter value [author] is not one of ["},
		{"max_results too big", mentions + "?max_results=200", "The `max_results` query parameter value [200] is not between 5 and 100"},
		{"max_results too small", mentions + "?max_results=4", "is not between 5 and 100"},
		{"since_id not an id", mentions + "?since_id=12a", "does not match ^[0-9]{1,19}$"},
		{"bad token", mentions + "?pagination_token=zz!", "The `pagination_token` query parameter value [zz!] is not valid"},
		{"path id not an id", "users/abc/mentions", "The `id` query parameter value [abc]"},
		{"dm since_id", "dm_events?since_id=5", "The query parameter [since_id] is not one of ["},
		{"dm max_results", "dm_events?max_results=0", "is not between 1 and 100"},
		{"dm field", "dm_events?dm_event.fields=sender", "The `dm_event.fields` query parameter value [sender] is not one of ["},
		{"until_id on me", "users/me?until_id=5", "The query parameter [until_id] is not one of ["},
	} {
		status, body := e.rawV2(t, "GET", tc.path, "", "")
		if status != 400 || body["type"] != ProblemInvalidRequest || body["title"] != "Invalid Request" || !strings.Contains(firstErrorMessage(body), tc.message) {
			t.Errorf("%s: %d %v", tc.name, status, body)
		}
	}
	// The client's own requests pass: every field it asks for is known.
	c := e.v2(t)
	if _, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{MaxResults: 5}); err != nil {
		t.Errorf("client mentions: %v", err)
	}
	if _, err := c.DMEvents(ctx, twitterv2.DMParams{MaxResults: 1}); err != nil {
		t.Errorf("client dm_events: %v", err)
	}
	_, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{MaxResults: 101})
	if ae := wantAPIStatus(t, err, 400); !twitterv2.IsBadRequest(err) || len(ae.Errors) != 1 || ae.Errors[0].Parameters["max_results"][0] != "101" {
		t.Errorf("client max_results 101: %v", err)
	}
}

func TestV2TokenOfAnotherEndpointIsRefused(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 6 {
		e.mustPost(t, e.bot.ID, fmt.Sprintf("receipt %d", i), TweetOptions{})
	}
	c := e.v2(t)
	page, err := c.UserTweets(ctx, e.bot.ID, twitterv2.TimelineParams{MaxResults: 5})
	if err != nil || page.Meta.NextToken == "" {
		t.Fatalf("user tweets: %+v %v", page.Meta, err)
	}
	_, err = c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{PaginationToken: page.Meta.NextToken})
	wantAPIStatus(t, err, 400)
	_, err = c.DMEvents(ctx, twitterv2.DMParams{PaginationToken: page.Meta.NextToken})
	wantAPIStatus(t, err, 400)
}

func TestV2AuthFailuresAre401Problems(t *testing.T) {
	e := newEnv(t, Options{})
	for name, c := range map[string]*twitterv2.Client{
		"wrong consumer secret": newV2Client(t, e, testConsumerKey, "nope", testAccessToken, testAccessSecret, 0),
		"wrong access token":    newV2Client(t, e, testConsumerKey, testConsumerSecret, "other", testAccessSecret, 0),
	} {
		_, err := c.Me(ctx)
		ae := wantAPIStatus(t, err, http.StatusUnauthorized)
		if !twitterv2.IsUnauthorized(err) || ae.Title != "Unauthorized" || ae.Type != "about:blank" {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := c.PostTweet(ctx, "should not post", 0); !twitterv2.IsUnauthorized(err) {
			t.Errorf("%s post: %v", name, err)
		}
	}
	// Revoked: the bot's own client is refused from then on.
	c := e.v2(t)
	if _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	e.srv.SetCredentials("new-token", "new-secret")
	if _, err := c.SendDM(ctx, alice.ID, "hi"); !twitterv2.IsUnauthorized(err) {
		t.Errorf("revoked: %v", err)
	}
	if len(e.srv.TweetsBy(e.bot.ID)) != 0 || len(e.srv.DMs()) != 0 {
		t.Error("an unauthenticated request did work")
	}
	// Unknown v2 paths are 404 problems.
	status, body := e.rawV2(t, "GET", "users/by/username/alice", "", "")
	if status != 404 || body["type"] != ProblemResourceNotFound {
		t.Errorf("unknown path: %d %v", status, body)
	}
}
