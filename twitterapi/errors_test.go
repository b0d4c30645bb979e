package twitterapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/paybytweet/paybytweet/twitterv2"
)

// v1 is an *Error as the v1.1 adapter makes it from a status and a code.
func v1(status, code int) *Error {
	return &Error{Status: status, Code: code, Kind: v1Kind(status, code, nil)}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err           error
		want          Kind
		mayHavePosted bool
	}{
		{nil, KindNone, false},
		{v1(429, 88), KindRateLimited, false},
		{v1(429, 0), KindRateLimited, false}, // an empty-bodied 429
		{&Error{Status: 429, Code: 88, Kind: KindRateLimited, NotSent: true}, KindRateLimited, false},
		{v1(403, 185), KindPostingLimit, false},
		{v1(401, 32), KindAuth, false},
		{v1(401, 89), KindAuth, false},
		{v1(401, 0), KindAuth, false},
		{v1(403, 385), KindGone, false},
		{v1(403, 187), KindDuplicate, false},
		{v1(403, 226), KindPaused, false},
		{v1(403, 326), KindPaused, false},
		{v1(503, 130), KindTransient, true},
		{v1(500, 131), KindTransient, true},
		{v1(502, 0), KindTransient, true},
		{v1(403, 186), KindTooLong, false}, // a refusal of the message, shortened first when it is about money
		{v1(403, 354), KindTooLong, false},
		{v1(403, 349), KindRefused, false},
		{v1(403, 261), KindAccount, false}, // the app may not write: not this message's fault
		{v1(403, 64), KindAccount, false},
		{v1(403, 93), KindAccount, false},
		{v1(403, 433), KindUnexpected, false}, // the author restricted who may reply: this tweet only
		{v1(404, 0), KindUnexpected, false},
		{&Error{Kind: v1Kind(0, 0, errors.New("connection reset")), Err: errors.New("connection reset")}, KindUnknown, true},
		{&Error{Status: 200, Kind: v1Kind(200, 0, errors.New("unexpected EOF")), Err: errors.New("unexpected EOF")}, KindUnknown, true}, // a malformed success
		{fmt.Errorf("wrapped: %w", v1(503, 0)), KindTransient, true},
		{errors.New("not ours"), KindUnknown, true},
		// An *Error without a kind is classified by its status alone.
		{&Error{Status: 429}, KindRateLimited, false},
		{&Error{Status: 403, Code: 187}, KindUnexpected, false},
		{&Error{Status: 503}, KindTransient, true},
		{&Error{Err: errors.New("connection reset")}, KindUnknown, true},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
		if got := MayHavePosted(tt.err); got != tt.mayHavePosted && tt.err != nil {
			t.Errorf("MayHavePosted(%v) = %v, want %v", tt.err, got, tt.mayHavePosted)
		}
	}
}

// TestV1KindPrecedence: a code and a status that say different things
// are settled as Classify always settled them.
func TestV1KindPrecedence(t *testing.T) {
	for _, tt := range []struct {
		status, code int
		want         Kind
	}{
		{429, 185, KindRateLimited},
		{401, 185, KindPostingLimit},
		{401, 385, KindAuth},
		{500, 187, KindDuplicate},
		{500, 186, KindTransient},
		{503, 64, KindTransient},
		{302, 0, KindUnknown},
		{302, 349, KindRefused},
	} {
		if got := v1Kind(tt.status, tt.code, nil); got != tt.want {
			t.Errorf("v1Kind(%d, %d) = %v, want %v", tt.status, tt.code, got, tt.want)
		}
	}
}

