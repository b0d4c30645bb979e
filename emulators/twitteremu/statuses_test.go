package twitteremu

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/go-twitter/twitter"
)

func TestUpdateCreatesTweetByBot(t *testing.T) {
	e := newEnv(t, Options{})
	// Characters that oauth1 must percent-encode in the signed form body.
	text := "@alice Order #A1: 1 × Kindle, 99.00 EUR — confirm with #ConfirmX! (*'~) ünïcode 日本"
	tw, resp, err := e.client.Statuses.Update(text, &twitter.StatusUpdateParams{TweetMode: "extended"})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if resp.StatusCode != 200 || tw.FullText != text || tw.User.ID != e.bot.ID || tw.IDStr != idStr(tw.ID) {
		t.Errorf("got %d %q by %d", resp.StatusCode, tw.FullText, tw.User.ID)
	}
	created, err := tw.CreatedAtTime()
	if err != nil || !created.Equal(e.clock.Now()) {
		t.Errorf("created_at %q = %v, %v; want %v", tw.CreatedAt, created, err, e.clock.Now())
	}
	stored := e.srv.TweetsBy(e.bot.ID)
	if len(stored) != 1 || stored[0].ID != tw.ID || stored[0].Text != text {
		t.Errorf("stored = %+v", stored)
	}
	if got := stored[0].Hashtags; len(got) != 2 || got[0] != "A1" || got[1] != "ConfirmX" {
		t.Errorf("hashtags = %q", got)
	}
	if got := stored[0].Mentions; len(got) != 1 || got[0] != alice.ID {
		t.Errorf("mentions = %v", got)
	}
}

