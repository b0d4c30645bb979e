package config

import (
	"strings"
	"testing"
	"time"
)

// v2Doc is a valid file for the X API v2.
func v2Doc(extra string) string {
	return strings.Replace(doc(offer("a", "A"), extra), "  api_url: https://api.twitter.com/1.1/", "  api: v2\n  api_url: https://api.x.com/2/", 1)
}

func TestTwitterAPIAndItsBudgets(t *testing.T) {
	v1 := mustLoad(t, doc(offer("a", "A"), ""))
	if v1.Twitter.API != APIv1 || v1.Twitter.Limits != APILimits(APIv1) {
		t.Errorf("no twitter.api: api %q, limits %+v; want v1.1 and %+v", v1.Twitter.API, v1.Twitter.Limits, APILimits(APIv1))
	}
	v2 := mustLoad(t, v2Doc(""))
	want := Limits{TweetsPerWindow: 100, TweetWindow: 15 * time.Minute, DMsPerWindow: 15, DMWindow: 15 * time.Minute, DMsPerDay: 1440}
	if v2.Twitter.API != APIv2 || v2.Twitter.Limits != want || v2.Twitter.APIURL != "https://api.x.com/2/" {
		t.Errorf("twitter.api v2: api %q, url %q, limits %+v; want %+v", v2.Twitter.API, v2.Twitter.APIURL, v2.Twitter.Limits, want)
	}
	// A budget the file sets is kept; the others take the API's default.
	set := mustLoad(t, strings.Replace(v2Doc(""), "  api: v2\n", "  api: v2\n  limits:\n    dms_per_day: 500\n", 1))
	if l := set.Twitter.Limits; l.DMsPerDay != 500 || l.DMsPerWindow != 15 || l.TweetsPerWindow != 100 {
		t.Errorf("v2 with dms_per_day 500: limits %+v", l)
	}
}

func TestTwitterAPIMustBeKnown(t *testing.T) {
	file := strings.Replace(doc(offer("a", "A"), ""), "  api_url:", "  api: v3\n  api_url:", 1)
	_, err := load(t, file, lookup())
	lines := problemLines(t, err)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "6:") || !strings.Contains(lines[0], "twitter.api must be v1.1 or v2") {
		t.Errorf("problems = %q, want one on line 6 about twitter.api", lines)
	}
}

func TestTwitterAPIURLMustBeThatAPIs(t *testing.T) {
	for _, tt := range []struct{ name, file, want string }{
		{"v2 with a v1.1 address", strings.Replace(v2Doc(""), "https://api.x.com/2/", "https://api.twitter.com/1.1/", 1), "7:12: twitter.api_url https://api.twitter.com/1.1/ is a v1.1 address, but twitter.api is v2"},
		{"v1.1 with a v2 address", strings.Replace(doc(offer("a", "A"), ""), "https://api.twitter.com/1.1/", "https://api.x.com/2/", 1), "6:12: twitter.api_url https://api.x.com/2/ is a v2 address, but twitter.api is v1.1"},
	} {
		_, err := load(t, tt.file, lookup())
		lines := problemLines(t, err)
		if len(lines) != 1 || !strings.HasPrefix(lines[0], tt.want) {
			t.Errorf("%s: problems = %q, want one starting %q", tt.name, lines, tt.want)
		}
	}
}

// A reload cannot switch APIs under a running bot: the running API stays,
// with its own default budgets, and the change is reported as needing a
// restart.
func TestReloadKeepsTheRunningAPI(t *testing.T) {
	running := mustLoad(t, doc(offer("a", "A"), ""))
	loaded := mustLoad(t, v2Doc(""))
	next := Apply(running, loaded)
	if next.Twitter.API != APIv1 || next.Twitter.Limits != APILimits(APIv1) {
		t.Errorf("after a reload to v2: api %q, limits %+v; want v1.1 with its budgets", next.Twitter.API, next.Twitter.Limits)
	}
	ch := Diff(running, loaded)
	found := false
	for _, r := range ch.Restart {
		found = found || r.String() == "twitter.api v1.1 -> v2"
	}
	if !found {
		t.Errorf("Diff does not say that twitter.api needs a restart: %+v", ch.Restart)
	}
}
