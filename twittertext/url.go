package twittertext

import (
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// URL extraction follows twitter-text's extractUrlsWithIndices: a URL is
// an optional http:// or https://, a domain ending in a known top-level
// domain, an optional port, path and query. Without a protocol only the
// ASCII-like domains inside are URLs ("amazon.com", "example.com" in
// "これはexample.com"), and not right after '-', '_', '.' or '/'. Each URL
// weighs TransformedURLLength, whatever its length.

const (
	maxURLLength     = 4096 // longer is not a URL
	maxLabelLength   = 63   // a DNS label, punycode-encoded
	maxTcoSlugLength = 40
	maxTLDLength     = 24 // the longest in the root zone, as punycode ("xn--vermgensberatung-pwb")
)

// isURLPunct is twitter-text's punctuation: never part of a domain label.
// (It lacks '"' and '`', as twitter-text's does.)
func isURLPunct(r rune) bool {
	return r < 0x80 && strings.ContainsRune("!'#%&()*+,\\-./:;<=>?@[]^_{|}~$", r)
}

func isSpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r == 0x20, r == 0x85, r == 0xA0, r == 0x1680, r == 0x180E,
		r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

func isInvalidChar(r rune) bool { return r == 0xFFFE || r == 0xFEFF || r == 0xFFFF }

func isDirectionalMarker(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r == 0x061C || r == 0x200E || r == 0x200F || r >= 0x2066 && r <= 0x2069
}

// isDomainChar is any character of a domain label: everything but
// punctuation, spaces, invalid characters and directional markers.
func isDomainChar(r rune) bool {
	return !isURLPunct(r) && !isSpace(r) && !isInvalidChar(r) && !isDirectionalMarker(r)
}

// urlPrecededOK reports whether r may stand right before a URL: not a
// letter or digit of ASCII, nor '@', '$' or '#' (a URL glued to a word, a
// mention or a hashtag is not a link).
func urlPrecededOK(r rune) bool {
	return isDirectionalMarker(r) || !isASCIIAlnum(r) && !strings.ContainsRune("@＠$#＃", r) && !isInvalidChar(r)
}

// isASCIIDigit reports whether r is '0' to '9'.
func isASCIIDigit(r rune) bool { return '0' <= r && r <= '9' }

func isASCIIAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// tldEndOK is what may follow a top-level domain: not an ASCII letter or
// digit, '@', '+' or '-' (so "foo.comm" has none, "example.comてすと" has
// "com").
func tldEndOK(rs []rune, i int) bool {
	return i >= len(rs) || !isASCIIAlnum(rs[i]) && !strings.ContainsRune("@+-", rs[i])
}

// urlScanner holds what the URL pattern asks again and again of one text,
// computed once, so that extraction stays linear in the text's length
// for the common cases (a long CJK DM tries a URL at every character).
type urlScanner struct {
	rs      []rune
	runEnd  []int       // where the run of label characters at i ends
	under   []int       // underscores before i
	tlds    map[int]int // tldAt's answers, by position
	domains map[int]int // domainAt's answers, by position
}

func newURLScanner(rs []rune) *urlScanner {
	sc := &urlScanner{rs: rs, runEnd: make([]int, len(rs)+1), under: make([]int, len(rs)+1), tlds: map[int]int{}, domains: map[int]int{}}
	sc.runEnd[len(rs)] = len(rs)
	for i := len(rs) - 1; i >= 0; i-- {
		sc.runEnd[i] = i
		if r := rs[i]; isDomainChar(r) || r == '-' || r == '_' {
			sc.runEnd[i] = sc.runEnd[i+1]
		}
	}
	for i, r := range rs {
		sc.under[i+1] = sc.under[i]
		if r == '_' {
			sc.under[i+1]++
		}
	}
	return sc
}

// labelOK: a label rs[a:b] starts and ends with a domain character;
// inside, '-' (and '_' when underscore) may join them.
func (sc *urlScanner) labelOK(a, b int, underscore bool) bool {
	if a >= b || !isDomainChar(sc.rs[a]) || !isDomainChar(sc.rs[b-1]) {
		return false
	}
	return underscore || sc.under[b] == sc.under[a]
}

func (sc *urlScanner) tldAt(i int) int {
	if end, ok := sc.tlds[i]; ok {
		return end
	}
	end := tldAt(sc.rs, i)
	sc.tlds[i] = end
	return end
}

// tldAt returns the end of the longest top-level domain starting at rs[i],
// or -1. A punycode TLD ("xn--p1ai") is taken whole.
func tldAt(rs []rune, i int) int {
	if hasPrefixASCIIFold(rs[i:], "xn--") {
		j := i + 4
		for j < len(rs) && (isASCIIAlnum(rs[j]) || rs[j] == '-') {
			j++
		}
		if j > i+4 {
			return j
		}
	}
	end := i
	for end < len(rs) && isDomainChar(rs[end]) && end-i < maxTLDLength {
		end++
	}
	for j := end; j > i; j-- {
		if tldEndOK(rs, j) && isTLD(string(rs[i:j])) {
			return j
		}
	}
	return -1
}

// domainAt matches a domain at rs[p]: labels of domain characters joined
// by '.', the last before the top-level domain without '_' (the others may
// hold '_' or '-' inside), as many labels as can be. It returns the end,
// or -1. Answers are kept by position: every start inside one label leads
// to the same labels after it.
func (sc *urlScanner) domainAt(p int) int {
	if end, ok := sc.domains[p]; ok {
		return end
	}
	rs, end := sc.rs, -1
	if e := sc.runEnd[p]; e > p && e < len(rs) && rs[e] == '.' {
		// Greedy, as the pattern: the label at p as a subdomain of a
		// longer domain first, then as the domain's name.
		if sc.labelOK(p, e, true) && e+1 < len(rs) {
			end = sc.domainAt(e + 1)
		}
		if end < 0 && sc.labelOK(p, e, false) {
			end = sc.tldAt(e + 1)
		}
	}
	sc.domains[p] = end
	return end
}

func isCyrillic(r rune) bool { return r >= 0x400 && r <= 0x4FF }

// isPathChar is validGeneralUrlPathChars.
func isPathChar(r rune) bool {
	if r < 0x80 {
		return isASCIIAlnum(r) || strings.ContainsRune("!*';:=+,.$/%#[]-_~@|&", r)
	}
	return r == '\u2013' || isCyrillic(r) || isLatinAccent(r)
}

// isPathEnd is validUrlPathEndingChars (a balanced parenthesis aside).
func isPathEnd(r rune) bool {
	if r < 0x80 {
		return isASCIIAlnum(r) || strings.ContainsRune("+-=_#/", r)
	}
	return isCyrillic(r) || isLatinAccent(r)
}

// parensAt matches "(...)" at rs[i], holding path characters and at most
// one nested "(...)", and returns its end, or -1.
func parensAt(rs []rune, i int) int {
	if i >= len(rs) || rs[i] != '(' {
		return -1
	}
	j, inner, nested := i+1, 0, false
	for j < len(rs) {
		switch r := rs[j]; {
		case isPathChar(r):
			inner++
			j++
		case r == '(' && !nested:
			k := j + 1
			for k < len(rs) && isPathChar(rs[k]) {
				k++
			}
			if k == j+1 || k >= len(rs) || rs[k] != ')' {
				return -1
			}
			nested, inner, j = true, inner+1, k+1
		case r == ')' && inner > 0:
			return j + 1
		default:
			return -1
		}
	}
	return -1
}

// pathEnd returns where the path that starts with the '/' at rs[i] ends:
// the longest run of path characters and balanced parentheses, cut back
// to its last ending character ("see x.com/a." keeps the '.' out). A
// parenthesis may end the path only where a part of it ended, as in
// "/a(b)": twitter-text's validUrlPathEndingChars puts the bare
// parenthesis beside the ending characters, so "/a.(b)" and "/a@(b)" stop
// before the '.' and the '@'.
func pathEnd(rs []rune, i int) int {
	end, j := i+1, i+1
	for j < len(rs) {
		if e := parensAt(rs, j); e > 0 {
			if j == end {
				end = e
			}
			j = e
			continue
		}
		if !isPathChar(rs[j]) {
			break
		}
		if isPathEnd(rs[j]) {
			end = j + 1
		}
		j++
	}
	return end
}

func isQueryChar(r rune) bool {
	return r < 0x80 && (isASCIIAlnum(r) || strings.ContainsRune("!?*'@();:&=+$/%#[]-_.,~|", r))
}

func isQueryEnd(r rune) bool {
	return r < 0x80 && (isASCIIAlnum(r) || strings.ContainsRune("-_&=#/", r))
}

// queryEnd returns where the query starting with the '?' at rs[i] ends,
// or i when no query character follows that may end one.
func queryEnd(rs []rune, i int) int {
	end := i
	for j := i + 1; j < len(rs) && isQueryChar(rs[j]); j++ {
		if isQueryEnd(rs[j]) {
			end = j + 1
		}
	}
	return end
}

// urlMatch is one match of the URL pattern.
type urlMatch struct {
	start, end  int // the whole URL
	protocol    bool
	domainStart int
	domainEnd   int
	hasPath     bool
}

// urlAt matches a URL starting at rs[p], with or without protocol.
func (sc *urlScanner) urlAt(p int) (urlMatch, bool) {
	rs := sc.rs
	m := urlMatch{start: p}
	m.domainStart, m.domainEnd, m.protocol = sc.hostAt(p)
	if m.domainEnd < 0 {
		return m, false
	}
	e := portEnd(rs, m.domainEnd)
	if e < len(rs) && rs[e] == '/' {
		e, m.hasPath = pathEnd(rs, e), true
	}
	if e < len(rs) && rs[e] == '?' {
		e = queryEnd(rs, e)
	}
	m.end = e
	return m, true
}

// protocolLen returns the length of the "https://" or "http://" (any case) at rs[p], or 0.
func protocolLen(rs []rune, p int) int {
	switch {
	case hasPrefixASCIIFold(rs[p:], "https://"):
		return len("https://")
	case hasPrefixASCIIFold(rs[p:], "http://"):
		return len("http://")
	}
	return 0
}

// hostAt matches a protocol and domain at rs[p], else a domain at p itself: start, end (or -1), protocol.
func (sc *urlScanner) hostAt(p int) (start, end int, protocol bool) {
	proto := protocolLen(sc.rs, p)
	start, protocol = p+proto, proto > 0
	end = sc.domainAt(start)
	if end < 0 && proto > 0 {
		start, protocol = p, false
		end = sc.domainAt(p)
	}
	return start, end, protocol
}

// portEnd returns the end of a port (':' and digits) at rs[e], or e when none.
func portEnd(rs []rune, e int) int {
	if e+1 >= len(rs) || rs[e] != ':' || !isASCIIDigit(rs[e+1]) {
		return e
	}
	e++
	for e < len(rs) && isASCIIDigit(rs[e]) {
		e++
	}
	return e
}

// nextURL finds the leftmost URL match from rs[from] on: a URL right after
// a character that may precede one, or at the very start of the text.
func (sc *urlScanner) nextURL(from int) (urlMatch, rune, bool) {
	rs := sc.rs
	for i := from; i < len(rs); i++ {
		if urlPrecededOK(rs[i]) {
			if m, ok := sc.urlAt(i + 1); ok {
				return m, rs[i], true
			}
		}
		if i == 0 {
			if m, ok := sc.urlAt(0); ok {
				return m, 0, true
			}
		}
	}
	return urlMatch{}, 0, false
}

// extractURLs returns the URLs of rs, as twitter-text extracts them.
func extractURLs(rs []rune) []URL {
	if !slices.Contains(rs, '.') {
		return nil // every URL has a domain with a dot
	}
	sc := newURLScanner(rs)
	var out []URL
	for from := 0; from < len(rs); {
		m, before, ok := sc.nextURL(from)
		if !ok {
			break
		}
		from = m.end
		if !validURLLength(rs, m) {
			continue
		}
		if m.protocol {
			if u, ok := tcoURL(rs, m); ok {
				out = append(out, u)
			}
			continue
		}
		if strings.ContainsRune("-_./", before) && before != 0 {
			continue
		}
		found := asciiDomains(rs, m.domainStart, m.domainEnd)
		if len(found) == 0 {
			continue
		}
		// twitter-text keeps the port and query of a URL without protocol
		// only when it has a path: "example.com?q=1" is "example.com".
		if m.hasPath {
			found[len(found)-1].End = m.end
		}
		for i := range found {
			found[i].URL = string(rs[found[i].Start:found[i].End])
		}
		out = append(out, found...)
	}
	return out
}

// tcoURL keeps a t.co link to its slug and query (what follows is not part
// of it), refuses a slug over 40 characters, and takes other URLs whole.
func tcoURL(rs []rune, m urlMatch) (URL, bool) {
	end := m.end
	if host := string(rs[m.domainStart:m.domainEnd]); strings.EqualFold(host, "t.co") && m.domainEnd < len(rs) && rs[m.domainEnd] == '/' {
		j := m.domainEnd + 1
		for j < len(rs) && isASCIIAlnum(rs[j]) {
			j++
		}
		slug := j - m.domainEnd - 1
		if slug > maxTcoSlugLength {
			return URL{}, false
		}
		if slug > 0 {
			end = j
			if j < len(rs) && rs[j] == '?' {
				end = queryEnd(rs, j)
			}
		}
	}
	return URL{URL: string(rs[m.start:end]), Start: m.start, End: end}, true
}

// validURLLength: every label of the domain, punycode-encoded, has 1 to 63
// characters, and the whole URL, with a protocol, at most 4096.
func validURLLength(rs []rune, m urlMatch) bool {
	domain := string(rs[m.domainStart:m.domainEnd])
	n := m.end - m.start - (m.domainEnd - m.domainStart)
	for _, l := range strings.Split(domain, ".") {
		a, err := idna.Punycode.ToASCII(l)
		if err != nil || len(a) < 1 || len(a) > maxLabelLength {
			return false
		}
		n += len(a) + 1
	}
	if !m.protocol {
		n += len("https://")
	}
	return n-1 <= maxURLLength
}

func isASCIIDomainChar(r rune) bool { return isASCIIAlnum(r) || r == '-' || isLatinAccent(r) }

// asciiDomains finds, inside rs[from:to], the domains made of ASCII
// letters, digits, '-' and Latin accents that end in a top-level domain,
// as twitter-text's validAsciiDomain does; the end of the span counts as
// the end of the text for what may follow a top-level domain.
func asciiDomains(rs []rune, from, to int) []URL {
	span := rs[:to]
	var out []URL
	for i := from; i < to; {
		if !isASCIIDomainChar(span[i]) {
			i++
			continue
		}
		end := asciiDomainAt(span, i)
		if end < 0 {
			i++
			continue
		}
		out = append(out, URL{Start: i, End: end})
		i = end
	}
	return out
}

// asciiDomainAt matches one or more "label." then a top-level domain at
// rs[i], as many labels as can be, and returns the end, or -1.
func asciiDomainAt(rs []rune, i int) int {
	var dots []int
	for q := i; ; {
		e := q
		for e < len(rs) && isASCIIDomainChar(rs[e]) {
			e++
		}
		if e == q || e >= len(rs) || rs[e] != '.' {
			break
		}
		dots = append(dots, e)
		q = e + 1
	}
	for n := len(dots); n >= 1; n-- {
		if end := tldAt(rs, dots[n-1]+1); end > 0 {
			return end
		}
	}
	return -1
}
