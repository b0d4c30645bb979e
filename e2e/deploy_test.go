package e2e

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestDashboardAndRulesNameOnlyServedMetrics reads every query of the
// Grafana dashboard and every alert rule in deploy/, and checks each
// metric they name against what a live daemon serves on /metrics after a
// purchase, a parked order and a Twitter error, with push on (whose
// gauge is served only then): a renamed metric must not leave a panel
// blank or an alert that can never fire.
func TestDashboardAndRulesNameOnlyServedMetrics(t *testing.T) {
	r := newRig(t, config.APIv2, withHealth, withPush)
	r.pushHealthy()
	r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD")
	r.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 422})
	buy := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	r.tweet(bob, "@AmexOffers #ConfirmKindleFireHD", r.reply(buy.ID).ID)
	r.settle()
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallMentions), Status: 503})
	r.d.Bot.PollNow()
	served := r.scrape()

	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	readJSON(t, "../deploy/grafana/paybytweet-dashboard.json", &dash)
	exprs := map[string]string{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			exprs[q.Expr] = "dashboard panel " + p.Title
		}
	}
	var rules struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string }
		}
	}
	raw, err := os.ReadFile("../deploy/prometheus/paybytweet-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, rule := range g.Rules {
			exprs[rule.Expr] = "alert " + rule.Alert
		}
	}
	checked := 0
	for expr, where := range exprs {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric found in %q", where, expr)
		}
		for _, name := range names {
			checked++
			if name == "up" {
				continue // Prometheus's own, for every target
			}
			if !served.Has(name) {
				t.Errorf("%s names %s, which /metrics does not serve (query %q)", where, name, expr)
			}
		}
	}
	if checked < 30 {
		t.Errorf("only %d metric names checked; the dashboard or the rules were not read", checked)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var (
	promLabels   = regexp.MustCompile(`\{[^}]*\}`)
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promOffset   = regexp.MustCompile(`\boffset\s+-?[0-9][0-9a-z]*`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`)
	promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true}
)

// metricNames returns the metric names a PromQL expression reads: what is
// left once label matchers, groupings, ranges, offsets and function
// calls are taken out.
func metricNames(expr string) []string {
	e := promLabels.ReplaceAllString(expr, " ")
	e = promGrouping.ReplaceAllString(e, " ")
	e = promRange.ReplaceAllString(e, " ")
	e = promOffset.ReplaceAllString(e, " ")
	seen := map[string]bool{}
	for _, m := range promIdent.FindAllString(e, -1) {
		if strings.HasSuffix(m, "(") {
			continue // a function
		}
		if m = strings.TrimSpace(m); !promKeywords[m] {
			seen[m] = true
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
