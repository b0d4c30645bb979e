package twitteremu

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/dghubble/go-twitter/twitter"
	"github.com/paybytweet/paybytweet/twittertext"
)

func TestHashtagEntities(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		text string
		want []string
	}{
		{"@PayByTweet ＃ＢｕｙＫｉｎｄｌｅＦｉｒｅＨＤ", []string{"ＢｕｙＫｉｎｄｌｅＦｉｒｅＨＤ"}},
		{"@PayByTweet #buykindlefirehd", []string{"buykindlefirehd"}},
		{"@PayByTweet see https://example.com/page#BuyKindleFireHD", nil},
		{"@PayByTweet abc#BuyKindleFireHD", nil},
		{"@PayByTweet #2024", nil},
		{"@PayByTweet #BuyA #BuyB", []string{"BuyA", "BuyB"}},
	}
	for _, tt := range tests {
		m := e.mustPost(t, alice.ID, tt.text, TweetOptions{})
		got, _, err := e.client.Statuses.Show(m.ID, &twitter.StatusShowParams{TweetMode: "extended"})
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, h := range got.Entities.Hashtags {
			texts = append(texts, h.Text)
			rs := []rune(got.FullText)
			if s := string(rs[h.Indices.Start()+1 : h.Indices.End()]); s != h.Text {
				t.Errorf("%q: indices %v give %q", tt.text, h.Indices, s)
			}
		}
		if len(texts) != len(tt.want) {
			t.Errorf("%q: hashtags %q, want %q", tt.text, texts, tt.want)
			continue
		}
		for i := range texts {
			if texts[i] != tt.want[i] {
				t.Errorf("%q: hashtags %q, want %q", tt.text, texts, tt.want)
			}
		}
	}
	// Fullwidth and lowercase normalise to the offer's hashtag.
	if twittertext.NormalizeHashtag(tests[0].want[0]) != twittertext.NormalizeHashtag("BuyKindleFireHD") {
		t.Error("fullwidth hashtag does not normalise to the offer's")
	}
}

func TestMentionEntitiesResolveKnownUsersOnly(t *testing.T) {
	e := newEnv(t, Options{})
	m := e.mustPost(t, alice.ID, "@paybytweet @BOB_2 @stranger hi", TweetOptions{})
	got, _, err := e.client.Statuses.Show(m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms := got.Entities.UserMentions
	if len(ms) != 2 || ms[0].ID != e.bot.ID || ms[0].ScreenName != "PayByTweet" || ms[0].IDStr != idStr(e.bot.ID) ||
		ms[1].ID != bob.ID || ms[1].Indices != (twitter.Indices{12, 18}) {
		t.Errorf("mentions = %+v", ms)
	}
}

// TestJSONShape reads the raw JSON, so that fields go-twitter does not
// decode (is_quote_status, null in_reply_to_*) are checked too.
func TestJSONShape(t *testing.T) {
	e := newEnv(t, Options{})
	orig := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	q := e.mustPost(t, bob.ID, "quoting", TweetOptions{QuoteOf: orig.ID})
	hc := newHTTPClient(e.base, testConsumerKey, testConsumerSecret, testAccessToken, testAccessSecret, 0)
	get := func(id int64) map[string]any {
		resp, err := hc.Get("https://api.twitter.com/1.1/statuses/show.json?id=" + idStr(id))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("show: %d %s", resp.StatusCode, b)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	o := get(orig.ID)
	for _, k := range []string{"in_reply_to_status_id", "in_reply_to_status_id_str", "in_reply_to_user_id", "in_reply_to_screen_name"} {
		if v, ok := o[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if o["is_quote_status"] != false || o["id_str"] != idStr(orig.ID) {
		t.Errorf("is_quote_status %v id_str %v", o["is_quote_status"], o["id_str"])
	}
	ents := o["entities"].(map[string]any)
	for _, k := range []string{"hashtags", "user_mentions", "urls", "symbols"} {
		if _, ok := ents[k].([]any); !ok {
			t.Errorf("entities.%s = %v, want an array", k, ents[k])
		}
	}
	qm := get(q.ID)
	if qm["is_quote_status"] != true || qm["quoted_status_id_str"] != idStr(orig.ID) || qm["quoted_status"] == nil {
		t.Errorf("quote: %v %v", qm["is_quote_status"], qm["quoted_status_id_str"])
	}
	if err := e.srv.DeleteTweet(orig.ID); err != nil {
		t.Fatal(err)
	}
	if qm := get(q.ID); qm["quoted_status"] != nil || qm["quoted_status_id_str"] != idStr(orig.ID) {
		t.Errorf("quote of a deleted tweet: %v", qm["quoted_status"])
	}
}
