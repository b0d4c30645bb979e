package twittertext

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The conformance cases of github.com/twitter/twitter-text (conformance/
// validate.yml, extract.yml and tlds.yml, Apache License 2.0) are Twitter's
// own statement of its text rules, shared by every twitter-text library.
// They are not kept in this repository: the test reads them, unchanged,
// from the directory named by TWITTERTEXT_CONFORMANCE, or else from
// twitter-text/conformance in the shared/ folder beside the repository,
// and skips, saying so, when neither has them.
//
// Only what this package implements is checked: the v3 weighted length and
// validity, hashtags, mentions (without lists) and URLs, with their
// code-point indices. Cashtags, replies, lists, autolinking, hit
// highlighting and the v1/v2 configurations are not used by the bot.

// conformanceDir returns where the conformance files are, or "".
func conformanceDir() string {
	for _, d := range []string{os.Getenv("TWITTERTEXT_CONFORMANCE"), filepath.Join("..", "..", "shared", "twitter-text", "conformance")} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "extract.yml")); err == nil {
			return d
		}
	}
	return ""
}

type conformanceCase struct {
	Description string    `yaml:"description"`
	Text        string    `yaml:"text"`
	Expected    yaml.Node `yaml:"expected"`
}

func loadConformance(t *testing.T, file string) map[string][]conformanceCase {
	t.Helper()
	dir := conformanceDir()
	if dir == "" {
		t.Skip("twitter-text conformance files not found: set TWITTERTEXT_CONFORMANCE to a copy of twitter-text/conformance")
	}
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests map[string][]conformanceCase `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(doc.Tests) == 0 {
		t.Fatalf("%s has no tests", file)
	}
	return doc.Tests
}

// runCases runs check on every case of a section and fails those whose
// result differs from twitter-text's.
func runCases(t *testing.T, section string, cases []conformanceCase, check func(c conformanceCase) (got, want any)) {
	t.Helper()
	if len(cases) == 0 {
		t.Fatalf("section %s has no cases", section)
	}
	for _, c := range cases {
		if got, want := check(c); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s\n\ttext %q\n\tgot  %v\n\twant %v", section, c.Description, c.Text, got, want)
		}
	}
}

func decode[T any](t *testing.T, n yaml.Node) T {
	t.Helper()
	var v T
	if err := n.Decode(&v); err != nil {
		t.Fatalf("expected: %v", err)
	}
	return v
}

type indexed struct {
	Text    string
	Indices [2]int
}

func (i indexed) String() string { return fmt.Sprintf("%q%v", i.Text, i.Indices) }

func TestConformanceWeightedLength(t *testing.T) {
	tests := loadConformance(t, "validate.yml")
	for _, section := range []string{"WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest"} {
		runCases(t, section, tests[section], func(c conformanceCase) (any, any) {
			want := decode[struct {
				WeightedLength int  `yaml:"weightedLength"`
				Valid          bool `yaml:"valid"`
			}](t, c.Expected)
			return fmt.Sprint(WeightedLength(c.Text), FitsTweet(c.Text)), fmt.Sprint(want.WeightedLength, want.Valid)
		})
	}
}

// TestConformanceValidEntity: a text that is one hashtag (or one mention)
// and nothing else is valid exactly when it is extracted whole.
func TestConformanceValidEntity(t *testing.T) {
	tests := loadConformance(t, "validate.yml")
	runCases(t, "hashtags", tests["hashtags"], func(c conformanceCase) (any, any) {
		hs := Extract(c.Text).Hashtags
		return len(hs) == 1 && hs[0].Start == 0 && hs[0].End == len([]rune(c.Text)), decode[bool](t, c.Expected)
	})
	runCases(t, "usernames", tests["usernames"], func(c conformanceCase) (any, any) {
		ms := Extract(c.Text).Mentions
		return len(ms) == 1 && ms[0].Start == 0 && ms[0].End == len([]rune(c.Text)), decode[bool](t, c.Expected)
	})
}

func TestConformanceExtract(t *testing.T) {
	tests := loadConformance(t, "extract.yml")
	texts := func(e Entities, kind string) []string {
		out := []string{}
		switch kind {
		case "hashtag":
			for _, h := range e.Hashtags {
				out = append(out, h.Text)
			}
		case "screen_name":
			for _, m := range e.Mentions {
				out = append(out, m.ScreenName)
			}
		case "url":
			for _, u := range e.URLs {
				out = append(out, u.URL)
			}
		}
		return out
	}
	withIndices := func(e Entities, kind string) []indexed {
		out := []indexed{}
		switch kind {
		case "hashtag":
			for _, h := range e.Hashtags {
				out = append(out, indexed{h.Text, [2]int{h.Start, h.End}})
			}
		case "screen_name":
			for _, m := range e.Mentions {
				out = append(out, indexed{m.ScreenName, [2]int{m.Start, m.End}})
			}
		case "url":
			for _, u := range e.URLs {
				out = append(out, indexed{u.URL, [2]int{u.Start, u.End}})
			}
		}
		return out
	}
	plain := map[string]string{"hashtags": "hashtag", "hashtags_from_astral": "hashtag", "mentions": "screen_name", "urls": "url", "tco_urls_with_params": "url"}
	for section, kind := range plain {
		runCases(t, section, tests[section], func(c conformanceCase) (any, any) {
			want := decode[[]string](t, c.Expected)
			if want == nil {
				want = []string{}
			}
			return texts(Extract(c.Text), kind), want
		})
	}
	indexedSections := map[string]string{"hashtags_with_indices": "hashtag", "mentions_with_indices": "screen_name", "urls_with_indices": "url", "urls_with_directional_markers": "url"}
	for section, kind := range indexedSections {
		runCases(t, section, tests[section], func(c conformanceCase) (any, any) {
			var raw []map[string]any
			if err := c.Expected.Decode(&raw); err != nil {
				t.Fatalf("%s: %v", section, err)
			}
			want := []indexed{}
			for _, r := range raw {
				ix, _ := r["indices"].([]any)
				if len(ix) != 2 {
					t.Fatalf("%s %q: indices %v", section, c.Description, r["indices"])
				}
				want = append(want, indexed{fmt.Sprint(r[kind]), [2]int{ix[0].(int), ix[1].(int)}})
			}
			return withIndices(Extract(c.Text), kind), want
		})
	}
}

// retiredTLDs are top-level domains of twitter-text's list (2020) that the
// root zone no longer has, or never delegated, and so neither has the
// Public Suffix List this package follows (see isTLD): on them, text such
// as "twitter.fiat" is a URL to twitter-text and plain text here. No
// message of the bot holds one.
var retiredTLDs = strings.Fields(`an bl bq eh mf tp um
	诺基亚 珠宝 手表 工行 大众汽车 موبايلي اتصالات
	abarth active adac afamilycompany aigo alfaromeo avianca bananarepublic bentley blanco bnl boots budapest
	bugatti cancerresearch cartier caseih cbs ceb chloe chrysler cityeats comcast cookingchannel csc dabur
	dodge doha doosan duck dunlop duns epost esurance etisalat everbank fiat flsmidth foodnetwork frontdoor
	fujixerox glade goodhands guardian hgtv honeywell hoteles htc iinet intel iselect iveco iwc jcp jlc
	kerrylogistics kinder ladbrokes lancaster lancia lancome liaison linde lipsy lixil loft lupin macys
	maserati mcd mcdonalds meo metlife mobily montblanc mopar movistar mtpc mutual mutuelle nadex
	nationwide natura newholland northwesternmutual off oldnavy onyourside orientexpress pamperedchef
	panerai passagens piaget pramerica qvc raid redstone rightathome rmit rocher sapo sca scjohnson scor ses
	shaw showtime shriram spiegel spreadbetting srt starhub statoil swiftcover symantec telecity telefonica
	tiffany travelchannel uconnect vista vistaprint volkswagen vuelos warman xfinity xperia zippo`)

// TestConformanceTLDs: a URL on every top-level domain twitter-text knows,
// but the retired ones.
func TestConformanceTLDs(t *testing.T) {
	tests := loadConformance(t, "tlds.yml")
	for _, tld := range retiredTLDs {
		if isTLD(tld) {
			t.Errorf("%s is listed as retired, but is a top-level domain: drop it from retiredTLDs", tld)
		}
	}
	for _, section := range []string{"country", "generic"} {
		runCases(t, "tlds "+section, tests[section], func(c conformanceCase) (any, any) {
			want := strings.Join(decode[[]string](t, c.Expected), " ")
			if _, tld, _ := strings.Cut(c.Text, "twitter."); slices.Contains(retiredTLDs, tld) {
				want = ""
			}
			return strings.Join(urlTexts(Extract(c.Text)), " "), want
		})
	}
}

func urlTexts(e Entities) []string {
	var out []string
	for _, u := range e.URLs {
		out = append(out, u.URL)
	}
	return out
}
