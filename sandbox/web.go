package sandbox

import (
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/money"
)

//go:embed page.html
var pageHTML string

// page is the web page's template; html/template escapes every value, so
// that a cardholder's tweet cannot inject markup.
var page = template.Must(template.New("page").Parse(pageHTML))

// serveWeb serves the sandbox's page on ln until the sandbox closes, to
// this machine's browser only (see guard).
func (s *sandbox) serveWeb(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("GET /version", s.handleVersion)
	mux.HandleFunc("POST /send", s.handleSend)
	mux.HandleFunc("POST /confirm", s.handleConfirm)
	mux.HandleFunc("GET /link-card", s.handleLinkPage)
	mux.HandleFunc("POST /link-card", s.handleLink)
	mux.HandleFunc("POST /approve", s.handleApproval(true))
	mux.HandleFunc("POST /decline", s.handleApproval(false))
	s.serveHTTP(ln, newGuard(ln, s.opt.Listen).wrap(mux))
}

// pageView is everything the page shows.
type pageView struct {
	Bot        string
	URL        string
	As         string
	Mode       string
	Text       string
	Note, Err  string
	Version    string
	People     []personView
	Offers     []offerView
	Quick      []quickView
	Timeline   []tweetView
	Convos     []convoView
	Purchases  []purchaseView
	Pending    []approvalView // the cardholders' phones: what waits for their approval, oldest first
	Settled    []approvalView // approvals answered or expired lately, newest first
	LinkPage   bool
	Demo       bool   // alice bought in the demo, so the page suggests bob
	BuyTag     string // the demo offer's hashtags, for the hints
	ConfirmTag string
}

type personView struct {
	Name, Card, Situation string
	Selected, Linked      bool
	Color                 string
}

// quickView is a button that fills the form: an offer's hashtag or a DM
// word, with the way it is sent.
type quickView struct {
	Label, Text, Mode, Title string
}

type tweetView struct {
	ID                  int64
	Author, Color       string
	FromBot             bool
	ReplyTo             string
	Time                string
	Parts               []part
	ConfirmAs, ConfirmT string // set when this is a request its cardholder has not answered
}

type convoView struct {
	Name, Color string
	Messages    []dmView
}

type dmView struct {
	FromBot bool
	Time    string
	Parts   []part
}

type purchaseView struct {
	ID, Who, Amount, Status, Order, Time, Refunded string
	Approved, Pending                              bool // Pending: waiting for its cardholder's approval
}

// approvalView is a purchase that waits, or waited, for its cardholder's
// approval, as their phone shows it.
type approvalView struct {
	ID, Who, Initial, Color, Amount, Description string
	Channel                                      string
	Reasons                                      string // the bot's metadata.risk, or that the issuer's own rule asked
	Left                                         string // time left to answer, while pending
	ExpiresMS                                    int64  // when it expires, for the page's countdown
	Status                                       string // once settled: approved, declined (approval declined), ...
	Approved                                     bool
}

// approvalViewOf shows p, pending or settled, at now.
func (s *sandbox) approvalViewOf(p issuersandbox.Purchase, now time.Time) approvalView {
	who, id := s.holderOf(p)
	v := approvalView{
		ID: p.ID, Who: who, Initial: initial(who), Color: s.color(id), Amount: money.Format(p.Amount, p.Currency), Description: p.Description,
		Reasons: strings.ReplaceAll(p.Metadata["risk"], ",", ", "), Status: statusText(p), Approved: p.Status == issuersandbox.StatusApproved,
	}
	if a := p.Approval; a != nil {
		v.Channel, v.Left, v.ExpiresMS = a.Channel, timeLeft(a.Expires, now), a.Expires.UnixMilli()
		if v.Reasons == "" && a.ByIssuer {
			v.Reasons = "the issuer's own rule"
		}
	}
	return v
}

// initial is the letter of name's avatar.
func initial(name string) string {
	for _, r := range strings.TrimPrefix(name, "@") {
		return string(r)
	}
	return "?"
}

// part is a piece of a message's text: plain, a hashtag or mention
// (highlighted), or a link.
type part struct {
	Text string
	URL  string
	Tag  bool
}

var tokens = regexp.MustCompile(`https?://[^\s]+|[#@][\p{L}\p{N}_]+`)

