package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/paybytweet/paybytweet/conversations"

	"github.com/paybytweet/paybytweet/money"
)

// Risk is the risk: section: the rules that stop the costly cases of a
// hijacked account (docs/conversation.md). A rule whose value is zero or
// absent is off, except where said. A reload replaces the whole Risk with
// the rest of the Config: it applies to decisions made after it, never to
// an order already decided.
type Risk struct {
	// ApprovalOver is, per currency (ISO 4217 code), the amount in minor
	// units above which a purchase needs the cardholder's approval at the
	// issuer. A currency without an entry has no such rule; 0 means every
	// purchase in that currency needs approval.
	ApprovalOver map[string]int64
	// DailyLimit is, per currency, the most in minor units a cardholder
	// may spend in a rolling 24 hours; a purchase that would take the
	// spend above it is refused. A currency without an entry has no limit.
	DailyLimit map[string]int64
	// HourlyPurchases is the most purchases a cardholder may confirm in a
	// rolling hour; more are refused. 0: off.
	HourlyPurchases int
	// HandleChangeHold is how long after the bot first sees an account's
	// new username its purchases need approval. 0: off.
	HandleChangeHold time.Duration
	// MinAccountAge: purchases by an account younger than this need
	// approval. 0: off.
	MinAccountAge time.Duration
	// Automated is AutomatedRefuse (purchases by an account X labels as
	// automated are refused) or AutomatedAllow.
	Automated string
	// ApprovalsPerDay is the most approvals asked of one cardholder in a
	// rolling 24 hours; past it, a purchase that needs approval is refused.
	// 0: none is ever asked, so every purchase that needs approval is
	// refused.
	ApprovalsPerDay int
	// DeclineHold is how long after the bot learns that the cardholder
	// declined an approval every purchase by that account is refused. 0:
	// none is (the next purchase still needs approval).
	DeclineHold time.Duration
}

// The values of risk.automated.
const (
	AutomatedRefuse = "refuse"
	AutomatedAllow  = "allow"
)

// Defaults of the risk: section.
const (
	DefaultHandleChangeHold = 72 * time.Hour
	DefaultApprovalsPerDay  = 3
	DefaultDeclineHold      = 24 * time.Hour
)

// DefaultRisk returns the rules in force when the file has no risk:
// section: the handle-change hold, the refusal of automated accounts, and
// the bounds on approvals; no amount, limit or age rule.
func DefaultRisk() Risk {
	return Risk{
		HandleChangeHold: DefaultHandleChangeHold,
		Automated:        AutomatedRefuse,
		ApprovalsPerDay:  DefaultApprovalsPerDay,
		DeclineHold:      DefaultDeclineHold,
	}
}

// Rules names the rules that are on, by their keys, in the order of the
// section: approval_over, daily_limit, hourly_purchases,
// handle_change_hold, min_account_age, automated. It never fails.
func (r Risk) Rules() []string {
	var on []string
	add := func(name string, yes bool) {
		if yes {
			on = append(on, name)
		}
	}
	add("approval_over", len(r.ApprovalOver) > 0)
	add("daily_limit", len(r.DailyLimit) > 0)
	add("hourly_purchases", r.HourlyPurchases > 0)
	add("handle_change_hold", r.HandleChangeHold > 0)
	add("min_account_age", r.MinAccountAge > 0)
	add("automated", r.Automated != AutomatedAllow)
	return on
}

func (p *parser) riskFields(c *Config) []field {
	r := &c.Risk
	return []field{
		{name: "approval_over", decode: func(_, n *yaml.Node) {
			r.ApprovalOver = p.amounts("risk.approval_over", n, false)
		}},
		{name: "daily_limit", decode: func(_, n *yaml.Node) {
			r.DailyLimit = p.amounts("risk.daily_limit", n, true)
		}},
		{name: "hourly_purchases", decode: func(_, n *yaml.Node) {
			p.countOrOff("risk.hourly_purchases", n, &r.HourlyPurchases)
		}},
		{name: "handle_change_hold", decode: func(_, n *yaml.Node) {
			p.durationOrOff("risk.handle_change_hold", n, &r.HandleChangeHold)
		}},
		{name: "min_account_age", decode: func(_, n *yaml.Node) {
			p.durationOrOff("risk.min_account_age", n, &r.MinAccountAge)
		}},
		{name: "automated", decode: func(_, n *yaml.Node) {
			p.oneOf("risk.automated", n, &r.Automated, AutomatedRefuse, AutomatedAllow)
		}},
		{name: "approvals_per_day", decode: func(_, n *yaml.Node) {
			p.countOrOff("risk.approvals_per_day", n, &r.ApprovalsPerDay)
		}},
		{name: "decline_hold", decode: func(_, n *yaml.Node) {
			p.durationOrOff("risk.decline_hold", n, &r.DeclineHold)
		}},
	}
}

