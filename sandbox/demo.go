package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/money"
)

// printIntro says what is running and whom the person can play.
func (s *sandbox) printIntro() {
	var b strings.Builder
	// The API comes first: the two behave differently (budgets, push), and
	// a person comparing them must see at once which one this is.
	fmt.Fprintf(&b, "paybytweet sandbox on the Twitter API %s: the bot @%s with a pretend Twitter\n", s.cfg.Twitter.API, s.bot.ScreenName)
	b.WriteString("and a pretend card issuer, all in this process: no credentials, no network, no real money.\n")
	other := config.APIv2
	if s.cfg.Twitter.API == config.APIv2 {
		other = config.APIv1
	}
	fmt.Fprintf(&b, "Offers from %s; -api %s runs the bot on the other API.\n\n", s.configName(), other)
	b.WriteString("Cardholders you can play:\n")
	b.WriteString(s.whoText())
	b.WriteString("\nOffers:\n")
	b.WriteString(s.offersText())
	fmt.Fprintf(&b, "\n%s", s.readsText())
	fmt.Fprintf(&b, "Web page: %s  (open it in a browser)\n", s.webURL)
	if s.moved != "" {
		fmt.Fprintf(&b, "          (%s, so the web page is at %s instead.)\n", s.moved, s.webURL)
	}
	s.filesText(&b)
	s.out.print(b.String())
}

// readsText says how the bot gets the mentions and DMs: pushed on v2,
// polled on v1.1.
func (s *sandbox) readsText() string {
	every := strings.TrimPrefix(s.cfg.Twitter.Poll.Mentions, "@")
	if !s.pushOn() {
		return fmt.Sprintf("Reads:    polls mentions and DMs %s, and after each command (v1.1 has no push)\n", every)
	}
	reconcile := strings.TrimPrefix(s.cfg.Twitter.Push.Reconcile, "@")
	text := fmt.Sprintf("Push:     %s: the pretend X pushes mentions and DMs to the bot as they are sent;\n"+
		"          it polls %s to reconcile, %s while push is down", s.cfg.Twitter.Push.Mode, reconcile, every)
	if _, healthy, why := s.d.Bot.PushState(); !healthy {
		text += fmt.Sprintf("\n          (push is not up yet: %s; the bot polls meanwhile)", why)
	}
	return text + "\n"
}

// configName is where the offers come from, as the intro says it.
func (s *sandbox) configName() string {
	if s.opt.ConfigFile != "" {
		return s.opt.ConfigFile
	}
	return "the example configuration (-config FILE for your own)"
}

// filesText says where the sandbox's files are, and how the admin
// commands reach its database.
func (s *sandbox) filesText(b *strings.Builder) {
	files := "database " + s.dbPath
	if s.logTo != "" {
		files += ", daemon log " + s.logTo
	}
	if s.opt.Dir == "" {
		files += " (removed on exit)"
	}
	fmt.Fprintf(b, "Files:    %s\n", files)
	if s.adminConfig != "" {
		fmt.Fprintf(b, "Admin:    paybytweet orders -config %s  (also offers, inbox, usage, refund)\n", s.adminConfig)
	} else if s.adminConfigErr != nil {
		fmt.Fprintf(b, "Admin:    no configuration for the admin commands: %v\n", s.adminConfigErr)
	}
}

// demoOffer is the offer the demo buys: the Kindle of the example file,
// or the first offer when a file has no Kindle.
func (s *sandbox) demoOffer() (config.Offer, error) {
	if len(s.cfg.Offers) == 0 {
		return config.Offer{}, errors.New("sandbox: the configuration has no offers, so there is nothing to buy")
	}
	for _, o := range s.cfg.Offers {
		if strings.EqualFold(o.BuyHashtag, "BuyKindleFireHD") {
			return o, nil
		}
	}
	return s.cfg.Offers[0], nil
}

