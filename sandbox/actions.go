package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// What a person can do as a cardholder. The prompt and the web page both
// call these, so both behave the same. Each posts to the Twitter emulator
// exactly as a Twitter app would; the daemon finds the message by polling.

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
	return t, s.explain(p, err)
}

// dm sends text to the bot as a direct message from p.
func (s *sandbox) dm(p *person, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("there is nothing to send")
	}
	_, err := s.tw.SendDM(p.ID, s.bot.ID, text)
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
// polled and processed, every charge settled, every reply sent. It
// returns false when timeout passes first (a reply waiting for a retry,
// say) or ctx ends.
func (s *sandbox) settle(ctx context.Context, timeout time.Duration) bool {
	return s.waitUntil(ctx, timeout, func() bool { return true })
}

// waitUntil polls the daemon until it is idle and done() holds, or until
// timeout or ctx ends it; it reports whether done() held. Polling the bot
// (PollNow) instead of waiting for its schedule is what makes the answer
// show up as soon as it exists; the pause between rounds only spares the
// CPU.
func (s *sandbox) waitUntil(ctx context.Context, timeout time.Duration, done func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s.d.Bot.PollNow()
		if quiet, err := s.d.Bot.Idle(ctx); err == nil && quiet {
			// A poll after quiet that finds nothing new means settled;
			// otherwise the new message is work for the next round.
			s.d.Bot.PollNow()
			if quiet, err = s.d.Bot.Idle(ctx); err == nil && quiet && done() {
				return true
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
