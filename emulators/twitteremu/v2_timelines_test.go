package twitteremu

import (
	"fmt"
	"slices"
	"testing"

	"github.com/dghubble/go-twitter/twitter"

	"github.com/paybytweet/paybytweet/twitterv2"
)

func TestV2MeIsTheBot(t *testing.T) {
	e := newEnv(t, Options{})
	if got := e.srv.URLv2(); got != e.base[:len(e.base)-len("1.1/")]+"2/" {
		t.Errorf("URLv2 = %q next to %q", got, e.base)
	}
	u, err := e.v2(t).Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != e.bot.ID || u.Username != e.bot.ScreenName || u.Name != e.bot.Name {
		t.Errorf("me = %+v, want %+v", u, e.bot)
	}
}

func TestV2MentionsPageNewestFirstWithSinceAndToken(t *testing.T) {
	e := newEnv(t, Options{})
	var posted []int64
	for i := range 25 {
		posted = append(posted, e.mustPost(t, alice.ID, fmt.Sprintf("@PayByTweet #BuyX n%d", i), TweetOptions{}).ID)
	}
	e.mustPost(t, alice.ID, "not a mention", TweetOptions{})
	c := e.v2(t)
	page, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{MaxResults: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(posted)
	slices.Reverse(want)
	if got := v2IDs(page.Tweets); !slices.Equal(got, want[:10]) {
		t.Fatalf("first page = %v, want %v", got, want[:10])
	}
	m := page.Meta
	if m.ResultCount != 10 || m.NewestID != want[0] || m.OldestID != want[9] || m.NextToken == "" {
		t.Errorf("meta = %+v", m)
	}
	if got := allMentions(t, c, e.bot.ID, twitterv2.TimelineParams{MaxResults: 10}); !slices.Equal(got, want) {
		t.Errorf("all pages = %v, want %v", got, want)
	}
	// since_id bounds every page, and the last page has no next_token.
	got := allMentions(t, c, e.bot.ID, twitterv2.TimelineParams{MaxResults: 5, SinceID: posted[12]})
	if !slices.Equal(got, want[:12]) {
		t.Errorf("since_id pages = %v, want %v", got, want[:12])
	}
	// Nothing newer: no data, result_count 0, no ids.
	empty, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{SinceID: posted[24]})
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Tweets) != 0 || empty.Meta != (twitterv2.Meta{}) {
		t.Errorf("empty page = %+v", empty)
	}
	// until_id is exclusive.
	until, err := c.Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{MaxResults: 5, UntilID: posted[3]})
	if err != nil {
		t.Fatal(err)
	}
	if got := v2IDs(until.Tweets); !slices.Equal(got, []int64{posted[2], posted[1], posted[0]}) {
		t.Errorf("until_id page = %v", got)
	}
}

func TestV2MentionsReachIs800(t *testing.T) {
	e := newEnv(t, Options{RateLimits: map[string]int{v2Mentions: 1000}})
	var all []int64
	for i := range 810 {
		all = append(all, e.mustPost(t, alice.ID, fmt.Sprintf("@PayByTweet n%d", i), TweetOptions{}).ID)
	}
	got := allMentions(t, e.v2(t), e.bot.ID, twitterv2.TimelineParams{MaxResults: 100})
	if len(got) != MentionsCap {
		t.Fatalf("reached %d mentions, want %d", len(got), MentionsCap)
	}
	if got[0] != all[809] || got[len(got)-1] != all[10] {
		t.Errorf("reach = %d..%d, want %d..%d", got[0], got[len(got)-1], all[809], all[10])
	}
	// since_id older than the reach does not bring the old ones back.
	if got := allMentions(t, e.v2(t), e.bot.ID, twitterv2.TimelineParams{MaxResults: 100, SinceID: all[0]}); len(got) != MentionsCap {
		t.Errorf("since_id below the reach gave %d", len(got))
	}
}

