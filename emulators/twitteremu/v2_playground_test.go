package twitteremu

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestV2PlaygroundRefusalsAre400s: with ReplyGoneAs400 and TooLongAs400 the
// emulator answers as X's own emulator (xdevplatform/playground) does: a
// reply to a deleted or unknown post, and a text too long, are 400 invalid
// requests with the playground's details, and nothing is posted.
func TestV2PlaygroundRefusalsAre400s(t *testing.T) {
	e := newEnv(t, Options{ReplyGoneAs400: true, TooLongAs400: true})
	mention := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	if err := e.srv.DeleteTweet(mention.ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, body, detail string }{
		{"reply to a deleted post", fmt.Sprintf(`{"text":"receipt","reply":{"in_reply_to_tweet_id":"%d"}}`, mention.ID), DetailReplyInvalid},
		{"reply to an unknown post", `{"text":"receipt","reply":{"in_reply_to_tweet_id":"12345"}}`, DetailReplyInvalid},
		{"text too long", fmt.Sprintf(`{"text":%q}`, strings.Repeat("a", 281)), DetailTextTooLong},
	} {
		status, body := e.rawV2(t, "POST", "tweets", "application/json", tc.body)
		if status != http.StatusBadRequest || body["type"] != ProblemInvalidRequest || body["title"] != "Invalid Request" || body["detail"] != tc.detail {
			t.Errorf("%s: %d %v", tc.name, status, body)
		}
	}
	if mine := e.srv.TweetsBy(e.bot.ID); len(mine) != 0 {
		t.Errorf("a refused post was made: %+v", mine)
	}
}

// TestV2DefaultRefusalsAreTheLiveAPIs: without the playground's modes, a
// reply to a deleted post is a 404 and a text too long a 403, as on X.
func TestV2DefaultRefusalsAreTheLiveAPIs(t *testing.T) {
	e := newEnv(t, Options{})
	status, body := e.rawV2(t, "POST", "tweets", "application/json", `{"text":"receipt","reply":{"in_reply_to_tweet_id":"12345"}}`)
	if status != http.StatusNotFound || body["type"] != ProblemResourceNotFound {
		t.Errorf("reply to an unknown post: %d %v", status, body)
	}
	status, body = e.rawV2(t, "POST", "tweets", "application/json", fmt.Sprintf(`{"text":%q}`, strings.Repeat("a", 281)))
	if detail, _ := body["detail"].(string); status != http.StatusForbidden || !strings.Contains(detail, "too long") {
		t.Errorf("text too long: %d %v", status, body)
	}
}

// TestV2PostFieldsRenamesTweetFields: under OpenAPI 2.167's naming
// (Options.PostFields) tweet.fields is an unknown parameter, refused as X
// refuses any, and post.fields takes the same values and renders them;
// SetPostFields goes back and forth while the server runs.
func TestV2PostFieldsRenamesTweetFields(t *testing.T) {
	e := newEnv(t, Options{PostFields: true})
	e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	for _, route := range []string{fmt.Sprintf("users/%d/mentions", e.bot.ID), fmt.Sprintf("users/%d/tweets", e.bot.ID), "users/me", "dm_events"} {
		status, body := e.rawV2(t, "GET", route+"?tweet.fields=created_at,author_id", "", "")
		msg := firstErrorMessage(body)
		if status != http.StatusBadRequest || body["type"] != ProblemInvalidRequest || !strings.HasPrefix(msg, "The query parameter [tweet.fields] is not one of [") || !strings.Contains(msg, "post.fields") {
			t.Errorf("%s with tweet.fields: %d %v", route, status, body)
		}
		errs, _ := body["errors"].([]any)
		entry, _ := errs[0].(map[string]any)
		params, _ := entry["parameters"].(map[string]any)
		if _, named := params["tweet.fields"]; !named {
			t.Errorf("%s: the refusal does not name tweet.fields in parameters: %v", route, body)
		}
	}
	mentions := fmt.Sprintf("users/%d/mentions?post.fields=created_at,author_id", e.bot.ID)
	status, body := e.rawV2(t, "GET", mentions, "", "")
	data, _ := body["data"].([]any)
	if status != http.StatusOK || len(data) != 1 {
		t.Fatalf("post.fields: %d %v", status, body)
	}
	if tw, _ := data[0].(map[string]any); tw["author_id"] != idStr(alice.ID) || tw["created_at"] == nil {
		t.Errorf("post.fields were not rendered: %v", tw)
	}
	if status, body := e.rawV2(t, "GET", strings.Replace(mentions, "created_at", "favourites", 1), "", ""); status != 400 ||
		!strings.Contains(firstErrorMessage(body), "The `post.fields` query parameter value [favourites] is not one of [") {
		t.Errorf("post.fields with an unknown value: %d %v", status, body)
	}
	e.srv.SetPostFields(false)
	if status, body := e.rawV2(t, "GET", mentions, "", ""); status != 400 || !strings.HasPrefix(firstErrorMessage(body), "The query parameter [post.fields] is not one of [") {
		t.Errorf("post.fields on the live API's naming: %d %v", status, body)
	}
	if status, body := e.rawV2(t, "GET", strings.Replace(mentions, "post.fields", "tweet.fields", 1), "", ""); status != 200 {
		t.Errorf("tweet.fields on the live API's naming: %d %v", status, body)
	}
}
