package twitteremu

import (
	"fmt"
	"slices"
	"testing"

	"github.com/dghubble/go-twitter/twitter"
)

// pageAllMentions pages the mentions timeline back from the newest with
// max_id = oldest seen - 1, as a bot catching up would.
func pageAllMentions(t *testing.T, c *twitter.Client, sinceID int64) []int64 {
	t.Helper()
	var got []int64
	var maxID int64
	for range 100 {
		ts, _, err := c.Timelines.MentionTimeline(&twitter.MentionTimelineParams{
			Count: 200, SinceID: sinceID, MaxID: maxID, TweetMode: "extended",
		})
		if err != nil {
			t.Fatalf("MentionTimeline: %v", err)
		}
		if len(ts) == 0 {
			return got
		}
		for i := 1; i < len(ts); i++ {
			if ts[i].ID >= ts[i-1].ID {
				t.Fatalf("page not newest first: %d then %d", ts[i-1].ID, ts[i].ID)
			}
		}
		got = append(got, ids(ts)...)
		maxID = ts[len(ts)-1].ID - 1
	}
	t.Fatal("paging did not end")
	return nil
}

func TestMentionsPagingSinceAndMax(t *testing.T) {
	e := newEnv(t, Options{RateLimits: map[string]int{"statuses/mentions_timeline": 1000}})
	var want []int64
	for i := range 450 {
		tw := e.mustPost(t, alice.ID, fmt.Sprintf("@paybytweet #BuyX %d", i), TweetOptions{})
		want = append(want, tw.ID)
		if i%50 == 0 { // noise that must not show up
			e.mustPost(t, bob.ID, fmt.Sprintf("no mention %d", i), TweetOptions{})
			e.mustPost(t, bob.ID, fmt.Sprintf("@nobody_known %d", i), TweetOptions{})
		}
	}
	slices.Reverse(want)
	got := pageAllMentions(t, e.client, 0)
	if !slices.Equal(got, want) {
		t.Fatalf("paged %d mentions, want %d (first %v)", len(got), len(want), got[:min(3, len(got))])
	}

	// A poll with since_id returns only what came after, even across
	// pages, and nothing twice.
	since := want[0]
	var newer []int64
	for i := range 250 {
		newer = append(newer, e.mustPost(t, bob.ID, fmt.Sprintf("@PAYBYTWEET again %d", i), TweetOptions{}).ID)
	}
	slices.Reverse(newer)
	if got := pageAllMentions(t, e.client, since); !slices.Equal(got, newer) {
		t.Fatalf("since_id paging got %d, want %d", len(got), len(newer))
	}

	// max_id is inclusive.
	ts, _, err := e.client.Timelines.MentionTimeline(&twitter.MentionTimelineParams{MaxID: want[10], Count: 1})
	if err != nil || len(ts) != 1 || ts[0].ID != want[10] {
		t.Errorf("max_id inclusive: %v %v", ids(ts), err)
	}
	// Default count is 20; more than 200 is 200.
	ts, _, _ = e.client.Timelines.MentionTimeline(nil)
	if len(ts) != 20 {
		t.Errorf("default page has %d tweets, want 20", len(ts))
	}
	ts, _, _ = e.client.Timelines.MentionTimeline(&twitter.MentionTimelineParams{Count: 500})
	if len(ts) != 200 {
		t.Errorf("count=500 page has %d tweets, want 200", len(ts))
	}
}

func TestMentionsCapAt800(t *testing.T) {
	e := newEnv(t, Options{RateLimits: map[string]int{"statuses/mentions_timeline": 1000}})
	var all []int64
	for i := range 1000 {
		all = append(all, e.mustPost(t, alice.ID, fmt.Sprintf("@PayByTweet n%d", i), TweetOptions{}).ID)
	}
	got := pageAllMentions(t, e.client, 0)
	if len(got) != MentionsCap {
		t.Fatalf("reached %d mentions, want %d", len(got), MentionsCap)
	}
	if oldest := got[len(got)-1]; oldest != all[200] {
		t.Errorf("oldest reachable = %d, want %d", oldest, all[200])
	}
	// since_id older than the cap does not bring the old ones back.
	if got := pageAllMentions(t, e.client, all[0]); len(got) != MentionsCap {
		t.Errorf("since_id below the cap reached %d", len(got))
	}
}