func TestUpdateDuplicateIs187(t *testing.T) {
	e := newEnv(t, Options{})
	if _, _, err := e.client.Statuses.Update("@alice receipt 1", nil); err != nil {
		t.Fatal(err)
	}
	_, resp, err := e.client.Statuses.Update("@alice receipt 1", nil)
	wantCode(t, resp, err, http.StatusForbidden, CodeDuplicateStatus)
	if msg := apiError(t, err).Message; msg != "Status is a duplicate." {
		t.Errorf("message = %q", msg)
	}
	// Another account may say the same; a deleted Tweet no longer counts.
	e.mustPost(t, alice.ID, "@alice receipt 1", TweetOptions{})
	bt := e.srv.TweetsBy(e.bot.ID)[0]
	if err := e.srv.DeleteTweet(bt.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.client.Statuses.Update("@alice receipt 1", nil); err != nil {
		t.Errorf("repost after delete: %v", err)
	}
}

func TestUpdateOverLengthIs186(t *testing.T) {
	e := newEnv(t, Options{})
	for _, text := range []string{strings.Repeat("a", 281), strings.Repeat("日", 141)} {
		_, resp, err := e.client.Statuses.Update(text, nil)
		wantCode(t, resp, err, http.StatusForbidden, CodeTweetTooLong)
	}
	for _, text := range []string{strings.Repeat("a", 280), strings.Repeat("日", 140),
		strings.Repeat("a", 256) + " https://example.com/" + strings.Repeat("p", 100)} {
		if _, _, err := e.client.Statuses.Update(text, nil); err != nil {
			t.Errorf("Update(%d chars): %v", len(text), err)
		}
	}
	_, resp, err := e.client.Statuses.Update("   ", nil)
	wantCode(t, resp, err, http.StatusForbidden, CodeMissingStatus)
	if _, err := e.srv.PostTweet(alice.ID, strings.Repeat("b", 281), TweetOptions{}); !isCode(err, CodeTweetTooLong) {
		t.Errorf("PostTweet over length: %v", err)
	}
}

func isCode(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

func TestReplyToDeletedOrUnknownIs385(t *testing.T) {
	e := newEnv(t, Options{})
	m := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	if err := e.srv.DeleteTweet(m.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{m.ID, m.ID + 1000} {
		_, resp, err := e.client.Statuses.Update("@alice hello", &twitter.StatusUpdateParams{InReplyToStatusID: id})
		wantCode(t, resp, err, http.StatusForbidden, CodeReplyToUnavailable)
	}
	if _, err := e.srv.PostTweet(bob.ID, "x", TweetOptions{InReplyTo: m.ID}); !isCode(err, CodeReplyToUnavailable) {
		t.Errorf("PostTweet reply to deleted: %v", err)
	}
	if err := e.srv.DeleteTweet(m.ID); !isCode(err, CodeNoStatusFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestReplyWithoutMentionIsNotAReply(t *testing.T) {
	e := newEnv(t, Options{})
	m := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	tw, _, err := e.client.Statuses.Update("Thanks for your order", &twitter.StatusUpdateParams{InReplyToStatusID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	if tw.InReplyToStatusID != 0 {
		t.Errorf("in_reply_to_status_id = %d, want none: Twitter ignores it without @alice", tw.InReplyToStatusID)
	}
	tw, _, err = e.client.Statuses.Update("@Alice thanks", &twitter.StatusUpdateParams{InReplyToStatusID: m.ID})
	if err != nil || tw.InReplyToStatusID != m.ID || tw.InReplyToUserIDStr != idStr(alice.ID) {
		t.Errorf("reply with mention: %v %d", err, tw.InReplyToStatusID)
	}
	tw, _, err = e.client.Statuses.Update("auto", &twitter.StatusUpdateParams{
		InReplyToStatusID: m.ID, AutoPopulateReplyMetadata: twitter.Bool(true), TweetMode: "extended",
	})
	if err != nil || tw.InReplyToStatusID != m.ID || tw.FullText != "@alice auto" {
		t.Errorf("auto_populate_reply_metadata: %v %d %q", err, tw.InReplyToStatusID, tw.FullText)
	}
}

func TestPostingLimitIs185(t *testing.T) {
	e := newEnv(t, Options{PostingLimit: 3, PostingWindow: time.Hour})
	for i := range 3 {
		if _, _, err := e.client.Statuses.Update(fmt.Sprintf("post %d", i), nil); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Minute)
	}
	_, resp, err := e.client.Statuses.Update("post 3", nil)
	wantCode(t, resp, err, http.StatusForbidden, CodeOverUpdateLimit)
	// The window slides: after the first post leaves it, one more fits.
	e.clock.Advance(31 * time.Minute)
	if _, _, err := e.client.Statuses.Update("post 3", nil); err != nil {
		t.Errorf("after the window slid: %v", err)
	}
	_, resp, err = e.client.Statuses.Update("post 4", nil)
	wantCode(t, resp, err, http.StatusForbidden, CodeOverUpdateLimit)
	// The Go API is not limited: it plays the cardholders.
	e.mustPost(t, e.bot.ID, "via Go API", TweetOptions{})
}

func TestShowAndDestroy(t *testing.T) {
	e := newEnv(t, Options{})
	m := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	got, _, err := e.client.Statuses.Show(m.ID, &twitter.StatusShowParams{TweetMode: "extended"})
	if err != nil || got.ID != m.ID || got.FullText != m.Text {
		t.Fatalf("Show: %v %+v", err, got)
	}
	_, resp, err := e.client.Statuses.Destroy(m.ID, nil)
	wantCode(t, resp, err, http.StatusForbidden, CodeCannotDeleteOthers)

	mine, _, _ := e.client.Statuses.Update("@alice mine", nil)
	del, _, err := e.client.Statuses.Destroy(mine.ID, nil)
	if err != nil || del.ID != mine.ID {
		t.Fatalf("Destroy: %v", err)
	}
	_, resp, err = e.client.Statuses.Show(mine.ID, nil)
	wantCode(t, resp, err, http.StatusNotFound, CodeNoStatusFound)
	_, resp, err = e.client.Statuses.Destroy(mine.ID, nil)
	wantCode(t, resp, err, http.StatusNotFound, CodeNoStatusFound)
}

func TestTextAsTwitterServesIt(t *testing.T) {
	e := newEnv(t, Options{})
	// URLs are wrapped in t.co, &<> are escaped, entities index the
	// unescaped wrapped text.
	m := e.mustPost(t, alice.ID, "@PayByTweet Q&A <3 https://shop.example.com/items/kindle-fire-hd?ref=tw #BuyKindle", TweetOptions{})
	got, _, err := e.client.Statuses.Show(m.ID, &twitter.StatusShowParams{TweetMode: "extended"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entities.Urls) != 1 {
		t.Fatalf("urls = %+v", got.Entities.Urls)
	}
	u := got.Entities.Urls[0]
	if !strings.HasPrefix(u.URL, "https://t.co/") || len(u.URL) != 23 || u.ExpandedURL != "https://shop.example.com/items/kindle-fire-hd?ref=tw" {
		t.Errorf("url entity = %+v", u)
	}
	wantText := "@PayByTweet Q&amp;A &lt;3 " + u.URL + " #BuyKindle"
	if got.FullText != wantText {
		t.Errorf("full_text = %q, want %q", got.FullText, wantText)
	}
	h := got.Entities.Hashtags[0]
	unescaped := []rune("@PayByTweet Q&A <3 " + u.URL + " #BuyKindle")
	if string(unescaped[h.Indices.Start():h.Indices.End()]) != "#BuyKindle" {
		t.Errorf("hashtag indices %v do not point at #BuyKindle", h.Indices)
	}
}

func TestCompatModeTruncatesLongTweets(t *testing.T) {
	e := newEnv(t, Options{})
	text := "@PayByTweet " + strings.Repeat("word ", 30) + "#BuyLate"
	m := e.mustPost(t, alice.ID, text, TweetOptions{})

	compat, _, err := e.client.Statuses.Show(m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !compat.Truncated || compat.FullText != "" || len([]rune(compat.Text)) > 140 {
		t.Errorf("compat: truncated=%v text %d chars, full_text %q", compat.Truncated, len([]rune(compat.Text)), compat.FullText)
	}
	if len(compat.Entities.Hashtags) != 0 {
		t.Errorf("compat mode kept hashtag past the cut: %+v", compat.Entities.Hashtags)
	}
	ext, _, _ := e.client.Statuses.Show(m.ID, &twitter.StatusShowParams{TweetMode: "extended"})
	if ext.Truncated || ext.FullText != text || len(ext.Entities.Hashtags) != 1 {
		t.Errorf("extended: truncated=%v %q %+v", ext.Truncated, ext.FullText, ext.Entities.Hashtags)
	}
}
