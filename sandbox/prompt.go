package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/paybytweet/paybytweet/money"
)

// helpText lists the prompt's commands, with the example file's own
// hashtags. The examples play bob: the demo already spent alice's one
// Kindle.
func (s *sandbox) helpText() string {
	buy, confirm := "#BuyKindleFireHD", "#ConfirmKindleFireHD"
	if o, err := s.demoOffer(); err == nil {
		buy, confirm = "#"+o.BuyHashtag, "#"+o.ConfirmHashtag
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Commands (play %s; the bot is @%s):\n", s.names(), s.bot.ScreenName)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "  bob: %s\ttweet as bob (@%s is added when you leave it out)\n", buy, s.bot.ScreenName)
	fmt.Fprintf(w, "  reply bob: %s\treply as bob to the bot's newest tweet to him\n", confirm)
	fmt.Fprintf(w, "  confirm bob\tthe same in one word: answer the bot's newest request to bob\n")
	fmt.Fprintf(w, "  dm bob: help\tdirect message to the bot as bob (also: bob> help);\n")
	fmt.Fprintf(w, "  \tit understands a buy hashtag, yes, help, orders and cancel\n")
	fmt.Fprintf(w, "  link carol\tlink a card to carol's account (what the bot's link leads to)\n")
	fmt.Fprintf(w, "  approvals\tthe cardholders' phones: purchases waiting for their approval\n")
	fmt.Fprintf(w, "  approve [ID|bob]\tapprove one as its cardholder (decline the same way); the id,\n")
	fmt.Fprintf(w, "  \tits first letters, or the cardholder, or nothing when one waits\n")
	fmt.Fprintf(w, "  timeline\tall tweets;  dms [bob]: direct messages;  purchases: the issuer's\n")
	fmt.Fprintf(w, "  who, offers, help, quit\tthe cardholders, the offers, this list, stop (or Ctrl-C)\n")
	w.Flush()
	return b.String()
}

// webNote points at the page, for the moments a person decides how to go
// on.
func (s *sandbox) webNote() string {
	return "Type commands here, or open " + s.webURL + " to do the same with buttons."
}

// command is one parsed prompt line.
type command struct {
	verb string // tweet, reply, dm, confirm, link, timeline, dms, purchases, approvals, approve, decline, who, offers, help, quit; "" for a blank line
	who  string // the cardholder's name, as typed
	text string // what to send; for approve and decline, which purchase (see pendingApproval)
}

// parseCommand reads one prompt line. The syntax is forgiving: names in
// any case, with or without '@', "name: text" for a tweet and "name> text"
// or "dm name: text" for a direct message, the colon optional after a
// verb.
func parseCommand(line string) (command, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return command{}, nil
	}
	word, sep, rest := splitName(line)
	verb := strings.ToLower(word)
	if v, ok := bareVerbs[verb]; ok {
		return command{verb: v}, nil
	}
	switch verb {
	case "approve", "decline", "deny":
		if sep == ':' || sep == '>' {
			break
		}
		return parseAnswer(verb, rest)
	case "dms", "messages":
		name, _, _ := splitName(rest)
		return command{verb: "dms", who: name}, nil
	case "tweet", "reply", "dm", "confirm", "link":
		if sep == ':' || sep == '>' {
			break // "dm: hi" is nobody's DM; below, the word is taken as a name
		}
		return parseAction(verb, rest)
	}
	switch sep {
	case ':':
		return command{verb: "tweet", who: word, text: rest}, nil
	case '>':
		return command{verb: "dm", who: word, text: rest}, nil
	}
	return command{}, fmt.Errorf("I did not understand %q; type help for the commands", line)
}

// bareVerbs maps each word that is a whole command, whatever follows it,
// to its verb.
var bareVerbs = map[string]string{
	"help": "help", "?": "help", "h": "help",
	"quit": "quit", "exit": "quit", "q": "quit", "bye": "quit",
	"timeline": "timeline", "tl": "timeline", "tweets": "timeline",
	"purchases": "purchases", "charges": "purchases",
	"who": "who", "cardholders": "who", "users": "who", "people": "who",
	"approvals": "approvals", "pending": "approvals", "phone": "approvals",
	"offers": "offers",
}

// parseAnswer reads what follows approve, decline or deny (decline): one
// purchase, named in one word at most.
func parseAnswer(verb, rest string) (command, error) {
	if verb == "deny" {
		verb = "decline"
	}
	if strings.ContainsAny(rest, " \t") {
		return command{}, fmt.Errorf("%s which one? one purchase id (or its first letters) or cardholder, for example: %s bob", verb, verb)
	}
	return command{verb: verb, text: rest}, nil
}

