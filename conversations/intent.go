package conversations

import (
	"strings"
	"unicode"

	"github.com/paybytweet/paybytweet/twittertext"
)

// IntentKind is what a message asks for.
type IntentKind string

// The intents a message can carry.
const (
	Ignore     IntentKind = "ignore"  // nothing for the bot: no reply
	Buy        IntentKind = "buy"     // one offer's buy hashtag
	Several    IntentKind = "several" // hashtags of more than one offer
	ConfirmTag IntentKind = "confirm" // one offer's confirm hashtag
	Yes        IntentKind = "yes"     // DM "yes" or "confirm"
	HelpCmd    IntentKind = "help"    // DM "help"
	OrdersCmd  IntentKind = "orders"  // DM "orders"
	CancelCmd  IntentKind = "cancel"  // DM "cancel"
	Unknown    IntentKind = "unknown" // a DM the bot does not understand
)

// Intent is a classified message.
type Intent struct {
	Kind IntentKind
	// Offer is the offer of a Buy or of a ConfirmTag.
	Offer Offer
	// ConfirmTags are the message's normalised hashtags, so that a
	// confirmation can also match the hashtag an order was requested with.
	ConfirmTags []string
}

// NeedsEnrollment reports whether deciding this intent needs the issuer's
// enrollment of the sender, which the bot looks up before deciding.
func (i Intent) NeedsEnrollment() bool { return i.Kind == Buy }

// Classify reads what a message asks for. Hashtags come only from the
// message's own entities; a buy hashtag wins over confirm hashtags in the
// same message, and hashtags of two different offers ask for too much at
// once. Mentions without any of the offers' hashtags are ignored: people
// mention the bot for all sorts of reasons (Decide still answers one
// whose hashtag is nearly an offer's, once: see HintQuiet).
func Classify(m Inbound, c *Catalog) Intent {
	tags := make([]string, 0, len(m.Hashtags))
	for _, h := range m.Hashtags {
		tags = append(tags, twittertext.NormalizeHashtag(h))
	}
	buys := map[int]bool{}
	confirms := map[int]bool{}
	for _, t := range tags {
		if i, ok := c.buy[t]; ok {
			buys[i] = true
		}
		if i, ok := c.confirm[t]; ok {
			confirms[i] = true
		}
	}
	switch {
	case len(buys) > 1:
		return Intent{Kind: Several}
	case len(buys) == 1:
		for i := range buys {
			return Intent{Kind: Buy, Offer: c.offers[i]}
		}
	case len(confirms) > 1:
		return Intent{Kind: Several}
	case len(confirms) == 1:
		for i := range confirms {
			return Intent{Kind: ConfirmTag, Offer: c.offers[i], ConfirmTags: tags}
		}
	}
	// Other hashtags may still be the confirm hashtag an order was
	// requested with before an admin renamed it; Decide looks for that.
	if m.Channel != DM {
		return Intent{Kind: Ignore, ConfirmTags: tags}
	}
	if kind, ok := dmCommands[command(m.Text)]; ok {
		return Intent{Kind: kind}
	}
	return Intent{Kind: Unknown, ConfirmTags: tags}
}

// dmCommands are the one-word DMs the bot answers, besides hashtags.
var dmCommands = map[string]IntentKind{
	"yes": Yes, "confirm": Yes, "help": HelpCmd, "orders": OrdersCmd, "cancel": CancelCmd,
}

// command reduces a DM to a lower-case word without the spaces and
// punctuation people add ("Yes!", " confirm. "), or "" when it is more
// than one word.
func command(text string) string {
	w := strings.TrimFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
	if w == "" || strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 {
		return ""
	}
	return strings.ToLower(w)
}
