package twitteremu

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/paybytweet/paybytweet/twitterv2"
)

var ctx = context.Background()

// newV2Client returns the real v2 client on the emulator's /2/ base, signed
// with the given credentials.
func newV2Client(t *testing.T, e *env, ck, cs, at, as string, timeout time.Duration) *twitterv2.Client {
	t.Helper()
	cfg := twitterv2.Config{
		BaseURL: e.srv.URLv2(), ConsumerKey: ck, ConsumerSecret: cs, AccessToken: at, AccessSecret: as,
		Clock: e.clock.Now,
	}
	if timeout > 0 {
		cfg.HTTPClient = &http.Client{Timeout: timeout}
	}
	c, err := twitterv2.New(cfg)
	if err != nil {
		t.Fatalf("twitterv2.New: %v", err)
	}
	return c
}

// v2 returns the bot's v2 client.
func (e *env) v2(t *testing.T) *twitterv2.Client {
	t.Helper()
	return newV2Client(t, e, testConsumerKey, testConsumerSecret, testAccessToken, testAccessSecret, 0)
}

// rawV2 sends a signed request that the client would never send, and
// returns the status and decoded JSON body.
func (e *env) rawV2(t *testing.T, method, pathAndQuery, contentType, body string) (int, map[string]any) {
	t.Helper()
	hc := oauth1.NewConfig(testConsumerKey, testConsumerSecret).Client(ctx, oauth1.NewToken(testAccessToken, testAccessSecret))
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequest(method, e.srv.URLv2()+pathAndQuery, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, pathAndQuery, raw, err)
	}
	return resp.StatusCode, out
}

// firstErrorMessage is errors[0].message of a decoded problem.
func firstErrorMessage(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	m, _ := errs[0].(map[string]any)
	s, _ := m["message"].(string)
	return s
}

func v2IDs(ts []twitterv2.Tweet) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// allMentions walks every page of the bot's mentions, newest first.
func allMentions(t *testing.T, c *twitterv2.Client, bot int64, p twitterv2.TimelineParams) []int64 {
	t.Helper()
	var out []int64
	for range 1000 {
		page, err := c.Mentions(ctx, bot, p)
		if err != nil {
			t.Fatalf("Mentions: %v", err)
		}
		out = append(out, v2IDs(page.Tweets)...)
		if page.Meta.NextToken == "" {
			return out
		}
		p.PaginationToken = page.Meta.NextToken
	}
	t.Fatal("mentions paging does not end")
	return nil
}

func wantAPIStatus(t *testing.T, err error, status int) *twitterv2.APIError {
	t.Helper()
	ae, ok := err.(*twitterv2.APIError)
	if !ok {
		t.Fatalf("want *twitterv2.APIError with status %d, got %v (%T)", status, err, err)
	}
	if ae.Status != status {
		t.Errorf("status = %d, want %d (%v)", ae.Status, status, ae)
	}
	return ae
}
