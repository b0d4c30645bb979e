package admin

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestOrdersShowTheHandleWhenKnown: a cardholder who only ever wrote by
// DM has no handle on the order; the USER column shows the id alone, not
// an empty "(@)".
func TestOrdersShowTheHandleWhenKnown(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	orders := []conversations.Order{
		{ID: "ord_dm", OfferID: "kindle-fire-hd", UserID: 9007199254740993, State: conversations.Paid, Channel: conversations.DM, Amount: 19900, Currency: "USD", CreatedAt: at},
		{ID: "ord_tweet", OfferID: "kindle-fire-hd", UserID: 783214, ScreenName: "alice", State: conversations.Paid, Channel: conversations.Tweet, Amount: 19900, Currency: "USD", CreatedAt: at},
	}
	var out bytes.Buffer
	if err := WriteOrders(&out, orders, nil, false); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Contains(text, "(@)") {
		t.Errorf("an order without a handle shows an empty one:\n%s", text)
	}
	for _, want := range []string{"9007199254740993 ", "783214 (@alice)"} {
		if !strings.Contains(text, want) {
			t.Errorf("orders lack %q:\n%s", want, text)
		}
	}
}
