package twitterv2_test

// What X's own API emulator (xdevplatform/playground) and its newest
// OpenAPI file answer otherwise than the live API, made to happen by the
// project's emulator and met by the client over real HTTP.

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/twitterv2"
)

// TestReplyToAGonePostAs400IsNotFound: the playground answers a reply to a
// post that is gone 400 "Your reply tweet ID is invalid."; the client
// calls it what a 404 is (the post replied to is gone), not a bad request.
// Other 400s to a post stay bad requests.
func TestReplyToAGonePostAs400IsNotFound(t *testing.T) {
	srv, c := start(t, twitteremu.Options{ReplyGoneAs400: true}, nil)
	mention, err := srv.PostTweet(alice.ID, "@PayByTweet #BuyX", twitteremu.TweetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.DeleteTweet(mention.ID); err != nil {
		t.Fatal(err)
	}
	for name, parent := range map[string]int64{"deleted": mention.ID, "never existed": mention.ID + 1000} {
		_, err := c.PostTweet(ctx, "receipt", parent)
		var ae *twitterv2.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Detail != twitteremu.DetailReplyInvalid {
			t.Fatalf("%s: want the playground's 400, got %v", name, err)
		}
		if !twitterv2.IsNotFound(err) || twitterv2.IsBadRequest(err) {
			t.Errorf("%s: IsNotFound %v, IsBadRequest %v; want the post replied to gone", name, twitterv2.IsNotFound(err), twitterv2.IsBadRequest(err))
		}
	}
	_, err = c.PostTweet(ctx, "   ", 0)
	if !twitterv2.IsBadRequest(err) || twitterv2.IsNotFound(err) {
		t.Errorf("a blank text: %v", err)
	}
}

// timelineRequests returns the fields parameter each request to a timeline
// sent ("tweet.fields" or "post.fields") and the status it got, in order.
func timelineRequests(srv *twitteremu.Server, from int) (names []string, statuses []int) {
	for _, q := range srv.Requests()[from:] {
		if q.Endpoint != "GET 2/users/:id/mentions" && q.Endpoint != "GET 2/users/:id/tweets" {
			continue
		}
		name := "none"
		for _, n := range []string{"tweet.fields", "post.fields"} {
			if q.Query.Has(n) {
				name = n
			}
		}
		names, statuses = append(names, name), append(statuses, q.Status)
	}
	return names, statuses
}

// TestTweetFieldsRefusedSwitchesToPostFields: X's OpenAPI 2.167 renames
// tweet.fields to post.fields. A client meeting a 400 that names
// tweet.fields as unknown asks again at once with post.fields, the same
// values, and keeps post.fields for every later timeline; when post.fields
// is refused in turn, it goes back the same way.
func TestTweetFieldsRefusedSwitchesToPostFields(t *testing.T) {
	var logs testkit.Buffer
	srv, c := start(t, twitteremu.Options{PostFields: true}, slog.New(slog.NewTextHandler(&logs, nil)))
	if _, err := srv.PostTweet(alice.ID, "@PayByTweet #BuyX", twitteremu.TweetOptions{}); err != nil {
		t.Fatal(err)
	}
	bot := srv.Bot().ID
	page, err := c.Mentions(ctx, bot, twitterv2.TimelineParams{})
	if err != nil {
		t.Fatalf("mentions under post.fields: %v", err)
	}
	if len(page.Tweets) != 1 || page.Tweets[0].AuthorID != alice.ID || page.Tweets[0].AuthorUsername != alice.ScreenName || page.Tweets[0].CreatedAt.IsZero() {
		t.Errorf("the fields asked for did not come: %+v", page.Tweets)
	}
	if _, err := c.UserTweets(ctx, bot, twitterv2.TimelineParams{}); err != nil {
		t.Fatalf("own tweets after the switch: %v", err)
	}
	names, statuses := timelineRequests(srv, 0)
	if strings.Join(names, " ") != "tweet.fields post.fields post.fields" || statuses[0] != 400 || statuses[1] != 200 || statuses[2] != 200 {
		t.Errorf("requests %v answered %v; want one refused tweet.fields, then post.fields only", names, statuses)
	}
	if !strings.Contains(logs.String(), "post.fields") {
		t.Errorf("the switch was not logged: %q", logs.String())
	}

	// The live API's naming again: the same way back.
	srv.SetPostFields(false)
	from := len(srv.Requests())
	if _, err := c.Mentions(ctx, bot, twitterv2.TimelineParams{}); err != nil {
		t.Fatalf("mentions back under tweet.fields: %v", err)
	}
	if _, err := c.Mentions(ctx, bot, twitterv2.TimelineParams{}); err != nil {
		t.Fatal(err)
	}
	names, statuses = timelineRequests(srv, from)
	if strings.Join(names, " ") != "post.fields tweet.fields tweet.fields" || statuses[0] != 400 {
		t.Errorf("requests %v answered %v; want one refused post.fields, then tweet.fields only", names, statuses)
	}
}

// TestOtherBadRequestsAreNotRetried: a 400 that does not name the fields
// parameter as unknown (a bad value) is returned as it is, after one
// request.
func TestOtherBadRequestsAreNotRetried(t *testing.T) {
	srv, c := start(t, twitteremu.Options{}, nil)
	_, err := c.Mentions(ctx, srv.Bot().ID, twitterv2.TimelineParams{MaxResults: 101})
	if !twitterv2.IsBadRequest(err) {
		t.Fatalf("max_results 101: %v", err)
	}
	if names, _ := timelineRequests(srv, 0); len(names) != 1 || names[0] != "tweet.fields" {
		t.Errorf("requests: %v, want the one with tweet.fields", names)
	}
}

// TestPostFieldsSwitchUnderConcurrentCalls: many timelines read at once
// from a client that has not switched yet; every one succeeds, the switch
// is made once (a second refusal does not switch back), and every request
// after them sends post.fields.
func TestPostFieldsSwitchUnderConcurrentCalls(t *testing.T) {
	srv, c := start(t, twitteremu.Options{PostFields: true}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = c.Mentions(ctx, srv.Bot().ID, twitterv2.TimelineParams{})
			} else {
				_, err = c.UserTweets(ctx, srv.Bot().ID, twitterv2.TimelineParams{})
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	from := len(srv.Requests())
	for range 3 {
		if _, err := c.Mentions(ctx, srv.Bot().ID, twitterv2.TimelineParams{}); err != nil {
			t.Fatal(err)
		}
	}
	if names, _ := timelineRequests(srv, from); strings.Join(names, " ") != "post.fields post.fields post.fields" {
		t.Errorf("after the concurrent switch: %v", names)
	}
}
