package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// pollRig is a poller on fakes: a store that keeps cursors and messages
// in memory, and a Twitter that serves mention pages by token.
type pollRig struct {
	cursors  map[string][]byte
	stored   []conversations.Inbound
	pages    map[string]twitterapi.Page // mention pages by token
	sinceIDs []int64                    // the since_id of each Mentions call
	failures []string                   // what access.failed was told
	wakes    int
}

func (r *pollRig) Cursor(_ context.Context, name string, v any) error {
	b, ok := r.cursors[name]
	if !ok {
		return storage.ErrNotFound
	}
	return json.Unmarshal(b, v)
}

func (r *pollRig) SetCursor(_ context.Context, name string, cursor any) error {
	b, err := json.Marshal(cursor)
	r.cursors[name] = b
	return err
}

func (r *pollRig) SavePage(ctx context.Context, msgs []conversations.Inbound, name string, cursor any) (int, error) {
	r.stored = append(r.stored, msgs...)
	return len(msgs), r.SetCursor(ctx, name, cursor)
}

func (r *pollRig) Mentions(sinceID int64, token string) (twitterapi.Page, error) {
	r.sinceIDs = append(r.sinceIDs, sinceID)
	p, ok := r.pages[token]
	if !ok {
		return twitterapi.Page{}, &twitterapi.Error{Endpoint: "mentions", Status: http.StatusBadRequest, Message: "bad token"}
	}
	return p, nil
}

func (r *pollRig) DMEvents(string) ([]twitterapi.DM, string, error) { return nil, "", nil }

func (r *pollRig) Limit(twitterapi.Call) (twitterapi.RateLimit, bool) {
	return twitterapi.RateLimit{}, false
}

const pollBot = 42

func newPollRig(t *testing.T) (*pollRig, *poller) {
	t.Helper()
	r := &pollRig{cursors: map[string][]byte{}}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := newMentionsPoller(pollerDeps{store: r, twitter: r, now: func() time.Time { return now },
		log:           slog.New(slog.NewTextHandler(&testkit.Buffer{}, nil)),
		access:        twitterAccess{botID: func() int64 { return pollBot }, ready: func() bool { return true }, broken: func() bool { return false }, failed: func(what string, _ error) { r.failures = append(r.failures, what) }},
		stopped:       func() bool { return false },
		work:          context.Background,
		wakeProcessor: func() { r.wakes++ },
		maxAge:        24 * time.Hour})
	return r, p
}

func mention(id, user int64, mentions ...int64) twitterapi.Tweet {
	return twitterapi.Tweet{ID: id, UserID: user, Text: "@bot hi", MentionIDs: mentions}
}

// TestPollerWalksMentionsToTheStoredOnes: a poll reads page after page
// down to the messages already stored, stores only mentions of the bot
// by others (no retweet, no own tweet, no quote of a mention), saves the
// cursor at the newest id it saw, and wakes the processor; the next poll
// asks for what is newer than that.
func TestPollerWalksMentionsToTheStoredOnes(t *testing.T) {
	r, p := newPollRig(t)
	retweet := mention(905, 7, pollBot)
	retweet.IsRetweet = true
	r.pages = map[string]twitterapi.Page{
		"":  {Tweets: []twitterapi.Tweet{mention(910, 7, pollBot), retweet, mention(901, pollBot, pollBot)}, Newest: 910, Oldest: 901, Count: 3, Next: "a"},
		"a": {Tweets: []twitterapi.Tweet{mention(850, 8), mention(820, 9, pollBot)}, Newest: 850, Oldest: 820, Count: 2},
	}
	p.poll()
	if len(r.stored) != 2 || r.stored[0].ID != 910 || r.stored[1].ID != 820 {
		t.Fatalf("stored %+v; want mentions 910 and 820", r.stored)
	}
	cur, err := p.cursor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cur.Stored != 910 || cur.Walk != nil || cur.PolledAt.IsZero() {
		t.Errorf("cursor = %+v; want a complete walk stored up to 910", cur)
	}
	if r.wakes == 0 {
		t.Error("the processor was not woken")
	}
	r.pages = map[string]twitterapi.Page{"": {}}
	p.poll()
	if last := r.sinceIDs[len(r.sinceIDs)-1]; last != 910 {
		t.Errorf("the next poll asked since %d; want 910", last)
	}
}

// TestPollerRestartsAWalkWhoseTokenIsRefused: a page token the API
// refuses (400) drops the walk, keeping what is stored; other failures
// are told to the bot.
func TestPollerRestartsAWalkWhoseTokenIsRefused(t *testing.T) {
	r, p := newPollRig(t)
	walk := streamCursor{Stored: 500, Walk: &pageWalk{Top: 900, Token: "gone"}}
	if err := r.SetCursor(context.Background(), cursorMentions, walk); err != nil {
		t.Fatal(err)
	}
	p.poll()
	cur, err := p.cursor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cur.Stored != 500 || cur.Walk != nil {
		t.Errorf("cursor = %+v; want the walk dropped and Stored kept", cur)
	}
	if len(r.failures) != 0 {
		t.Errorf("failures told = %v; want none for a refused token", r.failures)
	}
	r.pages = nil // the newest page fails too: that is a Twitter failure
	p.poll()
	if len(r.failures) != 1 {
		t.Errorf("failures told = %v; want one", r.failures)
	}
}