// parseAction reads what follows a cardholder's verb (tweet, reply, dm,
// confirm, link): whose it is, and the text all but confirm and link need.
func parseAction(verb, rest string) (command, error) {
	name, _, text := splitName(rest)
	if name == "" {
		return command{}, fmt.Errorf("whose? for example: %s bob", verb)
	}
	if text == "" && verb != "confirm" && verb != "link" {
		return command{}, fmt.Errorf("%s what? for example: %s %s: ...", verb, verb, name)
	}
	return command{verb: verb, who: name, text: text}, nil
}

// splitName splits "name: text", "name> text" or "name text" into the
// name, the separator (':', '>', or ' ' when there was only space) and the
// text.
func splitName(s string) (name string, sep byte, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, ":> \t")
	if i < 0 {
		return s, 0, ""
	}
	name, rest = s[:i], strings.TrimLeft(s[i:], " \t")
	sep = ' '
	if rest != "" && (rest[0] == ':' || rest[0] == '>') {
		sep, rest = rest[0], rest[1:]
	}
	return name, sep, strings.TrimSpace(rest)
}

// prompt runs the commands on Stdin until they end, "quit", or the
// sandbox stops; quit reports "quit". Lines are read in a goroutine, so
// that Ctrl-C is not stuck behind a terminal read.
func (s *sandbox) prompt() (quit bool) {
	if s.opt.Stdin == nil {
		return false
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(s.opt.Stdin)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-s.ctx.Done():
				return
			}
		}
	}()
	// A script (Once, a pipe) gets no "> ": it would only clutter the
	// conversation.
	tty := !s.opt.Once && isTerminal(s.opt.Stdin)
	for {
		if tty {
			s.out.print("> ")
		}
		select {
		case <-s.ctx.Done():
			return false
		case line, ok := <-lines:
			if !ok {
				return false
			}
			if s.execute(line) {
				return true
			}
		}
	}
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// execute runs one prompt line, prints what came of it, and reports
// whether it was "quit".
func (s *sandbox) execute(line string) (quit bool) {
	c, err := parseCommand(line)
	if err != nil {
		s.out.printf("%s\n", err)
		return false
	}
	switch c.verb {
	case "":
	case "quit":
		return true
	case "help":
		s.out.print(s.helpText())
	case "who":
		s.out.print("Cardholders:\n" + s.whoText())
	case "offers":
		s.out.print("Offers:\n" + s.offersText())
	case "timeline":
		s.out.print(s.timelineText())
	case "purchases":
		s.out.print(s.purchasesText())
	case "approvals":
		s.out.print(s.approvalsText())
	case "approve", "decline":
		s.answer(c)
	case "dms":
		text, err := s.dmsText(c.who)
		if err != nil {
			s.out.printf("%s\n", err)
			break
		}
		s.out.print(text)
	default:
		s.act(c)
	}
	return false
}

// act plays a cardholder's command, then waits for the bot and prints its
// answer (the transcript prints everything new, whoever caused it).
func (s *sandbox) act(c command) {
	p, err := s.personNamed(c.who)
	if err != nil {
		s.out.printf("%s\n", err)
		return
	}
	before := s.newestID()
	var note string
	switch c.verb {
	case "tweet":
		var added bool
		_, added, err = s.tweet(p, c.text)
		if added {
			note = fmt.Sprintf("   (added @%s: the bot only reads tweets that mention it)\n", s.bot.ScreenName)
		}
	case "reply":
		_, err = s.reply(p, c.text)
	case "dm":
		err = s.dm(p, c.text)
	case "confirm":
		err = s.confirm(p)
	case "link":
		var done string
		if done, err = s.link(p); err == nil {
			s.out.printf("issuer: %s\n", done)
			return
		}
	}
	if err != nil {
		s.out.printf("%s\n", err)
		return
	}
	s.tr.flush()
	s.out.print(note)
	settled := s.settle(s.ctx, commandTimeout)
	s.tr.flush()
	switch {
	case !settled && s.ctx.Err() == nil:
		s.out.printf("   (the bot is still working on it; its answer will show up here when it comes)\n")
	case settled && !s.botSpokeAfter(before):
		s.out.printf("   (the bot did not answer: it acts on a buy or confirm hashtag, and in a DM on yes, help, orders, cancel)\n")
	}
}

