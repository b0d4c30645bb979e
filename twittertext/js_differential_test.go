package twittertext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// The differential test runs every text of a corpus through this package
// and through Twitter's official JavaScript library, twitter-text 3.1.0
// (npm), and fails on every answer where the two differ. Unlike the
// conformance test it needs no file from twitter-text's repository: the
// corpus is written here, and the library is installed by npm outside the
// repository (.ci/run does it):
//
//	npm install --prefix "$HOME/.cache/paybytweet/twitter-text-js" --no-audit --no-fund --ignore-scripts twitter-text@3.1.0
//
// TWITTERTEXT_JS names another node_modules directory that holds it.

const twitterTextJSVersion = "3.1.0"

// twitterTextJSModules returns the node_modules directory holding
// twitter-text, or skips the test saying how to install it.
func twitterTextJSModules(t *testing.T) string {
	t.Helper()
	const how = "install it with: npm install --prefix \"$HOME/.cache/paybytweet/twitter-text-js\" --no-audit --no-fund --ignore-scripts twitter-text@" + twitterTextJSVersion +
		" (or set TWITTERTEXT_JS to a node_modules directory holding it)"
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found on PATH: the twitter-text differential test needs node (v20) and twitter-text; " + how)
	}
	dir := os.Getenv("TWITTERTEXT_JS")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skip("no home directory to look for twitter-text in; " + how)
		}
		dir = filepath.Join(home, ".cache", "paybytweet", "twitter-text-js", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(dir, "twitter-text", "package.json")); err != nil {
		t.Skipf("twitter-text not found in %s; %s", dir, how)
	}
	return dir
}

// jsEntity is one entity as twitter-text reports it, and as this test
// reports this package's answer once its indices are in UTF-16 units.
type jsEntity struct {
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	Indices [2]int `json:"indices"`
}

func (e jsEntity) String() string { return fmt.Sprintf("%s %q%v", e.Kind, e.Text, e.Indices) }

type jsParse struct {
	WeightedLength  int  `json:"weightedLength"`
	Valid           bool `json:"valid"`
	Permillage      int  `json:"permillage"`
	ValidRangeStart int  `json:"validRangeStart"`
	ValidRangeEnd   int  `json:"validRangeEnd"`
}

type jsResult struct {
	Parse    jsParse    `json:"parse"`
	Hashtags []jsEntity `json:"hashtags"`
	Mentions []jsEntity `json:"mentions"`
	URLs     []jsEntity `json:"urls"`
	Entities []jsEntity `json:"entities"`
}