// amounts decodes a map of currency to decimal amount, such as
// {USD: "300.00", EUR: "250"}, each read as an offer's price is: exact,
// with no more decimals than its currency has, into minor units. Amounts
// may be 0 unless positive. A map left empty is no entry at all.
func (p *parser) amounts(path string, n *yaml.Node, positive bool) map[string]int64 {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "%s must be a map of currency to amount, such as {USD: \"300.00\"}, not a %s", path, kindName(n))
		return nil
	}
	out := map[string]int64{}
	seen := map[string]*yaml.Node{}
	for _, kv := range p.pairs(n, path) {
		code := kv.key.Value
		if first, dup := seen[code]; dup {
			p.add(kv.key, "duplicate currency %q in %s (first at line %d)", code, path, first.Line)
			continue
		}
		seen[code] = kv.key
		if !p.amountCurrency(path, kv.key) {
			continue
		}
		if amount, ok := p.currencyAmount(path, code, deref(kv.val), positive); ok {
			out[code] = amount
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// amountCurrency tells whether key, in the amounts map at path, is an ISO
// 4217 currency code, adding a problem if not.
func (p *parser) amountCurrency(path string, key *yaml.Node) bool {
	code := key.Value
	if _, known := money.Exponent(code); known {
		return true
	}
	if _, upper := money.Exponent(strings.ToUpper(code)); upper {
		p.add(key, "%s: currency %q must be upper case (did you mean %q?)", path, code, strings.ToUpper(code))
	} else {
		p.add(key, "%s: %q is not an ISO 4217 currency code such as USD", path, code)
	}
	return false
}

// currencyAmount decodes v, the amount for currency code in the amounts map at
// path, into minor units; false, with the problem reported, if it is
// empty, not exact in that currency, or 0 where it must be positive.
func (p *parser) currencyAmount(path, code string, v *yaml.Node, positive bool) (int64, bool) {
	at := path + "." + code
	s, ok := p.scalar(at, v, "a decimal amount")
	if !ok || strings.TrimSpace(s.text) == "" {
		if ok || isNull(v) {
			p.add(v, "%s must not be empty (leave the currency out for no rule)", at)
		}
		return 0, false
	}
	if s.env {
		p.fromEnv[path] = true
	}
	amount, err := money.Parse(strings.TrimSpace(s.text), code)
	if err != nil {
		// money says `amount "1.999" has 3 decimals, but USD allows 2`.
		p.add(v, "%s %s", at, strings.TrimPrefix(s.hide(err.Error()), "amount "))
		return 0, false
	}
	if positive && amount == 0 {
		p.add(v, "%s must be more than 0, not %s (leave the currency out for no limit)", at, s.show())
		return 0, false
	}
	return amount, true
}

// countOrOff decodes a whole number of 0 or more into an int.
func (p *parser) countOrOff(path string, n *yaml.Node, dst *int) {
	if v, ok := p.integer(path, n, 0); ok {
		if int64(int(v)) != v {
			p.add(n, "%s is too large", path)
			return
		}
		*dst = int(v)
	}
}

// durationOrOff decodes a Go duration of 0 (off) or more.
func (p *parser) durationOrOff(path string, n *yaml.Node, dst *time.Duration) {
	s, ok := p.scalar(path, n, "a duration")
	if !ok {
		return
	}
	d, err := time.ParseDuration(strings.TrimSpace(s.text))
	switch {
	case err != nil:
		p.add(n, "%s %s is not a duration (write one such as 72h or 30m, or 0 for off)", path, s.show())
	case d < 0:
		p.add(n, "%s must be 0 (off) or more, not %s", path, s.show())
	default:
		*dst = d
	}
}

// riskSettings are the risk: keys as Diff compares them; each takes
// effect on reload.
func riskSettings() []setting {
	off := func(d time.Duration) string {
		if d == 0 {
			return "off"
		}
		return d.String()
	}
	offInt := func(v int) string {
		if v == 0 {
			return "off"
		}
		return strconv.Itoa(v)
	}
	return []setting{
		{"risk.approval_over", func(c *Config) string { return amountsText(c.Risk.ApprovalOver) }, false, false},
		{"risk.daily_limit", func(c *Config) string { return amountsText(c.Risk.DailyLimit) }, false, false},
		{"risk.hourly_purchases", func(c *Config) string { return offInt(c.Risk.HourlyPurchases) }, false, false},
		{"risk.handle_change_hold", func(c *Config) string { return off(c.Risk.HandleChangeHold) }, false, false},
		{"risk.min_account_age", func(c *Config) string { return off(c.Risk.MinAccountAge) }, false, false},
		{"risk.automated", func(c *Config) string { return c.Risk.Automated }, false, false},
		{"risk.approvals_per_day", func(c *Config) string { return strconv.Itoa(c.Risk.ApprovalsPerDay) }, false, false},
		{"risk.decline_hold", func(c *Config) string { return off(c.Risk.DeclineHold) }, false, false},
	}
}

// amountsText shows a map of amounts as "none" or "300.00 USD, 250.00
// EUR", by currency code.
func amountsText(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = money.Format(m[c], c)
	}
	return strings.Join(parts, ", ")
}

// summary is the part of Summary about risk: which rules are on, such as
// "2 risk rules (handle_change_hold, automated)".
func (r Risk) summary() string {
	switch on := r.Rules(); len(on) {
	case 0:
		return "no risk rules"
	case 1:
		return "1 risk rule (" + on[0] + ")"
	default:
		return fmt.Sprintf("%d risk rules (%s)", len(on), strings.Join(on, ", "))
	}
}

// Checks returns the rules as the conversation checks them.
func (r Risk) Checks() conversations.RiskRules {
	return conversations.RiskRules{
		ApprovalOver: r.ApprovalOver, DailyLimit: r.DailyLimit, HourlyPurchases: r.HourlyPurchases,
		HandleChangeHold: r.HandleChangeHold, MinAccountAge: r.MinAccountAge, RefuseAutomated: r.Automated != AutomatedAllow,
		ApprovalsPerDay: r.ApprovalsPerDay, DeclineHold: r.DeclineHold,
	}
}
