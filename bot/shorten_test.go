package bot

import (
	"errors"
	"fmt"
	"testing"

	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestTooLong: a message is too long when the adapter says so; how each
// API words it is the adapters' (twitterapi's TestV1ErrorKinds and
// TestV2ErrorKinds).
func TestTooLong(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&twitterapi.Error{Status: 403, Kind: twitterapi.KindTooLong, Message: "Tweet needs to be a bit shorter."}, true},
		{fmt.Errorf("post: %w", &twitterapi.Error{Status: 400, Kind: twitterapi.KindTooLong, Message: "Invalid Request: text is too long"}), true},
		{&twitterapi.Error{Status: 403, Kind: twitterapi.KindDuplicate, Message: "Status is a duplicate."}, false},
		{&twitterapi.Error{Status: 403, Kind: twitterapi.KindGone, Message: "too long ago"}, false},
		{&twitterapi.Error{Status: 403, Kind: twitterapi.KindRefused, Message: "You cannot send messages to this user."}, false},
		{&twitterapi.Error{Status: 503, Message: "too long a queue"}, false},
		{&twitterapi.Error{Status: 403, Message: "Your Tweet text is too long."}, false}, // no adapter classified it
		{errors.New("too long"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := tooLong(tt.err); got != tt.want {
			t.Errorf("tooLong(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