// runTwitterTextJS runs testdata/twittertext.js over texts.
func runTwitterTextJS(t *testing.T, modules string, texts []string) []jsResult {
	t.Helper()
	in, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join("testdata", "twittertext.js"), modules)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/twittertext.js: %v\n%s", err, stderr.String())
	}
	var doc struct {
		Version string     `json:"version"`
		Results []jsResult `json:"results"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("twittertext.js output: %v", err)
	}
	if doc.Version != twitterTextJSVersion {
		t.Fatalf("%s holds twitter-text %s; this test and its known divergences are for %s", modules, doc.Version, twitterTextJSVersion)
	}
	if len(doc.Results) != len(texts) {
		t.Fatalf("twittertext.js answered %d results for %d texts", len(doc.Results), len(texts))
	}
	return doc.Results
}

// utf16Offsets maps each code-point index of text (and its end) to the
// UTF-16 offset twitter-text uses.
func utf16Offsets(text string) []int {
	rs := []rune(text)
	out := make([]int, len(rs)+1)
	for i, r := range rs {
		out[i+1] = out[i] + utf16.RuneLen(r)
	}
	return out
}

// goEntities converts this package's entities to twitter-text's form.
func goEntities(text string, hs []Hashtag, ms []Mention, us []URL) []jsEntity {
	off := utf16Offsets(text)
	out := []jsEntity{}
	for _, h := range hs {
		out = append(out, jsEntity{"hashtag", h.Text, [2]int{off[h.Start], off[h.End]}})
	}
	for _, m := range ms {
		out = append(out, jsEntity{"mention", m.ScreenName, [2]int{off[m.Start], off[m.End]}})
	}
	for _, u := range us {
		out = append(out, jsEntity{"url", u.URL, [2]int{off[u.Start], off[u.End]}})
	}
	return out
}

// sortedByStart orders entities as twitter-text's extractEntitiesWithIndices does.
func sortedByStart(es []jsEntity) []jsEntity {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b jsEntity) int { return a.Indices[0] - b.Indices[0] })
	return out
}

// withKind sets the kind of twitter-text's per-kind answers, and keeps only
// the kinds this package extracts from its all-entities answer.
func withKind(kind string, es []jsEntity) []jsEntity {
	out := []jsEntity{}
	for _, e := range es {
		if kind != "" {
			e.Kind = kind
		}
		if e.Kind == "cashtag" || e.Kind == "list" {
			continue
		}
		out = append(out, e)
	}
	return out
}

// A divergence is one answer where this package and twitter-text differ.
type divergence struct {
	check     string // "weightedLength", "valid", "hashtags", ...
	text      string
	got, want string
}

// compareWithTwitterText returns every divergence between this package and
// twitter-text's answer r for text.
func compareWithTwitterText(text string, r jsResult) []divergence {
	var ds []divergence
	diff := func(check string, got, want any) {
		if !reflect.DeepEqual(got, want) {
			ds = append(ds, divergence{check, text, fmt.Sprint(got), fmt.Sprint(want)})
		}
	}
	wl := WeightedLength(text)
	diff("weightedLength", wl, r.Parse.WeightedLength)
	diff("valid", FitsTweet(text), r.Parse.Valid)
	diff("permillage", wl*1000/MaxTweetLength, r.Parse.Permillage)
	diff("validRangeStart", 0, r.Parse.ValidRangeStart)
	// The valid range is the longest prefix that fits; this package has no
	// such function, so the check is that it agrees the prefix fits and,
	// for a text that fits, that the prefix is the whole text.
	if n := len(utf16.Encode([]rune(text))); FitsTweet(text) {
		diff("validRangeEnd", n-1, r.Parse.ValidRangeEnd)
	} else if end := r.Parse.ValidRangeEnd + 1; end < n && end > 0 {
		prefix := string(utf16.Decode(utf16.Encode([]rune(text))[:end]))
		diff("validRange prefix fits", WeightedLength(prefix) <= MaxTweetLength, true)
	}

	rs := []rune(text)
	urls := extractURLs(rs)
	diff("urls", goEntities(text, nil, nil, urls), withKind("url", r.URLs))
	diff("mentions", goEntities(text, nil, extractMentions(rs), nil), withKind("mention", r.Mentions))
	// extractHashtagsWithIndices drops hashtags inside URLs, as Extract does.
	diff("hashtags", goEntities(text, removeOverlaps(urls, extractHashtags(rs), nil).Hashtags, nil, nil), withKind("hashtag", r.Hashtags))
	e := Extract(text)
	diff("entities", sortedByStart(goEntities(text, e.Hashtags, e.Mentions, e.URLs)), withKind("", r.Entities))
	return ds
}

func TestTwitterTextJSDifferential(t *testing.T) {
	modules := twitterTextJSModules(t)
	texts := differentialCorpus()
	results := runTwitterTextJS(t, modules, texts)
	seen := make([]int, len(knownJSDivergences))
	total := 0
	for i, text := range texts {
		for _, d := range compareWithTwitterText(text, results[i]) {
			total++
			if k := knownJSDivergence(d); k >= 0 {
				seen[k]++
				continue
			}
			t.Errorf("%s diverges from twitter-text %s\n\ttext %q\n\tgo   %s\n\tjs   %s", d.check, twitterTextJSVersion, d.text, d.got, d.want)
		}
	}
	for k, n := range seen {
		if n == 0 {
			t.Errorf("known divergence %q was not seen: this package or the corpus changed, update knownJSDivergences", knownJSDivergences[k].name)
		}
		t.Logf("known divergence %q: %d answers (%s)", knownJSDivergences[k].name, n, knownJSDivergences[k].reason)
	}
	t.Logf("%d texts compared with twitter-text %s, %d divergences", len(texts), twitterTextJSVersion, total)
}

// knownJSDivergence returns the index of the known divergence that explains
// d, or -1.
func knownJSDivergence(d divergence) int {
	for k, kd := range knownJSDivergences {
		if slices.Contains(kd.checks, d.check) && kd.applies(d.text) {
			return k
		}
	}
	return -1
}

// knownJSDivergenceEntry is a divergence from twitter-text 3.1.0 that is
// accepted, with the reason why: each covers the checks it names on the
// texts it applies to, and the test fails when one is no longer seen.
type knownJSDivergenceEntry struct {
	name    string
	reason  string
	checks  []string
	applies func(text string) bool
	// keepOutOfMix keeps the corpus pieces it applies to out of the
	// generated texts, so that it excuses no other divergence there.
	keepOutOfMix bool
}

// newerEmojiSequences are ZWJ sequences of Emoji 12 and later (and the
// fully-qualified eye in speech bubble) in the corpus.
var newerEmojiSequences = []string{"🧑\u200d🤝\u200d🧑", "👁\ufe0f\u200d🗨\ufe0f", "🫱🏼\u200d🫲🏿", "🐈\u200d⬛", "❤\ufe0f\u200d🔥"}

// danglingZWJ starts the corpus's emoji joined by a ZWJ to another.
const danglingZWJ = "👍\u200d"

var lengthChecks = []string{"weightedLength", "permillage", "valid", "validRangeEnd", "validRange prefix fits"}

var knownJSDivergences = []knownJSDivergenceEntry{
	{
		name: "emoji sequences newer than twemoji-parser 11",
		reason: "twitter-text 3.1.0 counts emoji with twemoji-parser 11.0.2, whose list predates these ZWJ sequences, " +
			"so it weighs each part; this package weighs a ZWJ sequence as one emoji (2), as current emoji data has it",
		checks:       lengthChecks,
		keepOutOfMix: true,
		applies: func(text string) bool {
			return slices.ContainsFunc(newerEmojiSequences, func(e string) bool { return strings.Contains(text, e) })
		},
	},
	{
		name: "blank text",
		reason: "FitsTweet refuses a text of only spaces on purpose: Twitter's API refuses a blank status and the bot " +
			"never sends one; parseTweet only checks that the weighted length is above 0",
		checks:  []string{"valid"},
		applies: func(text string) bool { return text != "" && strings.TrimSpace(text) == "" },
	},
	{
		name: "valid range of a text NFC shortens",
		reason: "parseTweet adds the whole text's NFC length change to validRangeEnd, so for such a text the range " +
			"ends past the prefix that fits (a quirk of twitter-text, not a rule)",
		checks:  []string{"validRange prefix fits"},
		applies: func(text string) bool { return !norm.NFC.IsNormalString(text) },
	},
	{
		name: "emoji joined by a ZWJ into no known sequence",
		reason: "this package weighs any emoji joined to an emoji by U+200D as one (2); twemoji only knows listed " +
			"sequences and weighs \"👍\u200d👍\" as 2+1+2. Matching twemoji needs its sequence list, not a small fix",
		checks:       lengthChecks,
		keepOutOfMix: true,
		applies:      func(text string) bool { return strings.Contains(text, danglingZWJ) },
	},
	{
		name: "URL without protocol right after an astral character",
		reason: "twitter-text's pattern works on UTF-16 units without the u flag, so the low surrogate of an emoji " +
			"before a domain becomes part of it: after \"😀_\" it still finds \"a.b.com\", after \"😀-\" it finds \"-a.b.com\", after \"𝟙.\" it finds \"t.co/x\", and a long first label " +
			"(58 characters after one emoji) fails IDNA with the surrogates and drops the URL. twitter-text's Java library, which " +
			"works on code points, has no such quirk; neither has this package",
		checks:       append([]string{"urls", "hashtags", "entities"}, lengthChecks...),
		keepOutOfMix: true,
		applies:      regexp.MustCompile(`[\x{10000}-\x{10FFFF}]+([._-]|[a-zA-Z0-9-]{40,}\.)`).MatchString,
	},
	{
		name: "top-level domains delegated or retired since twitter-text 3.1.0",
		reason: "twitter-text 3.1.0 carries its own copy of the root zone, in which .amazon is missing and retired " +
			"domains such as .maserati remain (142 of its 1571 are no longer delegated); this package follows the " +
			"Public Suffix List of golang.org/x/net, as tld.go says, which lacks .bq (Bonaire) of the root zone",
		checks:       append([]string{"urls", "hashtags", "entities"}, lengthChecks...),
		keepOutOfMix: true,
		applies:      regexp.MustCompile(`(?i)\.(amazon|maserati|bq)($|[^a-z0-9@+-])`).MatchString,
	},
	{
		name: "skin tone after an emoji that takes none",
		// The corpus's emoji that take a skin tone are 👍, ☝, 👩, 🫱 and 🫲.
		reason: "this package joins a skin-tone modifier to any emoji before it (\"🀄🏻\" weighs 2); twemoji joins it " +
			"only to the emoji that take one, and weighs the rest 2+2. Matching it needs Unicode's " +
			"Emoji_Modifier_Base list, which Go's unicode package does not have",
		checks:       lengthChecks,
		keepOutOfMix: true,
		applies:      regexp.MustCompile(`[^👍☝👩🫱🫲][\x{1F3FB}-\x{1F3FF}]`).MatchString,
	},
	{
		name: "the same ASCII domain twice in one domain",
		reason: "for a URL without protocol twitter-text finds each ASCII domain inside the matched domain with " +
			"indexOf, which answers the first occurrence: in \"x-a.b.com-é_a.b.com\" the URL \"a.b.com\" gets the " +
			"indices of the first \"a.b.com\". This package gives the indices where the URL is",
		checks:       append([]string{"urls", "hashtags", "entities"}, lengthChecks...),
		keepOutOfMix: true,
		applies:      repeatedDomain,
	},
}

var asciiDomainPattern = regexp.MustCompile(`[a-z0-9]+(\.[a-z0-9]+)+`)

// repeatedDomain reports whether a run of text without spaces holds some
// ASCII domain twice.
func repeatedDomain(text string) bool {
	for _, f := range strings.Fields(text) {
		for _, d := range asciiDomainPattern.FindAllString(f, -1) {
			if strings.Count(f, d) >= 2 {
				return true
			}
		}
	}
	return false
}

// TestCompareWithTwitterTextUnits checks the comparison itself, without
// node: twitter-text's UTF-16 indices match this package's code-point ones
// after an emoji, and an answer that differs is reported.
func TestCompareWithTwitterTextUnits(t *testing.T) {
	text := "👍 #Buy @bob amazon.com"
	js := jsResult{
		Parse:    jsParse{WeightedLength: 2 + 1 + 4 + 1 + 4 + 1 + 23, Valid: true, Permillage: 128, ValidRangeEnd: 22},
		Hashtags: []jsEntity{{Text: "Buy", Indices: [2]int{3, 7}}},
		Mentions: []jsEntity{{Text: "bob", Indices: [2]int{8, 12}}},
		URLs:     []jsEntity{{Text: "amazon.com", Indices: [2]int{13, 23}}},
		Entities: []jsEntity{
			{"hashtag", "Buy", [2]int{3, 7}}, {"mention", "bob", [2]int{8, 12}},
			{"cashtag", "X", [2]int{12, 13}}, {"url", "amazon.com", [2]int{13, 23}},
		},
	}
	if ds := compareWithTwitterText(text, js); len(ds) != 0 {
		t.Fatalf("agreeing answers reported as divergences: %+v", ds)
	}
	js.Parse.WeightedLength++
	js.Hashtags[0].Indices = [2]int{2, 6} // code points, as if twitter-text counted them
	var checks []string
	for _, d := range compareWithTwitterText(text, js) {
		checks = append(checks, d.check)
	}
	if want := []string{"weightedLength", "hashtags"}; !slices.Equal(checks, want) {
		t.Fatalf("divergences %q, want %q", checks, want)
	}
}
