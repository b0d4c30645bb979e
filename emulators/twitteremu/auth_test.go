package twitteremu

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/dghubble/oauth1"
)

func TestVerifyCredentials(t *testing.T) {
	e := newEnv(t, Options{})
	u, resp, err := e.client.Accounts.VerifyCredentials(nil)
	if err != nil {
		t.Fatalf("VerifyCredentials: %v", err)
	}
	if u.ID != e.bot.ID || u.IDStr != strconv.FormatInt(e.bot.ID, 10) || u.ScreenName != "PayByTweet" {
		t.Errorf("user = %d %q %q, want the bot", u.ID, u.IDStr, u.ScreenName)
	}
	if got := resp.Header.Get("x-rate-limit-limit"); got != "75" {
		t.Errorf("x-rate-limit-limit = %q, want 75", got)
	}
}

func TestBadSignatureIsRefusedWithCode32(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name           string
		ck, cs, at, as string
	}{
		{"wrong consumer secret", testConsumerKey, "nope", testAccessToken, testAccessSecret},
		{"wrong access secret", testConsumerKey, testConsumerSecret, testAccessToken, "nope"},
		{"wrong consumer key", "other", testConsumerSecret, testAccessToken, testAccessSecret},
		{"wrong token", testConsumerKey, testConsumerSecret, "other", testAccessSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(e.base, tt.ck, tt.cs, tt.at, tt.as, 0)
			_, resp, err := c.Accounts.VerifyCredentials(nil)
			wantCode(t, resp, err, http.StatusUnauthorized, CodeCouldNotAuthenticate)
			_, resp, err = c.Statuses.Update("signed badly", nil)
			wantCode(t, resp, err, http.StatusUnauthorized, CodeCouldNotAuthenticate)
		})
	}
	if n := len(e.srv.TweetsBy(e.bot.ID)); n != 0 {
		t.Errorf("bot has %d tweets after refused posts", n)
	}
}

func TestUnsignedRequestIsRefused(t *testing.T) {
	e := newEnv(t, Options{})
	resp, err := http.Get(e.base + "account/verify_credentials.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Errors []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 || len(body.Errors) != 1 || body.Errors[0].Code != 32 || body.Errors[0].Message != "Could not authenticate you." {
		t.Errorf("got %d %+v", resp.StatusCode, body)
	}
}

func TestSetCredentialsRevokesOldToken(t *testing.T) {
	e := newEnv(t, Options{})
	if _, _, err := e.client.Accounts.VerifyCredentials(nil); err != nil {
		t.Fatal(err)
	}
	e.srv.SetCredentials("new-token", "new-secret")
	_, resp, err := e.client.Accounts.VerifyCredentials(nil)
	wantCode(t, resp, err, http.StatusUnauthorized, CodeCouldNotAuthenticate)
	fresh := newClient(e.base, testConsumerKey, testConsumerSecret, "new-token", "new-secret", 0)
	if _, _, err := fresh.Accounts.VerifyCredentials(nil); err != nil {
		t.Errorf("new credentials refused: %v", err)
	}
}

// captureTransport keeps the last signed request it sent.
type captureTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	last *http.Request
}

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.last = r.Clone(r.Context())
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func TestReplayedNonceIsRefused(t *testing.T) {
	e := newEnv(t, Options{})
	hc := newHTTPClient(e.base, testConsumerKey, testConsumerSecret, testAccessToken, testAccessSecret, 0)
	// Capture the request as oauth1 signed it: wrap the transport under
	// oauth1's (the one it sends through).
	rw := hc.Transport.(*rewriteTransport)
	capture := &captureTransport{next: http.DefaultTransport}
	hc.Transport = &rewriteTransport{base: rw.base, next: withBase(rw.next, capture)}
	c := twitter.NewClient(hc)
	if _, _, err := c.Accounts.VerifyCredentials(nil); err != nil {
		t.Fatal(err)
	}
	replay, err := http.NewRequest(http.MethodGet, capture.last.URL.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	replay.Header = capture.last.Header.Clone()
	resp, err := http.DefaultClient.Do(replay)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed request answered %d, want 401", resp.StatusCode)
	}
}

// TestManySignedRequestsNeverTripNonceCheck shows that dghubble/oauth1's
// random nonces never collide, even for concurrent identical requests in
// the same second.
func TestManySignedRequestsNeverTripNonceCheck(t *testing.T) {
	e := newEnv(t, Options{RateLimits: map[string]int{"statuses/show": 100000}})
	tw := e.mustPost(t, alice.ID, "hello", TweetOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, _, err := e.client.Statuses.Show(tw.ID, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Show: %v", err)
	}
}

func TestUnknownEndpointIs404Code34(t *testing.T) {
	e := newEnv(t, Options{})
	hc := newHTTPClient(e.base, testConsumerKey, testConsumerSecret, testAccessToken, testAccessSecret, 0)
	for _, path := range []string{"statuses/home_timeline.json", "nope", "statuses/update.json"} {
		resp, err := hc.Get("https://api.twitter.com/1.1/" + path)
		if err != nil {
			t.Fatal(err)
		}
		var body errorsBody
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 404 || len(body.Errors) != 1 || body.Errors[0].Code != 34 {
			t.Errorf("GET %s: %d %+v, want 404 code 34", path, resp.StatusCode, body)
		}
	}
}

// withBase makes oauth1's transport send through base.
func withBase(rt, base http.RoundTripper) http.RoundTripper {
	ot := rt.(*oauth1.Transport)
	ot.Base = base
	return ot
}