// parts splits text for display, so that links can be followed (the bot's
// enrollment link leads to this page's /link-card) and hashtags stand out.
func parts(text string) []part {
	var out []part
	last := 0
	for _, loc := range tokens.FindAllStringIndex(text, -1) {
		if loc[0] > last {
			out = append(out, part{Text: text[last:loc[0]]})
		}
		tok := text[loc[0]:loc[1]]
		if strings.HasPrefix(tok, "http") {
			out = append(out, part{Text: tok, URL: tok})
		} else {
			out = append(out, part{Text: tok, Tag: true})
		}
		last = loc[1]
	}
	if last < len(text) {
		out = append(out, part{Text: text[last:]})
	}
	return out
}

var colors = []string{"#e0245e", "#17bf63", "#f45d22", "#794bc4", "#ffad1f", "#1da1f2"}

// color gives each cardholder a stable avatar color; the bot is blue.
func (s *sandbox) color(id int64) string {
	if id == s.bot.ID {
		return "#1d9bf0"
	}
	for i, p := range s.people {
		if p.ID == id {
			return colors[i%len(colors)]
		}
	}
	return "#8899a6"
}

// view is everything the page shows, for r's query: whom to play (as),
// how to send (mode), and the note, error and text a redirect carries.
func (s *sandbox) view(r *http.Request) pageView {
	q := r.URL.Query()
	v := pageView{
		Bot: s.bot.ScreenName, URL: s.webURL, Mode: q.Get("mode"), Note: q.Get("note"), Err: q.Get("err"),
		Text: q.Get("text"), Version: s.version(), Offers: s.offerViews(), Demo: s.opt.Demo,
		BuyTag: "#BuyKindleFireHD", ConfirmTag: "#ConfirmKindleFireHD",
	}
	if o, err := s.demoOffer(); err == nil {
		v.BuyTag, v.ConfirmTag = "#"+o.BuyHashtag, "#"+o.ConfirmHashtag
	}
	if p, err := s.personNamed(q.Get("as")); err == nil {
		v.As = p.ScreenName
	} else {
		// alice bought her one Kindle in the demo; bob can still buy.
		v.As = s.people[1].ScreenName
	}
	if v.Mode == "" {
		v.Mode = "tweet"
	}
	v.People = s.personViews(v.As)
	v.Quick = s.quickViews()

	ms := s.messages()
	v.Timeline = s.timelineViews(ms)
	v.Convos = s.convoViews(ms)
	v.Purchases = s.purchaseViews()
	now := s.issNow()
	for _, p := range s.iss.PendingApprovals() {
		v.Pending = append(v.Pending, s.approvalViewOf(p, now))
	}
	for _, p := range s.settledApprovals(5) {
		v.Settled = append(v.Settled, s.approvalViewOf(p, now))
	}
	return v
}

// personViews is the cardholders to play, the one named as selected.
func (s *sandbox) personViews(as string) []personView {
	var out []personView
	s.mu.Lock()
	for _, p := range s.people {
		out = append(out, personView{
			Name: p.ScreenName, Card: p.cardText(), Situation: p.situation(), Selected: p.ScreenName == as,
			Linked: p.Status == issuersandbox.StatusActive, Color: s.color(p.ID),
		})
	}
	s.mu.Unlock()
	return out
}

// quickViews is the buttons that fill the form: each offer's buy and
// confirm hashtags, then the words the bot understands in a DM.
func (s *sandbox) quickViews() []quickView {
	var out []quickView
	for _, o := range s.cfg.Offers {
		out = append(out,
			quickView{Label: "#" + o.BuyHashtag, Text: "#" + o.BuyHashtag, Mode: "tweet", Title: "tweet to buy " + o.Title},
			quickView{Label: "#" + o.ConfirmHashtag, Text: "#" + o.ConfirmHashtag, Mode: "reply", Title: "reply to confirm " + o.Title})
	}
	for _, w := range []string{"yes", "help", "orders", "cancel"} {
		out = append(out, quickView{Label: w, Text: w, Mode: "dm", Title: "direct message: " + w})
	}
	return out
}

