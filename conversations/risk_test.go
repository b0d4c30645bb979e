package conversations

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/messages"
)

// rules are the contract's example risk: block.
func rules() RiskRules {
	return RiskRules{
		ApprovalOver: map[string]int64{"USD": 30000}, DailyLimit: map[string]int64{"USD": 100000},
		HourlyPurchases: 3, HandleChangeHold: 72 * time.Hour, MinAccountAge: 720 * time.Hour,
		RefuseAutomated: true, ApprovalsPerDay: 3, DeclineHold: 24 * time.Hour,
	}
}

// oldAccount is a six-year-old account never seen to change its handle.
var oldAccount = Account{CreatedAt: t0.AddDate(-6, 0, 0)}

func TestAssessRisk(t *testing.T) {
	cases := []struct {
		name     string
		rules    RiskRules
		acc      Account
		hist     RiskHistory
		amount   int64
		currency string
		refused  string
		reasons  []string
		named    []string // the rules the order names, when the case says
	}{
		{name: "nothing risky", acc: oldAccount, amount: 19900, currency: "USD"},
		{name: "no rules check nothing", rules: RiskRules{}, acc: Account{Automated: true, CreatedAt: t0.Add(-time.Hour)},
			hist: RiskHistory{Spend24h: map[string]int64{"USD": 1 << 40}, Purchases1h: 100}, amount: 1 << 40, currency: "USD"},
		{name: "amount at the threshold needs nothing", acc: oldAccount, amount: 30000, currency: "USD"},
		{name: "amount over the threshold", acc: oldAccount, amount: 30001, currency: "USD", reasons: []string{ReasonAmount}},
		{name: "a currency without a threshold has no amount rule", acc: oldAccount, amount: 9999999, currency: "EUR"},
		{name: "daily spend reaches the limit with this purchase", acc: oldAccount, amount: 20000, currency: "USD",
			hist: RiskHistory{Spend24h: map[string]int64{"USD": 80000}}},
		{name: "daily spend passes the limit with this purchase", acc: oldAccount, amount: 20001, currency: "USD",
			hist: RiskHistory{Spend24h: map[string]int64{"USD": 80000}}, refused: RuleDailyLimit},
		{name: "spend in another currency does not count", acc: oldAccount, amount: 20001, currency: "USD",
			hist: RiskHistory{Spend24h: map[string]int64{"EUR": 99999999}}},
		{name: "third purchase in the hour is allowed", acc: oldAccount, amount: 100, currency: "USD",
			hist: RiskHistory{Purchases1h: 2}},
		{name: "fourth purchase in the hour is refused", acc: oldAccount, amount: 100, currency: "USD",
			hist: RiskHistory{Purchases1h: 3}, refused: RuleHourlyPurchases},
		{name: "handle changed within the hold", acc: Account{CreatedAt: oldAccount.CreatedAt, HandleChangedAt: t0.Add(-71 * time.Hour)},
			amount: 100, currency: "USD", reasons: []string{ReasonHandleChanged}},
		{name: "handle changed before the hold", acc: Account{CreatedAt: oldAccount.CreatedAt, HandleChangedAt: t0.Add(-73 * time.Hour)},
			amount: 100, currency: "USD"},
		{name: "young account", acc: Account{CreatedAt: t0.Add(-719 * time.Hour)}, amount: 100, currency: "USD", reasons: []string{ReasonAccountAge}},
		{name: "old enough account", acc: Account{CreatedAt: t0.Add(-721 * time.Hour)}, amount: 100, currency: "USD"},
		{name: "unknown age is not young", acc: Account{}, amount: 100, currency: "USD"},
		{name: "automated account refused", acc: Account{CreatedAt: oldAccount.CreatedAt, Automated: true}, amount: 100, currency: "USD", refused: RuleAutomated},
		{name: "automated allowed when the rules allow it", rules: func() RiskRules { r := rules(); r.RefuseAutomated = false; return r }(),
			acc: Account{CreatedAt: oldAccount.CreatedAt, Automated: true}, amount: 100, currency: "USD"},
		{name: "inside the decline hold", acc: oldAccount, hist: RiskHistory{DeclinedAt: t0.Add(-23 * time.Hour)}, amount: 100, currency: "USD", refused: RuleDeclineHold},
		{name: "first purchase after the decline hold", acc: oldAccount, hist: RiskHistory{DeclinedAt: t0.Add(-25 * time.Hour)}, amount: 100, currency: "USD",
			reasons: []string{ReasonDeclinedApproval}},
		{name: "later purchases after the decline hold", acc: oldAccount, hist: RiskHistory{DeclinedAt: t0.Add(-25 * time.Hour), ChargedSinceDecline: true},
			amount: 100, currency: "USD"},
		{name: "every reason together", acc: Account{CreatedAt: t0.Add(-time.Hour), HandleChangedAt: t0.Add(-time.Minute)},
			hist: RiskHistory{DeclinedAt: t0.Add(-48 * time.Hour)}, amount: 50000, currency: "USD",
			reasons: []string{ReasonAmount, ReasonHandleChanged, ReasonAccountAge, ReasonDeclinedApproval},
			named:   []string{RuleApprovalOver, RuleHandleChangeHold, RuleMinAccountAge, RuleDeclineHold}},
		{name: "approvals per day used up", acc: oldAccount, hist: RiskHistory{ApprovalsAsked24h: 3}, amount: 50000, currency: "USD", refused: RuleApprovalsPerDay,
			named: []string{RuleApprovalOver, RuleApprovalsPerDay}},
		{name: "approvals per day do not matter without approval", acc: oldAccount, hist: RiskHistory{ApprovalsAsked24h: 30}, amount: 100, currency: "USD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.rules
			if r.ApprovalOver == nil && !strings.HasPrefix(c.name, "no rules") && !strings.HasPrefix(c.name, "automated allowed") {
				r = rules()
			}
			k := AssessRisk(r, c.acc, c.hist, c.amount, c.currency, t0)
			if k.Refused != c.refused {
				t.Errorf("refused by %q, want %q", k.Refused, c.refused)
			}
			if !slices.Equal(k.Reasons, c.reasons) {
				t.Errorf("reasons %v, want %v", k.Reasons, c.reasons)
			}
			if k.Approval != (len(c.reasons) > 0) {
				t.Errorf("approval %v with reasons %v", k.Approval, k.Reasons)
			}
			if c.named != nil && !slices.Equal(k.Rules, c.named) {
				t.Errorf("rules %v, want %v", k.Rules, c.named)
			}
			if c.refused != "" && !slices.Contains(k.Rules, c.refused) {
				t.Errorf("rules %v do not name the refusing rule %s", k.Rules, c.refused)
			}
		})
	}
}