// answer plays a cardholder's phone: it approves or declines a pending
// purchase, then waits for the bot and prints what it says.
func (s *sandbox) answer(c command) {
	_, done, err := s.answerApproval(c.text, c.verb == "approve")
	if err != nil {
		s.out.printf("%s\n", err)
		return
	}
	s.out.printf("phone: %s\n", done)
	s.tr.flush()
	settled := s.settle(s.ctx, commandTimeout)
	s.tr.flush()
	if !settled && s.ctx.Err() == nil {
		s.out.printf("   (the bot is still working on it; its answer will show up here when it comes)\n")
	}
}

// approvalsText lists what waits on the cardholders' phones, and the
// approvals answered or expired lately.
func (s *sandbox) approvalsText() string {
	var b strings.Builder
	now := s.issNow()
	pending := s.iss.PendingApprovals()
	if len(pending) == 0 {
		b.WriteString("(no purchase is waiting for a cardholder's approval)\n")
	} else {
		b.WriteString("Waiting for the cardholder's approval (approve ID, decline ID):\n")
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, p := range pending {
			v := s.approvalViewOf(p, now)
			why := ""
			if v.Reasons != "" {
				why = "why: " + v.Reasons
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\tby %s, %s left\t%s\n", v.ID, v.Who, v.Amount, v.Description, v.Channel, v.Left, why)
		}
		w.Flush()
	}
	if settled := s.settledApprovals(5); len(settled) > 0 {
		b.WriteString("Answered or expired lately, newest first:\n")
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, p := range settled {
			v := s.approvalViewOf(p, now)
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", v.ID, v.Who, v.Amount, v.Description, v.Status)
		}
		w.Flush()
	}
	return b.String()
}

// newestID is the id of the newest message, 0 when there is none.
func (s *sandbox) newestID() int64 {
	ms := s.messages()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].ID
}

// botSpokeAfter reports whether the bot sent anything newer than id.
func (s *sandbox) botSpokeAfter(id int64) bool {
	for _, m := range s.messages() {
		if m.ID > id && m.From == s.bot.ID {
			return true
		}
	}
	return false
}

func (s *sandbox) whoText() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	s.mu.Lock()
	for _, p := range s.people {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", p.ScreenName, p.cardText(), p.situation())
	}
	s.mu.Unlock()
	w.Flush()
	return b.String()
}

func (s *sandbox) offersText() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, o := range s.offerViews() {
		fmt.Fprintf(w, "  %s\t%s\tbuy %s\tconfirm %s\t%s\n", o.Title, o.Price, o.Buy, o.Confirm, o.Stock)
	}
	w.Flush()
	return b.String()
}

func (s *sandbox) timelineText() string {
	var b strings.Builder
	for _, m := range s.messages() {
		if !m.DM {
			b.WriteString(s.line(m))
		}
	}
	if b.Len() == 0 {
		return "(no tweets yet)\n"
	}
	return "Timeline, oldest first:\n" + b.String()
}

// dmsText is the direct messages between the bot and the named
// cardholder, or all of them when name is empty.
func (s *sandbox) dmsText(name string) (string, error) {
	var p *person
	if name != "" {
		var err error
		if p, err = s.personNamed(name); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	for _, m := range s.messages() {
		if m.DM && (p == nil || m.From == p.ID || m.To == p.ID) {
			b.WriteString(s.line(m))
		}
	}
	if b.Len() == 0 {
		return "(no direct messages yet)\n", nil
	}
	return "Direct messages, oldest first:\n" + b.String(), nil
}

func (s *sandbox) purchasesText() string {
	var b strings.Builder
	for _, p := range s.iss.Purchases() {
		b.WriteString(s.purchaseLine(p))
	}
	if b.Len() == 0 {
		return "(the issuer has no purchases yet)\n"
	}
	return "The issuer's purchases, oldest first:\n" + b.String()
}

// offerView is an offer as the sandbox shows it, with what is left.
type offerView struct {
	Title, Price, Buy, Confirm, Stock string
}

func (s *sandbox) offerViews() []offerView {
	stats, _ := s.d.DB.OfferStats(s.ctx) // without stats, the stock is shown as configured
	var out []offerView
	for _, o := range s.cfg.Offers {
		v := offerView{Title: o.Title, Price: money.Format(o.Price, o.Currency), Buy: "#" + o.BuyHashtag, Confirm: "#" + o.ConfirmHashtag}
		st := stats[o.ID]
		if o.Quantity != nil {
			v.Stock = fmt.Sprintf("%d of %d left", max(0, *o.Quantity-st.Reserved-st.Sold), *o.Quantity)
		} else {
			v.Stock = "unlimited"
		}
		v.Stock += fmt.Sprintf(", %d per cardholder", o.PerUserLimit)
		out = append(out, v)
	}
	return out
}