// TestKindNames: the names are metrics labels; they must not change.
func TestKindNames(t *testing.T) {
	want := map[Kind]string{
		KindNone: "none", KindUnknown: "unknown", KindRateLimited: "rate_limited", KindPostingLimit: "posting_limit",
		KindTransient: "transient", KindAuth: "credentials_refused", KindGone: "reply_target_gone", KindDuplicate: "duplicate",
		KindPaused: "paused", KindRefused: "refused", KindAccount: "account_refused", KindUnexpected: "bad_request",
		KindCapped: "usage_capped", KindTooLong: "too_long", Kind(99): "kind(99)",
	}
	for k, name := range want {
		if got := k.String(); got != name {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, name)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	h := http.Header{}
	h.Set("x-rate-limit-limit", "15")
	h.Set("x-rate-limit-remaining", "0")
	h.Set("x-rate-limit-reset", "1795752113")
	l, ok := parseRateLimit(h)
	if !ok || l.Limit != 15 || l.Remaining != 0 || l.Reset.Unix() != 1795752113 {
		t.Errorf("parseRateLimit = %+v, %v", l, ok)
	}
	h.Del("x-rate-limit-reset")
	if _, ok := parseRateLimit(h); ok {
		t.Errorf("parsed headers without a reset")
	}
}

// TestClassifyV2 is TestClassify for the X API v2's answers, as the v2
// adapter maps them (twitter-api-v2.md, "Errors").
func TestClassifyV2(t *testing.T) {
	problem := func(status int, typ, detail string) error {
		return &twitterv2.APIError{Endpoint: "x", Status: status, Type: typ, Detail: detail}
	}
	tests := []struct {
		name          string
		call          Call
		err           error
		want          Kind
		mayHavePosted bool
	}{
		{"duplicate", CallPost, problem(403, "about:blank", "You are not allowed to create a Tweet with duplicate content."), KindDuplicate, false},
		{"summoned-reply rule", CallPost, problem(403, "about:blank", "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to."), KindGone, false},
		{"reply to a deleted post", CallPost, problem(404, "https://api.x.com/2/problems/resource-not-found", "Could not find tweet"), KindGone, false},
		// X's own emulator (xdevplatform/playground) answers so.
		{"reply to a deleted post, as a 400", CallPost, problem(400, "https://api.x.com/2/problems/invalid-request", "Your reply tweet ID is invalid."), KindGone, false},
		{"reply to a deleted post, as a 400 errors entry", CallPost, &twitterv2.APIError{Endpoint: twitterv2.EndpointPostTweet, Status: 400,
			Title: "Invalid Request", Errors: []twitterv2.Problem{{Message: "Your reply tweet ID is invalid."}}}, KindGone, false},
		{"too long, as a 400", CallPost, problem(400, "https://api.x.com/2/problems/invalid-request", "text field exceeds maximum length of 280 characters"), KindTooLong, false},
		{"another 400 to a post", CallPost, problem(400, "https://api.x.com/2/problems/invalid-request", "$.text: a non-blank text is required."), KindUnexpected, false},
		{"DM to a user gone", CallSendDM, problem(404, "https://api.x.com/2/problems/resource-not-found", "Could not find user"), KindRefused, false},
		{"DMs closed", CallSendDM, problem(403, "about:blank", "You cannot send messages to this user."), KindRefused, false},
		{"app without access", CallPost, problem(403, "https://api.x.com/2/problems/client-forbidden", "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project."), KindAccount, false},
		{"account suspended", CallPost, problem(403, "about:blank", "Your account is suspended and is not permitted to access this feature."), KindAccount, false},
		{"another 403", CallPost, problem(403, "about:blank", "You are not permitted to perform this action."), KindUnexpected, false},
		{"too long", CallPost, problem(403, "about:blank", "Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text."), KindTooLong, false},
		{"DM too long", CallSendDM, problem(400, "https://api.x.com/2/problems/invalid-request", "Text is too long."), KindTooLong, false},
		{"too long, in other words", CallPost, problem(400, "https://api.x.com/2/problems/invalid-request", "Invalid Request: text is too long"), KindTooLong, false},
		{"a queue too long, 503", CallPost, problem(503, "about:blank", "too long a queue"), KindTransient, true},
		{"credentials refused", CallMentions, problem(401, "about:blank", "Unauthorized"), KindAuth, false},
		{"rate limited", CallDMList, problem(429, "about:blank", "Too Many Requests"), KindRateLimited, false},
		{"usage capped (api.x.com)", CallPost, problem(429, "https://api.x.com/2/problems/usage-capped", "Usage cap exceeded: Monthly product cap"), KindCapped, false},
		{"usage capped (api.twitter.com)", CallMentions, problem(429, "https://api.twitter.com/2/problems/usage-capped", "Usage cap exceeded"), KindCapped, false},
		{"credits used up", CallSendDM, problem(402, "about:blank", "Your enrolled account does not have any credits to fulfill this request."), KindCapped, false},
		{"server error", CallPost, problem(503, "about:blank", "Service Unavailable"), KindTransient, true},
		{"no answer", CallPost, &twitterv2.TransportError{Endpoint: "x", Err: errors.New("connection reset")}, KindUnknown, true},
		{"malformed success", CallPost, &twitterv2.MalformedError{Endpoint: "x", Status: 201, Err: errors.New("unexpected EOF")}, KindUnknown, true},
	}
	for _, tt := range tests {
		err := v2Error(tt.call, tt.err)
		if got := Classify(err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %v, want %v", tt.name, err, got, tt.want)
		}
		if got := MayHavePosted(err); got != tt.mayHavePosted {
			t.Errorf("%s: MayHavePosted(%v) = %v, want %v", tt.name, err, got, tt.mayHavePosted)
		}
	}
}

func TestOtherParticipant(t *testing.T) {
	for _, tt := range []struct {
		conv   string
		sender int64
		want   int64
	}{
		{"42-9007199254740993", 42, 9007199254740993},
		{"42-9007199254740993", 9007199254740993, 42},
		{"42-43", 44, 0},
		{"1582838875042906113", 42, 0}, // a group conversation
		{"x-43", 43, 0},
	} {
		if got := otherParticipant(tt.conv, tt.sender); got != tt.want {
			t.Errorf("otherParticipant(%q, %d) = %d, want %d", tt.conv, tt.sender, got, tt.want)
		}
	}
}