// timelineViews is the tweets among ms, newest first; a bot's request its
// cardholder has not answered gets a one-click confirmation.
func (s *sandbox) timelineViews(ms []message) []tweetView {
	answered := map[int64]bool{} // bot tweets a cardholder has replied to
	for _, m := range ms {
		if !m.DM && m.InReplyTo != 0 && m.From != s.bot.ID {
			answered[m.InReplyTo] = true
		}
	}
	lastTo := map[int64]int64{} // cardholder -> the bot's newest tweet to them
	for _, p := range s.people {
		if t, ok := s.lastBotTweetTo(p); ok {
			lastTo[p.ID] = t.ID
		}
	}
	var out []tweetView
	for _, m := range slices.Backward(ms) {
		if m.DM {
			continue
		}
		at := m.At.Local().Format("15:04:05")
		t := tweetView{ID: m.ID, Author: s.screenName(m.From), Color: s.color(m.From), FromBot: m.From == s.bot.ID, Time: at, Parts: parts(m.Text)}
		if m.To != 0 {
			t.ReplyTo = s.screenName(m.To)
		}
		if t.FromBot && !answered[m.ID] {
			t.ConfirmAs, t.ConfirmT = s.confirmButton(m, lastTo)
		}
		out = append(out, t)
	}
	return out
}

// confirmButton is whom the bot's tweet m asks to confirm, and with which
// hashtag: the cardholder it is the bot's newest tweet to (lastTo), when
// it names a confirm hashtag; empty otherwise.
func (s *sandbox) confirmButton(m message, lastTo map[int64]int64) (as, tag string) {
	for _, p := range s.people {
		if lastTo[p.ID] == m.ID {
			if t := s.confirmHashtagIn(m.Text); t != "" {
				as, tag = p.ScreenName, t
			}
		}
	}
	return as, tag
}

// convoViews is each cardholder's direct messages with the bot among ms,
// one chat per cardholder in the cast's order.
func (s *sandbox) convoViews(ms []message) []convoView {
	convos := map[int64]*convoView{}
	for _, p := range s.people {
		convos[p.ID] = &convoView{Name: p.ScreenName, Color: s.color(p.ID)}
	}
	for _, m := range slices.Backward(ms) {
		if !m.DM {
			continue
		}
		at := m.At.Local().Format("15:04:05")
		other := m.From
		if other == s.bot.ID {
			other = m.To
		}
		if c := convos[other]; c != nil {
			c.Messages = append(c.Messages, dmView{FromBot: m.From == s.bot.ID, Time: at, Parts: parts(m.Text)})
		}
	}
	var out []convoView
	for _, p := range s.people {
		c := convos[p.ID]
		slices.Reverse(c.Messages) // a chat reads oldest first
		out = append(out, *c)
	}
	return out
}

// purchaseViews is the issuer's purchases, newest first.
func (s *sandbox) purchaseViews() []purchaseView {
	var out []purchaseView
	for _, pu := range slices.Backward(s.iss.Purchases()) {
		out = append(out, s.purchaseViewOf(pu))
	}
	return out
}

// purchaseViewOf shows pu as the page's list of the issuer's purchases
// does: its status in words, and its cardholder by name.
func (s *sandbox) purchaseViewOf(pu issuersandbox.Purchase) purchaseView {
	pv := purchaseView{
		ID: pu.ID, Amount: money.Format(pu.Amount, pu.Currency), Status: pu.Status, Order: pu.Reference,
		Time: pu.Created.Local().Format("15:04:05"), Approved: pu.Status == issuersandbox.StatusApproved,
		Pending: pu.Status == issuersandbox.StatusPendingApproval,
	}
	if pv.Pending {
		pv.Status = "waiting for approval"
	}
	if pu.DeclineCode != "" {
		pv.Status += " (" + strings.ReplaceAll(pu.DeclineCode, "_", " ") + ")"
	}
	if pu.RefundedAmount > 0 {
		pv.Refunded = money.Format(pu.RefundedAmount, pu.Currency)
	}
	pv.Who = pu.Metadata["twitter_user_id"]
	if id, err := strconv.ParseInt(pv.Who, 10, 64); err == nil {
		pv.Who = "@" + s.screenName(id)
	}
	return pv
}

// version changes whenever the page would: the page asks for it every
// second or so and reloads when it changed, so that the bot's answers
// appear without a click. A purchase only ever leaves pending_approval, so
// the number of purchases and of those pending change whenever one is
// made, starts waiting for approval, or stops waiting (approved, declined,
// expired: reading the purchases expires those past their time).
func (s *sandbox) version() string {
	return fmt.Sprintf("%d.%d.%d.%d", s.newestID(), len(s.iss.Purchases()), len(s.iss.PendingApprovals()), s.links.Load())
}

func (s *sandbox) handlePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, s.view(r))
}

