package config

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// contractRisk is the risk: block of contracts/config-and-cli.md,
// verbatim.
const contractRisk = `risk:                               # conversation.md, "A hijacked account"; omitted keys are off unless said
  approval_over: {USD: "300.00"}    # per currency: a purchase above this needs the cardholder's approval
  daily_limit: {USD: "1000.00"}     # per currency: a cardholder's spend in 24 h above this is refused
  hourly_purchases: 3               # more confirmed purchases in an hour are refused
  handle_change_hold: 72h           # default 72h; 0 turns it off
  min_account_age: 720h             # younger accounts need approval
  automated: refuse                 # default refuse; or allow (v2 only: where X gives the label)
  approvals_per_day: 3              # default 3: approvals asked per cardholder in 24 h
  decline_hold: 24h                 # default 24h: a declined approval refuses that account's purchases this long
`

func TestRiskOfTheContract(t *testing.T) {
	c := mustLoad(t, doc(offer("a", "A"), contractRisk))
	want := Risk{
		ApprovalOver:     map[string]int64{"USD": 30000},
		DailyLimit:       map[string]int64{"USD": 100000},
		HourlyPurchases:  3,
		HandleChangeHold: 72 * time.Hour,
		MinAccountAge:    720 * time.Hour,
		Automated:        AutomatedRefuse,
		ApprovalsPerDay:  3,
		DeclineHold:      24 * time.Hour,
	}
	if !reflect.DeepEqual(c.Risk, want) {
		t.Errorf("Risk = %+v, want %+v", c.Risk, want)
	}
	if got := c.Summary(); !strings.HasSuffix(got, ", 6 risk rules (approval_over, daily_limit, hourly_purchases, handle_change_hold, min_account_age, automated)") {
		t.Errorf("Summary() = %q", got)
	}
}

// TestRiskDefaults: a file without risk:, or with an empty one, has the
// hold on a changed handle and the refusal of automated accounts, and no
// rule on amounts, spend, pace or age.
func TestRiskDefaults(t *testing.T) {
	want := Risk{HandleChangeHold: 72 * time.Hour, Automated: AutomatedRefuse, ApprovalsPerDay: 3, DeclineHold: 24 * time.Hour}
	if !reflect.DeepEqual(DefaultRisk(), want) {
		t.Errorf("DefaultRisk() = %+v, want %+v", DefaultRisk(), want)
	}
	for _, extra := range []string{"", "risk:\n", "risk: {}\n", "risk:\n  approval_over:\n  daily_limit: {}\n  min_account_age:\n"} {
		c := mustLoad(t, doc(offer("a", "A"), extra))
		if !reflect.DeepEqual(c.Risk, want) {
			t.Errorf("%q: Risk = %+v, want %+v", extra, c.Risk, want)
		}
		if got := c.Risk.Rules(); strings.Join(got, ",") != "handle_change_hold,automated" {
			t.Errorf("%q: Rules() = %q", extra, got)
		}
	}
}

// TestRiskValues: amounts are exact and in each currency's minor units,
// and 0 turns off what the contract says it does.
func TestRiskValues(t *testing.T) {
	c, err := load(t, doc(offer("a", "A"), `risk:
  approval_over: {USD: 300.1, JPY: "30000", BHD: "1.005", EUR: 0}
  daily_limit:
    USD: "1000"
    EUR: ${EUR_LIMIT}
  hourly_purchases: 0
  handle_change_hold: 0
  min_account_age: 0s
  automated: allow
  approvals_per_day: 0
  decline_hold: 90m
`), lookup("EUR_LIMIT", "750.50"))
	if err != nil {
		t.Fatal(err)
	}
	want := Risk{
		ApprovalOver:    map[string]int64{"USD": 30010, "JPY": 30000, "BHD": 1005, "EUR": 0},
		DailyLimit:      map[string]int64{"USD": 100000, "EUR": 75050},
		Automated:       AutomatedAllow,
		ApprovalsPerDay: 0,
		DeclineHold:     90 * time.Minute,
	}
	if !reflect.DeepEqual(c.Risk, want) {
		t.Errorf("Risk = %+v, want %+v", c.Risk, want)
	}
	if got := c.Risk.Rules(); strings.Join(got, ",") != "approval_over,daily_limit" {
		t.Errorf("Rules() = %q", got)
	}
	off := mustLoad(t, doc(offer("a", "A"), "risk:\n  handle_change_hold: 0\n  automated: allow\n"))
	if got := off.Summary(); !strings.HasSuffix(got, "confirmation window 15m0s, no risk rules") {
		t.Errorf("Summary() = %q", got)
	}
	one := mustLoad(t, doc(offer("a", "A"), "risk:\n  handle_change_hold: 0\n"))
	if got := one.Summary(); !strings.HasSuffix(got, ", 1 risk rule (automated)") {
		t.Errorf("Summary() = %q", got)
	}
}

