package twitteremu

import (
	"fmt"
	"testing"

	"github.com/paybytweet/paybytweet/twitterv2"
)

func TestV2RateLimitHeadersAnd429(t *testing.T) {
	e := newEnv(t, Options{RateLimits: map[string]int{v2Mentions: 2}})
	c := e.v2(t)
	reset := e.clock.Now().Add(RateLimitWindow)
	for i := range 2 {
		if _, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		rl, ok := c.RateLimit(twitterv2.EndpointMentions)
		if !ok || rl.Limit != 2 || rl.Remaining != 1-i || !rl.Reset.Equal(reset) {
			t.Errorf("after call %d: %+v %v", i, rl, ok)
		}
	}
	if spent, at := c.Spent(twitterv2.EndpointMentions); !spent || !at.Equal(reset) {
		t.Errorf("Spent = %v %v", spent, at)
	}
	if spent, _ := c.Spent(twitterv2.EndpointDMEvents); spent {
		t.Error("an endpoint never called is not spent")
	}
	_, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{})
	ae := wantAPIStatus(t, err, 429)
	if !twitterv2.IsRateLimited(err) || twitterv2.IsUsageCapped(err) || ae.Title != "Too Many Requests" {
		t.Errorf("429: %v", err)
	}
	if at, ok := twitterv2.RetryAt(err); !ok || !at.Equal(reset) {
		t.Errorf("RetryAt = %v %v, want %v", at, ok, reset)
	}
	// Other endpoints have their own budgets.
	if _, err := c.UserTweets(ctx, e.bot.ID, twitterv2.TimelineParams{}); err != nil {
		t.Errorf("own tweets while mentions are limited: %v", err)
	}
	e.clock.Advance(RateLimitWindow)
	if spent, _ := c.Spent(twitterv2.EndpointMentions); spent {
		t.Error("still spent after the reset")
	}
	if _, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{}); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestV2DefaultLimitsAreTheContracts(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	if _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UserTweets(ctx, e.bot.ID, twitterv2.TimelineParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PostTweet(ctx, "hello", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DMEvents(ctx, twitterv2.DMParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendDM(ctx, alice.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	for ep, limit := range map[string]int{
		twitterv2.EndpointMe: 75, twitterv2.EndpointMentions: 300, twitterv2.EndpointUserTweets: 900,
		twitterv2.EndpointPostTweet: 100, twitterv2.EndpointDMEvents: 15, twitterv2.EndpointSendDM: 15,
	} {
		rl, ok := c.RateLimit(ep)
		if !ok || rl.Limit != limit || rl.Remaining != limit-1 {
			t.Errorf("%s: %+v %v, want limit %d", ep, rl, ok, limit)
		}
	}
}

func TestV2PostAndDMBudgets(t *testing.T) {
	e := newEnv(t, Options{
		RateLimits:  map[string]int{v2PostTweet: 2, v2SendDM: 10},
		DailyLimits: map[string]int{v2SendDM: 3},
	})
	c := e.v2(t)
	for i := range 2 {
		if _, err := c.PostTweet(ctx, fmt.Sprintf("post %d", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PostTweet(ctx, "post 2", 0); !twitterv2.IsRateLimited(err) {
		t.Errorf("third post in 15 min: %v", err)
	}
	e.clock.Advance(RateLimitWindow)
	if _, err := c.PostTweet(ctx, "post 2", 0); err != nil {
		t.Errorf("post after the window: %v", err)
	}

	start := e.clock.Now()
	for i := range 3 {
		if _, err := c.SendDM(ctx, alice.ID, fmt.Sprintf("dm %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The 24-hour window is the one spent: the reset to wait for is its end.
	_, err := c.SendDM(ctx, alice.ID, "dm 3")
	if !twitterv2.IsRateLimited(err) {
		t.Fatalf("fourth DM in 24 h: %v", err)
	}
	if at, ok := twitterv2.RetryAt(err); !ok || !at.Equal(start.Add(DailyWindow)) {
		t.Errorf("RetryAt = %v, want %v", at, start.Add(DailyWindow))
	}
	e.clock.Advance(RateLimitWindow)
	if _, err := c.SendDM(ctx, alice.ID, "dm 3"); !twitterv2.IsRateLimited(err) {
		t.Errorf("the 15-minute reset must not lift the 24-hour limit: %v", err)
	}
	e.clock.Advance(DailyWindow)
	if _, err := c.SendDM(ctx, alice.ID, "dm 3"); err != nil {
		t.Errorf("after 24 h: %v", err)
	}
	if n := len(e.srv.DMs()); n != 4 {
		t.Errorf("%d DMs stored, want 4", n)
	}
	// v1.1's budgets are its own: v2 writes did not use them up.
	if _, _, err := e.client.Statuses.Update("through v1.1", nil); err != nil {
		t.Errorf("v1.1 post: %v", err)
	}
}
