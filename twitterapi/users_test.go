package twitterapi_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// userAdapter is what both adapters offer that these tests use.
type userAdapter interface {
	adapterWithDM
	User(id int64) (twitterapi.User, error)
	Limit(call twitterapi.Call) (twitterapi.RateLimit, bool)
}

var benchBob = twitteremu.User{ID: 783215, ScreenName: "bob"}

// usersServer starts an emulator knowing alice and bob, and returns it
// with a fresh adapter of each API to it.
func usersServer(t *testing.T, opts twitteremu.Options) (*twitteremu.Server, map[string]func() userAdapter) {
	t.Helper()
	opts.Bot = benchBot
	srv := twitteremu.New(opts)
	srv.AddUser(benchAlice)
	srv.AddUser(benchBob)
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	adapters := map[string]func() userAdapter{
		"v1.1": func() userAdapter {
			c, err := twitterapi.New(kindConfig(srv.URL()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return c
		},
		"v2": func() userAdapter {
			c, err := twitterapi.NewV2(kindConfig(srv.URLv2()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return c
		},
	}
	return srv, adapters
}

// TestAuthorsComeWithTheirAccounts: each API's mentions and DMs carry
// what it gives of their authors' accounts: v1.1 the tweet's user (screen
// name, created_at) and nothing with a DM; v2 includes.users (username,
// created_at, and the Automated label where X gives it) with both.
func TestAuthorsComeWithTheirAccounts(t *testing.T) {
	srv, adapters := usersServer(t, twitteremu.Options{})
	made := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	if err := srv.SetAccountCreatedAt(benchAlice.ID, made); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetAutomated(benchAlice.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PostTweet(benchAlice.ID, "@AmexOffers #BuyGiftCard", twitteremu.TweetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PostTweet(benchBob.ID, "@AmexOffers #BuyGiftCard", twitteremu.TweetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SendDM(benchAlice.ID, benchBot.ID, "#BuyGiftCard"); err != nil {
		t.Fatal(err)
	}
	for api, fresh := range adapters {
		a := fresh()
		v2 := api == "v2"
		page, err := a.Mentions(0, "")
		if err != nil || len(page.Tweets) != 2 {
			t.Fatalf("%s mentions: %+v %v", api, page, err)
		}
		wantAlice := twitterapi.User{ID: benchAlice.ID, ScreenName: "alice", CreatedAt: made}
		if v2 {
			wantAlice.Automated = twitterapi.AutomatedYes
		}
		wantBob := twitterapi.User{ID: benchBob.ID, ScreenName: "bob", CreatedAt: twitteremu.DefaultAccountCreatedAt}
		for _, tw := range page.Tweets {
			want := wantBob
			if tw.UserID == benchAlice.ID {
				want = wantAlice
			}
			if got := tw.Author(); got != want || tw.UserCreatedAt.Location() != time.UTC {
				t.Errorf("%s: tweet %d's author = %+v, want %+v", api, tw.ID, got, want)
			}
		}

		dms, _, err := a.DMEvents("")
		if err != nil || len(dms) != 1 {
			t.Fatalf("%s DMs: %+v %v", api, dms, err)
		}
		want := twitterapi.User{ID: benchAlice.ID} // v1.1 gives nothing of the sender
		if v2 {
			want = wantAlice
		}
		if got := dms[0].Author(); got != want {
			t.Errorf("%s: DM's author = %+v, want %+v", api, got, want)
		}
	}
}

// TestUserLookup: both adapters look an account up by id, with its
// current screen name and age; only v2 can say it is Automated; no such
// account is KindNotFound; the call is metered and rate limited as
// CallUser.
func TestUserLookup(t *testing.T) {
	srv, adapters := usersServer(t, twitteremu.Options{})
	made := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	if err := srv.SetAccountCreatedAt(benchAlice.ID, made); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetAutomated(benchAlice.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := srv.RenameUser(benchAlice.ID, "alice_new"); err != nil {
		t.Fatal(err)
	}
	for api, fresh := range adapters {
		a := fresh()
		if _, ok := a.Limit(twitterapi.CallUser); ok {
			t.Errorf("%s: a limit before any lookup", api)
		}
		u, err := a.User(benchAlice.ID)
		want := twitterapi.User{ID: benchAlice.ID, ScreenName: "alice_new", CreatedAt: made, Automated: twitterapi.AutomatedUnknown}
		if api == "v2" {
			want.Automated = twitterapi.AutomatedYes
		}
		if err != nil || u != want {
			t.Errorf("%s: User = %+v %v, want %+v", api, u, err, want)
		}
		if u, err := a.User(benchBob.ID); err != nil || u.Automated != twitterapi.AutomatedUnknown || !u.CreatedAt.Equal(twitteremu.DefaultAccountCreatedAt) {
			t.Errorf("%s: bob = %+v %v", api, u, err)
		}
		if l, ok := a.Limit(twitterapi.CallUser); !ok || l.Limit != 900 || l.Remaining != 898 {
			t.Errorf("%s: Limit(CallUser) = %+v %v", api, l, ok)
		}
		_, err = a.User(999)
		wantNotFound(t, api, err)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	var e *twitterapi.Error
	if !errors.As(err, &e) || twitterapi.Classify(err) != twitterapi.KindNotFound || e.NotSent || twitterapi.MayHavePosted(err) {
		t.Errorf("%s: no such user: %v (kind %v), want not_found", what, err, twitterapi.Classify(err))
	}
}

// TestV2UserNotFoundAs404: X's 404 to a lookup is as much a not-found as
// its 200 with only errors.
func TestV2UserNotFoundAs404(t *testing.T) {
	_, adapters := usersServer(t, twitteremu.Options{UserNotFoundAs404: true})
	_, err := adapters["v2"]().User(999)
	wantNotFound(t, "404", err)
	var e *twitterapi.Error
	if errors.As(err, &e) && e.Status != 404 {
		t.Errorf("status %d", e.Status)
	}
}

// TestUserLookupBudget: a lookup's spent budget refuses the next one
// without a request, until its reset, as for the other calls (a 429 sent
// back is in the kinds tables).
func TestUserLookupBudget(t *testing.T) {
	srv, adapters := usersServer(t, twitteremu.Options{RateLimits: map[string]int{"users/show": 1, "2/users/:id": 1}})
	for api, fresh := range adapters {
		a := fresh()
		if _, err := a.User(benchAlice.ID); err != nil {
			t.Fatalf("%s: %v", api, err)
		}
		n := len(srv.Requests())
		_, err := a.User(benchAlice.ID)
		var e *twitterapi.Error
		if twitterapi.Classify(err) != twitterapi.KindRateLimited || !twitterapi.NotSent(err) || len(srv.Requests()) != n ||
			!errors.As(err, &e) || e.ResetAt.IsZero() {
			t.Errorf("%s: second lookup: %v, sent %v", api, err, len(srv.Requests()) != n)
		}
	}
}

func TestAutomatedSaysWhatIsKnown(t *testing.T) {
	for a, want := range map[twitterapi.Automated]struct {
		known bool
		s     string
	}{twitterapi.AutomatedUnknown: {false, "unknown"}, twitterapi.AutomatedNo: {true, "no"}, twitterapi.AutomatedYes: {true, "yes"}} {
		if a.Known() != want.known || a.String() != want.s {
			t.Errorf("%d: Known %v String %q", a, a.Known(), a.String())
		}
	}
	var zero twitterapi.Tweet
	if zero.Author().Automated != twitterapi.AutomatedUnknown {
		t.Error("the zero label is not unknown")
	}
}
