package twitterv2_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/twitterv2"
)

var ctx = context.Background()

var alice = twitteremu.User{ID: 1001, ScreenName: "alice", Name: "Alice"}

// start runs an emulator and returns it with a client on its v2 base.
func start(t testing.TB, opts twitteremu.Options, log *slog.Logger) (*twitteremu.Server, *twitterv2.Client) {
	t.Helper()
	srv := twitteremu.New(opts)
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddUser(alice)
	c, err := twitterv2.New(twitterv2.Config{
		BaseURL:     strings.TrimSuffix(srv.URLv2(), "/"), // the missing "/" is added
		ConsumerKey: "consumer-key", ConsumerSecret: "consumer-secret",
		AccessToken: "access-token", AccessSecret: "access-secret",
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestNewRefusesBadConfig(t *testing.T) {
	good := twitterv2.Config{BaseURL: "https://api.x.com/2/", ConsumerKey: "a", ConsumerSecret: "b", AccessToken: "c", AccessSecret: "d"}
	if _, err := twitterv2.New(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, mod := range map[string]func(*twitterv2.Config){
		"relative URL":    func(c *twitterv2.Config) { c.BaseURL = "api.x.com/2/" },
		"other scheme":    func(c *twitterv2.Config) { c.BaseURL = "ftp://api.x.com/2/" },
		"empty URL":       func(c *twitterv2.Config) { c.BaseURL = "" },
		"no access token": func(c *twitterv2.Config) { c.AccessToken = "" },
		"no consumer key": func(c *twitterv2.Config) { c.ConsumerKey = "" },
	} {
		cfg := good
		mod(&cfg)
		if _, err := twitterv2.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPredicatesSeeThroughWrappingAndSayWhat(t *testing.T) {
	srv, c := start(t, twitteremu.Options{}, nil)
	if _, err := c.PostTweet(ctx, "once", 0); err != nil {
		t.Fatal(err)
	}
	_, err := c.PostTweet(ctx, "once", 0)
	wrapped := fmt.Errorf("posting receipt: %w", err)
	if !twitterv2.IsDuplicate(wrapped) || !twitterv2.IsForbidden(wrapped) || twitterv2.IsReplyNotAllowed(wrapped) {
		t.Errorf("wrapped duplicate: %v", wrapped)
	}
	for _, want := range []string{"POST tweets", "403", twitteremu.DetailDuplicate} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err.Error(), want)
		}
	}
	var ae *twitterv2.APIError
	if !errors.As(wrapped, &ae) || ae.Endpoint != twitterv2.EndpointPostTweet || !strings.Contains(ae.Body, "duplicate") {
		t.Errorf("APIError = %+v", ae)
	}
	// Not an API error: every status predicate is false.
	other := errors.New("disk full")
	for name, p := range map[string]func(error) bool{
		"dup": twitterv2.IsDuplicate, "reply": twitterv2.IsReplyNotAllowed, "404": twitterv2.IsNotFound,
		"401": twitterv2.IsUnauthorized, "429": twitterv2.IsRateLimited, "cap": twitterv2.IsUsageCapped,
		"402": twitterv2.IsCreditsExhausted, "5xx": twitterv2.IsServerError, "400": twitterv2.IsBadRequest,
		"transport": twitterv2.IsTransport, "malformed": twitterv2.IsMalformed,
	} {
		if p(other) || p(nil) {
			t.Errorf("%s is true of a plain error", name)
		}
	}
	if _, ok := twitterv2.RetryAt(other); ok {
		t.Error("RetryAt of a plain error")
	}
	srv.Close()
	_, err = c.Me(ctx)
	var te *twitterv2.TransportError
	if !errors.As(err, &te) || te.Endpoint != twitterv2.EndpointMe || !strings.Contains(err.Error(), "GET users/me") {
		t.Errorf("closed server: %v", err)
	}
}

// TestPartialErrorsAndSkippedEntriesAreLogged reads pages that carry
// partial errors and a malformed entry, of posts and of DM events: each
// is logged, the entry skipped and counted, and the page kept.
func TestPartialErrorsAndSkippedEntriesAreLogged(t *testing.T) {
	var buf testkit.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	srv, c := start(t, twitteremu.Options{}, log)
	page, err := c.Mentions(ctx, 999, twitterv2.TimelineParams{})
	if err != nil || len(page.Errors) != 1 || page.Errors[0].Title != "Not Found Error" {
		t.Fatalf("unknown user: %+v %v", page, err)
	}
	if !strings.Contains(buf.String(), "partial errors") || !strings.Contains(buf.String(), "Could not find user with id: [999].") {
		t.Errorf("log = %q", buf.String())
	}
	if _, err := srv.PostTweet(alice.ID, "@PayByTweet hi", twitteremu.TweetOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(twitteremu.Fault{Endpoint: "GET 2/users/:id/mentions", BadEntry: true})
	page, err = c.Mentions(ctx, srv.Bot().ID, twitterv2.TimelineParams{})
	if err != nil || page.Skipped != 1 || len(page.Tweets) != 0 || page.Meta.ResultCount != 1 {
		t.Fatalf("bad entry: %+v %v", page, err)
	}
	if !strings.Contains(buf.String(), "malformed post skipped") || !strings.Contains(buf.String(), "not-a-number") {
		t.Errorf("log = %q", buf.String())
	}
	// DM events go through the same page decoder: the malformed newest is
	// skipped and logged, the one before it kept with its sender's name.
	for _, text := range []string{"first", "second"} {
		if _, err := srv.SendDM(alice.ID, srv.Bot().ID, text); err != nil {
			t.Fatal(err)
		}
	}
	srv.InjectFault(twitteremu.Fault{Endpoint: "GET 2/dm_events", BadEntry: true})
	dms, err := c.DMEvents(ctx, twitterv2.DMParams{})
	if err != nil || dms.Skipped != 1 || len(dms.Events) != 1 || dms.Events[0].Text != "first" || dms.Events[0].SenderUsername != alice.ScreenName {
		t.Fatalf("bad DM event: %+v %v", dms, err)
	}
	if !strings.Contains(buf.String(), "malformed DM event skipped") {
		t.Errorf("log = %q", buf.String())
	}
}

func TestConcurrentCallsShareTheRateTracker(t *testing.T) {
	srv, c := start(t, twitteremu.Options{}, nil)
	done := make(chan error)
	for range 8 {
		go func() {
			_, err := c.Mentions(ctx, srv.Bot().ID, twitterv2.TimelineParams{})
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	rl, ok := c.RateLimit(twitterv2.EndpointMentions)
	if !ok || rl.Limit != 300 || rl.Remaining < 292 || rl.Remaining > 299 {
		t.Errorf("after 8 calls: %+v %v", rl, ok)
	}
}
