package twitterapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
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
