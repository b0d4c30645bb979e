package twitterv2_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/dghubble/oauth1"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterv2"
)

// The benchmarks measure what one call costs the bot, client and emulator
// together over loopback HTTP, for v2 (this client) and v1.1 (go-twitter)
// side by side: go test -run X -bench . -benchmem ./twitterv2/

const unlimited = 1 << 30

func benchOptions() twitteremu.Options {
	return twitteremu.Options{
		PostingLimit: unlimited, DMSendLimit: unlimited,
		RateLimits: map[string]int{
			"statuses/mentions_timeline": unlimited, "direct_messages/events/list": unlimited,
			"2/users/:id/mentions": unlimited, "2/tweets": unlimited, "2/dm_events": unlimited,
		},
		DailyLimits: map[string]int{"2/tweets": unlimited},
	}
}

// rewriteTransport sends go-twitter's requests, addressed to
// api.twitter.com, to the emulator, before oauth1 signs them.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (rt *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r2 := req.Clone(req.Context())
	r2.URL.Scheme, r2.URL.Host = rt.base.Scheme, rt.base.Host
	r2.URL.Path = rt.base.Path + strings.TrimPrefix(req.URL.Path, "/1.1/")
	r2.Host = ""
	return rt.next.RoundTrip(r2)
}

func goTwitter(b *testing.B, srv *twitteremu.Server) *twitter.Client {
	u, err := url.Parse(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	hc := oauth1.NewConfig("consumer-key", "consumer-secret").Client(context.Background(), oauth1.NewToken("access-token", "access-secret"))
	hc.Transport = &rewriteTransport{base: u, next: hc.Transport}
	return twitter.NewClient(hc)
}

func withMentions(b *testing.B, n int) (*twitteremu.Server, *twitterv2.Client) {
	srv, c := start(b, benchOptions(), nil)
	for i := range n {
		if _, err := srv.PostTweet(alice.ID, fmt.Sprintf("@PayByTweet #BuyX https://example.com/%d", i), twitteremu.TweetOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return srv, c
}

func BenchmarkV2MentionsPage100(b *testing.B) {
	srv, c := withMentions(b, 100)
	for b.Loop() {
		page, err := c.Mentions(ctx, srv.Bot().ID, twitterv2.TimelineParams{MaxResults: 100})
		if err != nil || len(page.Tweets) != 100 {
			b.Fatalf("%d tweets, %v", len(page.Tweets), err)
		}
	}
}

func BenchmarkV11MentionsPage100(b *testing.B) {
	srv, _ := withMentions(b, 100)
	gt := goTwitter(b, srv)
	for b.Loop() {
		ts, _, err := gt.Timelines.MentionTimeline(&twitter.MentionTimelineParams{Count: 100, TweetMode: "extended"})
		if err != nil || len(ts) != 100 {
			b.Fatalf("%d tweets, %v", len(ts), err)
		}
	}
}

func BenchmarkV2PostTweet(b *testing.B) {
	_, c := start(b, benchOptions(), nil)
	i := 0
	for b.Loop() {
		i++
		if _, err := c.PostTweet(ctx, fmt.Sprintf("@alice receipt %d", i), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkV11PostTweet(b *testing.B) {
	srv, _ := start(b, benchOptions(), nil)
	gt := goTwitter(b, srv)
	i := 0
	for b.Loop() {
		i++
		if _, _, err := gt.Statuses.Update(fmt.Sprintf("@alice receipt %d", i), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func withDMs(b *testing.B, n int) (*twitteremu.Server, *twitterv2.Client) {
	srv, c := start(b, benchOptions(), nil)
	for i := range n {
		if _, err := srv.SendDM(alice.ID, srv.Bot().ID, fmt.Sprintf("#BuyX please %d", i)); err != nil {
			b.Fatal(err)
		}
	}
	return srv, c
}

func BenchmarkV2DMEventsPage50(b *testing.B) {
	_, c := withDMs(b, 50)
	for b.Loop() {
		page, err := c.DMEvents(ctx, twitterv2.DMParams{MaxResults: 50})
		if err != nil || len(page.Events) != 50 {
			b.Fatalf("%d events, %v", len(page.Events), err)
		}
	}
}

func BenchmarkV11DMEventsPage50(b *testing.B) {
	srv, _ := withDMs(b, 50)
	gt := goTwitter(b, srv)
	for b.Loop() {
		evs, _, err := gt.DirectMessages.EventsList(&twitter.DirectMessageEventsListParams{Count: 50})
		if err != nil || len(evs.Events) != 50 {
			b.Fatalf("%v", err)
		}
	}
}
