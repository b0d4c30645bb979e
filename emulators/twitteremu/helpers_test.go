package twitteremu

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/internal/testkit"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/dghubble/oauth1"
)

type fakeClock = testkit.Clock

var (
	alice = User{ID: 1001, ScreenName: "alice", Name: "Alice"}
	bob   = User{ID: 1002, ScreenName: "Bob_2", Name: "Bob"}
)

// env is a started emulator, its clock and a go-twitter client signed with
// the bot's credentials.
type env struct {
	srv    *Server
	clock  *fakeClock
	client *twitter.Client
	base   string
	bot    User
}

const (
	testConsumerKey    = "ck-test"
	testConsumerSecret = "cs-test&/+="
	testAccessToken    = "at-test"
	testAccessSecret   = "as-test ~!"
)

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	clock := testkit.NewClock(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC))
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	opts.ConsumerKey, opts.ConsumerSecret = testConsumerKey, testConsumerSecret
	opts.AccessToken, opts.AccessSecret = testAccessToken, testAccessSecret
	s := New(opts)
	base, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	s.AddUser(alice)
	s.AddUser(bob)
	return &env{
		srv: s, clock: clock, base: base, bot: s.Bot(),
		client: newClient(base, testConsumerKey, testConsumerSecret, testAccessToken, testAccessSecret, 0),
	}
}

// rewriteTransport sends go-twitter's requests (always addressed to
// api.twitter.com) to the emulator. It runs before oauth1's transport, so
// the signature covers the URL the emulator receives, as it must for a bot
// configured with the emulator's base URL.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (rt *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r2 := req.Clone(req.Context())
	r2.URL.Scheme = rt.base.Scheme
	r2.URL.Host = rt.base.Host
	r2.URL.Path = rt.base.Path + strings.TrimPrefix(req.URL.Path, "/1.1/")
	r2.URL.RawPath = ""
	r2.Host = ""
	return rt.next.RoundTrip(r2)
}

func newHTTPClient(base, ck, cs, at, as string, timeout time.Duration) *http.Client {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	hc := oauth1.NewConfig(ck, cs).Client(context.Background(), oauth1.NewToken(at, as))
	hc.Transport = &rewriteTransport{base: u, next: hc.Transport}
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	hc.Timeout = timeout
	return hc
}

func newClient(base, ck, cs, at, as string, timeout time.Duration) *twitter.Client {
	return twitter.NewClient(newHTTPClient(base, ck, cs, at, as, timeout))
}

// apiError returns the go-twitter APIError in err, failing the test if
// there is none.
func apiError(t *testing.T, err error) twitter.ErrorDetail {
	t.Helper()
	var ae twitter.APIError
	if !errors.As(err, &ae) || ae.Empty() {
		t.Fatalf("want a twitter.APIError, got %v (%T)", err, err)
	}
	return ae.Errors[0]
}

func wantCode(t *testing.T, resp *http.Response, err error, status, code int) {
	t.Helper()
	if resp == nil {
		t.Fatalf("no response, err %v", err)
	}
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d", resp.StatusCode, status)
	}
	if got := apiError(t, err).Code; got != code {
		t.Errorf("code = %d, want %d", got, code)
	}
}

// mustPost posts as a user through the Go API.
func (e *env) mustPost(t *testing.T, author int64, text string, opt TweetOptions) Tweet {
	t.Helper()
	tw, err := e.srv.PostTweet(author, text, opt)
	if err != nil {
		t.Fatalf("PostTweet(%d, %q): %v", author, text, err)
	}
	return tw
}

func ids(ts []twitter.Tweet) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
