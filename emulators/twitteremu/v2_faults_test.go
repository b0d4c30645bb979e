package twitteremu

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/twitterv2"
)

func TestV2FaultUsageCappedAndCredits(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	e.srv.InjectFault(Fault{Endpoint: "POST 2/tweets", UsageCapped: true})
	_, err := c.PostTweet(ctx, "capped", 0)
	ae := wantAPIStatus(t, err, 429)
	if !twitterv2.IsUsageCapped(err) || twitterv2.IsRateLimited(err) || ae.Type != ProblemUsageCapped {
		t.Errorf("usage cap (api.twitter.com): %v", err)
	}
	if _, ok := twitterv2.RetryAt(err); !ok {
		t.Error("an injected 429 carries the window's reset")
	}
	e.srv.InjectFault(Fault{Endpoint: "GET /2/users/42/mentions", UsageCapped: true, ProblemType: "https://api.x.com/2/problems/usage-capped"})
	if _, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{}); !twitterv2.IsUsageCapped(err) {
		t.Errorf("usage cap (api.x.com, path-form endpoint): %v", err)
	}
	e.srv.InjectFault(Fault{Endpoint: "2/dm_conversations/with/:participant_id/messages", Status: 402})
	_, err = c.SendDM(ctx, alice.ID, "no credits")
	if ae := wantAPIStatus(t, err, 402); !twitterv2.IsCreditsExhausted(err) || twitterv2.IsUsageCapped(err) || ae.Title != "CreditsDepleted" {
		t.Errorf("402: %v", err)
	}
	// A 429 whose type names another host is a plain rate limit.
	e.srv.InjectFault(Fault{Endpoint: "GET 2/dm_events", UsageCapped: true, ProblemType: "https://example.com/2/problems/usage-capped"})
	if _, err := c.DMEvents(ctx, twitterv2.DMParams{}); !twitterv2.IsRateLimited(err) || twitterv2.IsUsageCapped(err) {
		t.Errorf("foreign usage-capped type: %v", err)
	}
	if len(e.srv.TweetsBy(e.bot.ID)) != 0 || len(e.srv.DMs()) != 0 {
		t.Error("a refused request did work")
	}
}

func TestV2FaultStatusAndAfterWork(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	e.srv.InjectFault(Fault{Endpoint: "POST 2/tweets", Status: 503, AfterWork: true})
	_, err := c.PostTweet(ctx, "@alice receipt A1", 0)
	ae := wantAPIStatus(t, err, 503)
	if !twitterv2.IsServerError(err) || ae.Type != "about:blank" || ae.Detail != "Service Unavailable" {
		t.Errorf("503: %v", err)
	}
	// Every v2 answer carries the rate-limit headers, an injected one too;
	// the work done before it counted.
	if ae.RateLimit.Limit != 100 || ae.RateLimit.Remaining != 99 {
		t.Errorf("503 rate limit = %+v", ae.RateLimit)
	}
	mine := e.srv.TweetsBy(e.bot.ID)
	if len(mine) != 1 || mine[0].Text != "@alice receipt A1" {
		t.Fatalf("the post should exist although the answer was 503: %+v", mine)
	}
	// The lookup that settles it finds the post; a blind retry is a duplicate.
	page, err := c.UserTweets(ctx, e.bot.ID, twitterv2.TimelineParams{})
	if err != nil || len(page.Tweets) != 1 || page.Tweets[0].ID != mine[0].ID {
		t.Errorf("lookup: %+v %v", page.Tweets, err)
	}
	if _, err := c.PostTweet(ctx, "@alice receipt A1", 0); !twitterv2.IsDuplicate(err) {
		t.Errorf("retry: %v", err)
	}
	e.srv.InjectFault(Fault{Endpoint: "GET 2/users/:id/mentions", Status: 500, Message: "boom"})
	_, err = c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{})
	if ae := wantAPIStatus(t, err, 500); ae.Detail != "boom" {
		t.Errorf("500 detail: %v", err)
	}
	// A v2 fault does not touch v1.1, nor the other way round.
	e.srv.InjectFault(Fault{Endpoint: "statuses/mentions_timeline", Status: 503})
	if _, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{}); err != nil {
		t.Errorf("v2 mentions under a v1.1 fault: %v", err)
	}
	e.srv.ClearFaults()
	// An endpoint-less fault applies to v2 too.
	e.srv.InjectFault(Fault{Status: 401})
	if _, err := c.Me(ctx); !twitterv2.IsUnauthorized(err) {
		t.Errorf("catch-all fault: %v", err)
	}
}

