package twitterapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/paybytweet/paybytweet/twitterv2"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		err           error
		want          Kind
		mayHavePosted bool
	}{
		{nil, KindNone, false},
		{&Error{Status: 429, Code: 88}, KindRateLimited, false},
		{&Error{Status: 429}, KindRateLimited, false}, // an empty-bodied 429
		{&Error{Status: 429, Code: 88, NotSent: true}, KindRateLimited, false},
		{&Error{Status: 403, Code: 185}, KindPostingLimit, false},
		{&Error{Status: 401, Code: 32}, KindAuth, false},
		{&Error{Status: 401, Code: 89}, KindAuth, false},
		{&Error{Status: 401}, KindAuth, false},
		{&Error{Status: 403, Code: 385}, KindGone, false},
		{&Error{Status: 403, Code: 187}, KindDuplicate, false},
		{&Error{Status: 403, Code: 226}, KindPaused, false},
		{&Error{Status: 403, Code: 326}, KindPaused, false},
		{&Error{Status: 503, Code: 130}, KindTransient, true},
		{&Error{Status: 500, Code: 131}, KindTransient, true},
		{&Error{Status: 502}, KindTransient, true},
		{&Error{Status: 403, Code: 186}, KindRefused, false},
		{&Error{Status: 403, Code: 349}, KindRefused, false},
		{&Error{Status: 403, Code: 261}, KindAccount, false}, // the app may not write: not this message's fault
		{&Error{Status: 403, Code: 64}, KindAccount, false},
		{&Error{Status: 403, Code: 93}, KindAccount, false},
		{&Error{Status: 403, Code: 433}, KindUnexpected, false}, // the author restricted who may reply: this tweet only
		{&Error{Status: 404}, KindUnexpected, false},
		{&Error{Err: errors.New("connection reset")}, KindUnknown, true},
		{&Error{Status: 200, Err: errors.New("unexpected EOF")}, KindUnknown, true}, // a malformed success
		{fmt.Errorf("wrapped: %w", &Error{Status: 503}), KindTransient, true},
		{errors.New("not ours"), KindUnknown, true},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %d, want %d", tt.err, got, tt.want)
		}
		if got := MayHavePosted(tt.err); got != tt.mayHavePosted && tt.err != nil {
			t.Errorf("MayHavePosted(%v) = %v, want %v", tt.err, got, tt.mayHavePosted)
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
		{"too long, as a 400", CallPost, problem(400, "https://api.x.com/2/problems/invalid-request", "text field exceeds maximum length of 280 characters"), KindRefused, false},
		{"another 400 to a post", CallPost, problem(400, "https://api.x.com/2/problems/invalid-request", "$.text: a non-blank text is required."), KindUnexpected, false},
		{"DM to a user gone", CallSendDM, problem(404, "https://api.x.com/2/problems/resource-not-found", "Could not find user"), KindRefused, false},
		{"DMs closed", CallSendDM, problem(403, "about:blank", "You cannot send messages to this user."), KindRefused, false},
		{"app without access", CallPost, problem(403, "https://api.x.com/2/problems/client-forbidden", "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project."), KindAccount, false},
		{"account suspended", CallPost, problem(403, "about:blank", "Your account is suspended and is not permitted to access this feature."), KindAccount, false},
		{"another 403", CallPost, problem(403, "about:blank", "You are not permitted to perform this action."), KindUnexpected, false},
		{"too long", CallPost, problem(403, "about:blank", "Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text."), KindRefused, false},
		{"DM too long", CallSendDM, problem(400, "https://api.x.com/2/problems/invalid-request", "Text is too long."), KindRefused, false},
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
			t.Errorf("%s: Classify(%v) = %d, want %d", tt.name, err, got, tt.want)
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