func TestV2RetweetsQuotesRepliesAndIncludes(t *testing.T) {
	e := newEnv(t, Options{})
	botTweet := e.mustPost(t, e.bot.ID, "@alice confirm with #ConfirmX", TweetOptions{})
	reply := e.mustPost(t, alice.ID, "#ConfirmX", TweetOptions{InReplyTo: botTweet.ID})
	orig := e.mustPost(t, alice.ID, "@PayByTweet #BuyX", TweetOptions{})
	rt, err := e.srv.Retweet(bob.ID, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	quote := e.mustPost(t, bob.ID, "@PayByTweet look", TweetOptions{QuoteOf: orig.ID})

	page, err := e.v2(t).Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v2IDs(page.Tweets), []int64{quote.ID, rt.ID, orig.ID, reply.ID}; !slices.Equal(got, want) {
		t.Fatalf("mentions = %v, want %v", got, want)
	}
	q, r, o, rep := page.Tweets[0], page.Tweets[1], page.Tweets[2], page.Tweets[3]
	if q.QuotedID != orig.ID || q.IsRetweet() || len(q.Entities.Hashtags) != 0 {
		t.Errorf("quote: quoted %d, retweet %v, own hashtags %v", q.QuotedID, q.IsRetweet(), q.Entities.Hashtags)
	}
	// A retweet carries the original's hashtags in its own text: only
	// referenced_tweets tells it apart.
	if !r.IsRetweet() || r.RetweetedID != orig.ID || r.AuthorID != bob.ID || len(r.Entities.Hashtags) != 1 {
		t.Errorf("retweet = %+v", r)
	}
	if r.Text != "RT @alice: @PayByTweet #BuyX" {
		t.Errorf("retweet text = %q", r.Text)
	}
	if o.RetweetedID != 0 || o.QuotedID != 0 || o.RepliedToID != 0 || o.ConversationID != o.ID {
		t.Errorf("original = %+v", o)
	}
	if rep.RepliedToID != botTweet.ID || rep.InReplyToUserID != e.bot.ID || rep.ConversationID != botTweet.ID {
		t.Errorf("reply = %+v", rep)
	}
	if !rep.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("created_at = %v, want %v", rep.CreatedAt, e.clock.Now())
	}
	for _, tw := range page.Tweets {
		want := map[int64]string{alice.ID: "alice", bob.ID: "Bob_2"}[tw.AuthorID]
		if tw.AuthorUsername != want {
			t.Errorf("tweet %d by %d: username %q, want %q", tw.ID, tw.AuthorID, tw.AuthorUsername, want)
		}
	}
	if len(page.Users) != 2 || page.Users[bob.ID].Name != "Bob" {
		t.Errorf("includes.users = %+v", page.Users)
	}
}

func TestV2EntitiesCountCodePoints(t *testing.T) {
	e := newEnv(t, Options{})
	tw := e.mustPost(t, alice.ID, "😀 @PayByTweet #BuyX https://example.com/a & more", TweetOptions{})
	page, err := e.v2(t).Mentions(ctx, e.bot.ID, twitterv2.TimelineParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tweets) != 1 || page.Tweets[0].ID != tw.ID {
		t.Fatalf("mentions = %+v", page.Tweets)
	}
	got := page.Tweets[0]
	ents := got.Entities
	if len(ents.Mentions) != 1 || ents.Mentions[0] != (twitterv2.Mention{Username: "PayByTweet", ID: e.bot.ID, Start: 2, End: 13}) {
		t.Errorf("mentions = %+v", ents.Mentions)
	}
	if len(ents.Hashtags) != 1 || ents.Hashtags[0] != (twitterv2.Hashtag{Tag: "BuyX", Start: 14, End: 19}) {
		t.Errorf("hashtags = %+v", ents.Hashtags)
	}
	if len(ents.URLs) != 1 || ents.URLs[0].ExpandedURL != "https://example.com/a" || ents.URLs[0].Start != 20 {
		t.Fatalf("urls = %+v", ents.URLs)
	}
	u := ents.URLs[0]
	if rs := []rune(got.Text); string(rs[u.Start:u.End]) != u.URL {
		t.Errorf("text %q at [%d,%d) is not %q", got.Text, u.Start, u.End, u.URL)
	}
}

