package e2e

// A hijacked account (conversation.md): the risk rules, and the approval
// of a purchase by the cardholder at the issuer (issuer-api.md, Approval
// by the cardholder), checked by what the cardholder sees on Twitter and
// what the issuer did.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
)

// usd is a per-currency amount of the risk: section, in cents.
func usd(cents int64) map[string]int64 { return map[string]int64{"USD": cents} }

// withRisk gives the daemon the risk: section a file without one gets
// (config.DefaultRisk), changed by set.
func withRisk(set func(k *config.Risk)) rigOption {
	return func(c *cfgT) {
		c.Risk = config.DefaultRisk()
		if set != nil {
			set(&c.Risk)
		}
	}
}

// approvalTTL gives the issuer's cardholders that long to approve.
func approvalTTL(d time.Duration) issOption {
	return func(o *issuersandbox.Options) { o.ApprovalTTL = d }
}

// tweetSeq makes every test tweet's text its own: Twitter refuses a
// status that repeats the author's last one.
var tweetSeq atomic.Int64

// say tweets tag at the bot as u, in reply to inReplyTo when given.
func (r *rig) say(u twitteremu.User, tag string, inReplyTo ...int64) twitteremu.Tweet {
	r.t.Helper()
	return r.tweet(u, fmt.Sprintf("@AmexOffers %s (%d)", tag, tweetSeq.Add(1)), inReplyTo...)
}