// demo plays a whole purchase as alice, over the real path: her tweets go
// to the emulator, the daemon reads them, asks the issuer, and answers.
// It returns an error unless the issuer ends up with one approved purchase
// for her, so that `paybytweet sandbox -once` is a smoke test.
func (s *sandbox) demo() error {
	ctx := s.ctx
	o, err := s.demoOffer()
	if err != nil {
		return err
	}
	alice := s.people[0]
	s.out.printf("\nDemo: @%s buys %s by tweet.\n\n", alice.ScreenName, o.Title)
	// Whatever the bot says on its own at start (the offers' announcements)
	// comes first, so that it does not interrupt the demo.
	s.settle(ctx, demoStepTimeout)
	if s.tr.flush() {
		s.out.print("\n")
	}
	request, err := s.demoBuy(alice, o)
	if err != nil {
		return err
	}
	if err := s.demoConfirm(alice, o, request); err != nil {
		return err
	}
	if limit, ok := s.cfg.Risk.ApprovalOver[o.Currency]; ok && o.Price > limit {
		if err := s.demoPhone(alice, o, limit); err != nil {
			return err
		}
	}
	purchase, err := s.demoPurchase(alice)
	if err != nil {
		return err
	}
	s.out.printf("\nDemo done: @%s asked, confirmed, and the issuer made purchase %s of %s (%s) for order %s, once.\n",
		alice.ScreenName, purchase.ID, money.Format(purchase.Amount, purchase.Currency), purchase.Status, purchase.Reference)
	return nil
}

// demoBuy is the demo's step 1: alice tweets the buy hashtag, and the bot
// asks her to confirm; it returns the bot's answer to her tweet, the
// request she replies to.
func (s *sandbox) demoBuy(alice *person, o config.Offer) (message, error) {
	ctx := s.ctx
	s.out.printf("1. @%s tweets the buy hashtag at @%s:\n", alice.ScreenName, s.bot.ScreenName)
	buy, _, err := s.tweet(alice, "@"+s.bot.ScreenName+" #"+o.BuyHashtag)
	if err != nil {
		return message{}, fmt.Errorf("sandbox demo: %w", err)
	}
	s.tr.flush()
	reads := "the bot reads its mentions, finds"
	if s.pushOn() {
		reads = "X pushes her tweet to the bot at once; the bot finds"
	}
	s.out.printf("   (%s %s's card at the issuer and holds one unit for her)\n", reads, alice.ScreenName)
	var request message
	answered := s.waitUntil(ctx, demoStepTimeout, func() bool {
		for _, m := range s.messages() {
			if m.From == s.bot.ID && m.InReplyTo == buy.ID {
				request = m
				return true
			}
		}
		return false
	})
	s.tr.flush()
	if !answered {
		return request, s.demoFailed(ctx, "the bot did not answer alice's buy tweet")
	}
	// With privacy: dm the public answer only points at the DMs, where the
	// request is; either way it names the confirm hashtag.
	if !s.botSaidAfter(alice, buy.ID, "#"+o.ConfirmHashtag) {
		return request, fmt.Errorf("sandbox demo: the bot did not ask alice to confirm with #%s; see its answer above", o.ConfirmHashtag)
	}
	return request, nil
}

// demoConfirm is the demo's step 2: alice replies to the bot's request
// with the confirm hashtag, and the bot charges her card and answers.
func (s *sandbox) demoConfirm(alice *person, o config.Offer, request message) error {
	ctx := s.ctx
	s.out.printf("\n2. @%s confirms by replying with the confirm hashtag:\n", alice.ScreenName)
	confirm, err := s.replyTo(alice, request.ID, "#"+o.ConfirmHashtag)
	if err != nil {
		return fmt.Errorf("sandbox demo: %w", err)
	}
	s.tr.flush()
	s.out.printf("   (the bot charges her card once, with the order's idempotency key, and sends the receipt)\n")
	// The receipt is sent after the charge is settled, so once the bot has
	// answered and is idle, the issuer has every purchase it will have.
	answered := s.waitUntil(ctx, demoStepTimeout, func() bool { return s.botSaidAfter(alice, confirm.ID, "") })
	s.tr.flush()
	if !answered {
		return s.demoFailed(ctx, "the bot did not answer alice's confirmation")
	}
	return nil
}

