package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/money"
)

// What a person can do as a cardholder. The prompt and the web page both
// call these, so both behave the same. Each posts to the Twitter emulator
// exactly as a Twitter app would; the daemon gets the message pushed (v2)
// or finds it by polling (v1.1, or v2 while push is down).

// tweet posts text as p. A tweet that does not mention the bot gets
// "@Bot " in front, as the bot only reads its mentions and forgetting the
// mention is the likeliest slip of a first-time user; added reports it.
func (s *sandbox) tweet(p *person, text string) (t twitteremu.Tweet, added bool, err error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return t, false, errors.New("there is nothing to tweet")
	}
	if !s.mentionsBot(text) {
		text = "@" + s.bot.ScreenName + " " + text
		added = true
	}
	t, err = s.tw.PostTweet(p.ID, text, twitteremu.TweetOptions{})
	if err == nil {
		s.sent(false, t.ID)
	}
	return t, added, s.explain(p, err)
}

// reply posts text as p in reply to the bot's newest tweet to p. The
// emulator, like Twitter's apps, puts "@Bot " in front when text does not
// mention the bot.
func (s *sandbox) reply(p *person, text string) (twitteremu.Tweet, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return twitteremu.Tweet{}, errors.New("there is nothing to reply")
	}
	last, ok := s.lastBotTweetTo(p)
	if !ok {
		return twitteremu.Tweet{}, fmt.Errorf("@%s has no tweet from @%s to reply to yet: tweet a buy hashtag first", p.ScreenName, s.bot.ScreenName)
	}
	return s.replyTo(p, last.ID, text)
}

func (s *sandbox) replyTo(p *person, tweetID int64, text string) (twitteremu.Tweet, error) {
	t, err := s.tw.PostTweet(p.ID, text, twitteremu.TweetOptions{InReplyTo: tweetID})
	if err == nil {
		s.sent(false, t.ID)
	}
	return t, s.explain(p, err)
}

// dm sends text to the bot as a direct message from p.
func (s *sandbox) dm(p *person, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("there is nothing to send")
	}
	e, err := s.tw.SendDM(p.ID, s.bot.ID, text)
	if err == nil {
		s.sent(true, e.ID)
	}
	return s.explain(p, err)
}

// confirm answers the bot's newest request to p the way it came: a tweet
// is replied to with its confirm hashtag, a DM is answered "yes". It
// returns an error when the bot has asked p nothing.
func (s *sandbox) confirm(p *person) error {
	var last message
	for _, m := range s.messages() {
		if m.From == s.bot.ID && s.addressedTo(m, p) && s.confirmHashtagIn(m.Text) != "" {
			last = m
		}
	}
	switch {
	case last.ID == 0:
		return fmt.Errorf("@%s has no request from @%s to confirm: send a buy hashtag first", p.ScreenName, s.bot.ScreenName)
	case last.DM:
		return s.dm(p, "yes")
	}
	_, err := s.replyTo(p, last.ID, s.confirmHashtagIn(last.Text))
	return err
}

// addressedTo reports whether the bot's message m is for p.
func (s *sandbox) addressedTo(m message, p *person) bool {
	if m.DM {
		return m.To == p.ID
	}
	for _, t := range s.botTweetsTo(p) {
		if t.ID == m.ID {
			return true
		}
	}
	return false
}

// mentionsBot reports whether text holds "@Bot" as a whole mention.
func (s *sandbox) mentionsBot(text string) bool {
	lower, name := strings.ToLower(text), "@"+strings.ToLower(s.bot.ScreenName)
	for i := strings.Index(lower, name); i >= 0; {
		end := i + len(name)
		if end == len(lower) || !isTagChar(lower[end]) {
			return true
		}
		next := strings.Index(lower[end:], name)
		if next < 0 {
			break
		}
		i = end + next
	}
	return false
}

// explain turns the emulator's refusals into what a person can act on.
func (s *sandbox) explain(p *person, err error) error {
	var api *twitteremu.APIError
	if !errors.As(err, &api) {
		return err
	}
	switch api.Code {
	case twitteremu.CodeDuplicateStatus:
		return fmt.Errorf("Twitter refuses a tweet that @%s has already posted with the same text (error 187); add a word to make it new", p.ScreenName)
	case twitteremu.CodeTweetTooLong:
		return errors.New("that is longer than a tweet may be (280 characters)")
	}
	return fmt.Errorf("Twitter refused it: %s (error %d)", api.Message, api.Code)
}

// settle waits until the daemon has nothing left to do: every message
// read and processed, every charge settled, every reply sent. It returns
// false when timeout passes first (a reply waiting for a retry, say) or
// ctx ends.
func (s *sandbox) settle(ctx context.Context, timeout time.Duration) bool {
	return s.waitUntil(ctx, timeout, func() bool { return true })
}

