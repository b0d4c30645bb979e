package twitteremu

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/dghubble/go-twitter/twitter"
)

func TestRateLimitHeadersAnd429ThenReset(t *testing.T) {
	e := newEnv(t, Options{RateLimits: map[string]int{"statuses/mentions_timeline": 3}})
	start := e.clock.Now()
	wantReset := strconv.FormatInt(start.Add(15*time.Minute).Unix(), 10)
	for i := range 3 {
		_, resp, err := e.client.Timelines.MentionTimeline(nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		h := resp.Header
		if h.Get("x-rate-limit-limit") != "3" || h.Get("x-rate-limit-remaining") != strconv.Itoa(2-i) || h.Get("x-rate-limit-reset") != wantReset {
			t.Errorf("request %d headers: limit %s remaining %s reset %s", i,
				h.Get("x-rate-limit-limit"), h.Get("x-rate-limit-remaining"), h.Get("x-rate-limit-reset"))
		}
		e.clock.Advance(time.Minute)
	}
	_, resp, err := e.client.Timelines.MentionTimeline(nil)
	wantCode(t, resp, err, http.StatusTooManyRequests, CodeRateLimitExceeded)
	if resp.Header.Get("x-rate-limit-remaining") != "0" || resp.Header.Get("x-rate-limit-reset") != wantReset {
		t.Errorf("429 headers: %v", resp.Header)
	}
	// Other endpoints have their own windows.
	if _, _, err := e.client.Accounts.VerifyCredentials(nil); err != nil {
		t.Errorf("verify_credentials limited by mentions' window: %v", err)
	}
	// The window ends 15 minutes after its first request.
	e.clock.Advance(12 * time.Minute)
	_, resp, err = e.client.Timelines.MentionTimeline(nil)
	if err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if resp.Header.Get("x-rate-limit-remaining") != "2" {
		t.Errorf("new window remaining = %s, want 2", resp.Header.Get("x-rate-limit-remaining"))
	}
	wantReset = strconv.FormatInt(e.clock.Now().Add(15*time.Minute).Unix(), 10)
	if resp.Header.Get("x-rate-limit-reset") != wantReset {
		t.Errorf("new window reset = %s, want %s", resp.Header.Get("x-rate-limit-reset"), wantReset)
	}
}

func TestDefaultRateLimits(t *testing.T) {
	e := newEnv(t, Options{})
	tw := e.mustPost(t, alice.ID, "x", TweetOptions{})
	dm, _ := e.srv.SendDM(alice.ID, e.bot.ID, "hi")
	checks := []struct {
		name string
		call func() (*http.Response, error)
		want string
	}{
		{"mentions", func() (*http.Response, error) { _, r, err := e.client.Timelines.MentionTimeline(nil); return r, err }, "75"},
		{"user timeline", func() (*http.Response, error) { _, r, err := e.client.Timelines.UserTimeline(nil); return r, err }, "900"},
		{"show", func() (*http.Response, error) { _, r, err := e.client.Statuses.Show(tw.ID, nil); return r, err }, "900"},
		{"verify", func() (*http.Response, error) { _, r, err := e.client.Accounts.VerifyCredentials(nil); return r, err }, "75"},
		{"dm list", func() (*http.Response, error) { _, r, err := e.client.DirectMessages.EventsList(nil); return r, err }, "15"},
		{"dm show", func() (*http.Response, error) {
			_, r, err := e.client.DirectMessages.EventsShow(idStr(dm.ID), nil)
			return r, err
		}, "15"},
	}
	for _, c := range checks {
		resp, err := c.call()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := resp.Header.Get("x-rate-limit-limit"); got != c.want {
			t.Errorf("%s: limit %s, want %s", c.name, got, c.want)
		}
	}
	// POST endpoints carry no rate-limit headers.
	_, resp, err := e.client.Statuses.Update("post", &twitter.StatusUpdateParams{})
	if err != nil || resp.Header.Get("x-rate-limit-limit") != "" {
		t.Errorf("update: %v, headers %v", err, resp.Header)
	}
}
