package sandbox

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/money"
)

// message is a tweet or a direct message, as the sandbox shows them: the
// emulator gives both ids from one increasing sequence, so sorting by id
// puts a conversation in the order it happened.
type message struct {
	ID        int64
	DM        bool
	From, To  int64 // To: the DM's recipient, or the author of the tweet replied to (0 for none)
	InReplyTo int64
	Text      string
	At        time.Time
}

// messages returns every tweet and DM, oldest first.
func (s *sandbox) messages() []message {
	tweets := s.tw.Tweets()
	authors := make(map[int64]int64, len(tweets))
	for _, t := range tweets {
		authors[t.ID] = t.AuthorID
	}
	var out []message
	for _, t := range tweets {
		out = append(out, message{ID: t.ID, From: t.AuthorID, To: authors[t.InReplyTo], InReplyTo: t.InReplyTo, Text: t.Text, At: t.CreatedAt})
	}
	for _, e := range s.tw.DMs() {
		out = append(out, message{ID: e.ID, DM: true, From: e.SenderID, To: e.RecipientID, Text: e.Text, At: e.CreatedAt})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// line renders m as one conversation line ("@alice: ...", "@AmexOffers →
// @alice: ...", "DM @alice → @AmexOffers: ..."); the lines of a long DM
// are indented under it.
func (s *sandbox) line(m message) string {
	var b strings.Builder
	if m.DM {
		b.WriteString("DM ")
	}
	b.WriteString("@" + s.screenName(m.From))
	if m.To != 0 {
		b.WriteString(" → @" + s.screenName(m.To))
	}
	b.WriteString(": ")
	b.WriteString(strings.ReplaceAll(strings.TrimRight(m.Text, "\n"), "\n", "\n      "))
	b.WriteString("\n")
	return b.String()
}

// purchaseLine renders one of the issuer's purchases; one waiting for
// approval says until when, and how to answer it.
func (s *sandbox) purchaseLine(p issuersandbox.Purchase) string {
	who, _ := s.holderOf(p)
	line := fmt.Sprintf("issuer: purchase %s %s, %s on %s's card, order %s", p.ID, purchaseState(p), money.Format(p.Amount, p.Currency), who, p.Reference)
	if p.RefundedAmount > 0 {
		line += ", refunded " + money.Format(p.RefundedAmount, p.Currency)
	}
	if p.Status == issuersandbox.StatusPendingApproval && p.Approval != nil {
		line += fmt.Sprintf("\n        %s's phone (%s) asks to approve it by %s: type approve or decline",
			who, p.Approval.Channel, p.Approval.Expires.Local().Format("15:04:05"))
	}
	return line + "\n"
}

// purchaseState is p's status as the terminal shows it: "approved",
// "declined (insufficient_funds)".
func purchaseState(p issuersandbox.Purchase) string {
	if p.DeclineCode != "" {
		return p.Status + " (" + p.DeclineCode + ")"
	}
	return p.Status
}

// transcript prints, to Stdout, every message and purchase that it has not
// printed yet, so that whoever caused them (the demo, the prompt, the web
// page, a late reply of the bot) the terminal shows one conversation.
type transcript struct {
	s *sandbox

	mu     sync.Mutex
	lastID int64
	// purchases holds each purchase's state as last printed: a purchase
	// is printed again when it moves, as one waiting for approval does.
	purchases map[string]string
}

func newTranscript(s *sandbox) *transcript {
	return &transcript{s: s, purchases: map[string]string{}}
}

// flush prints what is new and reports whether the bot said anything.
func (t *transcript) flush() (botSpoke bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	for _, m := range t.s.messages() {
		if m.ID <= t.lastID {
			continue
		}
		t.lastID = m.ID
		b.WriteString(t.s.line(m))
		botSpoke = botSpoke || m.From == t.s.bot.ID
	}
	for _, p := range t.s.iss.Purchases() {
		if state := purchaseState(p); t.purchases[p.ID] != state {
			t.purchases[p.ID] = state
			b.WriteString(t.s.purchaseLine(p))
		}
	}
	t.s.out.print(b.String())
	return botSpoke
}

// watch flushes twice a second until the returned stop is called, so that
// an answer that comes late (a retry, an expiry, the web page) still shows
// up in the terminal without a command.
func (t *transcript) watch() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				t.flush()
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// botTweetsTo returns the bot's tweets addressed to p (mentioning them),
// oldest first.
func (s *sandbox) botTweetsTo(p *person) []twitteremu.Tweet {
	var out []twitteremu.Tweet
	for _, t := range s.tw.TweetsBy(s.bot.ID) {
		for _, id := range t.Mentions {
			if id == p.ID {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// lastBotTweetTo returns the bot's newest tweet to p.
func (s *sandbox) lastBotTweetTo(p *person) (twitteremu.Tweet, bool) {
	ts := s.botTweetsTo(p)
	if len(ts) == 0 {
		return twitteremu.Tweet{}, false
	}
	return ts[len(ts)-1], true
}

// confirmHashtagIn returns the confirm hashtag (with '#') of the offer
// that text asks to confirm, or "".
func (s *sandbox) confirmHashtagIn(text string) string {
	lower := strings.ToLower(text)
	for _, o := range s.cfg.Offers {
		tag := "#" + o.ConfirmHashtag
		if i := strings.Index(lower, strings.ToLower(tag)); i >= 0 {
			end := i + len(tag)
			if end == len(lower) || !isTagChar(lower[end]) {
				return tag
			}
		}
	}
	return ""
}

func isTagChar(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || c >= 0x80
}