// await lets the daemon work, polling Twitter, until cond holds. The rig's
// clock moves on by half a second a round (30 s at most a call), so that
// what the bot postponed on its own clock, such as the next look-up of a
// purchase waiting for approval, comes due; no approval or request window
// comes near its end meanwhile. await never asks the daemon to be idle,
// which it is not while a purchase waits for approval.
func (r *rig) await(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var moved time.Duration
	for {
		r.d.Bot.PollNow()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("waited 20s for %s; the bot's messages:%s", what, r.outboxKinds())
		}
		if moved < 30*time.Second {
			r.clock.Advance(500 * time.Millisecond)
			moved += 500 * time.Millisecond
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outboxKinds lists the bot's messages, for failures.
func (r *rig) outboxKinds() string {
	var b strings.Builder
	for _, m := range readOutbox(r.t, r.cfg.Storage.Path) {
		fmt.Fprintf(&b, "\n  %s to @%s by %s, %s, order %q: %q", m.Kind, m.ScreenName, m.Channel, m.State, m.OrderID, m.Text)
	}
	return b.String()
}

// answer waits for the bot's first reply to tw and returns it.
func (r *rig) answer(tw twitteremu.Tweet) twitteremu.Tweet {
	r.t.Helper()
	r.await(fmt.Sprintf("the bot's reply to %q", tw.Text), func() bool { return len(r.repliesTo(tw.ID)) > 0 })
	return r.repliesTo(tw.ID)[0]
}

// nthDM waits for the bot's nth DM to u (from 1) and returns it.
func (r *rig) nthDM(u twitteremu.User, n int) twitteremu.DMEvent {
	r.t.Helper()
	r.await(fmt.Sprintf("the bot's DM %d to %s", n, u.ScreenName), func() bool { return len(r.dmsTo(u)) >= n })
	return r.dmsTo(u)[n-1]
}

// kindOf returns the kind of message the bot sent as the tweet or DM of
// id on channel, as its outbox records it: it waits for the record, which
// the bot makes once Twitter has answered the post.
func (r *rig) kindOf(channel conversations.Channel, id int64) string {
	r.t.Helper()
	kind := ""
	r.await(fmt.Sprintf("the bot's record of its %s %d", channel, id), func() bool {
		for _, m := range readOutbox(r.t, r.cfg.Storage.Path) {
			if m.Channel == channel && m.SentID == id && m.State == storage.OutboxSent {
				kind = m.Kind
				return true
			}
		}
		return false
	})
	return kind
}

// told returns the bot's messages of kind to u that Twitter took, about
// order ref unless ref is empty, oldest first.
func (r *rig) told(u twitteremu.User, kind messages.Kind, ref string) []storage.OutboxMessage {
	var out []storage.OutboxMessage
	for _, m := range readOutbox(r.t, r.cfg.Storage.Path) {
		if m.UserID == u.ID && m.Kind == string(kind) && m.State == storage.OutboxSent && (ref == "" || m.OrderID == ref) {
			out = append(out, m)
		}
	}
	return out
}

// awaitTold waits until u was told kind about order ref, and returns the
// first such message with its text as Twitter shows it.
func (r *rig) awaitTold(u twitteremu.User, kind messages.Kind, ref string) (storage.OutboxMessage, string) {
	r.t.Helper()
	r.await(fmt.Sprintf("%s told %s about %s", u.ScreenName, kind, ref), func() bool { return len(r.told(u, kind, ref)) > 0 })
	m := r.told(u, kind, ref)[0]
	return m, r.seen(m)
}

// seen returns the text of the bot's sent message m as Twitter shows it.
func (r *rig) seen(m storage.OutboxMessage) string {
	r.t.Helper()
	if m.Channel == conversations.DM {
		for _, e := range r.tw.DMs() {
			if e.ID == m.SentID && e.SenderID == botUser.ID {
				return e.Text
			}
		}
	} else {
		for _, tw := range r.tw.TweetsBy(botUser.ID) {
			if tw.ID == m.SentID {
				return tw.Text
			}
		}
	}
	r.t.Fatalf("the bot's %s %s (sent as %d) is not on Twitter", m.Channel, m.Kind, m.SentID)
	return ""
}

// quietOutbox waits until the bot has nothing left to send.
func (r *rig) quietOutbox() {
	r.t.Helper()
	r.await("the bot's replies all sent", func() bool {
		for _, m := range readOutbox(r.t, r.cfg.Storage.Path) {
			if m.State == storage.OutboxPending || m.State == storage.OutboxSending {
				return false
			}
		}
		return true
	})
}

// ask has u tweet buyTag at the bot and returns the bot's confirmation
// request and its order, failing unless that is what the bot answered.
func (r *rig) ask(u twitteremu.User, buyTag string) (twitteremu.Tweet, string) {
	r.t.Helper()
	buy := r.say(u, buyTag)
	req := r.answer(buy)
	if k := r.kindOf(conversations.Tweet, req.ID); k != string(messages.ConfirmRequest) {
		r.t.Fatalf("%s's %s was answered %s %q, want a confirmation request", u.ScreenName, buyTag, k, req.Text)
	}
	return req, orderIn(r.t, req.Text)
}

// askByDM has u DM buyTag to the bot and returns the order of the bot's
// confirmation request, failing unless that is what the bot answered.
func (r *rig) askByDM(u twitteremu.User, buyTag string) string {
	r.t.Helper()
	n := len(r.dmsTo(u))
	r.dm(u, buyTag)
	req := r.nthDM(u, n+1)
	if k := r.kindOf(conversations.DM, req.ID); k != string(messages.ConfirmRequest) {
		r.t.Fatalf("%s's DM %s was answered %s %q, want a confirmation request", u.ScreenName, buyTag, k, req.Text)
	}
	return orderIn(r.t, req.Text)
}

// pay has u buy and confirm by tweet, and returns the purchase, failing
// unless u got a receipt for it without any approval.
func (r *rig) pay(u twitteremu.User, buyTag, confirmTag string) issuersandbox.Purchase {
	r.t.Helper()
	req, ref := r.ask(u, buyTag)
	confirm := r.say(u, confirmTag, req.ID)
	receipt := r.answer(confirm)
	if k := r.kindOf(conversations.Tweet, receipt.ID); k != string(messages.Receipt) {
		r.t.Fatalf("%s's confirmation of %s was answered %s %q, want a receipt", u.ScreenName, ref, k, receipt.Text)
	}
	p := r.purchaseOf(ref)
	if p.Status != issuersandbox.StatusApproved || p.Approval != nil {
		r.t.Fatalf("order %s: purchase %s %s, approval %+v; want approved at once", ref, p.Status, p.DeclineCode, p.Approval)
	}
	mustContain(r.t, "receipt", receipt.Text, "Done!", ref, p.ID)
	return p
}

// purchaseOf returns the issuer's one purchase for order ref.
func (r *rig) purchaseOf(ref string) issuersandbox.Purchase {
	r.t.Helper()
	var found []issuersandbox.Purchase
	for _, p := range r.iss.Purchases() {
		if p.Reference == ref {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		r.t.Fatalf("the issuer has %d purchases for order %s, want one: %+v", len(found), ref, found)
	}
	return found[0]
}

// pendingApproval waits until the issuer holds order ref's purchase
// waiting for the cardholder's approval, and returns it. It fails at once
// when the purchase was made without waiting.
func (r *rig) pendingApproval(ref string) issuersandbox.Purchase {
	r.t.Helper()
	var p issuersandbox.Purchase
	r.await("order "+ref+" waiting for approval at the issuer", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		r.iss.WaitPending(ctx, 1)
		cancel()
		for _, q := range r.iss.Purchases() {
			if q.Reference != ref {
				continue
			}
			if q.Status != issuersandbox.StatusPendingApproval {
				r.t.Fatalf("order %s went to the issuer without waiting for approval: %s %s, approval %+v, metadata %v",
					ref, q.Status, q.DeclineCode, q.Approval, q.Metadata)
			}
			p = q
			return true
		}
		return false
	})
	return p
}

// purchasePost is what the bot sent in a POST /v1/purchases.
type purchasePost struct {
	Approval string            `json:"approval"`
	Metadata map[string]string `json:"metadata"`
	Status   int               `json:"-"`
}

// purchasePosts returns the bot's POSTs for order ref, oldest first.
func (r *rig) purchasePosts(ref string) []purchasePost {
	r.t.Helper()
	posts, _ := r.issuerCalls(ref, 0)
	out := make([]purchasePost, len(posts))
	for i, q := range posts {
		if err := json.Unmarshal(q.Body, &out[i]); err != nil {
			r.t.Fatalf("POST for %s: %v: %s", ref, err, q.Body)
		}
		out[i].Status = q.Status
	}
	return out
}

// lookups returns the times of the look-ups of purchase p (by id, or by
// its reference) made after its first POST.
func (r *rig) lookups(p issuersandbox.Purchase) []time.Time {
	var out []time.Time
	posted := false
	for _, q := range r.iss.Requests() {
		switch {
		case q.Method == "POST" && q.Path == "/v1/purchases" && strings.Contains(string(q.Body), `"`+p.Reference+`"`):
			posted = true
		case !posted || q.Method != "GET":
		case q.Path == "/v1/purchases/"+p.ID:
			out = append(out, q.Time)
		case q.Path == "/v1/purchases":
			if v, _ := url.ParseQuery(q.Query); v.Get("reference") == p.Reference {
				out = append(out, q.Time)
			}
		}
	}
	return out
}

// awaitLookups waits for n more look-ups of pending purchase p, the rig's
// clock moving on past the 2 s the bot waits between two.
func (r *rig) awaitLookups(p issuersandbox.Purchase, n int) {
	r.t.Helper()
	for i := 0; i < n; i++ {
		before := len(r.lookups(p))
		r.clock.Advance(2 * time.Second)
		r.await(fmt.Sprintf("look-up %d of %s, waiting for approval", i+1, p.ID), func() bool { return len(r.lookups(p)) > before })
	}
}

// checkPaced fails when purchase p was looked up twice within 2 s, by the
// bot's clock (contract: at most once every 2 seconds).
func (r *rig) checkPaced(p issuersandbox.Purchase) {
	r.t.Helper()
	ls := r.lookups(p)
	for i := 1; i < len(ls); i++ {
		if d := ls[i].Sub(ls[i-1]); d < 2*time.Second {
			r.t.Errorf("purchase %s looked up twice %s apart (look-ups at %v); at most once every 2s", p.ID, d, ls)
			return
		}
	}
}

// approve and decline are the cardholder answering at the issuer.
func (r *rig) approve(p issuersandbox.Purchase) {
	r.t.Helper()
	if _, err := r.iss.Approve(p.ID); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) decline(p issuersandbox.Purchase) {
	r.t.Helper()
	if _, err := r.iss.Decline(p.ID); err != nil {
		r.t.Fatal(err)
	}
}

// expire lets the purchase's approval run out at the issuer.
func (r *rig) expire(p issuersandbox.Purchase) {
	r.t.Helper()
	if p.Approval == nil {
		r.t.Fatalf("purchase %s has no approval to expire", p.ID)
	}
	r.clock.Advance(p.Approval.Expires.Sub(r.clock.Now()) + time.Second)
}

// words splits metadata.risk into its sorted reasons.
func words(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// checkAsked checks that order ref's purchase went to the issuer asking
// for approval for exactly the reasons given, and every POST alike.
func (r *rig) checkAsked(p issuersandbox.Purchase, reasons ...string) {
	r.t.Helper()
	sort.Strings(reasons)
	if got := words(p.Metadata["risk"]); strings.Join(got, ",") != strings.Join(reasons, ",") {
		r.t.Errorf("purchase %s: metadata.risk %q, want the reasons %v", p.ID, p.Metadata["risk"], reasons)
	}
	if p.Approval == nil || p.Approval.ByIssuer {
		r.t.Errorf("purchase %s: approval %+v, want one the bot asked for", p.ID, p.Approval)
	}
	posts := r.purchasePosts(p.Reference)
	if len(posts) == 0 {
		r.t.Fatalf("no POST for %s", p.Reference)
	}
	for i, b := range posts {
		if b.Approval != "required" {
			r.t.Errorf("POST %d for %s: approval %q, want \"required\"", i+1, p.Reference, b.Approval)
		}
	}
}

// checkNotAsked checks that no POST of order ref asked for approval or
// gave a reason.
func (r *rig) checkNotAsked(ref string) {
	r.t.Helper()
	posts := r.purchasePosts(ref)
	if len(posts) == 0 {
		r.t.Fatalf("no POST for %s", ref)
	}
	for i, b := range posts {
		if b.Approval != "" || b.Metadata["risk"] != "" {
			r.t.Errorf("POST %d for %s asked for approval (%q, metadata.risk %q); no rule asks for it", i+1, ref, b.Approval, b.Metadata["risk"])
		}
	}
}

// refused checks that msg (a buy or a confirmation) was answered once,
// in reply, with a refusal that names no rule and says how to reach the
// issuer, and returns the answer.
func (r *rig) refused(msg twitteremu.Tweet) twitteremu.Tweet {
	r.t.Helper()
	rep := r.reply(msg.ID)
	if k := r.kindOf(conversations.Tweet, rep.ID); k != string(messages.RiskRefused) {
		r.t.Errorf("%q was answered %s %q, want a refusal (%s)", msg.Text, k, rep.Text, messages.RiskRefused)
	}
	mustContain(r.t, "refusal", rep.Text, "cannot be made by tweet", "Nothing was charged")
	r.toldHowToReachIssuer("refusal", rep.Text)
	namesNoRule(r.t, "refusal", rep.Text)
	return rep
}

// toldHowToReachIssuer fails unless a refusal tells the cardholder how to
// reach the issuer: the issuer's address the daemon is configured with
// (issuer.enroll_url).
func (r *rig) toldHowToReachIssuer(what, text string) {
	r.t.Helper()
	if r.cfg.Issuer.EnrollURL == "" {
		r.t.Fatal("the rig's issuer has no address to tell")
	}
	mustContain(r.t, what, strings.ToLower(text), "contact your card issuer", strings.ToLower(r.cfg.Issuer.EnrollURL))
}

// approvalOutcomeLabels and refusingRuleLabels are the labels of
// paybytweet_approvals_total (outcome) and paybytweet_risk_refusals_total
// (rule), as the metric's help names them.
var (
	approvalOutcomeLabels = []string{"asked", "approved", "declined", "expired", "unsupported"}
	refusingRuleLabels    = []string{"daily_limit", "hourly_purchases", "automated", "approvals_per_day", "decline_hold"}
)

// checkRiskMetrics scrapes the daemon's /metrics (the rig needs
// withHealth) and checks that every approval outcome and every refusing
// rule counted exactly what want gives it (by label, from both lists),
// and 0 where want has none: nothing else went up.
func (r *rig) checkRiskMetrics(when string, want map[string]float64) {
	r.t.Helper()
	known := map[string]bool{}
	f := r.scrape()
	for _, o := range approvalOutcomeLabels {
		known[o] = true
		if got := f.Value("paybytweet_approvals_total", "outcome", o); got != want[o] {
			r.t.Errorf("%s: paybytweet_approvals_total{outcome=%q} = %v, want %v", when, o, got, want[o])
		}
	}
	for _, rule := range refusingRuleLabels {
		known[rule] = true
		if got := f.Value("paybytweet_risk_refusals_total", "rule", rule); got != want[rule] {
			r.t.Errorf("%s: paybytweet_risk_refusals_total{rule=%q} = %v, want %v", when, rule, got, want[rule])
		}
	}
	for l := range want {
		if !known[l] {
			r.t.Fatalf("checkRiskMetrics: %q is no approval outcome nor refusing rule", l)
		}
	}
	// Nothing counted under a label of neither list.
	for name, label := range map[string]string{"paybytweet_approvals_total": "outcome", "paybytweet_risk_refusals_total": "rule"} {
		for _, m := range f[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && !known[l.GetValue()] && m.GetCounter().GetValue() != 0 {
					r.t.Errorf("%s: %s{%s=%q} = %v, a label the contract does not name", when, name, label, l.GetValue(), m.GetCounter().GetValue())
				}
			}
		}
	}
}

// namesNoRule fails when a refusal says which rule refused it.
func namesNoRule(t *testing.T, what, text string) {
	t.Helper()
	low := strings.ToLower(text)
	for _, w := range []string{"daily", "limit", "hour", "spend", "automat", "approv", "declin", "account age", "new account", "young",
		"handle", "username", "renamed", "rule", "risk"} {
		if strings.Contains(low, w) {
			t.Errorf("%s %q says why (%q): a refusal never names its rule", what, text, w)
		}
	}
}

// reserved returns the units of offer held by pending or charging orders.
func (r *rig) reserved(offer string) int64 {
	r.t.Helper()
	stats, err := r.d.DB.OfferStats(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return stats[offer].Reserved
}

// signalsDays is the account_age_days of an account made at created, now.
func signalsDays(now, created time.Time) string {
	return itoa(int(now.Sub(created) / (24 * time.Hour)))
}

// TestApprovalOverAmount: a purchase above risk.approval_over goes to the
// issuer asking for the cardholder's approval; the cardholder is told
// once to approve it; it ends as they answer (approved: one receipt;
// declined, or no answer in time: that it was not approved, nothing
// charged, the unit back in stock). The unit stays held meanwhile, also
// once the request's window has ended, and the bot looks the purchase up
// at most once every 2 seconds. /metrics counts the approval asked, then
// its outcome.
func TestApprovalOverAmount(t *testing.T) { eachAPI(t, testApprovalOverAmount) }

func testApprovalOverAmount(t *testing.T, api string) {
	tests := []struct {
		name         string
		answer       func(r *rig, p issuersandbox.Purchase)
		told         messages.Kind
		status, code string
		words        []string
		outcome      string // of paybytweet_approvals_total
	}{
		{"approved", (*rig).approve, messages.Receipt, issuersandbox.StatusApproved, "", []string{"Done!"}, "approved"},
		{"declined", (*rig).decline, messages.NotApproved, issuersandbox.StatusDeclined, issuersandbox.DeclineApprovalDeclined,
			[]string{"not approved", "nothing was charged"}, "declined"},
		{"expired", (*rig).expire, messages.NotApproved, issuersandbox.StatusDeclined, issuersandbox.DeclineApprovalExpired,
			[]string{"not approved in time", "nothing was charged"}, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, withHealth, withRisk(func(k *config.Risk) { k.ApprovalOver = usd(100_00) }),
				rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(1) }), approvalTTL(15*time.Minute))
			req, ref := r.ask(alice, "#BuyKindleFireHD")
			r.clock.Advance(5 * time.Minute)
			confirm := r.say(alice, "#ConfirmKindleFireHD", req.ID)
			p := r.pendingApproval(ref)
			r.checkAsked(p, conversations.ReasonAmount)
			if p.Amount != 199_00 || p.Cardholder != "chd_alice" {
				t.Errorf("purchase %+v", p)
			}
			for _, k := range []string{"account_age_days", "spend_24h", "purchases_1h"} {
				if p.Metadata[k] == "" {
					t.Errorf("metadata %v has no %s", p.Metadata, k)
				}
			}

			m, text := r.awaitTold(alice, messages.ApprovalPending, ref)
			if m.Channel != conversations.Tweet || m.InReplyTo != confirm.ID {
				t.Errorf("approval_pending went by %s in reply to %d; want a reply to the confirmation %d", m.Channel, m.InReplyTo, confirm.ID)
			}
			mustContain(t, "approval_pending", text, ref, "approve")

			// The unit stays held while the cardholder decides, also once
			// the request's own window (15 min) has ended.
			r.clock.Advance(11 * time.Minute)
			mustContain(t, "bob's answer while alice's approval is pending", r.answer(r.say(bob, "#BuyKindleFireHD")).Text, "sold out")
			r.awaitLookups(p, 3)
			r.quietOutbox()
			if n := len(r.told(alice, messages.ApprovalPending, ref)); n != 1 {
				t.Errorf("alice was told %d times to approve %s, want once", n, ref)
			}
			for _, k := range []messages.Kind{messages.Receipt, messages.NotApproved, messages.Declined, messages.ChargeFailed} {
				if n := len(r.told(alice, k, ref)); n != 0 {
					t.Errorf("alice was told %s %d times while the purchase waited for her approval", k, n)
				}
			}
			// Asked once, no outcome yet (/metrics).
			r.checkRiskMetrics("while alice's approval is pending", map[string]float64{"asked": 1})

			tt.answer(r, p)
			out, text := r.awaitTold(alice, tt.told, ref)
			if out.Channel != conversations.Tweet || out.InReplyTo != confirm.ID {
				t.Errorf("%s went by %s in reply to %d; want a reply to the confirmation %d", tt.told, out.Channel, out.InReplyTo, confirm.ID)
			}
			mustContain(t, string(tt.told), text, ref)
			mustContain(t, string(tt.told), strings.ToLower(text), lower(tt.words)...)
			r.settle()
			r.checkPaced(p)
			r.checkRiskMetrics("once alice answered", map[string]float64{"asked": 1, tt.outcome: 1})

			got := r.purchaseOf(ref)
			if got.Status != tt.status || got.DeclineCode != tt.code {
				t.Errorf("purchase %s is %s %q, want %s %q", got.ID, got.Status, got.DeclineCode, tt.status, tt.code)
			}
			if posts := r.purchasePosts(ref); len(posts) != 1 {
				t.Errorf("%d POSTs for %s, want one: the outcome is learned by GET", len(posts), ref)
			}
			if n := len(r.told(alice, messages.ApprovalPending, ref)); n != 1 {
				t.Errorf("alice was told %d times to approve %s, want once", n, ref)
			}
			if n := len(r.told(alice, tt.told, ref)); n != 1 {
				t.Errorf("alice was told %s %d times, want once", tt.told, n)
			}
			if n := len(r.repliesTo(confirm.ID)); n != 2 {
				t.Errorf("the confirmation got %d replies, want 2 (approve it, then the outcome)", n)
			}
			other := messages.NotApproved
			if tt.told == messages.NotApproved {
				other = messages.Receipt
			}
			if n := len(r.told(alice, other, ref)); n != 0 {
				t.Errorf("alice was also told %s", other)
			}
			if tt.status == issuersandbox.StatusApproved {
				mustContain(t, "receipt", text, got.ID)
				mustContain(t, "bob's answer after alice's approval", r.answer(r.say(bob, "#BuyKindleFireHD")).Text, "sold out")
				return
			}
			// Not approved: the unit went back; a later buyer has it.
			if n := r.reserved("kindle-fire-hd"); n != 0 {
				t.Errorf("%d Kindle units still held after the purchase was not approved", n)
			}
			r.ask(bob, "#BuyKindleFireHD")
		})
	}
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// TestRiskSignalsWithEveryPurchase: below risk.approval_over (or at it)
// a purchase is charged at once, without asking for approval, and carries
// the signals for the issuer's own rules, counted before it.
func TestRiskSignalsWithEveryPurchase(t *testing.T) { eachAPI(t, testRiskSignalsWithEveryPurchase) }