func TestRiskSignals(t *testing.T) {
	acc := Account{CreatedAt: t0.Add(-50*24*time.Hour - time.Hour), HandleChangedAt: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
	h := RiskHistory{Spend24h: map[string]int64{"USD": 12345, "EUR": 1}, Purchases1h: 2}
	k := AssessRisk(RiskRules{}, acc, h, 100, "USD", t0)
	want := map[string]string{"account_age_days": "50", "handle_changed_at": "2026-11-20T08:00:00Z", "spend_24h": "12345", "purchases_1h": "2"}
	for key, v := range want {
		if k.Signals[key] != v {
			t.Errorf("signal %s = %q, want %q", key, k.Signals[key], v)
		}
	}
	// What the bot does not know is not sent.
	k = AssessRisk(RiskRules{}, Account{}, RiskHistory{}, 100, "USD", t0)
	if _, ok := k.Signals["account_age_days"]; ok {
		t.Errorf("account_age_days sent for an account of unknown age: %v", k.Signals)
	}
	if _, ok := k.Signals["handle_changed_at"]; ok {
		t.Errorf("handle_changed_at sent for an account never seen to change: %v", k.Signals)
	}
	if k.Signals["spend_24h"] != "0" || k.Signals["purchases_1h"] != "0" {
		t.Errorf("counts for a first purchase: %v", k.Signals)
	}
}

// TestDecideRisk checks where the rules act in the conversation: a
// refused buy reserves nothing, a refused confirmation releases the unit,
// an approval travels with the confirmation, and a pause answers both.
func TestDecideRisk(t *testing.T) {
	buy := tweet(300, "#BuyKindleFireHD", "BuyKindleFireHD")
	confirmTweet := Inbound{Channel: Tweet, ID: 300, UserID: alice, ScreenName: "alice", Text: "#ConfirmKindleFireHD", Hashtags: []string{"ConfirmKindleFireHD"}, InReplyTo: 200, PostedAt: t0}
	young := Account{CreatedAt: t0.Add(-time.Hour)}
	cases := []struct {
		name       string
		setup      func(*Situation)
		msg        Inbound
		action     string
		replies    []string
		transition string
		newOrder   bool
		refused    string
		approval   bool
	}{
		{name: "buy by an automated account is refused and reserves nothing", msg: buy,
			setup:  func(s *Situation) { s.Account = Account{Automated: true} },
			action: "risk-refused", replies: []string{"tweet:risk_refused"}, refused: RuleAutomated},
		{name: "buy that needs approval is requested as usual", msg: buy,
			setup:  func(s *Situation) { s.Account = young },
			action: "reserve", replies: []string{"tweet:confirm_request"}, newOrder: true},
		{name: "buy while paused", msg: buy, setup: func(s *Situation) { s.Paused = true },
			action: "paused", replies: []string{"tweet:paused"}},
		{name: "buy refused under privacy dm is answered by DM only", msg: buy,
			setup:  func(s *Situation) { s.Account = Account{Automated: true}; s.Privacy = PrivacyDM },
			action: "risk-refused", replies: []string{"dm:risk_refused"}, refused: RuleAutomated},
		{name: "confirmation of a young account goes for approval", msg: confirmTweet,
			setup:  func(s *Situation) { s.Account = young; s.Orders = []Order{order(Pending)} },
			action: "confirm", transition: "pending->confirmed", approval: true},
		{name: "confirmation over the daily limit is refused and releases the unit", msg: confirmTweet,
			setup: func(s *Situation) {
				s.Orders = []Order{order(Pending)}
				s.RiskHistory = RiskHistory{Spend24h: map[string]int64{"USD": 90000}}
			},
			action: "risk-refused", replies: []string{"tweet:risk_refused"}, transition: "pending->failed", refused: RuleDailyLimit},
		{name: "confirmation while paused keeps the request", msg: confirmTweet,
			setup:  func(s *Situation) { s.Orders = []Order{order(Pending)}; s.Paused = true },
			action: "paused", replies: []string{"tweet:paused"}},
		{name: "DM yes while paused", msg: dm(300, "yes"),
			setup:  func(s *Situation) { s.Orders = []Order{order(Pending)}; s.Paused = true },
			action: "paused", replies: []string{"dm:paused"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := situation()
			s.Risk = rules()
			s.Account = oldAccount
			c.setup(&s)
			s.Held = heldBy(s.Orders)
			d := Decide(s, c.msg, Classify(c.msg, s.Catalog))
			if d.Action != c.action {
				t.Fatalf("action %q, want %q", d.Action, c.action)
			}
			var got []string
			for _, r := range d.Replies {
				got = append(got, string(r.Channel)+":"+string(r.Kind))
				for _, rule := range []string{"automated", "daily", "limit", "young", "age"} {
					if strings.Contains(strings.ToLower(r.Text), rule) {
						t.Errorf("reply names a rule (%q): %s", rule, r.Text)
					}
				}
			}
			if !slices.Equal(got, c.replies) {
				t.Errorf("replies %v, want %v", got, c.replies)
			}
			tr := ""
			if len(d.Transitions) == 1 {
				tr = string(d.Transitions[0].From) + "->" + string(d.Transitions[0].To)
			}
			if tr != c.transition {
				t.Errorf("transition %q, want %q", tr, c.transition)
			}
			if (d.NewOrder != nil) != c.newOrder {
				t.Errorf("new order %v, want %v", d.NewOrder != nil, c.newOrder)
			}
			if d.Refused != c.refused {
				t.Errorf("refused by %q, want %q", d.Refused, c.refused)
			}
			if c.transition != "" {
				k := d.Transitions[0].Risk
				if k == nil {
					t.Fatalf("transition carries no risk")
				}
				if k.Approval != c.approval {
					t.Errorf("approval %v, want %v (reasons %v)", k.Approval, c.approval, k.Reasons)
				}
				if k.Signals["spend_24h"] == "" {
					t.Errorf("transition carries no signals: %v", k.Signals)
				}
			}
		})
	}
}

func TestRiskMessagesHaveDefaults(t *testing.T) {
	for _, k := range []messages.Kind{messages.Paused, messages.RiskRefused, messages.ApprovalPending, messages.NotApproved} {
		if !messages.Known(k) {
			t.Errorf("%s has no default text", k)
		}
	}
}

func TestApprovalReplies(t *testing.T) {
	o := order(Confirmed)
	o.ConfirmChannel, o.ConfirmMessageID, o.Amount = Tweet, 300, 89900
	expires := t0.Add(10 * time.Minute)
	cases := []struct {
		name    string
		privacy Privacy
		reply   func() []Reply
		want    []string
		has     []string
		hasNot  []string
	}{
		{name: "pending, public", privacy: PrivacyPublic,
			reply: func() []Reply {
				return []Reply{ApprovalPendingReply(messages.Defaults(), PrivacyPublic, o, "app", expires)}
			},
			want: []string{"tweet:approval_pending"}, has: []string{"@alice", o.ID, "2026-11-27 12:10 UTC"}},
		{name: "pending, privacy dm: no amount in public", privacy: PrivacyDM,
			reply: func() []Reply {
				return []Reply{ApprovalPendingReply(messages.Defaults(), PrivacyDM, o, "sms", expires)}
			},
			want: []string{"dm:approval_pending"}, has: []string{"899.00 USD", "text message"}},
		{name: "declined by the cardholder", privacy: PrivacyPublic,
			reply: func() []Reply {
				return OutcomeReplies(messages.Defaults(), PrivacyPublic, o, Outcome{State: Declined, PurchaseID: "pur_1", DeclineCode: ApprovalDeclined})
			},
			want: []string{"tweet:not_approved"}, has: []string{"not approved", "nothing was charged"}, hasNot: []string{"declined for"}},
		{name: "expired, privacy dm", privacy: PrivacyDM,
			reply: func() []Reply {
				return OutcomeReplies(messages.Defaults(), PrivacyDM, o, Outcome{State: Declined, PurchaseID: "pur_1", DeclineCode: ApprovalExpired})
			},
			want: []string{"dm:not_approved"}, has: []string{"in time"}},
		{name: "a card decline is still a decline", privacy: PrivacyPublic,
			reply: func() []Reply {
				return OutcomeReplies(messages.Defaults(), PrivacyPublic, o, Outcome{State: Declined, PurchaseID: "pur_1", DeclineCode: "insufficient_funds"})
			},
			want: []string{"tweet:declined"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := c.reply()
			var got []string
			for _, r := range rs {
				got = append(got, string(r.Channel)+":"+string(r.Kind))
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("replies %v, want %v", got, c.want)
			}
			for _, s := range c.has {
				if !strings.Contains(rs[0].Text, s) {
					t.Errorf("%q lacks %q", rs[0].Text, s)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(rs[0].Text, s) {
					t.Errorf("%q has %q", rs[0].Text, s)
				}
			}
			if rs[0].Channel == Tweet && rs[0].InReplyTo != 300 {
				t.Errorf("public answer replies to %d, not the confirmation", rs[0].InReplyTo)
			}
		})
	}
}
