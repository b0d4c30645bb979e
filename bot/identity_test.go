package bot

import (
	"regexp"
	"testing"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestOrderIDFor: the same buy and offer make the same id, at any time and
// in any process; another message, channel or offer makes another one.
func TestOrderIDFor(t *testing.T) {
	id := orderIDFor(conversations.Tweet, 1000000000000000001, "gift-card")
	if !regexp.MustCompile(`^ord_[0-9a-hjkmnp-tv-z]{16}$`).MatchString(id) {
		t.Fatalf("order id %q is not ord_ and 16 characters of the alphabet", id)
	}
	if again := orderIDFor(conversations.Tweet, 1000000000000000001, "gift-card"); again != id {
		t.Errorf("the same buy made %q, then %q", id, again)
	}
	for _, other := range []string{
		orderIDFor(conversations.DM, 1000000000000000001, "gift-card"),
		orderIDFor(conversations.Tweet, 1000000000000000002, "gift-card"),
		orderIDFor(conversations.Tweet, 1000000000000000001, "kindle"),
	} {
		if other == id {
			t.Errorf("another buy made the same id %q", id)
		}
	}
}