func testRiskSignalsWithEveryPurchase(t *testing.T, api string) {
	for _, over := range []int64{100_00, 25_00} {
		t.Run("approval_over "+itoa(int(over)), func(t *testing.T) {
			r := newRig(t, api, withRisk(func(k *config.Risk) { k.ApprovalOver = usd(over) }))
			first := r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
			second := r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
			for i, want := range []map[string]string{
				{"spend_24h": "0", "purchases_1h": "0"},
				{"spend_24h": "2500", "purchases_1h": "1"},
			} {
				p := []issuersandbox.Purchase{first, second}[i]
				r.checkNotAsked(p.Reference)
				want["account_age_days"] = signalsDays(r.clock.Now(), twitteremu.DefaultAccountCreatedAt)
				for k, v := range want {
					if p.Metadata[k] != v {
						t.Errorf("purchase %d: metadata.%s %q, want %q (metadata %v)", i+1, k, p.Metadata[k], v, p.Metadata)
					}
				}
				if _, ok := p.Metadata["handle_changed_at"]; ok {
					t.Errorf("purchase %d: handle_changed_at %q for an account never seen renamed", i+1, p.Metadata["handle_changed_at"])
				}
			}
			r.charged(alice, 2)
			if n := len(r.told(alice, messages.ApprovalPending, "")); n != 0 {
				t.Errorf("alice was asked %d times to approve", n)
			}
		})
	}
}

