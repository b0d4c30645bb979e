package messages

import "strings"

// minimalTexts are the last-resort texts of the messages about money: what
// is sent when Twitter refuses the rendered message as too long (its count
// differed from ours, or an override rendered longer than checked). They
// are built in, never templates, name the order and nothing private (no
// amount, no card digits), so they may go in public whatever the privacy
// mode, and they are far under every limit.
var minimalTexts = map[Kind]string{
	Receipt:         `Paid: order %s is charged to your card. DM us "orders" for the details.`,
	ReceiptPointer:  `Order %s is paid. The details are in your direct messages.`,
	Declined:        `Your card was declined for order %s. Nothing was charged.`,
	ChargeFailed:    `Order %s could not be charged. Nothing was charged.`,
	Refunded:        `Order %s has been refunded to your card. DM us "orders" for the details.`,
	DMUndeliverable: `We could not send you a direct message about order %s. Please open your DMs to us.`,
}

// maxMinimalOrderID bounds the weighted length of the order id put in a
// minimal text, so that the text fits a tweet however long an id is (the
// bot's own are 20 characters).
const maxMinimalOrderID = 64

// Minimal returns the minimal text of a message about money, for an order,
// and false for a kind that has none (a message that is not about money).
// The text has no "@screen_name " in front (see ReplyText); with a screen
// name of at most 15 characters it is always within MaxTweetLength.
func Minimal(k Kind, orderID string) (string, bool) {
	format, ok := minimalTexts[k]
	if !ok {
		return "", false
	}
	return strings.Replace(format, "%s", Fit(orderID, maxMinimalOrderID), 1), true
}
