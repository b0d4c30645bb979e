package bot

import (
	"errors"
	"testing"

	"github.com/paybytweet/paybytweet/twitterapi"
)

func TestTooLong(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&twitterapi.Error{Status: 403, Code: 186, Message: "Tweet needs to be a bit shorter."}, true},
		{&twitterapi.Error{Status: 403, Code: 354}, true},
		// v2 answers problem details without a code.
		{&twitterapi.Error{Status: 403, Message: "Your Tweet text is too long. For more information on how Twitter determines text length, see https://github.com/twitter/twitter-text."}, true},
		{&twitterapi.Error{Status: 400, Message: "Invalid Request: text is too long"}, true},
		{&twitterapi.Error{Status: 403, Code: 187, Message: "Status is a duplicate."}, false},
		{&twitterapi.Error{Status: 403, Code: 385, Message: "too long ago"}, false},
		{&twitterapi.Error{Status: 403, Message: "You are not allowed to create a Tweet with duplicate content."}, false},
		{&twitterapi.Error{Status: 503, Message: "too long a queue"}, false},
		{errors.New("too long"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := tooLong(tt.err); got != tt.want {
			t.Errorf("tooLong(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