// TestApprovalDecidedByIssuer: the issuer's own rule puts a purchase the
// bot did not ask about in pending_approval; the bot handles it alike
// (told once, settled by GET, the order counting toward the per-user
// limit meanwhile).
func TestApprovalDecidedByIssuer(t *testing.T) { eachAPI(t, testApprovalDecidedByIssuer) }

func testApprovalDecidedByIssuer(t *testing.T, api string) {
	tests := []struct {
		name   string
		answer func(r *rig, p issuersandbox.Purchase)
		told   messages.Kind
		status string
	}{
		{"approved", (*rig).approve, messages.Receipt, issuersandbox.StatusApproved},
		{"declined", (*rig).decline, messages.NotApproved, issuersandbox.StatusDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, withRisk(nil), rigOption(func(c *cfgT) { c.Offers[1].PerUserLimit = 1 }))
			r.iss.RequireApproval("chd_alice", true)
			req, ref := r.ask(alice, "#BuyGiftCard")
			confirm := r.say(alice, "#ConfirmGiftCard", req.ID)
			p := r.pendingApproval(ref)
			r.checkNotAsked(ref)
			if p.Approval == nil || !p.Approval.ByIssuer {
				t.Errorf("approval %+v, want the issuer's own", p.Approval)
			}
			m, text := r.awaitTold(alice, messages.ApprovalPending, ref)
			if m.InReplyTo != confirm.ID {
				t.Errorf("approval_pending in reply to %d, want the confirmation %d", m.InReplyTo, confirm.ID)
			}
			mustContain(t, "approval_pending", text, ref)
			// Awaiting approval counts toward the per-user limit.
			mustContain(t, "alice's second buy while pending", r.answer(r.say(alice, "#BuyGiftCard")).Text, "already bought 1")
			r.awaitLookups(p, 2)
			tt.answer(r, p)
			r.awaitTold(alice, tt.told, ref)
			r.settle()
			if got := r.purchaseOf(ref); got.Status != tt.status {
				t.Errorf("purchase %s, want %s", got.Status, tt.status)
			}
			if n := len(r.purchasePosts(ref)); n != 1 {
				t.Errorf("%d POSTs for %s, want one", n, ref)
			}
			for _, k := range []messages.Kind{messages.ApprovalPending, tt.told} {
				if n := len(r.told(alice, k, ref)); n != 1 {
					t.Errorf("alice was told %s %d times, want once", k, n)
				}
			}
		})
	}
}

