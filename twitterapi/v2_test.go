package twitterapi_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestV2PlaygroundAnswers drives the v2 adapter over real HTTP against the
// emulator answering as X's own emulator (xdevplatform/playground) and its
// OpenAPI 2.167 do: a reply to a deleted post refused 400 "Your reply
// tweet ID is invalid." is a reply to a deleted tweet (kind gone), a text
// refused 400 for exceeding the maximum length is too long, and mentions
// read under post.fields arrive whole.
func TestV2PlaygroundAnswers(t *testing.T) {
	srv := twitteremu.New(twitteremu.Options{Bot: benchBot, ReplyGoneAs400: true, TooLongAs400: true, PostFields: true})
	srv.AddUser(benchAlice)
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	a, err := twitterapi.NewV2(twitterapi.Config{APIURL: srv.URLv2(), ConsumerKey: "consumer-key", ConsumerSecret: "consumer-secret",
		AccessToken: "access-token", AccessSecret: "access-secret", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	buy, err := srv.PostTweet(benchAlice.ID, "@AmexOffers #BuyGiftCard", twitteremu.TweetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	page, err := a.Mentions(0, "")
	if err != nil || len(page.Tweets) != 1 || page.Tweets[0].UserID != benchAlice.ID || page.Tweets[0].ScreenName != benchAlice.ScreenName {
		t.Fatalf("mentions under post.fields: %+v %v", page, err)
	}

	if err := srv.DeleteTweet(buy.ID); err != nil {
		t.Fatal(err)
	}
	_, err = a.Post("@alice Done!", buy.ID)
	wantRefusal(t, "reply to a deleted post", err, 400, twitterapi.KindGone)
	_, err = a.Post(strings.Repeat("a", 281), 0)
	wantRefusal(t, "text too long", err, 400, twitterapi.KindTooLong)
	if mine := srv.TweetsBy(benchBot.ID); len(mine) != 0 {
		t.Errorf("posted: %+v", mine)
	}
}

// wantRefusal checks that err is an answer of that status, classified as
// kind without a v1.1 code.
func wantRefusal(t *testing.T, what string, err error, status int, kind twitterapi.Kind) {
	t.Helper()
	var e *twitterapi.Error
	if !errors.As(err, &e) || e.Status != status || e.Code != 0 || twitterapi.Classify(err) != kind {
		t.Errorf("%s: %v (kind %v), want %d of kind %v", what, err, twitterapi.Classify(err), status, kind)
	}
}
