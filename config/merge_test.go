package config

import (
	"fmt"
	"strings"
	"testing"
)

// withBot puts lines (each indented as a key of bot) right after "bot:",
// replaced by top, so that they are lines 2, 3, ... of the file.
func withBot(top string, lines ...string) string {
	var b strings.Builder
	b.WriteString(top + "\n")
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	return strings.Replace(doc(offer("a", "A"), ""), "bot:\n", b.String(), 1)
}

// mergeBomb is the "billion laughs" shape built of merge keys, under an
// unknown top-level key (line 1): levels maps after the first, each merging
// the one before ten times, so that the last stands for 10^levels copies of
// the first. Its lines are 1 to levels+2.
func mergeBomb(levels int) string {
	var b strings.Builder
	b.WriteString("laughs:\n  - &l0 {lol: lol}\n")
	for i := 1; i <= levels; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "  - &l%d {<<: [%s]}\n", i, refs)
	}
	return b.String()
}

// listBomb is the classic "billion laughs": lists of ten aliases to the
// list before, levels deep, under an unknown top-level key (line 1).
func listBomb(levels int) string {
	var b strings.Builder
	b.WriteString("laughs:\n  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= levels; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "  - &l%d [%s]\n", i, refs)
	}
	return b.String()
}

// mergeChain is levels+1 anchored maps under an unknown top-level key
// (line 1), each merging the one before: the last merges levels deep.
func mergeChain(levels int) string {
	var b strings.Builder
	b.WriteString("chain:\n  - &c0 {screen_name: AmexOffers}\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  - &c%d {<<: *c%d}\n", i, i-1)
	}
	return b.String()
}