func TestMentionsLeaveOutDeletedAndIncludeRepliesRetweetsQuotes(t *testing.T) {
	e := newEnv(t, Options{})
	botTweet := e.mustPost(t, e.bot.ID, "@alice confirm with #ConfirmX", TweetOptions{})
	// A reply to the bot's Tweet gets "@PayByTweet " prefixed, as Twitter's
	// apps do, and so counts as a mention.
	reply := e.mustPost(t, alice.ID, "#ConfirmX", TweetOptions{InReplyTo: botTweet.ID})
	if reply.Text != "@PayByTweet #ConfirmX" {
		t.Errorf("reply text = %q", reply.Text)
	}
	deleted := e.mustPost(t, alice.ID, "@PayByTweet #BuyX gone", TweetOptions{})
	if err := e.srv.DeleteTweet(deleted.ID); err != nil {
		t.Fatal(err)
	}
	orig := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	rt, err := e.srv.Retweet(bob.ID, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	quote := e.mustPost(t, bob.ID, "@PayByTweet look", TweetOptions{QuoteOf: orig.ID})

	ts, _, err := e.client.Timelines.MentionTimeline(&twitter.MentionTimelineParams{TweetMode: "extended"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(ts), []int64{quote.ID, rt.ID, orig.ID, reply.ID}; !slices.Equal(got, want) {
		t.Fatalf("mentions = %v, want %v", got, want)
	}
	q, r, o, rep := ts[0], ts[1], ts[2], ts[3]
	if q.QuotedStatusID != orig.ID || q.QuotedStatusIDStr != idStr(orig.ID) || q.QuotedStatus == nil || q.QuotedStatus.ID != orig.ID {
		t.Errorf("quote fields: %d %q %v", q.QuotedStatusID, q.QuotedStatusIDStr, q.QuotedStatus)
	}
	if len(q.Entities.Hashtags) != 0 || len(q.QuotedStatus.Entities.Hashtags) != 1 {
		t.Errorf("quote's own hashtags %v, quoted's %v", q.Entities.Hashtags, q.QuotedStatus.Entities.Hashtags)
	}
	if r.RetweetedStatus == nil || r.RetweetedStatus.ID != orig.ID || r.User.ID != bob.ID {
		t.Errorf("retweet: %+v", r.RetweetedStatus)
	}
	if r.FullText != "RT @alice: @PayByTweet #BuyX" {
		t.Errorf("retweet text = %q", r.FullText)
	}
	if o.InReplyToStatusID != 0 || o.InReplyToStatusIDStr != "" || o.RetweetCount != 1 {
		t.Errorf("original: in_reply_to %d %q, retweets %d", o.InReplyToStatusID, o.InReplyToStatusIDStr, o.RetweetCount)
	}
	if rep.InReplyToStatusID != botTweet.ID || rep.InReplyToUserID != e.bot.ID || rep.InReplyToScreenName != "PayByTweet" {
		t.Errorf("reply fields: %d %d %q", rep.InReplyToStatusID, rep.InReplyToUserID, rep.InReplyToScreenName)
	}
	if rep.DisplayTextRange != (twitter.Indices{12, 21}) {
		t.Errorf("display_text_range = %v, want [12 21]", rep.DisplayTextRange)
	}
}

func TestUserTimeline(t *testing.T) {
	e := newEnv(t, Options{})
	a1 := e.mustPost(t, alice.ID, "one", TweetOptions{})
	a2 := e.mustPost(t, alice.ID, "@bob_2 two", TweetOptions{InReplyTo: a1.ID}) // self-reply: thread
	b1 := e.mustPost(t, bob.ID, "bob", TweetOptions{})
	a3, _ := e.srv.Retweet(alice.ID, b1.ID)
	a4 := e.mustPost(t, alice.ID, "four", TweetOptions{})

	ts, _, err := e.client.Timelines.UserTimeline(&twitter.UserTimelineParams{ScreenName: "ALICE"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(ts), []int64{a4.ID, a3.ID, a2.ID, a1.ID}; !slices.Equal(got, want) {
		t.Errorf("timeline = %v, want %v", got, want)
	}
	// count selects before the filters, as Twitter documents.
	ts, _, _ = e.client.Timelines.UserTimeline(&twitter.UserTimelineParams{
		UserID: alice.ID, Count: 3, ExcludeReplies: twitter.Bool(true), IncludeRetweets: twitter.Bool(false),
	})
	if got, want := ids(ts), []int64{a4.ID}; !slices.Equal(got, want) {
		t.Errorf("filtered timeline = %v, want %v", got, want)
	}
	// Default user is the authenticated one.
	e.mustPost(t, e.bot.ID, "bot says", TweetOptions{})
	ts, _, _ = e.client.Timelines.UserTimeline(nil)
	if len(ts) != 1 || ts[0].User.ID != e.bot.ID {
		t.Errorf("default timeline = %v", ids(ts))
	}
	_, resp, err := e.client.Timelines.UserTimeline(&twitter.UserTimelineParams{ScreenName: "nobody"})
	wantCode(t, resp, err, 404, CodePageNotFound)
}

func TestUserTimelineCapAt3200(t *testing.T) {
	e := newEnv(t, Options{})
	var all []int64
	for i := range 3300 {
		all = append(all, e.mustPost(t, alice.ID, fmt.Sprintf("t%d", i), TweetOptions{}).ID)
	}
	ts, _, err := e.client.Timelines.UserTimeline(&twitter.UserTimelineParams{UserID: alice.ID, Count: 200, MaxID: all[150]})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 51 || ts[len(ts)-1].ID != all[100] {
		t.Errorf("got %d tweets down to %v, want 51 down to %d", len(ts), ids(ts)[len(ts)-1:], all[100])
	}
}