func (s *sandbox) render(w http.ResponseWriter, v pageView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := page.Execute(w, v); err != nil {
		// The headers are gone; all that is left is to say it in the page.
		fmt.Fprintf(w, "<p>page error: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}

func (s *sandbox) handleVersion(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, s.version())
}

// handleSend tweets, replies or sends a DM as the chosen cardholder, waits
// for the bot to answer, and shows the page again (post/redirect/get, so
// that reloading does not send twice).
func (s *sandbox) handleSend(w http.ResponseWriter, r *http.Request) {
	as, mode, text := r.FormValue("as"), r.FormValue("mode"), r.FormValue("text")
	back := url.Values{"as": {as}, "mode": {mode}}
	p, err := s.personNamed(as)
	if err == nil {
		switch mode {
		case "reply":
			_, err = s.reply(p, text)
		case "dm":
			err = s.dm(p, text)
		default:
			var added bool
			if _, added, err = s.tweet(p, text); added {
				back.Set("note", "Added @"+s.bot.ScreenName+" to the tweet: the bot only reads tweets that mention it.")
			}
		}
	}
	s.afterAction(w, r, back, text, err)
}

// handleConfirm is the one-click confirmation: a reply to the bot's
// request with the hashtag it asked for.
func (s *sandbox) handleConfirm(w http.ResponseWriter, r *http.Request) {
	as := r.FormValue("as")
	back := url.Values{"as": {as}, "mode": {"reply"}}
	p, err := s.personNamed(as)
	if err == nil {
		id, _ := strconv.ParseInt(r.FormValue("tweet"), 10, 64)
		tag := ""
		for _, m := range s.messages() {
			if m.ID == id && !m.DM && m.From == s.bot.ID {
				tag = s.confirmHashtagIn(m.Text)
			}
		}
		if tag != "" {
			_, err = s.replyTo(p, id, tag)
		} else {
			err = s.confirm(p)
		}
	}
	s.afterAction(w, r, back, "", err)
}

// afterAction waits for the bot to answer, then sends the browser back to
// the page; on err it keeps the text typed, so that nothing is lost.
func (s *sandbox) afterAction(w http.ResponseWriter, r *http.Request, back url.Values, text string, err error) {
	if err != nil {
		back.Set("err", err.Error())
		back.Set("text", text)
	} else {
		ctx, cancel := s.waitCtx(r.Context())
		settled := s.settle(ctx, webTimeout)
		cancel()
		if !settled && s.ctx.Err() == nil && r.Context().Err() == nil {
			back.Set("note", "The bot is still working on it; this page shows its answer as soon as it comes.")
		}
	}
	http.Redirect(w, r, "/?"+back.Encode(), http.StatusSeeOther)
}

// handleApproval is the phone's Approve (approve true) or Decline button
// of a pending purchase; the page comes back saying what came of it. The
// bot learns the outcome from the issuer on its own, and the page shows its
// message to the cardholder when it comes.
func (s *sandbox) handleApproval(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		back := url.Values{}
		if as := r.FormValue("as"); as != "" {
			back.Set("as", as)
		}
		id := strings.TrimSpace(r.FormValue("purchase"))
		var done string
		err := errors.New("which purchase? the form named none")
		if id != "" {
			_, done, err = s.answerApproval(id, approve)
		}
		if err != nil {
			back.Set("err", err.Error())
		} else {
			back.Set("note", done)
			s.out.printf("phone: %s\n", done)
		}
		http.Redirect(w, r, "/?"+back.Encode(), http.StatusSeeOther)
	}
}

// handleLinkPage is the sandbox's stand-in for the issuer's enrollment
// page, where the bot's "link your card" answer points.
func (s *sandbox) handleLinkPage(w http.ResponseWriter, r *http.Request) {
	v := s.view(r)
	v.LinkPage = true
	s.render(w, v)
}

func (s *sandbox) handleLink(w http.ResponseWriter, r *http.Request) {
	as := r.FormValue("as")
	back := url.Values{"as": {as}}
	p, err := s.personNamed(as)
	if err == nil {
		var done string
		if done, err = s.link(p); err == nil {
			back.Set("note", done)
			s.out.printf("issuer: %s\n", done)
		}
	}
	if err != nil {
		back.Set("err", err.Error())
	}
	http.Redirect(w, r, "/?"+back.Encode(), http.StatusSeeOther)
}
