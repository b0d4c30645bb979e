package messages

import (
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/twittertext"
)

// TestMinimalFitsAndSaysNothingPrivate: every message about money has a
// minimal text that fits a tweet with the longest screen name and any
// order id, names the order, and holds no amount or card digits.
func TestMinimalFitsAndSaysNothingPrivate(t *testing.T) {
	money := []Kind{Receipt, ReceiptPointer, Declined, ChargeFailed, Refunded, DMUndeliverable}
	ids := []string{"ord_06h1sr3hx3br1khn", strings.Repeat("x", 500), strings.Repeat("語", 300), strings.Repeat("👍🏽", 100)}
	for _, k := range money {
		for _, id := range ids {
			text, ok := Minimal(k, id)
			if !ok {
				t.Fatalf("%s has no minimal text", k)
			}
			tweet := ReplyText("abcdefghijklmno", text)
			if !twittertext.FitsTweet(tweet) {
				t.Errorf("%s: %q weighs %d", k, tweet, twittertext.WeightedLength(tweet))
			}
			shown := Fit(id, maxMinimalOrderID)
			if !strings.Contains(text, shown) {
				t.Errorf("%s: %q does not name the order", k, text)
			}
			if rest := strings.Replace(text, shown, "", 1); strings.ContainsAny(rest, "0123456789$%") || strings.Contains(rest, "{{") {
				t.Errorf("%s: %q may hold an amount or card digits", k, text)
			}
		}
	}
	if text, _ := Minimal(Receipt, "ord_1"); !strings.Contains(text, "ord_1") {
		t.Errorf("receipt %q does not name ord_1", text)
	}
	for _, k := range []Kind{ConfirmRequest, Help, Orders, Announce} {
		if _, ok := Minimal(k, "ord_1"); ok {
			t.Errorf("%s, not about money, has a minimal text", k)
		}
	}
}
