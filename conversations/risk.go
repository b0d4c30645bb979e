package conversations

import (
	"strconv"
	"time"
)

// RiskRules are the checks of conversation.md, "A hijacked account", as
// the configuration's risk: section sets them (amounts in minor units).
type RiskRules struct {
	// ApprovalOver and DailyLimit are per currency; a currency without an
	// entry has no such rule.
	ApprovalOver     map[string]int64
	DailyLimit       map[string]int64
	HourlyPurchases  int           // 0: off
	HandleChangeHold time.Duration // 0: off
	MinAccountAge    time.Duration // 0: off
	RefuseAutomated  bool
	// ApprovalsPerDay is the most approvals asked of one cardholder in
	// 24 hours: past it, a purchase that needs one is refused (0: every
	// one is).
	ApprovalsPerDay int
	DeclineHold     time.Duration
}

// Account is what the bot knows of the X account that sent a message.
type Account struct {
	// CreatedAt is X's created_at for the account; zero when not known.
	CreatedAt time.Time
	// HandleChangedAt is when the bot first saw the account's current
	// username after another one; zero when it never saw a change (a
	// first sight is not a change).
	HandleChangedAt time.Time
	// Automated is true where X labels the account "Automated".
	Automated bool
}

// RiskHistory is the cardholder's recent spending and approvals, as the
// database counts them when a message is decided.
type RiskHistory struct {
	// Spend24h is, per currency, what the cardholder's orders confirmed
	// in the last 24 hours amount to: paid, being charged or awaiting
	// approval (a refund does not lower it).
	Spend24h map[string]int64
	// Purchases1h counts those orders confirmed in the last hour.
	Purchases1h int
	// ApprovalsAsked24h counts the purchases of the last 24 hours that
	// went, or are to go, to the cardholder for approval.
	ApprovalsAsked24h int
	// DeclinedAt is when the bot learned of the cardholder's latest
	// declined approval; zero when there is none.
	DeclinedAt time.Time
	// ChargedSinceDecline is true once a purchase went to the issuer
	// after that decline, carrying declined_approval.
	ChargedSinceDecline bool
}

// The reasons a purchase goes to the cardholder for approval, as
// metadata.risk names them.
const (
	ReasonAmount           = "amount"
	ReasonHandleChanged    = "handle_changed"
	ReasonAccountAge       = "account_age"
	ReasonDeclinedApproval = "declined_approval"
)

// The rules, by their configuration keys: what Risk.Rules and refusals
// name, in orders and metrics.
const (
	RuleApprovalOver     = "approval_over"
	RuleDailyLimit       = "daily_limit"
	RuleHourlyPurchases  = "hourly_purchases"
	RuleHandleChangeHold = "handle_change_hold"
	RuleMinAccountAge    = "min_account_age"
	RuleAutomated        = "automated"
	RuleApprovalsPerDay  = "approvals_per_day"
	RuleDeclineHold      = "decline_hold"
)

// Risk is what the rules made of one purchase: stored with the order when
// its confirmation is decided, and never recomputed, so that a retried
// POST sends the same body.
type Risk struct {
	// Approval is true when the purchase must be approved by the
	// cardholder at the issuer; Reasons say why.
	Approval bool
	Reasons  []string
	// Refused names the rule that refuses the purchase; "" when none.
	Refused string
	// Rules are every rule that applied, the refusing one included.
	Rules []string
	// Signals go to the issuer with every purchase, as metadata.
	Signals map[string]string
}

// AssessRisk applies the rules to a purchase of amount in currency by the
// owner of acc, at now.
func AssessRisk(r RiskRules, acc Account, h RiskHistory, amount int64, currency string, now time.Time) Risk {
	var k Risk
	k.Signals = riskSignals(acc, h, currency, now)
	refuse := func(rule string) Risk {
		k.Refused = rule
		k.Rules = append(k.Rules, rule)
		k.Approval, k.Reasons = false, nil
		return k
	}
	approve := func(rule, reason string) {
		k.Approval = true
		k.Reasons = append(k.Reasons, reason)
		k.Rules = append(k.Rules, rule)
	}
	if r.RefuseAutomated && acc.Automated {
		return refuse(RuleAutomated)
	}
	declined := !h.DeclinedAt.IsZero()
	if declined && r.DeclineHold > 0 && now.Before(h.DeclinedAt.Add(r.DeclineHold)) {
		return refuse(RuleDeclineHold)
	}
	if limit, ok := r.DailyLimit[currency]; ok && h.Spend24h[currency]+amount > limit {
		return refuse(RuleDailyLimit)
	}
	if r.HourlyPurchases > 0 && h.Purchases1h+1 > r.HourlyPurchases {
		return refuse(RuleHourlyPurchases)
	}
	if over, ok := r.ApprovalOver[currency]; ok && amount > over {
		approve(RuleApprovalOver, ReasonAmount)
	}
	if r.HandleChangeHold > 0 && !acc.HandleChangedAt.IsZero() && now.Sub(acc.HandleChangedAt) < r.HandleChangeHold {
		approve(RuleHandleChangeHold, ReasonHandleChanged)
	}
	if r.MinAccountAge > 0 && !acc.CreatedAt.IsZero() && now.Sub(acc.CreatedAt) < r.MinAccountAge {
		approve(RuleMinAccountAge, ReasonAccountAge)
	}
	if declined && !h.ChargedSinceDecline {
		approve(RuleDeclineHold, ReasonDeclinedApproval)
	}
	if k.Approval && h.ApprovalsAsked24h >= r.ApprovalsPerDay {
		return refuse(RuleApprovalsPerDay)
	}
	return k
}

// riskSignals are what the issuer's own rules get to see of every
// purchase, counted before it.
func riskSignals(acc Account, h RiskHistory, currency string, now time.Time) map[string]string {
	s := map[string]string{
		"spend_24h":    strconv.FormatInt(h.Spend24h[currency], 10),
		"purchases_1h": strconv.Itoa(h.Purchases1h),
	}
	if !acc.CreatedAt.IsZero() {
		s["account_age_days"] = strconv.FormatInt(int64(max(now.Sub(acc.CreatedAt), 0)/(24*time.Hour)), 10)
	}
	if !acc.HandleChangedAt.IsZero() {
		s["handle_changed_at"] = acc.HandleChangedAt.UTC().Format(time.RFC3339)
	}
	return s
}
