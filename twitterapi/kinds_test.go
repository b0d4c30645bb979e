package twitterapi_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// kindCase is one answer the emulator is made to give, and the kind the
// adapter must classify it as.
type kindCase struct {
	name          string
	call          twitterapi.Call // CallPost, CallSendDM, CallUser or CallMentions
	fault         twitteremu.Fault
	want          twitterapi.Kind
	mayHavePosted bool
}

// kindServer starts an emulator whose limits no table runs into.
func kindServer(t *testing.T) *twitteremu.Server {
	t.Helper()
	srv := twitteremu.New(twitteremu.Options{Bot: benchBot, PostingLimit: unlimited, DMSendLimit: unlimited,
		RateLimits:  map[string]int{"statuses/mentions_timeline": unlimited, "2/users/me": unlimited, "2/users/:id/mentions": unlimited, "2/tweets": unlimited, "2/dm_events": unlimited},
		DailyLimits: map[string]int{"2/tweets": unlimited}})
	srv.AddUser(benchAlice)
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func kindConfig(url string) twitterapi.Config {
	return twitterapi.Config{APIURL: url, ConsumerKey: "consumer-key", ConsumerSecret: "consumer-secret",
		AccessToken: "access-token", AccessSecret: "access-secret", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// runKinds makes each case's call through a fresh adapter (so that no
// budget or cap an earlier answer spent refuses it unsent) and checks the
// kind of its error, its name, and whether a post may have been made.
func runKinds(t *testing.T, srv *twitteremu.Server, fresh func() adapterWithDM, tests []kindCase) {
	t.Helper()
	for _, tt := range tests {
		srv.ClearFaults()
		srv.InjectFault(tt.fault)
		a := fresh()
		var err error
		switch tt.call {
		case twitterapi.CallPost:
			_, err = a.Post("@alice Done!", 0)
		case twitterapi.CallSendDM:
			_, err = a.SendDM(benchAlice.ID, "Done!")
		case twitterapi.CallUser:
			_, err = a.User(benchAlice.ID)
		default:
			_, err = a.Mentions(0, "")
		}
		a.Close()
		if got := twitterapi.Classify(err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %v, want %v", tt.name, err, got, tt.want)
		}
		if got := twitterapi.MayHavePosted(err); got != tt.mayHavePosted {
			t.Errorf("%s: MayHavePosted(%v) = %v, want %v", tt.name, err, got, tt.mayHavePosted)
		}
	}
}

type adapterWithDM interface {
	adapter
	SendDM(recipient int64, text string) (int64, error)
	User(id int64) (twitterapi.User, error)
	Close()
}

// TestV1ErrorKinds: the v1.1 adapter turns each of Twitter's error codes
// and statuses the bot treats deliberately into its kind, over real HTTP
// through go-twitter.
func TestV1ErrorKinds(t *testing.T) {
	srv := kindServer(t)
	fresh := func() adapterWithDM {
		c, err := twitterapi.New(kindConfig(srv.URL()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	post, dm, mentions, user := "POST statuses/update", "POST direct_messages/events/new", "statuses/mentions_timeline", "users/show"
	f := func(endpoint string, status, code int) twitteremu.Fault {
		return twitteremu.Fault{Endpoint: endpoint, Status: status, Code: code}
	}
	runKinds(t, srv, fresh, []kindCase{
		{"88 rate limit exceeded", twitterapi.CallMentions, f(mentions, 429, 88), twitterapi.KindRateLimited, false},
		{"an empty-bodied 429", twitterapi.CallMentions, twitteremu.Fault{Endpoint: mentions, Status: 429, EmptyBody: true}, twitterapi.KindRateLimited, false},
		{"185 over the daily status limit", twitterapi.CallPost, f(post, 403, 185), twitterapi.KindPostingLimit, false},
		{"32 could not authenticate", twitterapi.CallMentions, f(mentions, 401, 32), twitterapi.KindAuth, false},
		{"89 invalid token", twitterapi.CallPost, f(post, 401, 89), twitterapi.KindAuth, false},
		{"385 reply to a deleted tweet", twitterapi.CallPost, f(post, 403, 385), twitterapi.KindGone, false},
		{"187 duplicate", twitterapi.CallPost, f(post, 403, 187), twitterapi.KindDuplicate, false},
		{"226 looks automated", twitterapi.CallPost, f(post, 403, 226), twitterapi.KindPaused, false},
		{"326 account locked", twitterapi.CallPost, f(post, 403, 326), twitterapi.KindPaused, false},
		{"130 over capacity", twitterapi.CallPost, f(post, 503, 130), twitterapi.KindTransient, true},
		{"131 internal error", twitterapi.CallPost, f(post, 500, 131), twitterapi.KindTransient, true},
		{"an empty-bodied 502", twitterapi.CallPost, twitteremu.Fault{Endpoint: post, Status: 502, EmptyBody: true}, twitterapi.KindTransient, true},
		{"186 tweet too long", twitterapi.CallPost, f(post, 403, 186), twitterapi.KindTooLong, false},
		{"354 DM too long", twitterapi.CallSendDM, f(dm, 403, 354), twitterapi.KindTooLong, false},
		{"349 cannot DM this user", twitterapi.CallSendDM, f(dm, 403, 349), twitterapi.KindRefused, false},
		{"150 not following", twitterapi.CallSendDM, f(dm, 403, 150), twitterapi.KindRefused, false},
		{"108 recipient absent", twitterapi.CallSendDM, f(dm, 404, 108), twitterapi.KindRefused, false},
		{"64 suspended", twitterapi.CallPost, f(post, 403, 64), twitterapi.KindAccount, false},
		{"93 no DM access", twitterapi.CallSendDM, f(dm, 403, 93), twitterapi.KindAccount, false},
		{"220 credentials not allowed", twitterapi.CallPost, f(post, 403, 220), twitterapi.KindAccount, false},
		{"261 cannot write", twitterapi.CallPost, f(post, 403, 261), twitterapi.KindAccount, false},
		{"433 the author restricts replies", twitterapi.CallPost, f(post, 403, 433), twitterapi.KindUnexpected, false},
		{"404 page not found", twitterapi.CallMentions, f(mentions, 404, 0), twitterapi.KindUnexpected, false},
		{"50 user not found", twitterapi.CallUser, f(user, 404, 50), twitterapi.KindNotFound, false},
		{"63 user suspended", twitterapi.CallUser, f(user, 403, 63), twitterapi.KindNotFound, false},
		{"a lookup's 404 page not found", twitterapi.CallUser, f(user, 404, 34), twitterapi.KindUnexpected, false},
		{"a lookup rate limited", twitterapi.CallUser, f(user, 429, 88), twitterapi.KindRateLimited, false},
		{"an empty-bodied 403", twitterapi.CallPost, twitteremu.Fault{Endpoint: post, Status: 403, EmptyBody: true}, twitterapi.KindUnexpected, false},
		{"connection dropped", twitterapi.CallPost, twitteremu.Fault{Endpoint: post, Drop: true}, twitterapi.KindUnknown, true},
		{"malformed success", twitterapi.CallPost, twitteremu.Fault{Endpoint: post, Malformed: true, AfterWork: true}, twitterapi.KindUnknown, true},
	})
}

// TestV2ErrorKinds: the v2 adapter turns X's problems into kinds without
// v1.1's codes (twitter-api-v2.md, "Errors"), over real HTTP through
// twitterv2.
func TestV2ErrorKinds(t *testing.T) {
	srv := kindServer(t)
	fresh := func() adapterWithDM {
		c, err := twitterapi.NewV2(kindConfig(srv.URLv2()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	post, dm, mentions, user := "POST 2/tweets", "POST 2/dm_conversations/with/:participant_id/messages", "GET 2/users/:id/mentions", "GET 2/users/:id"
	f := func(endpoint string, status int, detail string) twitteremu.Fault {
		return twitteremu.Fault{Endpoint: endpoint, Status: status, Message: detail}
	}
	runKinds(t, srv, fresh, []kindCase{
		{"rate limited", twitterapi.CallMentions, f(mentions, 429, ""), twitterapi.KindRateLimited, false},
		{"usage capped", twitterapi.CallPost, twitteremu.Fault{Endpoint: post, UsageCapped: true}, twitterapi.KindCapped, false},
		{"usage capped (api.x.com)", twitterapi.CallMentions, twitteremu.Fault{Endpoint: mentions, UsageCapped: true, ProblemType: "https://api.x.com/2/problems/usage-capped"}, twitterapi.KindCapped, false},
		{"credits used up", twitterapi.CallSendDM, f(dm, 402, ""), twitterapi.KindCapped, false},
		{"credentials refused", twitterapi.CallMentions, f(mentions, 401, ""), twitterapi.KindAuth, false},
		{"duplicate", twitterapi.CallPost, f(post, 403, "You are not allowed to create a Tweet with duplicate content."), twitterapi.KindDuplicate, false},
		{"summoned-reply rule", twitterapi.CallPost, f(post, 403, "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to."), twitterapi.KindGone, false},
		{"reply to a deleted post", twitterapi.CallPost, f(post, 404, "Could not find tweet"), twitterapi.KindGone, false},
		{"reply to a deleted post, as a 400", twitterapi.CallPost, f(post, 400, "Your reply tweet ID is invalid."), twitterapi.KindGone, false},
		{"too long, 403", twitterapi.CallPost, f(post, 403, "Your Tweet text is too long."), twitterapi.KindTooLong, false},
		{"too long, 400", twitterapi.CallPost, f(post, 400, "text field exceeds maximum length of 280 characters"), twitterapi.KindTooLong, false},
		{"DM text refused by its path", twitterapi.CallSendDM, f(dm, 400, "$.text: a non-blank text of at most 10000 characters is required."), twitterapi.KindTooLong, false},
		{"DM to a user gone", twitterapi.CallSendDM, f(dm, 404, "Could not find user"), twitterapi.KindRefused, false},
		{"a lookup of a user gone", twitterapi.CallUser, f(user, 404, "Could not find user with id: [783214]."), twitterapi.KindNotFound, false},
		{"a lookup rate limited", twitterapi.CallUser, f(user, 429, ""), twitterapi.KindRateLimited, false},
		{"a lookup's server error", twitterapi.CallUser, f(user, 503, ""), twitterapi.KindTransient, true},
		{"a lookup's bad request", twitterapi.CallUser, f(user, 400, "One or more parameters to your request was invalid."), twitterapi.KindUnexpected, false},
		{"DMs closed", twitterapi.CallSendDM, f(dm, 403, "You cannot send messages to this user."), twitterapi.KindRefused, false},
		{"app without access", twitterapi.CallPost, twitteremu.Fault{Endpoint: post, Status: 403, ProblemType: "https://api.x.com/2/problems/client-forbidden", Message: "attached to a Project"}, twitterapi.KindAccount, false},
		{"account suspended", twitterapi.CallPost, f(post, 403, "Your account is suspended and is not permitted to access this feature."), twitterapi.KindAccount, false},
		{"another 403", twitterapi.CallPost, f(post, 403, "You are not permitted to perform this action."), twitterapi.KindUnexpected, false},
		{"another 400", twitterapi.CallPost, f(post, 400, "$.text: a non-blank text is required."), twitterapi.KindUnexpected, false},
		{"server error", twitterapi.CallPost, f(post, 503, ""), twitterapi.KindTransient, true},
		{"connection dropped", twitterapi.CallPost, twitteremu.Fault{Endpoint: post, Drop: true}, twitterapi.KindUnknown, true},
		{"malformed success", twitterapi.CallPost, twitteremu.Fault{Endpoint: post, Malformed: true, AfterWork: true}, twitterapi.KindUnknown, true},
	})
}