// TestApprovalIssuerWithoutApprovals: an issuer that does not offer
// approvals (400, param "approval") means a purchase that needs one is
// refused: it is never charged without, then or later, the cardholder is
// told once that it cannot be made by tweet and nothing was charged, the
// unit goes back to the offer, and /metrics counts the approval asked and
// unsupported.
func TestApprovalIssuerWithoutApprovals(t *testing.T) { eachAPI(t, testApprovalIssuerWithoutApprovals) }

func testApprovalIssuerWithoutApprovals(t *testing.T, api string) {
	r := newRig(t, api, withHealth, withRisk(func(k *config.Risk) { k.ApprovalOver = usd(100_00) }),
		issOption(func(o *issuersandbox.Options) { o.NoApprovals = true }))
	req, ref := r.ask(alice, "#BuyKindleFireHD")
	confirm := r.say(alice, "#ConfirmKindleFireHD", req.ID)
	rep := r.answer(confirm)
	r.settle()
	r.clock.Advance(time.Hour) // nothing comes back to charge it later
	r.settle()

	r.noPurchases(alice)
	posts := r.purchasePosts(ref)
	if len(posts) == 0 {
		t.Errorf("the issuer was never asked for %s", ref)
	}
	for i, b := range posts {
		if b.Approval != "required" {
			t.Errorf("POST %d for %s without approval %q: it is never charged without one", i+1, ref, b.Approval)
		}
	}
	if n := len(r.repliesTo(confirm.ID)); n != 1 {
		t.Errorf("the confirmation got %d replies, want one", n)
	}
	if k := r.kindOf(conversations.Tweet, rep.ID); k != string(messages.RiskRefused) {
		t.Errorf("the confirmation was answered %s %q, want a refusal (%s)", k, rep.Text, messages.RiskRefused)
	}
	mustContain(t, "answer", strings.ToLower(rep.Text), "cannot be made by tweet", "nothing was charged")
	r.toldHowToReachIssuer("answer", rep.Text)
	namesNoRule(t, "answer", rep.Text)
	if n := r.reserved("kindle-fire-hd"); n != 0 {
		t.Errorf("%d Kindle units still held after the purchase was refused; the unit goes back to the offer", n)
	}
	// The bot asked for approval; the issuer offers none. No rule refused.
	r.checkRiskMetrics("after the issuer refused the approval", map[string]float64{"asked": 1, "unsupported": 1})
}