func TestV2FaultTransportAndMalformed(t *testing.T) {
	e := newEnv(t, Options{})
	c := newV2Client(t, e, testConsumerKey, testConsumerSecret, testAccessToken, testAccessSecret, 300*time.Millisecond)
	if _, err := c.Me(ctx); err != nil { // a warm keep-alive connection
		t.Fatal(err)
	}
	e.srv.InjectFault(Fault{Endpoint: "GET 2/users/me", Drop: true})
	if _, err := c.Me(ctx); !twitterv2.IsTransport(err) {
		t.Errorf("drop: %v", err)
	}
	e.srv.InjectFault(Fault{Endpoint: "POST 2/tweets", Delay: 2 * time.Second, AfterWork: true})
	if _, err := c.PostTweet(ctx, "slow", 0); !twitterv2.IsTransport(err) {
		t.Errorf("delay past the timeout: %v", err)
	}
	if len(e.srv.TweetsBy(e.bot.ID)) != 1 {
		t.Error("the delayed post should exist")
	}
	e.srv.InjectFault(Fault{Endpoint: "POST 2/dm_conversations/with/:participant_id/messages", Malformed: true, AfterWork: true})
	if _, err := c.SendDM(ctx, alice.ID, "half an answer"); !twitterv2.IsMalformed(err) {
		t.Errorf("malformed: %v", err)
	}
	if len(e.srv.DMs()) != 1 {
		t.Error("the DM should exist")
	}
	e.srv.InjectFault(Fault{Endpoint: "GET 2/dm_events", Status: 429, EmptyBody: true})
	_, err := c.DMEvents(ctx, twitterv2.DMParams{})
	if !twitterv2.IsRateLimited(err) {
		t.Errorf("empty 429: %v", err)
	}
	if _, ok := twitterv2.RetryAt(err); !ok {
		t.Error("empty 429 without reset")
	}
}

func TestV2FaultBadEntryIsSkipped(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	var posted []int64
	for i := range 3 {
		posted = append(posted, e.mustPost(t, alice.ID, fmt.Sprintf("@PayByTweet #BuyX %d", i), TweetOptions{}).ID)
	}
	e.srv.InjectFault(Fault{Endpoint: "GET 2/users/:id/mentions", BadEntry: true})
	page, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{})
	if err != nil {
		t.Fatalf("a malformed entry failed the page: %v", err)
	}
	if page.Skipped != 1 || len(page.Tweets) != 2 || page.Tweets[0].ID != posted[1] || page.Meta.NewestID != posted[2] {
		t.Errorf("page = %+v", page)
	}
	if _, err := e.srv.SendDM(alice.ID, e.bot.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	e.srv.InjectFault(Fault{Endpoint: "GET 2/dm_events", BadEntry: true})
	dms, err := c.DMEvents(ctx, twitterv2.DMParams{})
	if err != nil || dms.Skipped != 1 || len(dms.Events) != 0 {
		t.Errorf("dm page = %+v, %v", dms, err)
	}
	reqs := e.srv.Requests()
	if last := reqs[len(reqs)-1]; last.Endpoint != "GET 2/dm_events" || !last.Fault || last.Status != http.StatusOK {
		t.Errorf("recorded %+v", last)
	}
}

func TestFaultBadEntryOnV11Timeline(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	e.srv.InjectFault(Fault{Endpoint: "statuses/mentions_timeline", BadEntry: true})
	// go-twitter decodes ids as numbers: a string id fails its whole page.
	if _, _, err := e.client.Timelines.MentionTimeline(nil); err == nil {
		t.Error("go-twitter decoded a page whose first id is not a number")
	}
	if ts, _, err := e.client.Timelines.MentionTimeline(nil); err != nil || len(ts) != 1 {
		t.Errorf("after the fault: %d tweets, %v", len(ts), err)
	}
}

func TestFaultUsageCappedOnV11IsAPlain429(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectFault(Fault{Endpoint: "POST statuses/update", UsageCapped: true})
	_, resp, err := e.client.Statuses.Update("capped", nil)
	wantCode(t, resp, err, http.StatusTooManyRequests, CodeRateLimitExceeded)
}
