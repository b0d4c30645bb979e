package twitterapi_test

import (
	"fmt"
	"testing"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// The adapters' cost per call, as the bot makes it (client, conversion to
// the bot's types, emulator, loopback HTTP), v1.1 through go-twitter next
// to v2 through twitterv2:
//
//	go test -run X -bench . -benchmem ./twitterapi/

type adapter interface {
	VerifyCredentials() (twitterapi.User, error)
	Mentions(sinceID int64, token string) (twitterapi.Page, error)
	Post(text string, inReplyTo int64) (int64, error)
	DMEvents(token string) ([]twitterapi.DM, string, error)
}

const unlimited = 1 << 30

var (
	benchBot   = twitteremu.User{ID: 4294967297, ScreenName: "AmexOffers"}
	benchAlice = twitteremu.User{ID: 783214, ScreenName: "alice"}
)

// benchAdapters starts an emulator with n mentions and n DMs from alice,
// and returns an adapter of each API to it.
func benchAdapters(b *testing.B, n int) map[string]adapter {
	b.Helper()
	srv := twitteremu.New(twitteremu.Options{
		Bot: benchBot, PostingLimit: unlimited, DMSendLimit: unlimited,
		RateLimits: map[string]int{
			"statuses/mentions_timeline": unlimited, "direct_messages/events/list": unlimited, "account/verify_credentials": unlimited,
			"2/users/me": unlimited, "2/users/:id/mentions": unlimited, "2/tweets": unlimited, "2/dm_events": unlimited,
		},
		DailyLimits: map[string]int{"2/tweets": unlimited},
	})
	srv.AddUser(benchAlice)
	if _, err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	for i := range n {
		if _, err := srv.PostTweet(benchAlice.ID, fmt.Sprintf("@AmexOffers #BuyGiftCard number %d", i), twitteremu.TweetOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := srv.SendDM(benchAlice.ID, benchBot.ID, fmt.Sprintf("#BuyGiftCard number %d", i)); err != nil {
			b.Fatal(err)
		}
	}
	cfg := func(url string) twitterapi.Config {
		return twitterapi.Config{APIURL: url, ConsumerKey: "consumer-key", ConsumerSecret: "consumer-secret", AccessToken: "access-token", AccessSecret: "access-secret"}
	}
	v1, err := twitterapi.New(cfg(srv.URL()))
	if err != nil {
		b.Fatal(err)
	}
	v2, err := twitterapi.NewV2(cfg(srv.URLv2()))
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]adapter{"v1.1": v1, "v2": v2}
	for _, a := range out {
		if _, err := a.VerifyCredentials(); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

func BenchmarkMentionsPage(b *testing.B) {
	for _, api := range []string{"v1.1", "v2"} {
		a := benchAdapters(b, 100)[api]
		b.Run(api, func(b *testing.B) {
			for b.Loop() {
				if p, err := a.Mentions(0, ""); err != nil || len(p.Tweets) == 0 {
					b.Fatal(len(p.Tweets), err)
				}
			}
		})
	}
}

func BenchmarkDMEventsPage(b *testing.B) {
	for _, api := range []string{"v1.1", "v2"} {
		a := benchAdapters(b, 50)[api]
		b.Run(api, func(b *testing.B) {
			for b.Loop() {
				if evs, _, err := a.DMEvents(""); err != nil || len(evs) == 0 {
					b.Fatal(len(evs), err)
				}
			}
		})
	}
}

func BenchmarkPost(b *testing.B) {
	for _, api := range []string{"v1.1", "v2"} {
		a := benchAdapters(b, 0)[api]
		b.Run(api, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				if _, err := a.Post(fmt.Sprintf("announcement number %d of a benchmark", i), 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