// limitFlow is how a purchase passes a limit: at the buy, at the
// confirmation, or not at all because the window has moved on.
type limitFlow func(t *testing.T, r *rig)

// refusedAtBuy: alice's first gift card is charged; her second buy is
// refused, reserving nothing.
func refusedAtBuy(t *testing.T, r *rig) {
	r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
	buy := r.say(alice, "#BuyGiftCard")
	r.answer(buy)
	r.settle()
	r.refused(buy)
	if n := r.reserved("gift-card"); n != 0 {
		t.Errorf("a refused buy reserved %d units", n)
	}
	r.charged(alice, 1)
}

// refusedAtConfirmation: alice asks for a gift card and a Kindle, each
// allowed when asked; the gift card is charged; the Kindle's confirmation,
// which would pass the limit, is refused and nothing is sent to the issuer.
func refusedAtConfirmation(t *testing.T, r *rig) {
	gcReq, _ := r.ask(alice, "#BuyGiftCard")
	kReq, kRef := r.ask(alice, "#BuyKindleFireHD")
	mustContain(t, "receipt", r.answer(r.say(alice, "#ConfirmGiftCard", gcReq.ID)).Text, "Done!")
	confirm := r.say(alice, "#ConfirmKindleFireHD", kReq.ID)
	r.answer(confirm)
	r.settle()
	r.refused(confirm)
	if posts := r.purchasePosts(kRef); len(posts) != 0 {
		t.Errorf("the refused order %s went to the issuer: %+v", kRef, posts)
	}
	r.charged(alice, 1)
}

// allowedAfter: once the window has passed the first purchase, the next
// one is charged as usual.
func allowedAfter(d time.Duration) limitFlow {
	return func(t *testing.T, r *rig) {
		r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
		r.clock.Advance(d)
		r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
		r.charged(alice, 2)
	}
}

// pendingCounts: a purchase waiting for approval counts toward the
// spend: a buy that would pass the limit with it is refused.
func pendingCounts(t *testing.T, r *rig) {
	r.iss.RequireApproval("chd_alice", true)
	req, ref := r.ask(alice, "#BuyKindleFireHD")
	r.say(alice, "#ConfirmKindleFireHD", req.ID)
	r.pendingApproval(ref)
	r.awaitTold(alice, messages.ApprovalPending, ref) // the bot knows it waits
	buy := r.say(alice, "#BuyGiftCard")
	r.answer(buy)
	r.quietOutbox()
	r.refused(buy)
}

// TestRiskDailyLimit: a purchase that would take the cardholder's spend in
// 24 hours above risk.daily_limit is refused, at the buy when the spend
// already passes it, else at the confirmation; a day later it is not.
func TestRiskDailyLimit(t *testing.T) { eachAPI(t, testRiskDailyLimit) }

func testRiskDailyLimit(t *testing.T, api string) {
	tests := []struct {
		name    string
		limit   int64
		flow    limitFlow
		metrics map[string]float64 // approvals and refusals counted
	}{
		{"passed at the buy", 40_00, refusedAtBuy, map[string]float64{"daily_limit": 1}},
		{"passed at the confirmation", 210_00, refusedAtConfirmation, map[string]float64{"daily_limit": 1}},
		{"a day later", 40_00, allowedAfter(24*time.Hour + time.Minute), nil},
		// The issuer's own approval counts as asked.
		{"awaiting approval counts", 210_00, pendingCounts, map[string]float64{"daily_limit": 1, "asked": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, withHealth, withRisk(func(k *config.Risk) { k.DailyLimit = usd(tt.limit) }))
			tt.flow(t, r)
			r.checkRiskMetrics("after the flow", tt.metrics)
		})
	}
}

// TestRiskHourlyPurchases: more purchases confirmed in an hour than
// risk.hourly_purchases are refused; an hour later they are not.
func TestRiskHourlyPurchases(t *testing.T) { eachAPI(t, testRiskHourlyPurchases) }

func testRiskHourlyPurchases(t *testing.T, api string) {
	tests := []struct {
		name    string
		flow    limitFlow
		metrics map[string]float64 // approvals and refusals counted
	}{
		{"passed at the buy", refusedAtBuy, map[string]float64{"hourly_purchases": 1}},
		{"passed at the confirmation", refusedAtConfirmation, map[string]float64{"hourly_purchases": 1}},
		{"an hour later", allowedAfter(time.Hour + time.Minute), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, withHealth, withRisk(func(k *config.Risk) { k.HourlyPurchases = 1 }))
			tt.flow(t, r)
			r.checkRiskMetrics("after the flow", tt.metrics)
		})
	}
}

// TestRiskHandleChange: an account the bot saw as "alice", renamed and
// buying within risk.handle_change_hold, needs approval (handle_changed);
// an account first seen after a rename does not (a first sight is not a
// change), nor one whose new name the bot has known longer than the hold.
func TestRiskHandleChange(t *testing.T) { eachAPI(t, testRiskHandleChange) }

