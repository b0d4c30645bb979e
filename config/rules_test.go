package config

import (
	"strings"
	"testing"
)

// TestRules checks one rule per case: the file must be refused with exactly
// these problems ("line:column: message"; a trailing "..." makes the rest of
// the message free).
func TestRules(t *testing.T) {
	long := strings.Repeat("x", 280)
	tests := []struct {
		name string
		file string
		env  []string
		want []string
	}{
		{"unknown key with a suggestion", doc(offer("a", "A", "quantitty: 5"), ""),
			nil, []string{`23:5: unknown key "quantitty" in offer (did you mean "quantity"?)`}},
		{"unknown key without a suggestion", doc(offer("a", "A", "colour: red"), ""),
			nil, []string{`23:5: unknown key "colour" in offer`}},
		{"unknown top-level key", doc(offer("a", "A"), "privcy: dm\n"),
			nil, []string{`23:1: unknown key "privcy" in the top level (did you mean "privacy"?)`}},
		{"unknown key in a section", doc(offer("a", "A"), "confirmation:\n  windw: 10m\n"),
			nil, []string{`24:3: unknown key "windw" in confirmation (did you mean "window"?)`}},
		{"duplicate key", doc("  - id: a\n    title: A\n    title: B\n", ""),
			nil, []string{
				`16:5: offer a: buy_hashtag is required`, `16:5: offer a: confirm_hashtag is required`,
				`16:5: offer a: currency is required`, `16:5: offer a: merchant is required`, `16:5: offer a: price is required`,
				`18:5: duplicate key "title" in offer (first at line 17)`}},
		{"duplicate top-level key", doc(offer("a", "A"), "privacy: dm\nprivacy: public\n"),
			nil, []string{`24:1: duplicate key "privacy" in the top level (first at line 23)`}},
		{"duplicate id", doc(offer("a", "A")+offer("a", "B"), ""),
			nil, []string{`23:9: duplicate offer id "a" (first at line 16)`}},
		{"bad id", doc(offer("Kindle_Fire", "A"), ""),
			nil, []string{`16:9: offer #1: id "Kindle_Fire" must be lower-case letters, digits and '-' only`}},
		{"hashtags clash ignoring case", doc(offer("a", "Kindle")+offer("b", "KINDLE"), ""),
			nil, []string{
				`25:18: offer b: buy_hashtag "BuyKINDLE" is the same hashtag as offer a's buy_hashtag (line 18); hashtags are compared ignoring case and width`,
				`26:22: offer b: confirm_hashtag "ConfirmKINDLE" is the same hashtag as offer a's confirm_hashtag (line 19); hashtags are compared ignoring case and width`}},
		{"fullwidth hashtag clashes with ASCII (NFKC)", doc(offer("a", "Kindle")+offer("b", "Fire", "buy_hashtag: ＃ＢｕｙＫｉｎｄｌｅ"), ""),
			nil, []string{`25:18: offer b: buy_hashtag "＃ＢｕｙＫｉｎｄｌｅ" is the same hashtag as offer a's buy_hashtag (line 18); hashtags are compared ignoring case and width`}},
		{"buy hashtag is another offer's confirm hashtag", doc(offer("a", "A")+offer("b", "B", "buy_hashtag: '#confirma'"), ""),
			nil, []string{`25:18: offer b: buy_hashtag "#confirma" is the same hashtag as offer a's confirm_hashtag (line 19); hashtags are compared ignoring case and width`}},
		{"buy hashtag is its own confirm hashtag", doc(offer("a", "A", "confirm_hashtag: BuyA"), ""),
			nil, []string{`19:22: offer a: confirm_hashtag "BuyA" is the same hashtag as this offer's buy_hashtag (line 18); hashtags are compared ignoring case and width`}},
		{"hashtag of digits only", doc(offer("a", "A", `buy_hashtag: "#2026"`), ""),
			nil, []string{`18:18: offer a: buy_hashtag "#2026" must hold at least one letter: Twitter does not link a hashtag of digits only`}},
		{"hashtag with a dash", doc(offer("a", "A", "buy_hashtag: Buy-Kindle"), ""),
			nil, []string{`18:18: offer a: buy_hashtag "Buy-Kindle" may hold only letters, digits and _, not '-'`}},
		{"hashtag too long", doc(offer("a", "A", "buy_hashtag: "+strings.Repeat("B", 101)), ""),
			nil, []string{`18:18: offer a: buy_hashtag "` + strings.Repeat("B", 101) + `" is longer than 100 characters`}},
		{"JPY has no decimals", doc(offer("a", "A", `price: "500.5"`, "currency: JPY"), ""),
			nil, []string{`20:12: offer a: price "500.5" has decimals, but JPY has none`}},
		{"a price of nothing", doc(offer("a", "A", `price: "0.00"`), ""),
			nil, []string{`20:12: offer a: price "0.00" must be more than 0`}},
		{"USD has 2 decimals", doc(offer("a", "A", "price: 1.999"), ""),
			nil, []string{`20:12: offer a: price "1.999" has 3 decimals, but USD allows 2`}},
		{"BHD has 3 decimals", doc(offer("a", "A", `price: "1.2345"`, "currency: BHD"), ""),
			nil, []string{`20:12: offer a: price "1.2345" has 4 decimals, but BHD allows 3`}},
		{"price not a number", doc(offer("a", "A", "price: 1e3"), ""),
			nil, []string{`20:12: offer a: price "1e3" is not a plain decimal number such as 199.00`}},
		{"unknown currency", doc(offer("a", "A", "currency: XYZ"), ""),
			nil, []string{`21:15: offer a: currency "XYZ" is not an ISO 4217 currency code such as USD`}},
		{"lower-case currency", doc(offer("a", "A", "currency: usd"), ""),
			nil, []string{`21:15: offer a: currency "usd" must be upper case (did you mean "USD"?)`}},
		{"quantity -1", doc(offer("a", "A", "quantity: -1"), ""),
			nil, []string{`23:15: offer a: quantity must be at least 0, not "-1"`}},
		{"quantity not whole", doc(offer("a", "A", "quantity: 2.5"), ""),
			nil, []string{`23:15: offer a: quantity must be a whole number, not "2.5"`}},
		{"per_user_limit 0", doc(offer("a", "A", "per_user_limit: 0"), ""),
			nil, []string{`23:21: offer a: per_user_limit must be at least 1, not "0"`}},
		{"bad RFC 3339", doc(offer("a", "A", "starts: 2026-11-26"), ""),
			nil, []string{`23:13: offer a: starts "2026-11-26" is not an RFC 3339 time (write one such as 2026-11-26T09:00:00Z or 2026-11-26T09:00:00-05:00)`}},
		{"ends before starts", doc(offer("a", "A", "starts: 2026-12-01T00:00:00Z", "ends: 2026-11-01T00:00:00+01:00"), ""),
			nil, []string{`24:11: offer a: ends "2026-11-01T00:00:00+01:00" must be after starts "2026-12-01T00:00:00Z" (line 23)`}},
		{"ends equal to starts", doc(offer("a", "A", "starts: 2026-12-01T00:00:00Z", "ends: 2026-12-01T01:00:00+01:00"), ""),
			nil, []string{`24:11: offer a: ends "2026-12-01T01:00:00+01:00" must be after starts "2026-12-01T00:00:00Z" (line 23)`}},
		{"empty merchant", doc(offer("a", "A", `merchant: ""`), ""),
			nil, []string{`22:15: offer a: merchant must not be empty`}},
		{"empty title", doc(offer("a", "A", "title:"), ""),
			nil, []string{`17:11: offer a: title must not be empty`}},
		{"missing required offer keys", doc("  - id: a\n", ""),
			nil, []string{
				`16:5: offer a: buy_hashtag is required`, `16:5: offer a: confirm_hashtag is required`,
				`16:5: offer a: currency is required`, `16:5: offer a: merchant is required`,
				`16:5: offer a: price is required`, `16:5: offer a: title is required`}},
		{"announce not a time", doc(offer("a", "A", "announce: soon"), ""),
			nil, []string{`23:15: offer a: announce must be true, false or an RFC 3339 time such as 2026-11-26T09:00:00Z, not "soon"`}},
		{"announce after ends", doc(offer("a", "A", "ends: 2026-12-01T00:00:00Z", "announce: 2026-12-02T00:00:00Z"), ""),
			nil, []string{`24:15: offer a: announce must be before ends, or the offer is never announced`}},
		{"bad cron spec", doc(offer("a", "A"), "schedules:\n  expiry: \"@evry 5s\"\n"),
			nil, []string{`24:11: schedules.expiry "@evry 5s" is not a schedule: ...`}},
		{"cron spec with too few fields", doc(offer("a", "A"), "twitter_extra: 1\n"),
			nil, []string{`23:1: unknown key "twitter_extra" in the top level`}},
		{"@every below a second", doc(offer("a", "A"), "schedules:\n  announce: \"@every 100ms\"\n"),
			nil, []string{`24:13: schedules.announce "@every 100ms" must be at least "@every 1s"`}},
		{"bad duration", doc(offer("a", "A"), "confirmation:\n  window: 15\n"),
			nil, []string{`24:11: confirmation.window "15" is not a duration (write one such as 15m, 90s or 1h30m)`}},
		{"zero duration", doc(offer("a", "A"), "confirmation:\n  window: 0s\n"),
			nil, []string{`24:11: confirmation.window must be more than 0, not "0s"`}},
		{"bad privacy", doc(offer("a", "A"), "privacy: private\n"),
			nil, []string{`23:10: privacy must be public or dm, not "private"`}},
		{"missing env var", doc(offer("a", "A", "merchant: mer_${MERCHANT_SUFFIX}"), ""),
			nil, []string{`22:19: environment variable MERCHANT_SUFFIX is not set`}},
		{"malformed env reference", doc(offer("a", "A", "merchant: ${MERCHANT-ID}"), ""),
			nil, []string{`22:15: ${MERCHANT-ID} is not a variable name (letters, digits and _, not starting with a digit)`}},
		{"template with an unknown field", doc(offer("a", "A"), "templates:\n  receipt: \"Paid {{.Offer.Nme}}\"\n"),
			nil, []string{`24:12: templates.receipt: unknown field .Nme (this message has: ...`}},
		{"offer template with an unknown field", doc(offer("a", "A", "templates:", `  receipt: "{{.Buyer}}"`), ""),
			nil, []string{`24:16: offer a: templates.receipt: unknown field .Buyer (this message has: ...`}},
		{"template syntax error in a block", doc(offer("a", "A"), "templates:\n  receipt: |\n    Paid.\n    {{.Offer.Title\n"),
			nil, []string{`26:5: templates.receipt: unclosed action started at line 26`}},
		{"template too long for a tweet", doc(offer("a", "A"), "templates:\n  receipt: \"{{.Offer.Title}} "+long+"\"\n"),
			nil, []string{`24:12: templates.receipt: a tweet can be ... characters long with the longest values, more than the 280 allowed`}},
		{"offer template too long for a tweet", doc(offer("a", "A", "templates:", "  announce: \"{{.Offer.Title}} "+long+"\""), ""),
			nil, []string{`24:17: offer a: templates.announce: a tweet can be 282 characters long with the longest values, more than the 280 allowed`}},
		{"built-in template too long because of the title", doc(offer("a", "A")+offer("b", "B", "title: "+strings.Repeat("Kindle ", 40)), ""),
			nil, []string{`23:5: offer b: with this offer the built-in templates already_confirmed (400), announce (375), ... can be longer than the 280 characters a tweet allows with the longest values (shorten the title, or set those templates)`}},
		{"unknown template kind", doc(offer("a", "A"), "templates:\n  recept: hi\n"),
			nil, []string{`24:3: unknown message kind "recept" in templates (did you mean "receipt"?)`}},
		{"offer template of a kind not about an offer", doc(offer("a", "A", "templates:", "  help: hi"), ""),
			nil, []string{`24:13: offer a: templates.help: this message is not about one offer: set it in the global templates`}},
		{"missing required value", strings.Replace(doc(offer("a", "A"), ""), "  path: test.db\n", "  path: \"\"\n", 1),
			nil, []string{`4:9: storage.path must not be empty`}},
		{"missing section", strings.Replace(doc(offer("a", "A"), ""), "bot:\n  screen_name: AmexOffers\n", "", 1),
			nil, []string{`1:1: bot.screen_name is required`}},
		{"missing key in a section", strings.Replace(doc(offer("a", "A"), ""), "  enroll_url: https://issuer.example/link-twitter\n", "", 1),
			nil, []string{`11:1: issuer.enroll_url is required`}},
		{"screen name with @", strings.Replace(doc(offer("a", "A"), ""), "screen_name: AmexOffers", "screen_name: \"@AmexOffers\"", 1),
			nil, []string{`2:16: bot.screen_name must be written without the @`}},
		{"URL without http", strings.Replace(doc(offer("a", "A"), ""), "enroll_url: https://", "enroll_url: ftp://", 1),
			nil, []string{`14:15: issuer.enroll_url "ftp://issuer.example/link-twitter" must be an http or https URL`}},
		{"a list where a map is expected", doc(offer("a", "A"), "health:\n  - listen: :8080\n"),
			nil, []string{`24:3: health must be a map of keys, not a list`}},
		{"a map where a string is expected", doc(offer("a", "A"), "privacy:\n  mode: dm\n"),
			nil, []string{`24:3: privacy must be a string, not a map`}},
		{"offers not a list", doc("  id: a\n", ""),
			nil, []string{`16:3: offers must be a list of offers (each starting with "- id:"), not a map`}},
		{"bad listen address", doc(offer("a", "A"), "health:\n  listen: localhost\n"),
			nil, []string{`24:11: health.listen "localhost" is not an address with a port, such as ":8080" or "127.0.0.1:8080"`}},
		{"bad limit", doc(offer("a", "A"), "twitter:\n  limits:\n    dms_per_day: 0\n"),
			nil, []string{`23:1: duplicate key "twitter" in the top level (first at line 5)`}},
		{"YAML syntax error", doc(offer("a", "A"), "privacy: [dm\n"),
			nil, []string{`23:1: YAML syntax: did not find expected ',' or ']'`}},
		{"YAML syntax error deep in a block", doc(offer("a", "A"), "confirmation:\n  window: 10m\n - x\n"),
			nil, []string{`25:1: YAML syntax: did not find expected key`}},
		{"YAML tab indentation", doc(offer("a", "A"), "confirmation:\n\twindow: 10m\n"),
			nil, []string{`24:1: YAML syntax: found character that cannot start any token`}},
		{"a key that is not a name", doc(offer("a", "A"), "? [a, b]\n: c\n"),
			nil, []string{`23:3: a key in the top level must be a plain name, not a list`}},
		{"an offer that is not a map", doc("  - kindle\n", ""),
			nil, []string{`16:5: offer #1 must be a map of keys (id:, title:, ...), not a string`}},
		{"merging something not a map", doc(offer("a", "A", "<<: [1]"), ""),
			nil, []string{`23:10: << in offer must merge a map, not a number`}},
		{"missing env var in a quoted string", doc(offer("a", "A", `title: "Kindle ${EDITION}"`), ""),
			nil, []string{`17:20: environment variable EDITION is not set`}},
		{"URL from the environment is not shown", strings.Replace(doc(offer("a", "A"), ""), "enroll_url: https://issuer.example/link-twitter", "enroll_url: ${ENROLL}", 1),
			[]string{"ENROLL", "https://[::1"}, []string{`14:15: issuer.enroll_url "${ENROLL}" is not a URL: parse "${ENROLL}": missing ']' in host`}},
		{"retention below a day", strings.Replace(doc(offer("a", "A"), ""), "  path: test.db\n", "  path: test.db\n  retention: 90m\n", 1),
			nil, []string{`5:14: storage.retention must be at least 24h0m0s, not "90m" (write days as hours: 90 days is 2160h)`}},
		{"retention not a duration", strings.Replace(doc(offer("a", "A"), ""), "  path: test.db\n", "  path: test.db\n  retention: 90d\n", 1),
			nil, []string{`5:14: storage.retention "90d" is not a duration (write one such as 15m, 90s or 1h30m)`}},
		{"two documents", doc(offer("a", "A"), "---\nprivacy: dm\n"),
			nil, []string{`23:1: only one YAML document is allowed; remove the second '---'`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, lookup(tt.env...))
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

// matchAll reports whether got and want are the same lines, where a want
// holding "..." matches any text there.
func matchAll(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !match(got[i], want[i]) {
			return false
		}
	}
	return true
}

func match(got, want string) bool {
	parts := strings.Split(want, "...")
	if len(parts) == 1 {
		return got == want
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	rest := got[len(parts[0]):]
	for _, p := range parts[1:] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(got, parts[len(parts)-1])
}