// TestMergeLoopsAreRefused: a merge key that brings a map into itself,
// directly or through another map, used to recurse until Go's stack ran
// out, a crash nothing can recover from (the daemon died on reload). It is
// a problem with the line of the alias that closes the loop.
func TestMergeLoopsAreRefused(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"a map merging itself", withBot("bot: &b", "<<: *b"),
			[]string{`2:7: << in bot merges *b into itself, which would never end`}},
		{"a map merging itself in a list", withBot("bot: &b", "z: &l {}", "<<: [*l, *b]"),
			[]string{
				`2:3: unknown key "z" in bot`,
				`3:12: << in bot merges *b into itself, which would never end`,
			}},
		{"two maps merging each other", withBot("bot: &a", "<<: &b", "  <<: *a"),
			[]string{`3:9: << in bot merges *a into itself, which would never end`}},
		{"two anchored maps merging each other", withBot("bot: &a", "<<: [&c {<<: *a}, &b {<<: *c}]"),
			[]string{`2:16: << in bot merges *a into itself, which would never end`}},
		{"an offer merging itself", doc("  - &o\n    <<: *o\n"+strings.Replace(offer("a", "A"), "  - ", "    ", 1), ""),
			[]string{`17:9: << in offer merges *o into itself, which would never end`}},
		{"templates merging themselves", doc(offer("a", "A"), "templates: &t\n  <<: *t\n"),
			[]string{`24:7: << in templates merges *t into itself, which would never end`}},
		{"a loop merged into many offers is one problem",
			doc("  - &o\n    <<: *o\n"+strings.Replace(offer("a", "A"), "  - ", "    ", 1)+
				"  - <<: *o\n    id: b\n    buy_hashtag: BuyB\n    confirm_hashtag: ConfirmB\n"+
				"  - <<: *o\n    id: c\n    buy_hashtag: BuyC\n    confirm_hashtag: ConfirmC\n", ""),
			[]string{`17:9: << in offer merges *o into itself, which would never end`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, lookup())
			if err == nil {
				t.Fatalf("loaded; want %q", tt.want)
			}
			got := problemLines(t, err)
			if !matchAll(got, tt.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// TestAliasLoopWithoutMergeKey: an alias to the map that holds it is a
// loop too, but decoding follows only the keys each section knows, so it
// is met once, as a value of the wrong kind. (This one never crashed; it
// guards that a fix for merge keys does not make it one.)
func TestAliasLoopWithoutMergeKey(t *testing.T) {
	file := strings.Replace(doc(offer("a", "A"), ""), "bot:\n  screen_name: AmexOffers\n", "bot: &b\n  screen_name: *b\n", 1)
	_, err := load(t, file, lookup())
	if err == nil {
		t.Fatal("loaded")
	}
	want := []string{`2:16: bot.screen_name must be a string, not a map`}
	if got := problemLines(t, err); !matchAll(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestMergeBombIsRefused: eight levels of ten merges stand for 10^8 maps.
// Expanding them took minutes and gigabytes; now the expansion stops at a
// bound and the merge key that set it off is the problem. A hang fails
// through go test's -timeout.
func TestMergeBombIsRefused(t *testing.T) {
	file := mergeBomb(8) + withBot("bot:", "<<: *l8")
	_, err := load(t, file, lookup())
	if err == nil {
		t.Fatal("loaded")
	}
	want := []string{
		`1:1: unknown key "laughs" in the top level`,
		`12:7: << in bot expands to more than 100000 merged keys (merge keys that merge each other many times over); write the keys out instead`,
	}
	if got := problemLines(t, err); !matchAll(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// Merged a second time, into an offer, it is still one problem, where
	// the expansion ran past the bound first.
	file = mergeBomb(8) + strings.Replace(withBot("bot:", "<<: *l8"), "    merchant: mer_test\n", "    merchant: mer_test\n    <<: *l8\n", 1)
	_, err = load(t, file, lookup())
	if got := problemLines(t, err); !matchAll(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestListBombIsNotExpanded: the classic "billion laughs", lists of
// aliases to lists, is never expanded: no section takes nested lists, so
// each alias is met once, as a value of the wrong kind. (This one never
// hung; it guards that it does not start to.)
func TestListBombIsNotExpanded(t *testing.T) {
	file := listBomb(8) + strings.Replace(doc(offer("a", "A"), ""), "offers:\n", "offers: *l8\n", 1)
	file = file[:strings.Index(file, "offers: *l8\n")+len("offers: *l8\n")]
	_, err := load(t, file, lookup())
	if err == nil {
		t.Fatal("loaded")
	}
	want := []string{`1:1: unknown key "laughs" in the top level`}
	for i := 1; i <= 10; i++ {
		// Each offer is an alias in l8's list, on line 10.
		want = append(want, fmt.Sprintf(`10:%d: offer #%d must be a map of keys (id:, title:, ...), not a list`, 5+5*i, i))
	}
	if got := problemLines(t, err); !matchAll(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestMergeDepthIsBounded: merges nested deeper than any real file has
// are refused at the merge key that starts them; a chain as deep as the
// bound is read as YAML says.
func TestMergeDepthIsBounded(t *testing.T) {
	// bot merges c(n), which merges c(n-1), ... c0: n+1 maps merged one
	// inside the other. The lines are chain:, c0 to c(n), bot:, the merge.
	botMerging := func(n int) string {
		return mergeChain(n) + strings.Replace(doc(offer("a", "A"), ""), "bot:\n  screen_name: AmexOffers\n", fmt.Sprintf("bot:\n  <<: *c%d\n", n), 1)
	}
	_, err := load(t, botMerging(maxMergeDepth), lookup())
	if err == nil {
		t.Fatal("loaded")
	}
	line := maxMergeDepth + 4
	want := []string{
		`1:1: unknown key "chain" in the top level`,
		fmt.Sprintf(`%d:1: bot.screen_name is required`, line-1),
		fmt.Sprintf(`%d:7: << in bot nests merge keys more than %d deep`, line, maxMergeDepth),
	}
	if got := problemLines(t, err); !matchAll(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// At the bound, bot gets its screen name from c0.
	_, err = load(t, botMerging(maxMergeDepth-1), lookup())
	want = []string{`1:1: unknown key "chain" in the top level`}
	if got := problemLines(t, err); !matchAll(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestLegitimateMerges: merge keys as people use them (a chain of
// defaults, a list of maps, the same map reached twice, many offers on one
// defaults map) still work, with YAML's precedence: keys written win, then
// earlier maps in a list.
func TestLegitimateMerges(t *testing.T) {
	base := "  - &base\n" + strings.Replace(offer("a", "A", "merchant: mer_shared"), "  - ", "    ", 1)
	offers := base +
		"  - &dear\n    <<: *base\n    id: b\n    buy_hashtag: BuyB\n    confirm_hashtag: ConfirmB\n    price: \"20.00\"\n" +
		"  - <<: *dear\n    id: c\n    buy_hashtag: BuyC\n    confirm_hashtag: ConfirmC\n" +
		"  - <<: [*dear, *base]\n    id: d\n    buy_hashtag: BuyD\n    confirm_hashtag: ConfirmD\n" +
		"  - <<: [*base, *dear]\n    id: e\n    buy_hashtag: BuyE\n    confirm_hashtag: ConfirmE\n    title: E\n"
	for i := 0; i < 300; i++ {
		offers += fmt.Sprintf("  - <<: *dear\n    id: m%d\n    buy_hashtag: BuyM%d\n    confirm_hashtag: ConfirmM%d\n", i, i, i)
	}
	c := mustLoad(t, doc(offers, "templates: &t\n  <<: {}\n"))
	if len(c.Offers) != 305 {
		t.Fatalf("%d offers, want 305", len(c.Offers))
	}
	for _, tt := range []struct {
		id, title, merchant string
		price               int64
	}{
		{"a", "A", "mer_shared", 1000},
		{"b", "A", "mer_shared", 2000},
		{"c", "A", "mer_shared", 2000},
		{"d", "A", "mer_shared", 2000},
		{"e", "E", "mer_shared", 1000},
		{"m299", "A", "mer_shared", 2000},
	} {
		o, ok := c.Offer(tt.id)
		if !ok || o.Title != tt.title || o.Merchant != tt.merchant || o.Price != tt.price {
			t.Errorf("offer %s = %+v, want title %s, merchant %s, price %d", tt.id, o, tt.title, tt.merchant, tt.price)
		}
	}
}
