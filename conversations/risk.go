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
	k := Risk{Signals: riskSignals(acc, h, currency, now)}
	refuse := func(rule string) Risk {
		k.Refused = rule
		k.Rules = append(k.Rules, rule)
		return k
	}
	if rule := refusingRule(r, acc, h, amount, currency, now); rule != "" {
		return refuse(rule)
	}
	k.Rules, k.Reasons = approvalRules(r, acc, h, amount, currency, now)
	if len(k.Rules) == 0 {
		return k
	}
	if h.ApprovalsAsked24h >= r.ApprovalsPerDay {
		k.Reasons = nil // the rules that asked stay named beside the refusal
		return refuse(RuleApprovalsPerDay)
	}
	k.Approval = true
	return k
}

// refusingRule names the first rule that refuses the purchase outright,
// whatever the cardholder would approve; "" when none does.
func refusingRule(r RiskRules, acc Account, h RiskHistory, amount int64, currency string, now time.Time) string {
	switch {
	case r.RefuseAutomated && acc.Automated:
		return RuleAutomated
	case !h.DeclinedAt.IsZero() && r.DeclineHold > 0 && now.Before(h.DeclinedAt.Add(r.DeclineHold)):
		return RuleDeclineHold
	}
	if limit, ok := r.DailyLimit[currency]; ok && h.Spend24h[currency]+amount > limit {
		return RuleDailyLimit
	}
	if r.HourlyPurchases > 0 && h.Purchases1h+1 > r.HourlyPurchases {
		return RuleHourlyPurchases
	}
	return ""
}

// approvalRules are the rules that ask for the cardholder's approval, in
// the order the rules table lists them, with the reason each gives the
// issuer.
func approvalRules(r RiskRules, acc Account, h RiskHistory, amount int64, currency string, now time.Time) (rules, reasons []string) {
	add := func(rule, reason string) {
		rules = append(rules, rule)
		reasons = append(reasons, reason)
	}
	if over, ok := r.ApprovalOver[currency]; ok && amount > over {
		add(RuleApprovalOver, ReasonAmount)
	}
	if r.HandleChangeHold > 0 && !acc.HandleChangedAt.IsZero() && now.Sub(acc.HandleChangedAt) < r.HandleChangeHold {
		add(RuleHandleChangeHold, ReasonHandleChanged)
	}
	if r.MinAccountAge > 0 && !acc.CreatedAt.IsZero() && now.Sub(acc.CreatedAt) < r.MinAccountAge {
		add(RuleMinAccountAge, ReasonAccountAge)
	}
	if !h.DeclinedAt.IsZero() && !h.ChargedSinceDecline {
		add(RuleDeclineHold, ReasonDeclinedApproval)
	}
	return rules, reasons
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
