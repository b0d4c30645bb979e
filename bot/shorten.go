package bot

import (
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// tooLong reports whether Twitter refused a post for its length, as the
// adapter that made the call classified the answer.
func tooLong(err error) bool { return twitterapi.Classify(err) == twitterapi.KindTooLong }

// shortening says whether a message Twitter refused is sent again shorter.
type shortening int

const (
	keepText       shortening = iota // does not apply: another refusal, another kind of message
	shortenIt                        // sent again at once with its minimal text
	minimalRefused                   // its minimal text is what Twitter refused
)

// minimalText says what becomes of the text of a message about money that
// Twitter refused as too long: it is never dropped, but replaced by its
// built-in minimal text (messages.Minimal) and sent again at once. When
// that does not apply, or the minimal text itself was refused, the
// message is refused as usual.
func minimalText(m storage.OutboxMessage, cause error) (string, shortening) {
	if !outcomeKinds[m.Kind] || !tooLong(cause) {
		return "", keepText
	}
	text, ok := messages.Minimal(messages.Kind(m.Kind), m.OrderID)
	if !ok {
		return "", keepText
	}
	if m.Channel == conversations.Tweet {
		text = messages.ReplyText(m.ScreenName, text)
	}
	if text == m.Text {
		return "", minimalRefused
	}
	return text, shortenIt
}