func testRiskHandleChange(t *testing.T, api string) {
	rename := func(r *rig) time.Time {
		if err := r.tw.RenameUser(alice.ID, "alice_2"); err != nil {
			r.t.Fatal(err)
		}
		return r.clock.Now()
	}
	t.Run("renamed within the hold", func(t *testing.T) {
		r := newRig(t, api, withRisk(nil)) // handle_change_hold: 72h by default
		r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
		renamed := rename(r)
		r.clock.Advance(time.Hour)
		req, ref := r.ask(alice, "#BuyGiftCard")
		r.say(alice, "#ConfirmGiftCard", req.ID)
		p := r.pendingApproval(ref)
		r.checkAsked(p, conversations.ReasonHandleChanged)
		at, err := time.Parse(time.RFC3339, p.Metadata["handle_changed_at"])
		if err != nil || at.Before(renamed.Truncate(time.Second)) || at.After(r.clock.Now()) {
			t.Errorf("handle_changed_at %q (%v), want when the bot first saw alice_2, after %s", p.Metadata["handle_changed_at"], err, renamed)
		}
		_, text := r.awaitTold(alice, messages.ApprovalPending, ref)
		mustContain(t, "approval_pending", text, ref)
	})
	t.Run("first sight after a rename", func(t *testing.T) {
		r := newRig(t, api, withRisk(nil))
		rename(r)
		p := r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
		r.checkNotAsked(p.Reference)
		if v, ok := p.Metadata["handle_changed_at"]; ok {
			t.Errorf("handle_changed_at %q for an account seen once", v)
		}
	})
	t.Run("after the hold", func(t *testing.T) {
		r := newRig(t, api, withRisk(func(k *config.Risk) { k.HandleChangeHold = 72 * time.Hour }))
		r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
		rename(r)
		r.ask(alice, "#BuyKindleFireHD") // the bot sees alice_2; the request lapses
		r.clock.Advance(73 * time.Hour)
		p := r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
		r.checkNotAsked(p.Reference)
		r.charged(alice, 2)
	})
}

// TestRiskMinAccountAge: an account younger than risk.min_account_age
// needs approval (account_age), by tweet and by DM (which on v1.1 carries
// no author: the bot looks the user up); an old account does not.
func TestRiskMinAccountAge(t *testing.T) { eachAPI(t, testRiskMinAccountAge) }

func testRiskMinAccountAge(t *testing.T, api string) {
	const age = 10 * 24 * time.Hour
	young := func(r *rig) {
		if err := r.tw.SetAccountCreatedAt(alice.ID, r.clock.Now().Add(-age)); err != nil {
			r.t.Fatal(err)
		}
	}
	opts := withRisk(func(k *config.Risk) { k.MinAccountAge = 720 * time.Hour })
	t.Run("young, by tweet", func(t *testing.T) {
		r := newRig(t, api, opts)
		young(r)
		req, ref := r.ask(alice, "#BuyGiftCard")
		confirm := r.say(alice, "#ConfirmGiftCard", req.ID)
		p := r.pendingApproval(ref)
		r.checkAsked(p, conversations.ReasonAccountAge)
		if p.Metadata["account_age_days"] != "10" {
			t.Errorf("account_age_days %q, want 10", p.Metadata["account_age_days"])
		}
		m, _ := r.awaitTold(alice, messages.ApprovalPending, ref)
		if m.InReplyTo != confirm.ID {
			t.Errorf("approval_pending in reply to %d, want the confirmation %d", m.InReplyTo, confirm.ID)
		}
	})
	t.Run("young, by DM", func(t *testing.T) {
		r := newRig(t, api, opts)
		young(r)
		ref := r.askByDM(alice, "#BuyGiftCard")
		r.dm(alice, "yes")
		p := r.pendingApproval(ref)
		r.checkAsked(p, conversations.ReasonAccountAge)
		m, text := r.awaitTold(alice, messages.ApprovalPending, ref)
		if m.Channel != conversations.DM {
			t.Errorf("approval_pending for a DM confirmation went by %s", m.Channel)
		}
		mustContain(t, "approval_pending", text, ref)
	})
	t.Run("old", func(t *testing.T) {
		r := newRig(t, api, opts)
		p := r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
		r.checkNotAsked(p.Reference)
		if want := signalsDays(r.clock.Now(), twitteremu.DefaultAccountCreatedAt); p.Metadata["account_age_days"] != want {
			t.Errorf("account_age_days %q, want %s", p.Metadata["account_age_days"], want)
		}
	})
}

// TestRiskAutomated: an account X labels "Automated" is refused under
// risk.automated: refuse where X gives the label (v2); v1.1 never shows
// it, so there the rule cannot apply. Under allow it buys as any account.
func TestRiskAutomated(t *testing.T) { eachAPI(t, testRiskAutomated) }

func testRiskAutomated(t *testing.T, api string) {
	for _, mode := range []string{config.AutomatedRefuse, config.AutomatedAllow} {
		t.Run(mode, func(t *testing.T) {
			r := newRig(t, api, withHealth, withRisk(func(k *config.Risk) { k.Automated = mode }))
			if err := r.tw.SetAutomated(alice.ID, true); err != nil {
				t.Fatal(err)
			}
			if mode == config.AutomatedAllow || api == config.APIv1 {
				r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
				r.charged(alice, 1)
				r.checkRiskMetrics("after alice's purchase", nil)
				return
			}
			buy := r.say(alice, "#BuyGiftCard")
			r.answer(buy)
			r.settle()
			r.refused(buy)
			if n := r.reserved("gift-card"); n != 0 {
				t.Errorf("a refused buy reserved %d units", n)
			}
			r.noPurchases(alice)
			// bob, not labelled, still buys.
			r.pay(bob, "#BuyGiftCard", "#ConfirmGiftCard")
			r.checkRiskMetrics("after alice's refusal and bob's purchase", map[string]float64{"automated": 1})
		})
	}
}

// TestRiskApprovalsPerDay: past risk.approvals_per_day approvals asked in
// 24 hours, a purchase that needs one is refused; a day later it is asked
// again.
func TestRiskApprovalsPerDay(t *testing.T) { eachAPI(t, testRiskApprovalsPerDay) }

func testRiskApprovalsPerDay(t *testing.T, api string) {
	r := newRig(t, api, withHealth, withRisk(func(k *config.Risk) {
		k.ApprovalOver = usd(20_00) // every gift card needs approval
		k.ApprovalsPerDay = 1
	}))
	req, ref := r.ask(alice, "#BuyGiftCard")
	r.say(alice, "#ConfirmGiftCard", req.ID)
	p := r.pendingApproval(ref)
	r.awaitTold(alice, messages.ApprovalPending, ref)
	r.approve(p)
	r.awaitTold(alice, messages.Receipt, ref)
	r.settle()

	buy := r.say(alice, "#BuyGiftCard")
	r.answer(buy)
	r.settle()
	r.refused(buy)
	if n := r.reserved("gift-card"); n != 0 {
		t.Errorf("a refused buy reserved %d units", n)
	}
	if n := len(r.iss.Purchases()); n != 1 {
		t.Errorf("%d purchases at the issuer, want the first only", n)
	}
	r.checkRiskMetrics("after the refusal", map[string]float64{"asked": 1, "approved": 1, "approvals_per_day": 1})

	r.clock.Advance(24*time.Hour + time.Minute)
	req, ref = r.ask(alice, "#BuyGiftCard")
	r.say(alice, "#ConfirmGiftCard", req.ID)
	r.checkAsked(r.pendingApproval(ref), conversations.ReasonAmount)
	r.awaitTold(alice, messages.ApprovalPending, ref)
	r.checkRiskMetrics("a day later", map[string]float64{"asked": 2, "approved": 1, "approvals_per_day": 1})
}