func TestV2SameStoreAsV11(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	v1, _, err := e.client.Statuses.Update("posted through v1.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := c.PostTweet(ctx, "posted through v2", 0)
	if err != nil {
		t.Fatal(err)
	}
	if v2.ID <= v1.ID || v2.Text != "posted through v2" {
		t.Errorf("v2 post = %+v after v1.1 %d", v2, v1.ID)
	}
	page, err := c.UserTweets(ctx, e.bot.ID, twitterv2.TimelineParams{})
	if err != nil {
		t.Fatal(err)
	}
	if got := v2IDs(page.Tweets); !slices.Equal(got, []int64{v2.ID, v1.ID}) {
		t.Errorf("v2 user tweets = %v", got)
	}
	ts, _, err := e.client.Timelines.UserTimeline(&twitter.UserTimelineParams{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(ts); !slices.Equal(got, []int64{v2.ID, v1.ID}) {
		t.Errorf("v1.1 user timeline = %v", got)
	}
	// A text posted through one API is a duplicate through the other.
	if _, err := c.PostTweet(ctx, "posted through v1.1", 0); !twitterv2.IsDuplicate(err) {
		t.Errorf("v2 repost of a v1.1 text: %v", err)
	}
	_, resp, err := e.client.Statuses.Update("posted through v2", nil)
	wantCode(t, resp, err, 403, CodeDuplicateStatus)
}

func TestV2UserTweetsPagingAndExclude(t *testing.T) {
	e := newEnv(t, Options{})
	var mine []int64
	for i := range 12 {
		mine = append(mine, e.mustPost(t, e.bot.ID, fmt.Sprintf("receipt %d", i), TweetOptions{}).ID)
	}
	c := e.v2(t)
	var got []int64
	p := twitterv2.TimelineParams{MaxResults: 5, UntilID: mine[10]}
	for {
		page, err := c.UserTweets(ctx, e.bot.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v2IDs(page.Tweets)...)
		if page.Meta.NextToken == "" {
			break
		}
		p.PaginationToken = page.Meta.NextToken
	}
	want := slices.Clone(mine[:10])
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("until_id pages = %v, want %v", got, want)
	}
	// exclude filters before paging: a retweet and a reply of the bot's are
	// left out, and the page is still full.
	orig := e.mustPost(t, alice.ID, "hello", TweetOptions{})
	if _, err := e.srv.Retweet(e.bot.ID, orig.ID); err != nil {
		t.Fatal(err)
	}
	e.mustPost(t, e.bot.ID, "thread", TweetOptions{InReplyTo: mine[11]})
	status, body := e.rawV2(t, "GET", fmt.Sprintf("users/%d/tweets?exclude=replies,retweets&max_results=5", e.bot.ID), "", "")
	data, _ := body["data"].([]any)
	if status != 200 || len(data) != 5 || data[0].(map[string]any)["id"] != idStr(mine[11]) {
		t.Errorf("exclude page: %d %v", status, body)
	}
	// Another user's tweets, and an unknown user: a 200 carrying only a
	// not-found error, which the client tolerates.
	if page, err := c.UserTweets(ctx, alice.ID, twitterv2.TimelineParams{}); err != nil || !slices.Equal(v2IDs(page.Tweets), []int64{orig.ID}) {
		t.Errorf("alice's tweets: %+v, %v", page, err)
	}
	page, err := c.UserTweets(ctx, 999, twitterv2.TimelineParams{})
	if err != nil {
		t.Fatalf("unknown user: %v", err)
	}
	if len(page.Tweets) != 0 || len(page.Errors) != 1 || page.Errors[0].Type != ProblemResourceNotFound || page.Errors[0].ResourceID != "999" {
		t.Errorf("unknown user page = %+v", page)
	}
}
