package bot

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// tooLong reports whether Twitter refused a post for its length, as the
// adapter that made the call classified the answer.
func tooLong(err error) bool { return twitterapi.Classify(err) == twitterapi.KindTooLong }

// shortenTooLong handles a message about money that Twitter refused as too
// long: it is never dropped, but replaced by its built-in minimal text
// (messages.Minimal) and sent again at once. It returns false when that
// does not apply (another refusal, another kind of message, or the minimal
// text itself refused), and the message is then refused as usual; and an
// error when the database failed.
func (s *sender) shortenTooLong(ctx context.Context, log *slog.Logger, m storage.OutboxMessage, cause error) (bool, error) {
	if !outcomeKinds[m.Kind] || !tooLong(cause) {
		return false, nil
	}
	text, ok := messages.Minimal(messages.Kind(m.Kind), m.OrderID)
	if !ok {
		return false, nil
	}
	if m.Channel == conversations.Tweet {
		text = messages.ReplyText(m.ScreenName, text)
	}
	if text == m.Text {
		log.Error("ALERT: Twitter refuses even the minimal text of a message about money as too long", "alert", "minimal_text_refused", "err", cause)
		return false, nil
	}
	if err := s.b.db.ReplaceText(context.WithoutCancel(ctx), m.ID, text); err != nil {
		return true, fmt.Errorf("shorten a message Twitter found too long: %w", err)
	}
	log.Warn("Twitter refuses this message about money as too long; sending its minimal text instead", "err", cause)
	return true, s.reschedule(ctx, log, m, s.b.now(), true, cause)
}