// TestRiskDeclineHold: once the cardholder declined an approval, the
// account's purchases are refused for risk.decline_hold; the next one
// after it needs approval (declined_approval), and once that one is
// approved the account buys as before.
func TestRiskDeclineHold(t *testing.T) { eachAPI(t, testRiskDeclineHold) }

func testRiskDeclineHold(t *testing.T, api string) {
	r := newRig(t, api, withHealth, withRisk(func(k *config.Risk) {
		k.ApprovalOver = usd(100_00) // the Kindle needs approval, a gift card does not
		k.DeclineHold = time.Hour
	}))
	req, ref := r.ask(alice, "#BuyKindleFireHD")
	r.say(alice, "#ConfirmKindleFireHD", req.ID)
	p := r.pendingApproval(ref)
	r.awaitTold(alice, messages.ApprovalPending, ref)
	r.decline(p)
	r.awaitTold(alice, messages.NotApproved, ref)
	r.settle()

	// Within the hold: refused, even below the approval threshold.
	buy := r.say(alice, "#BuyGiftCard")
	r.answer(buy)
	r.settle()
	r.refused(buy)
	if n := r.reserved("gift-card"); n != 0 {
		t.Errorf("a refused buy reserved %d units", n)
	}
	r.checkRiskMetrics("within the hold", map[string]float64{"asked": 1, "declined": 1, "decline_hold": 1})

	// After it: the next purchase needs approval, saying why.
	r.clock.Advance(time.Hour + time.Minute)
	req, ref = r.ask(alice, "#BuyGiftCard")
	r.say(alice, "#ConfirmGiftCard", req.ID)
	p = r.pendingApproval(ref)
	r.checkAsked(p, conversations.ReasonDeclinedApproval)
	r.awaitTold(alice, messages.ApprovalPending, ref)
	r.approve(p)
	r.awaitTold(alice, messages.Receipt, ref)
	r.settle()

	// Approved: the next one goes through as before.
	next := r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
	r.checkNotAsked(next.Reference)
	r.checkRiskMetrics("at the end", map[string]float64{"asked": 2, "declined": 1, "approved": 1, "decline_hold": 1})
}

// TestRiskPrivacyDM: under privacy: dm every answer about risk and
// approval goes by DM only: while a purchase waits for approval no public
// tweet holds its amount or card digits, and a refusal of a public buy is
// not public either.
func TestRiskPrivacyDM(t *testing.T) { eachAPI(t, testRiskPrivacyDM) }

func testRiskPrivacyDM(t *testing.T, api string) {
	private := []string{"1005", "199.00", "19900", "USD", "$"}
	checkPublic := func(r *rig) {
		r.t.Helper()
		for _, tw := range r.tw.TweetsBy(botUser.ID) {
			mustNotContain(r.t, "public tweet", tw.Text, private...)
			mustNotContain(r.t, "public tweet", strings.ToLower(tw.Text), "approve", "not approved", "cannot be made by tweet")
		}
	}
	t.Run("approval", func(t *testing.T) {
		r := newRig(t, api, rigOption(func(c *cfgT) { c.Privacy = config.PrivacyDM }),
			withRisk(func(k *config.Risk) { k.ApprovalOver = usd(100_00) }))
		buy := r.say(alice, "#BuyKindleFireHD")
		pointer := r.answer(buy)
		ref := orderIn(t, pointer.Text)
		r.nthDM(alice, 1) // the request
		confirm := r.say(alice, "#ConfirmKindleFireHD", pointer.ID)
		p := r.pendingApproval(ref)
		m, text := r.awaitTold(alice, messages.ApprovalPending, ref)
		if m.Channel != conversations.DM {
			t.Errorf("approval_pending went by %s, want DM only", m.Channel)
		}
		mustContain(t, "approval_pending DM", text, ref)
		r.awaitLookups(p, 2)
		r.quietOutbox()
		if n := len(r.repliesTo(confirm.ID)); n != 0 {
			t.Errorf("the public confirmation got %d public replies while pending", n)
		}
		checkPublic(r)

		tweets := len(r.tw.TweetsBy(botUser.ID))
		r.decline(p)
		out, _ := r.awaitTold(alice, messages.NotApproved, ref)
		if out.Channel != conversations.DM {
			t.Errorf("not_approved went by %s, want DM only", out.Channel)
		}
		r.settle()
		if n := len(r.tw.TweetsBy(botUser.ID)); n != tweets {
			t.Errorf("the bot tweeted %d times about the approval's outcome; DM only", n-tweets)
		}
		checkPublic(r)
	})
	t.Run("refusal", func(t *testing.T) {
		r := newRig(t, api, rigOption(func(c *cfgT) { c.Privacy = config.PrivacyDM }),
			withRisk(func(k *config.Risk) { k.DailyLimit = usd(10_00) }))
		buy := r.say(alice, "#BuyGiftCard")
		dm := r.nthDM(alice, 1)
		r.settle()
		if k := r.kindOf(conversations.DM, dm.ID); k != string(messages.RiskRefused) {
			t.Errorf("the buy was answered %s %q, want a refusal", k, dm.Text)
		}
		namesNoRule(t, "refusal", dm.Text)
		r.toldHowToReachIssuer("refusal DM", dm.Text)
		if n := len(r.repliesTo(buy.ID)); n != 0 {
			t.Errorf("the refused public buy got %d public replies; DM only", n)
		}
		checkPublic(r)
		r.noPurchases(alice)
	})
}