// waitUntil waits until the daemon has every message the sandbox sent it,
// is idle, and done() holds, or until timeout or ctx ends it; it reports
// whether done() held. The pause between rounds only spares the CPU: the
// answer shows up as soon as it exists.
//
// While push is healthy, the messages come by push within milliseconds,
// and a message is had once it is in the bot's inbox. Otherwise (v1.1,
// push down, or a message push has not brought within pushGrace) the bot
// is made to poll at once (PollNow), instead of waiting for its schedule.
func (s *sandbox) waitUntil(ctx context.Context, timeout time.Duration, done func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.pushBrings() {
			if s.inInbox(ctx) {
				if quiet, err := s.d.Bot.Idle(ctx); err == nil && quiet && done() {
					return true
				}
			}
		} else {
			s.pollNow()
			if quiet, err := s.d.Bot.Idle(ctx); err == nil && quiet {
				// A poll after quiet that finds nothing new means settled;
				// otherwise the new message is work for the next round.
				s.pollNow()
				if quiet, err = s.d.Bot.Idle(ctx); err == nil && quiet && done() {
					return true
				}
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// owedMessage is a message the sandbox sent the bot: a tweet (the post's
// id) or a DM (the DM event's id), and when.
type owedMessage struct {
	dm bool
	id int64
	at time.Time
}

// sent notes a message the sandbox sent the bot, until it is seen in the
// bot's inbox (inInbox) or a poll starting after it has run (pollNow).
func (s *sandbox) sent(dm bool, id int64) {
	s.owedMu.Lock()
	defer s.owedMu.Unlock()
	s.owed = append(s.owed, owedMessage{dm: dm, id: id, at: time.Now()})
}

// pushOn reports whether the bot runs with push (on v2).
func (s *sandbox) pushOn() bool {
	on, _, _ := s.d.Bot.PushState()
	return on
}

// pushBrings reports whether push brings the messages now: it is healthy,
// and no message sent has been waiting for it longer than pushGrace.
func (s *sandbox) pushBrings() bool {
	if _, healthy, _ := s.d.Bot.PushState(); !healthy {
		return false
	}
	late := time.Now().Add(-pushGrace)
	s.owedMu.Lock()
	defer s.owedMu.Unlock()
	for _, m := range s.owed {
		if m.at.Before(late) {
			return false
		}
	}
	return true
}

// inInbox reports whether every message sent is in the bot's inbox now,
// and forgets those that are.
func (s *sandbox) inInbox(ctx context.Context) bool {
	s.owedMu.Lock()
	n := len(s.owed)
	s.owedMu.Unlock()
	if n == 0 {
		return true
	}
	msgs, err := s.d.DB.Inbox(ctx, "")
	if err != nil {
		return false
	}
	type key struct {
		dm bool
		id int64
	}
	have := make(map[key]bool, len(msgs))
	for _, m := range msgs {
		have[key{m.Channel == conversations.DM, m.Inbound.ID}] = true
	}
	s.owedMu.Lock()
	defer s.owedMu.Unlock()
	s.owed = slices.DeleteFunc(s.owed, func(m owedMessage) bool { return have[key{m.dm, m.id}] })
	return len(s.owed) == 0
}

// pollNow has the bot poll mentions and DMs at once and waits for both
// polls; what was sent before is then read, so no longer owed.
func (s *sandbox) pollNow() {
	start := time.Now()
	s.polls.Add(1)
	s.d.Bot.PollNow()
	s.owedMu.Lock()
	defer s.owedMu.Unlock()
	s.owed = slices.DeleteFunc(s.owed, func(m owedMessage) bool { return m.at.Before(start) })
}

// waitForPush waits up to timeout for push to be healthy, when it is on,
// so that what the person does first already goes by push.
func (s *sandbox) waitForPush(timeout time.Duration) {
	if !s.pushOn() {
		return
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && s.ctx.Err() == nil {
		if _, healthy, _ := s.d.Bot.PushState(); healthy {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The cardholder's phone. A purchase over the approval threshold waits at
// the issuer until its cardholder approves or declines it in the issuer's
// app (or by SMS); in the sandbox the person plays that phone, on the page
// and at the prompt, through these.

// sandboxApprovalTTL is how long a cardholder has to answer: short enough
// to watch one expire, long enough to read the bot's message and click.
const sandboxApprovalTTL = 5 * time.Minute

// holderOf names the cardholder of purchase p as the sandbox shows them:
// "@bob" and bob's user id when the cardholder token or the purchase's
// Twitter user id is a sandbox person's, else the token and 0.
func (s *sandbox) holderOf(p issuersandbox.Purchase) (name string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.people {
		if q.Cardholder != "" && q.Cardholder == p.Cardholder {
			return "@" + q.ScreenName, q.ID
		}
	}
	if id, err := strconv.ParseInt(p.Metadata["twitter_user_id"], 10, 64); err == nil {
		return "@" + s.screenName(id), id
	}
	return p.Cardholder, 0
}

// cardholderOf is p's cardholder token, "" when p has no card.
func (s *sandbox) cardholderOf(p *person) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.Cardholder
}

// pendingApproval finds the pending approval that ref means: a purchase
// id, or a unique beginning of one (case and the "pur_" left out
// forgiven); a cardholder's name, for their only pending approval; or ""
// for the only one there is.
func (s *sandbox) pendingApproval(ref string) (issuersandbox.Purchase, error) {
	pending := s.iss.PendingApprovals()
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return onlyPending(pending, "")
	}
	if p, err := s.personNamed(ref); err == nil {
		token := s.cardholderOf(p)
		mine := slices.DeleteFunc(slices.Clone(pending), func(q issuersandbox.Purchase) bool { return token == "" || q.Cardholder != token })
		return onlyPending(mine, " of @"+p.ScreenName)
	}
	for _, q := range pending {
		if q.ID == ref {
			return q, nil
		}
	}
	want := strings.ToLower(ref)
	var matches []issuersandbox.Purchase
	for _, q := range pending {
		id := strings.ToLower(q.ID)
		if strings.HasPrefix(id, want) || strings.HasPrefix(strings.TrimPrefix(id, "pur_"), want) {
			matches = append(matches, q)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		for _, q := range s.iss.Purchases() {
			if strings.EqualFold(q.ID, ref) {
				return q, fmt.Errorf("purchase %s is not waiting for approval: it is %s", q.ID, statusText(q))
			}
		}
		if len(pending) == 0 {
			return issuersandbox.Purchase{}, fmt.Errorf("no purchase %q, and none is waiting for approval", ref)
		}
		return issuersandbox.Purchase{}, fmt.Errorf("no purchase %q is waiting for approval; waiting: %s", ref, ids(pending))
	}
	return issuersandbox.Purchase{}, fmt.Errorf("%q could be any of %s: type more of the id", ref, ids(matches))
}

// onlyPending is the one purchase in pending, or an error that says there
// are none or which ones to choose from; whose says whose they are.
func onlyPending(pending []issuersandbox.Purchase, whose string) (issuersandbox.Purchase, error) {
	switch len(pending) {
	case 0:
		return issuersandbox.Purchase{}, fmt.Errorf("no purchase%s is waiting for approval", whose)
	case 1:
		return pending[0], nil
	}
	return issuersandbox.Purchase{}, fmt.Errorf("%d purchases%s are waiting for approval (%s): say which", len(pending), whose, ids(pending))
}

func ids(ps []issuersandbox.Purchase) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return strings.Join(out, ", ")
}

// statusText is a purchase's status in words: "approved", "declined
// (approval expired)".
func statusText(p issuersandbox.Purchase) string {
	if p.DeclineCode == "" {
		return strings.ReplaceAll(p.Status, "_", " ")
	}
	return p.Status + " (" + strings.ReplaceAll(p.DeclineCode, "_", " ") + ")"
}

// answerApproval is the cardholder approving (or declining) the pending
// purchase ref names (see pendingApproval) on their phone. It returns the
// purchase as it ends and a sentence saying what came of it; the bot
// learns the outcome from the issuer on its own.
func (s *sandbox) answerApproval(ref string, approve bool) (issuersandbox.Purchase, string, error) {
	p, err := s.pendingApproval(ref)
	if err != nil {
		return p, "", err
	}
	if s.tr != nil {
		s.tr.flush() // the terminal shows the purchase waiting before it moves
	}
	answer := s.iss.Decline
	if approve {
		answer = s.iss.Approve
	}
	p, err = answer(p.ID)
	if errors.Is(err, issuersandbox.ErrNotPending) {
		// It expired (or was answered elsewhere) since it was found.
		return p, "", fmt.Errorf("purchase %s is not waiting for approval any more: it is %s", p.ID, statusText(p))
	}
	if err != nil {
		return p, "", err
	}
	who, _ := s.holderOf(p)
	what := money.Format(p.Amount, p.Currency)
	if p.Description != "" {
		what += " for " + p.Description
	}
	switch {
	case p.Status == issuersandbox.StatusApproved:
		return p, fmt.Sprintf("%s approved purchase %s (%s): the issuer charged the card.", who, p.ID, what), nil
	case approve:
		return p, fmt.Sprintf("%s approved purchase %s (%s), but the card declined it (%s): nothing was charged.",
			who, p.ID, what, strings.ReplaceAll(p.DeclineCode, "_", " ")), nil
	}
	return p, fmt.Sprintf("%s declined purchase %s (%s): nothing was charged.", who, p.ID, what), nil
}

// settledApprovals returns up to n purchases that waited for approval and
// no longer do, newest first.
func (s *sandbox) settledApprovals(n int) []issuersandbox.Purchase {
	var out []issuersandbox.Purchase
	for _, p := range slices.Backward(s.iss.Purchases()) {
		if p.Approval != nil && p.Status != issuersandbox.StatusPendingApproval {
			out = append(out, p)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// timeLeft is how long until t, as a person reads it: "4m 59s", "12s",
// "0s".
func timeLeft(t, now time.Time) string {
	d := max(t.Sub(now).Truncate(time.Second), 0)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return fmt.Sprintf("%dm %02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
}
