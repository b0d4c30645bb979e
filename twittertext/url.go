package twittertext

import (
	"strings"
	"unicode"
)

// extractURLs finds http:// and https:// URLs. It is a subset of
// twitter-text's validUrl: URLs without a protocol ("example.com") are not
// recognised, which only matters for the weighted length of such text.
func extractURLs(rs []rune) []URL {
	var out []URL
	n := len(rs)
	for i := 0; i < n; i++ {
		var proto int
		switch {
		case hasPrefixASCIIFold(rs[i:], "https://"):
			proto = len("https://")
		case hasPrefixASCIIFold(rs[i:], "http://"):
			proto = len("http://")
		default:
			continue
		}
		if i > 0 && invalidURLPreceding(rs[i-1]) {
			continue
		}
		hostEnd, ok := scanHost(rs, i+proto)
		if !ok {
			continue
		}
		end := hostEnd
		if end < n && (rs[end] == '/' || rs[end] == '?' || rs[end] == '#') {
			end = scanPath(rs, end)
			end = trimURLEnd(rs, hostEnd, end)
		}
		out = append(out, URL{URL: string(rs[i:end]), Start: i, End: end})
		i = end - 1
	}
	return out
}

// invalidURLPreceding matches what twitter-text refuses right before a URL:
// a URL glued to a word, a mention or a hashtag is not a link.
func invalidURLPreceding(r rune) bool {
	return isScreenNameChar(r) && r != '_' || strings.ContainsRune("@＠$#＃", r) || r >= 0x202A && r <= 0x202E
}

func isHostChar(r rune) bool {
	return r < 0x80 && (isScreenNameChar(r) || r == '-' || r == '.') || isLatinAccent(r) || unicode.Is(unicode.Cyrillic, r)
}

// scanHost returns where the host (and optional port) starting at p ends,
// and whether it is a plausible domain: labels separated by dots, a
// top-level label of at least two letters.
func scanHost(rs []rune, p int) (int, bool) {
	h := p
	for h < len(rs) && isHostChar(rs[h]) {
		h++
	}
	// A sentence may end right after the domain: "see https://x.com."
	for h > p && (rs[h-1] == '.' || rs[h-1] == '-') {
		h--
	}
	host := string(rs[p:h])
	if !validHost(host) {
		return 0, false
	}
	if h+1 < len(rs) && rs[h] == ':' && '0' <= rs[h+1] && rs[h+1] <= '9' {
		h++
		for h < len(rs) && '0' <= rs[h] && rs[h] <= '9' {
			h++
		}
	}
	return h, true
}

func validHost(host string) bool {
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
	}
	tld := []rune(labels[len(labels)-1])
	if len(tld) < 2 {
		return false
	}
	if strings.HasPrefix(string(tld), "xn--") {
		return true
	}
	for _, r := range tld {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// isURLPathChar follows twitter-text's validGeneralUrlPathChars and query
// characters: ASCII, Cyrillic and Latin accents, but no spaces, quotes,
// angle brackets or other scripts.
func isURLPathChar(r rune) bool {
	if r < 0x80 {
		return isScreenNameChar(r) || strings.ContainsRune("!*';:=+,.$/%#[]-~&|@()?", r)
	}
	return r == '\u2013' || isLatinAccent(r) || unicode.Is(unicode.Cyrillic, r)
}

func scanPath(rs []rune, p int) int {
	for p < len(rs) && isURLPathChar(rs[p]) {
		p++
	}
	return p
}

// trimURLEnd drops trailing punctuation that ends a sentence rather than a
// URL ("see https://x.com/a." or "(https://x.com/a)"), keeping a closing
// parenthesis only when it balances one inside the URL.
func trimURLEnd(rs []rune, min, end int) int {
	for end > min {
		r := rs[end-1]
		if r == ')' {
			open, closed := 0, 0
			for _, c := range rs[min:end] {
				switch c {
				case '(':
					open++
				case ')':
					closed++
				}
			}
			if closed <= open {
				return end
			}
			end--
			continue
		}
		if r < 0x80 && (isScreenNameChar(r) || strings.ContainsRune("+-=#/&", r)) || r >= 0x80 {
			return end
		}
		end--
	}
	return end
}