// TestRiskProblems: every bad value under risk: is a problem at its line
// and column, as other keys' are, all of them at once. The block starts
// on line 23, its first key on line 24.
func TestRiskProblems(t *testing.T) {
	tests := []struct {
		name, risk string
		want       []string
	}{
		{"lower-case currency", `  approval_over: {usd: "300.00"}`,
			[]string{`24:19: risk.approval_over: currency "usd" must be upper case (did you mean "USD"?)`}},
		{"unknown currency", `  daily_limit: {XYZ: "300.00"}`,
			[]string{`24:17: risk.daily_limit: "XYZ" is not an ISO 4217 currency code such as USD`}},
		{"too many decimals", `  approval_over: {USD: "300.001"}`,
			[]string{`24:24: risk.approval_over.USD "300.001" has 3 decimals, but USD allows 2`}},
		{"decimals where the currency has none", "  daily_limit:\n    JPY: 1000.5",
			[]string{`25:10: risk.daily_limit.JPY "1000.5" has decimals, but JPY has none`}},
		{"negative amount", `  approval_over: {USD: -5}`,
			[]string{`24:24: risk.approval_over.USD "-5" is not a plain decimal number such as 199.00`}},
		{"a daily limit of nothing", `  daily_limit: {USD: "0.00"}`,
			[]string{`24:22: risk.daily_limit.USD must be more than 0, not "0.00" (leave the currency out for no limit)`}},
		{"an empty amount", "  approval_over:\n    USD:",
			[]string{`25:9: risk.approval_over.USD must not be empty (leave the currency out for no rule)`}},
		{"amounts not a map", `  daily_limit: "1000.00"`,
			[]string{`24:16: risk.daily_limit must be a map of currency to amount, such as {USD: "300.00"}, not a string`}},
		{"duplicate currency", "  approval_over:\n    USD: 1\n    USD: 2",
			[]string{`26:5: duplicate currency "USD" in risk.approval_over (first at line 25)`}},
		{"missing variable", `  approval_over: {USD: "${LIMIT}"}`,
			[]string{`24:25: environment variable LIMIT is not set`}},
		{"hourly purchases below 0", "  hourly_purchases: -1",
			[]string{`24:21: risk.hourly_purchases must be at least 0, not "-1"`}},
		{"hourly purchases not whole", "  hourly_purchases: 2.5",
			[]string{`24:21: risk.hourly_purchases must be a whole number, not "2.5"`}},
		{"hold in days", "  handle_change_hold: 3d",
			[]string{`24:23: risk.handle_change_hold "3d" is not a duration (write one such as 72h or 30m, or 0 for off)`}},
		{"negative hold", "  decline_hold: -1h",
			[]string{`24:17: risk.decline_hold must be 0 (off) or more, not "-1h"`}},
		{"age as a number", "  min_account_age: 30",
			[]string{`24:20: risk.min_account_age "30" is not a duration (write one such as 72h or 30m, or 0 for off)`}},
		{"automated neither", "  automated: block",
			[]string{`24:14: risk.automated must be refuse or allow, not "block"`}},
		{"approvals per day below 0", "  approvals_per_day: -3",
			[]string{`24:22: risk.approvals_per_day must be at least 0, not "-3"`}},
		{"unknown key", "  aproval_over: {USD: 1}",
			[]string{`24:3: unknown key "aproval_over" in risk (did you mean "approval_over"?)`}},
		{"risk not a map", "  - hourly_purchases: 3",
			[]string{`24:3: risk must be a map of keys, not a list`}},
		{"everything at once", "  approval_over: {USD: 1.001, usd: 2}\n  daily_limit: {EUR: 0}\n  hourly_purchases: x\n  decline_hold: 1 day",
			[]string{
				`24:24: risk.approval_over.USD "1.001" has 3 decimals, but USD allows 2`,
				`24:31: risk.approval_over: currency "usd" must be upper case (did you mean "USD"?)`,
				`25:22: risk.daily_limit.EUR must be more than 0, not "0" (leave the currency out for no limit)`,
				`26:21: risk.hourly_purchases must be a whole number, not "x"`,
				`27:17: risk.decline_hold "1 day" is not a duration (write one such as 72h or 30m, or 0 for off)`,
			}},
	}
	for _, tt := range tests {
		_, err := load(t, doc(offer("a", "A"), "risk:\n"+tt.risk+"\n"), lookup())
		if err == nil {
			t.Errorf("%s: accepted; want %q", tt.name, tt.want)
			continue
		}
		if got := problemLines(t, err); !matchAll(got, tt.want) {
			t.Errorf("%s: problems\n  %s\nwant\n  %s", tt.name, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
		}
	}
}

// TestRiskReloads: a reload carries the new rules, and its log says
// which changed; an amount taken from the environment is only said to
// have changed.
func TestRiskReloads(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", doc(offer("a", "A"), contractRisk))
	logs := &logBuffer{}
	w, err := NewWatcher(path, time.Hour, lookup("DAILY", "900.00"), slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var seen *Config
	w.OnChange(func(_, new *Config, _ Changes) { seen = new })
	next := strings.NewReplacer(
		`approval_over: {USD: "300.00"}`, `approval_over: {USD: "250.00", JPY: "30000"}`,
		`daily_limit: {USD: "1000.00"}`, `daily_limit: {USD: "${DAILY}"}`,
		"handle_change_hold: 72h", "handle_change_hold: 0",
		"automated: refuse", "automated: allow",
	).Replace(contractRisk)
	writeFile(t, dir, "config.yaml", doc(offer("a", "A"), next))
	ch, err := w.Reload()
	if err != nil {
		t.Fatal(err)
	}
	got := w.Current().Risk
	if got.ApprovalOver["USD"] != 25000 || got.ApprovalOver["JPY"] != 30000 || got.DailyLimit["USD"] != 90000 ||
		got.HandleChangeHold != 0 || got.Automated != AutomatedAllow || got.HourlyPurchases != 3 || got.MinAccountAge != 720*time.Hour {
		t.Errorf("risk after reload = %+v", got)
	}
	if seen == nil || !reflect.DeepEqual(seen.Risk, got) {
		t.Errorf("OnChange saw %+v", seen)
	}
	want := []string{
		"risk.approval_over 300.00 USD -> 30000 JPY, 250.00 USD",
		"risk.daily_limit changed",
		"risk.handle_change_hold 72h0m0s -> off",
		"risk.automated refuse -> allow",
	}
	if lines := ch.Lines(); strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Lines():\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(logs.String(), "risk.automated refuse -> allow") || strings.Contains(logs.String(), "900") {
		t.Errorf("log:\n%s", logs)
	}

	// A bad value is refused, with its line, and the rules stay.
	writeFile(t, dir, "config.yaml", doc(offer("a", "A"), strings.Replace(next, "hourly_purchases: 3", "hourly_purchases: many", 1)))
	if _, err := w.Reload(); err == nil || !strings.Contains(err.Error(), `:26:21: risk.hourly_purchases must be a whole number, not "many"`) {
		t.Errorf("reload of a bad value: %v", err)
	}
	if !reflect.DeepEqual(w.Current().Risk, got) {
		t.Errorf("a refused file changed the rules: %+v", w.Current().Risk)
	}
}

func TestRiskChecksAsTheConversationChecksThem(t *testing.T) {
	r := DefaultRisk()
	r.ApprovalOver = map[string]int64{"USD": 30000}
	got := r.Checks()
	if !got.RefuseAutomated || got.ApprovalsPerDay != DefaultApprovalsPerDay || got.DeclineHold != DefaultDeclineHold ||
		got.HandleChangeHold != DefaultHandleChangeHold || got.ApprovalOver["USD"] != 30000 {
		t.Errorf("default rules %+v", got)
	}
	r.Automated = AutomatedAllow
	if r.Checks().RefuseAutomated {
		t.Error("automated: allow still refuses")
	}
}
