package bot

import (
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/paybytweet/paybytweet/backoff"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// postAnswer is what Twitter answered a post of an outbox message, with
// what the sender looked up because of that answer: the transition
// (deliver) needs nothing else.
type postAnswer struct {
	err  error        // nil: posted as post
	post storage.Post // when err is nil

	// When Twitter calls the text a duplicate: the search for this
	// message itself (find).
	found     bool
	foundPost storage.Post
	findErr   error

	// When Twitter's posting limit is reached: the oldest post of the
	// channel's window; zero when none is known.
	oldestSent time.Time

	// When a DM about an order is refused (aboutOrder): the order, or
	// why it could not be read.
	order    conversations.Order
	orderErr error
}

// sendRules is what the delivery transition reads of the options and
// the configuration.
type sendRules struct {
	pollLag     time.Duration
	tweetWindow time.Duration
	messages    *messages.Set
}

// delivery is what becomes of an outbox message after a post attempt:
// what is recorded (in one storage call) and what the sender does besides.
type delivery struct {
	store    storage.Delivery
	note     string    // why a post found is this message, for the log
	pause    time.Time // no posting on the message's channel until then
	pauseWhy string
	// twitterFailed: the bot is told of the failure, as of a call made
	// for this.
	twitterFailed string
	cause         error
	logs          []logLine // said before it is recorded
}

// logLine is something a transition says.
type logLine struct {
	level slog.Level
	msg   string
	args  []any
}

func (d delivery) say(level slog.Level, msg string, args ...any) delivery {
	d.logs = append(d.logs, logLine{level, msg, args})
	return d
}

func (d delivery) pausing(until time.Time, why string) delivery {
	d.pause, d.pauseWhy = until, why
	return d
}

func sentAs(p storage.Post, note string) delivery {
	return delivery{store: storage.Delivery{Sent: &p}, note: note}
}

// retry puts the message off until at; notPosted says it is known not to
// be on Twitter.
func retry(at time.Time, notPosted bool, cause error) delivery {
	return delivery{store: storage.Delivery{RetryAt: at, NotPosted: notPosted, Why: cause.Error()}, cause: cause}
}

// deliver is what becomes of m after a post Twitter answered with a, at
// now: sent; found already posted; put off (maybe posted, or not);
// given a new text (a duplicate's suffix, a minimal text) or unthreaded
// and sent again; or refused for good.
func deliver(m storage.OutboxMessage, a postAnswer, now time.Time, r sendRules) delivery {
	if a.err == nil {
		return sentAs(a.post, "")
	}
	text, minimal := minimalText(m, a.err)
	switch minimal {
	case shortenIt:
		d := retry(now, true, a.err)
		d.store.Text = text
		return d.say(slog.LevelWarn, "Twitter refuses this message about money as too long; sending its minimal text instead", "err", a.err)
	case minimalRefused:
		return refusal(m, a, now, r).say(slog.LevelError, "ALERT: Twitter refuses even the minimal text of a message about money as too long", "alert", "minimal_text_refused", "err", a.err)
	}
	switch twitterapi.Classify(a.err) {
	case twitterapi.KindDuplicate:
		return afterDuplicate(m, a, now)
	case twitterapi.KindGone, twitterapi.KindRefused, twitterapi.KindTooLong:
		// A text too long that was not shortened is refused.
		return refusal(m, a, now, r)
	case twitterapi.KindUnexpected:
		// A refusal Twitter's documentation does not explain: maybe this
		// message's (a reply its author does not allow), maybe passing.
		// Only this message waits; after a few tries it counts as refused.
		if m.Attempts >= unexpectedTries {
			return refusal(m, a, now, r)
		}
		return retry(now.Add(time.Minute), true, a.err).say(slog.LevelError, "Twitter refuses this message with an unexpected error; it is tried again", "err", a.err)
	}
	return holdBack(m, a, now, r)
}

// afterDuplicate: 187 alone does not prove the reply is out, since it may
// be an older tweet with the same text; the search for this reply itself
// says.
func afterDuplicate(m storage.OutboxMessage, a postAnswer, now time.Time) delivery {
	if a.findErr != nil {
		return retry(retryAt(m, a.findErr, now), false, a.findErr)
	}
	if a.found {
		return sentAs(a.foundPost, "duplicate status, and it is this reply")
	}
	d := retry(now, true, a.err)
	d.store.Text = m.Text + " ·" + strconv.FormatInt(m.ID, 36)
	return d.say(slog.LevelWarn, "Twitter calls this text a duplicate of an older tweet; sending it with a distinguishing suffix")
}

// holdBack puts m off after a failure that is no verdict on m itself: the
// account's, a budget's, or Twitter's health; pausing the channel when it
// concerns every post on it.
func holdBack(m storage.OutboxMessage, a postAnswer, now time.Time, r sendRules) delivery {
	err := a.err
	switch twitterapi.Classify(err) {
	case twitterapi.KindAccount:
		at := now.Add(5 * time.Minute)
		return retry(at, true, err).pausing(at, err.Error()).
			say(slog.LevelError, "TWITTER REFUSES THE ACCOUNT THIS: posting paused, everything stays queued; an operator must look", "err", err, "alert", "twitter_account_refused")
	case twitterapi.KindRateLimited:
		at := retryAt(m, err, now)
		return retry(at, true, err).pausing(at, "rate limited")
	case twitterapi.KindPostingLimit:
		at := now.Add(r.tweetWindow)
		if !a.oldestSent.IsZero() {
			at = a.oldestSent.Add(r.tweetWindow)
		}
		return retry(at, true, err).pausing(at, "Twitter's posting limit (185)")
	case twitterapi.KindPaused:
		at := now.Add(15 * time.Minute)
		return retry(at, true, err).pausing(at, err.Error()).say(slog.LevelError, "Twitter asks the account to pause (226/326); posting paused", "err", err)
	case twitterapi.KindCapped:
		return capped(err, now)
	case twitterapi.KindAuth:
		d := retry(now.Add(5*time.Second), true, err)
		d.twitterFailed = "post"
		return d
	}
	// Transient or unknown: it may be on Twitter.
	wait := backoff.Wait(m.Attempts + 1)
	if !twitterapi.MayHavePosted(err) {
		return retry(now.Add(wait), true, err)
	}
	return retry(listedAfter(now, wait, r.pollLag), false, err)
}

// capped pauses the channel until the API's usage cap resets.
func capped(err error, now time.Time) delivery {
	at := now.Add(15 * time.Minute)
	if e := (*twitterapi.Error)(nil); errors.As(err, &e) && e.ResetAt.After(now) {
		at = e.ResetAt
	}
	d := retry(at, true, err).pausing(at, "usage cap or credits used up")
	if !twitterapi.NotSent(err) {
		d = d.say(slog.LevelError, "ALERT: the API's usage cap or pay-per-use credits are used up: posting on this channel paused, everything stays queued; an operator must raise the cap or add credits", "until", at.Format(time.RFC3339), "err", err)
	}
	return d
}

// refusal handles a message Twitter will never accept as it is. A reply
// to a tweet since deleted (385) that tells of money is posted as a plain
// mention instead. The rest is recorded as failed (a request that cannot
// be delivered releases its unit); when it was a DM about an order (its
// request, or what became of the money) that the cardholder's closed DMs
// refused, a public note that holds nothing private tells them, queued in
// the same commit so that a crash cannot lose it.
func refusal(m storage.OutboxMessage, a postAnswer, now time.Time, r sendRules) delivery {
	cause := a.err
	if outcomeKinds[m.Kind] && m.Channel == conversations.Tweet && m.InReplyTo != 0 && twitterapi.Classify(cause) == twitterapi.KindGone {
		d := retry(now, true, cause)
		d.store.Unthread = true
		return d.say(slog.LevelWarn, "the tweet this answers was deleted; sending it as a mention instead", "err", cause)
	}
	d := delivery{store: storage.Delivery{Failed: true, Why: cause.Error()}, cause: cause}
	if !aboutOrder(m) {
		return d
	}
	if a.orderErr != nil {
		return retry(now.Add(time.Minute), true, cause).say(slog.LevelError, "read the order to tell its cardholder; tried again later", "err", a.orderErr)
	}
	if a.order.ScreenName == "" {
		return d.say(slog.LevelError, "ALERT: a direct message about a cardholder's order could not be delivered, and no screen name is known to tell them in public", "order", a.order.ID, "alert", "dm_undeliverable")
	}
	d.store.Notes = []conversations.Reply{conversations.UndeliverableReply(r.messages, a.order)}
	return d
}

// aboutOrder reports whether m is a DM about an order, its request or
// what became of the money: when Twitter refuses it, the cardholder is
// told in public (see refusal).
func aboutOrder(m storage.OutboxMessage) bool {
	return m.Channel == conversations.DM && m.OrderID != "" && (outcomeKinds[m.Kind] || m.IsRequest)
}

// mayRefuse reports whether err may make m refused for good, so that the
// sender reads what refusal needs before the transition.
func mayRefuse(err error) bool {
	switch twitterapi.Classify(err) {
	case twitterapi.KindGone, twitterapi.KindRefused, twitterapi.KindTooLong, twitterapi.KindUnexpected:
		return true
	}
	return false
}

// afterSearch is what becomes of m, whose earlier post was interrupted,
// after the search for it on Twitter: recorded as sent when found, put
// off when the search failed or has not reached back far enough; ok is
// false when m is known not to be on Twitter, and is to be posted.
func afterSearch(m storage.OutboxMessage, p storage.Post, found bool, err error, now time.Time) (delivery, bool) {
	switch {
	case errors.Is(err, errNotSettled):
		return retry(retryAt(m, err, now), false, err).say(slog.LevelWarn, "still looking for an interrupted post on Twitter; it is not posted again until that is known", "err", err), true
	case err != nil:
		d := retry(retryAt(m, err, now), false, err)
		d.twitterFailed = "look for an interrupted post"
		return d, true
	case found:
		return sentAs(p, "found on Twitter after an interrupted post"), true
	}
	return delivery{}, false
}

// retryAt is when to try m again after err: when a rate limit resets, or
// after the usual backoff.
func retryAt(m storage.OutboxMessage, err error, now time.Time) time.Time {
	var e *twitterapi.Error
	if errors.As(err, &e) && twitterapi.Classify(err) == twitterapi.KindRateLimited {
		if e.ResetAt.After(now) {
			return e.ResetAt.Add(time.Second)
		}
		return now.Add(time.Minute)
	}
	return now.Add(backoff.Wait(m.Attempts + 1))
}

// listedAfter is when to look for a post that may have been made by now:
// wait from now, and no sooner than pollLag, since Twitter's lists may
// not show a post until then, and a search that looked sooner would miss
// it and post it again. Tweets have Twitter's duplicate check (187)
// behind this; direct messages have nothing.
func listedAfter(now time.Time, wait, pollLag time.Duration) time.Time {
	return now.Add(max(wait, pollLag))
}
