package twittertext

import "unicode"

// hashtagSpecials are the non-alphanumeric characters that twitter-text
// accepts inside a hashtag (joiners and a few script-specific marks).
var hashtagSpecials = map[rune]bool{
	'_': true, '\u200c': true, '\u200d': true, '\ua67e': true, '\u05be': true,
	'\u05f3': true, '\u05f4': true, '\uff5e': true, '\u301c': true, '\u309b': true,
	'\u309c': true, '\u30a0': true, '\u30fb': true, '\u3003': true, '\u0f0b': true,
	'\u0f0c': true, '\u00b7': true,
}

func isHashSign(r rune) bool { return r == '#' || r == '＃' }

func isHashtagAlpha(r rune) bool { return unicode.IsLetter(r) || unicode.Is(unicode.M, r) }

func isHashtagAlnum(r rune) bool {
	return isHashtagAlpha(r) || unicode.Is(unicode.Nd, r) || hashtagSpecials[r]
}

// extractHashtags finds hashtags as twitter-text's validHashtag pattern
// does, before overlaps with URLs are removed.
func extractHashtags(rs []rune) []Hashtag {
	var out []Hashtag
	n := len(rs)
	from := 0 // where the previous match, kept or not, ended
	for i := 0; i < n; i++ {
		if !isHashSign(rs[i]) {
			continue
		}
		// A hashtag must not be glued to a word ("abc#Tag") or to '&'
		// ("&#39;"); a text-presentation selector before it is fine. The
		// character before must not belong to the previous match, which
		// twitter-text's pattern consumed: in "#a️#b" the selector ends "#a️",
		// refused for the '#' after it, so "#b" is no hashtag either.
		if i > 0 {
			p := rs[i-1]
			if i-1 < from || p != '\uFE0E' && p != '\uFE0F' && (isHashtagAlnum(p) || p == '&') {
				continue
			}
		}
		j := i + 1
		// "#" + U+FE0F/U+20E3 is the keycap emoji, not a hashtag.
		if j < n && (rs[j] == '\uFE0F' || rs[j] == '\u20E3') {
			continue
		}
		k, hasAlpha := j, false
		for k < n && isHashtagAlnum(rs[k]) {
			if isHashtagAlpha(rs[k]) {
				hasAlpha = true
			}
			k++
		}
		if !hasAlpha { // empty or all digits ("#1")
			continue
		}
		from = k
		if k < n && isHashSign(rs[k]) || hasPrefixASCII(rs[k:], "://") {
			i = k - 1
			continue
		}
		out = append(out, Hashtag{Text: string(rs[j:k]), Start: i, End: k})
		i = k - 1
	}
	return out
}

// hasPrefixASCII reports whether rs starts with the ASCII string p.
func hasPrefixASCII(rs []rune, p string) bool {
	if len(rs) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if rs[i] != rune(p[i]) {
			return false
		}
	}
	return true
}

// hasPrefixASCIIFold is hasPrefixASCII ignoring ASCII case; p must be lower
// case.
func hasPrefixASCIIFold(rs []rune, p string) bool {
	if len(rs) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		r := rs[i]
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		if r != rune(p[i]) {
			return false
		}
	}
	return true
}
