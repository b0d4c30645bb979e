package bot

import (
	"testing"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// TestRestoreGuardMatch: a reply made again after a restore is matched to
// the post made before it by the tweet it answers (or its DM's recipient),
// its order and its text, allowing only for what a later decision changes
// (digits, such as a time; the suffix of a duplicate); anything else is
// another message, to be posted.
func TestRestoreGuardMatch(t *testing.T) {
	const text = "@alice Buy Gift Card for 25.00 USD on your card ending 1005? Reply #ConfirmGiftCard by 12:15 UTC to confirm. Order ord_4fz8q2m1k0c3v7xw"
	posts := []twitterPost{
		{ch: conversations.Tweet, id: 10, inReplyTo: 5, text: "@alice Buy Gift Card for 25.00 USD on your card ending 1005? Reply #ConfirmGiftCard by 12:14 UTC to confirm. Order ord_4fz8q2m1k0c3v7xw ·1x"},
		{ch: conversations.DM, id: 11, recipient: 783214, text: "Done! Gift Card for 25.00 USD is charged to your card ending 1005. Order ord_4fz8q2m1k0c3v7xw, receipt pur_1."},
		{ch: conversations.DM, id: 12, recipient: 783214, text: "Sorry, I did not understand that. Send &quot;help&quot; to see what I can do."},
	}
	tweet := func(inReplyTo int64, order, text string) storage.OutboxMessage {
		return storage.OutboxMessage{Channel: conversations.Tweet, InReplyTo: inReplyTo, OrderID: order, Text: text}
	}
	dm := func(to int64, order, text string) storage.OutboxMessage {
		return storage.OutboxMessage{Channel: conversations.DM, UserID: to, OrderID: order, Text: text}
	}
	request := func(inReplyTo int64, text string) storage.OutboxMessage {
		m := tweet(inReplyTo, "ord_4fz8q2m1k0c3v7xw", text)
		m.IsRequest = true
		return m
	}
	terms := []string{"25.00 USD", "1005"}
	for _, tt := range []struct {
		name  string
		m     storage.OutboxMessage
		terms []string
		want  int64 // 0: no match
	}{
		{"the request again, by its terms", request(5, text), terms, 10},
		{"the request reworded since: its order, hashtag and terms", request(5, "@alice Gift Card, 25.00 USD, card ending 1005: reply #ConfirmGiftCard by 12:15 UTC. Order ord_4fz8q2m1k0c3v7xw"), terms, 10},
		{"the request at a new price, worded alike", request(5, "@alice Buy Gift Card for 35.00 USD on your card ending 1005? Reply #ConfirmGiftCard by 12:15 UTC to confirm. Order ord_4fz8q2m1k0c3v7xw"),
			[]string{"35.00 USD", "1005"}, 0},
		{"the request on a new card, reworded", request(5, "@alice Gift Card, 25.00 USD, card ending 2002: reply #ConfirmGiftCard by 12:15 UTC. Order ord_4fz8q2m1k0c3v7xw"),
			[]string{"25.00 USD", "2002"}, 0},
		{"the request reworded without its hashtag", request(5, "@alice Gift Card, 25.00 USD, card ending 1005: reply #YesGiftCard. Order ord_4fz8q2m1k0c3v7xw"), terms, 0},
		{"the request again, another time of day, no duplicate suffix", tweet(5, "ord_4fz8q2m1k0c3v7xw", text), nil, 10},
		{"the request, answering another tweet", tweet(6, "ord_4fz8q2m1k0c3v7xw", text), nil, 0},
		{"another order's request", tweet(5, "ord_000000000000000x", "@alice Buy Gift Card for 25.00 USD on your card ending 1005? Reply #ConfirmGiftCard by 12:15 UTC to confirm. Order ord_000000000000000x"), nil, 0},
		{"another kind about the same order", tweet(5, "ord_4fz8q2m1k0c3v7xw", "@alice Order ord_4fz8q2m1k0c3v7xw for Gift Card is already confirmed; nothing more will be charged."), nil, 0},
		{"the receipt by DM", dm(783214, "ord_4fz8q2m1k0c3v7xw", "Done! Gift Card for 25.00 USD is charged to your card ending 1005. Order ord_4fz8q2m1k0c3v7xw, receipt pur_1."), nil, 11},
		{"the receipt by DM to somebody else", dm(42, "ord_4fz8q2m1k0c3v7xw", "Done! Gift Card for 25.00 USD is charged to your card ending 1005. Order ord_4fz8q2m1k0c3v7xw, receipt pur_1."), nil, 0},
		{"a DM about no order, HTML-escaped by Twitter", dm(783214, "", `Sorry, I did not understand that. Send "help" to see what I can do.`), nil, 12},
		{"another DM about no order", dm(783214, "", "You have no request waiting for confirmation, so there is nothing to cancel."), nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &restoreGuard{posts: posts}
			p, ok := g.match(tt.m, tt.terms)
			switch {
			case tt.want == 0 && ok:
				t.Errorf("matched post %d %q", p.id, p.text)
			case tt.want != 0 && (!ok || p.id != tt.want):
				t.Errorf("matched %d (%v), want post %d", p.id, ok, tt.want)
			}
		})
	}
}