// demoPhone is the demo's step 3, for an offer over the approval
// threshold limit: alice approves the purchase on her phone, and the bot
// answers.
func (s *sandbox) demoPhone(alice *person, o config.Offer, limit int64) error {
	ctx := s.ctx
	s.out.printf("\n3. Over %s the issuer asks the real cardholder, outside Twitter: @%s approves on her phone:\n",
		money.Format(limit, o.Currency), alice.ScreenName)
	asked := s.newestID() // the bot's "approve it in your app"
	if _, err := s.demoApprove(alice); err != nil {
		return err
	}
	if !s.waitUntil(ctx, demoStepTimeout, func() bool { return s.botSaidAfter(alice, asked, "") }) {
		return s.demoFailed(ctx, "the bot did not answer alice's approval")
	}
	s.tr.flush()
	return nil
}

// demoPurchase is the demo's outcome: alice's purchase at the issuer, or
// an error unless there is one and it was approved.
func (s *sandbox) demoPurchase(alice *person) (issuersandbox.Purchase, error) {
	var purchase issuersandbox.Purchase
	for _, p := range s.iss.Purchases() {
		if p.Metadata["twitter_user_id"] == alice.idString() {
			purchase = p
		}
	}
	switch {
	case purchase.ID == "":
		return purchase, errors.New("sandbox demo: the issuer was not charged after alice's confirmation; see the bot's answer above")
	case purchase.Status != issuersandbox.StatusApproved:
		return purchase, fmt.Errorf("sandbox demo: the issuer answered %s (%s), not approved", purchase.Status, purchase.DeclineCode)
	}
	return purchase, nil
}

// botSaidAfter reports whether the bot has sent p, by tweet or DM, a
// message newer than id that contains text.
func (s *sandbox) botSaidAfter(p *person, id int64, text string) bool {
	for _, m := range s.messages() {
		if m.ID > id && m.From == s.bot.ID && s.addressedTo(m, p) && strings.Contains(strings.ToLower(m.Text), strings.ToLower(text)) {
			return true
		}
	}
	return false
}

// demoFailed explains a demo that went wrong, pointing at the daemon's log.
func (s *sandbox) demoFailed(ctx context.Context, what string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	where := "the daemon's log"
	if s.logTo != "" {
		where = s.logTo
	}
	return fmt.Errorf("sandbox demo: %s within %s; see %s", what, demoStepTimeout, where)
}

// demoApprove is the demo's cardholder p approving, in the issuer's app,
// the purchase the bot sent for their approval: the step of a demo
// purchase over the configuration's approval threshold. It waits (up to
// demoStepTimeout) until a purchase of p's waits for approval at the
// issuer, approves it as the page's Approve button does, says so, and
// returns the purchase as it ends: approved, or declined when the card
// declines all the same. The bot learns the outcome from the issuer on its
// own; the caller then waits for the bot's next message to p, the receipt.
func (s *sandbox) demoApprove(p *person) (issuersandbox.Purchase, error) {
	ctx, cancel := context.WithTimeout(s.ctx, demoStepTimeout)
	defer cancel()
	pending, err := s.waitPendingOf(ctx, p)
	if err != nil {
		return pending, s.demoFailed(s.ctx, fmt.Sprintf("no purchase of @%s's waited for approval at the issuer", p.ScreenName))
	}
	s.out.printf("\n%s's phone: the issuer's app asks @%s to approve purchase %s of %s (over the approval threshold); @%s approves it:\n",
		p.Name, p.ScreenName, pending.ID, money.Format(pending.Amount, pending.Currency), p.ScreenName)
	purchase, done, err := s.answerApproval(pending.ID, true)
	if err != nil {
		return purchase, fmt.Errorf("sandbox demo: %w", err)
	}
	s.out.printf("phone: %s\n", done)
	s.tr.flush()
	return purchase, nil
}

// waitPendingOf waits until one of p's purchases waits for approval, and
// returns the oldest; it returns ctx's error if ctx ends first.
func (s *sandbox) waitPendingOf(ctx context.Context, p *person) (issuersandbox.Purchase, error) {
	token := s.cardholderOf(p)
	for {
		pending := s.iss.PendingApprovals()
		for _, q := range pending {
			if token != "" && q.Cardholder == token {
				return q, nil
			}
		}
		// Woken when one more starts waiting; a second at most, as others'
		// answered meanwhile leave fewer to count from.
		wait, cancel := context.WithTimeout(ctx, time.Second)
		_, err := s.iss.WaitPending(wait, len(pending)+1)
		cancel()
		if err != nil && ctx.Err() != nil {
			return issuersandbox.Purchase{}, ctx.Err()
		}
	}
}
