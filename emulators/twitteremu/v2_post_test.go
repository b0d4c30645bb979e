package twitteremu

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/twitterv2"
)

func TestV2ReplyFollowsTheSummonedRule(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	botTweet := e.mustPost(t, e.bot.ID, "our offer", TweetOptions{})
	mention := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	quote := e.mustPost(t, bob.ID, "look at this", TweetOptions{QuoteOf: botTweet.ID})
	unsummoned := e.mustPost(t, alice.ID, "just talking #BuyX", TweetOptions{})

	for name, parent := range map[string]int64{"a mention": mention.ID, "a quote of the bot": quote.ID} {
		r, err := c.PostTweet(ctx, "receipt for "+name, parent)
		if err != nil {
			t.Errorf("reply to %s: %v", name, err)
			continue
		}
		var stored Tweet
		for _, tw := range e.srv.TweetsBy(e.bot.ID) {
			if tw.ID == r.ID {
				stored = tw
			}
		}
		// v2 adds no "@user " prefix to the text.
		if stored.InReplyTo != parent || stored.Text != "receipt for "+name {
			t.Errorf("reply to %s stored as %+v", name, stored)
		}
	}

	// Neither a post that does not mention the bot nor the bot's own post
	// (X's rule has no exception for it) summons the bot.
	for name, parent := range map[string]int64{"an unsummoned post": unsummoned.ID, "the bot's own post": botTweet.ID} {
		_, err := c.PostTweet(ctx, "unasked reply", parent)
		ae := wantAPIStatus(t, err, http.StatusForbidden)
		if !twitterv2.IsReplyNotAllowed(err) || twitterv2.IsDuplicate(err) || ae.Detail != DetailReplyRefused {
			t.Errorf("reply to %s: %v", name, err)
		}
	}
	for _, tw := range e.srv.TweetsBy(e.bot.ID) {
		if tw.Text == "unasked reply" {
			t.Error("a refused reply was posted")
		}
	}

	if err := e.srv.DeleteTweet(mention.ID); err != nil {
		t.Fatal(err)
	}
	_, err := c.PostTweet(ctx, "too late", mention.ID)
	if wantAPIStatus(t, err, http.StatusNotFound); !twitterv2.IsNotFound(err) {
		t.Errorf("reply to a deleted post: %v", err)
	}
}

func TestV2SummonedRuleCanBeTurnedOff(t *testing.T) {
	e := newEnv(t, Options{NoSummonedReplyRule: true})
	parent := e.mustPost(t, alice.ID, "just talking", TweetOptions{})
	if _, err := e.v2(t).PostTweet(ctx, "unasked reply", parent.ID); err != nil {
		t.Errorf("reply with the rule off: %v", err)
	}
}

func TestV2PostRefusals(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	if _, err := c.PostTweet(ctx, "@alice paid", 0); err != nil {
		t.Fatal(err)
	}
	_, err := c.PostTweet(ctx, "@alice paid", 0)
	if ae := wantAPIStatus(t, err, 403); !twitterv2.IsDuplicate(err) || ae.Detail != DetailDuplicate || ae.Type != "about:blank" {
		t.Errorf("duplicate: %v", err)
	}
	_, err = c.PostTweet(ctx, "   ", 0)
	if wantAPIStatus(t, err, 400); !twitterv2.IsBadRequest(err) {
		t.Errorf("blank: %v", err)
	}
	_, err = c.PostTweet(ctx, strings.Repeat("x", 281), 0)
	if wantAPIStatus(t, err, 403); !twitterv2.IsForbidden(err) || twitterv2.IsDuplicate(err) || twitterv2.IsReplyNotAllowed(err) {
		t.Errorf("too long: %v", err)
	}
	if n := len(e.srv.TweetsBy(e.bot.ID)); n != 1 {
		t.Errorf("%d tweets stored, want 1", n)
	}
}

func TestV2PostNeedsJSON(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct{ name, ctype, body, detail string }{
		{"form content type", "application/x-www-form-urlencoded", `{"text":"hi"}`, "Content-Type"},
		{"no content type", "", `{"text":"hi"}`, "Content-Type"},
		{"not an object", "application/json", `["hi"]`, "JSON object"},
		{"unknown member", "application/json", `{"text":"hi","colour":"red"}`, "$.colour"},
		{"member X knows but the emulator does not", "application/json", `{"text":"hi","poll":{}}`, "does not emulate"},
		{"reply without id", "application/json", `{"text":"hi","reply":{}}`, "in_reply_to_tweet_id"},
	} {
		status, body := e.rawV2(t, "POST", "tweets", tc.ctype, tc.body)
		detail, _ := body["detail"].(string)
		if status != 400 || body["type"] != ProblemInvalidRequest || !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: %d %v", tc.name, status, body)
		}
	}
	if n := len(e.srv.TweetsBy(e.bot.ID)); n != 0 {
		t.Errorf("%d tweets stored from bad requests", n)
	}
	// The charset parameter is fine.
	if status, body := e.rawV2(t, "POST", "tweets", "application/json; charset=utf-8", `{"text":"hi"}`); status != 201 {
		t.Errorf("json with charset: %d %v", status, body)
	}
}
