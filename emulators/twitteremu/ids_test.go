package twitteremu

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/dghubble/go-twitter/twitter"
)

// TestIDsCrossFrom18To19Digits puts ids across 10^18, where comparing ids
// as strings orders them wrongly, and pages over the boundary.
func TestIDsCrossFrom18To19Digits(t *testing.T) {
	e := newEnv(t, Options{FirstID: 999999999999999990})
	var mentions []int64
	var dms []string
	for i := range 12 {
		mentions = append(mentions, e.mustPost(t, alice.ID, fmt.Sprintf("@PayByTweet #BuyX %d", i), TweetOptions{}).ID)
		dm, err := e.srv.SendDM(alice.ID, e.bot.ID, fmt.Sprintf("dm %d", i))
		if err != nil {
			t.Fatal(err)
		}
		dms = append(dms, idStr(dm.ID))
	}
	if len(idStr(mentions[0])) != 18 || len(idStr(mentions[len(mentions)-1])) != 19 {
		t.Fatalf("ids %d..%d do not cross 18→19 digits", mentions[0], mentions[len(mentions)-1])
	}
	// Tweets and DMs share one strictly increasing generator.
	all := e.srv.Tweets()
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID {
			t.Fatalf("ids not increasing: %d then %d", all[i-1].ID, all[i].ID)
		}
	}
	if d, _ := strconv.ParseInt(dms[0], 10, 64); d != mentions[0]+1 {
		t.Errorf("first DM id %s, want %d", dms[0], mentions[0]+1)
	}

	// since_id with an 18-digit id returns the 19-digit ones.
	since := mentions[3]
	ts, _, err := e.client.Timelines.MentionTimeline(&twitter.MentionTimelineParams{SinceID: since, Count: 200})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(mentions[4:])
	slices.Reverse(want)
	if !slices.Equal(ids(ts), want) {
		t.Errorf("since_id %d: %v, want %v", since, ids(ts), want)
	}
	for _, tw := range ts {
		if tw.IDStr != idStr(tw.ID) {
			t.Errorf("id_str %q != id %d", tw.IDStr, tw.ID)
		}
	}
	// max_id paging across the boundary.
	ts, _, _ = e.client.Timelines.MentionTimeline(&twitter.MentionTimelineParams{MaxID: mentions[6], Count: 3})
	if got := ids(ts); !slices.Equal(got, []int64{mentions[6], mentions[5], mentions[4]}) {
		t.Errorf("max_id page = %v", got)
	}

	// DM cursors across the boundary.
	var got []string
	cursor := ""
	for {
		res, _, err := e.client.DirectMessages.EventsList(&twitter.DirectMessageEventsListParams{Count: 5, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range res.Events {
			got = append(got, ev.ID)
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	slices.Reverse(dms)
	if !slices.Equal(got, dms) {
		t.Errorf("DM ids %v, want %v", got, dms)
	}
}
