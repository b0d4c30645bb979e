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
	from := 0 // where the previous match, kept or not, ended
	for i := 0; i < len(rs); i++ {
		if !isHashSign(rs[i]) || !hashtagPrecededOK(rs, i, from) {
			continue
		}
		j := i + 1
		// "#" + U+FE0F/U+20E3 is the keycap emoji, not a hashtag.
		if j < len(rs) && (rs[j] == '\uFE0F' || rs[j] == '\u20E3') {
			continue
		}
		k, hasAlpha := hashtagTextEnd(rs, j)
		if !hasAlpha { // empty or all digits ("#1")
			continue
		}
		from = k
		if hashtagEndOK(rs, k) {
			out = append(out, Hashtag{Text: string(rs[j:k]), Start: i, End: k})
		}
		i = k - 1
	}
	return out
}

// hashtagPrecededOK reports whether the character before the '#' at rs[i] lets it start a hashtag.
func hashtagPrecededOK(rs []rune, i, from int) bool {
	if i == 0 {
		return true
	}
	// A hashtag must not be glued to a word ("abc#Tag") or to '&'
	// ("&#39;"); a text-presentation selector before it is fine. The
	// character before must not belong to the previous match, which
	// twitter-text's pattern consumed: in "#a️#b" the selector ends "#a️",
	// refused for the '#' after it, so "#b" is no hashtag either.
	if i-1 < from {
		return false
	}
	p := rs[i-1]
	return p == '\uFE0E' || p == '\uFE0F' || !isHashtagAlnum(p) && p != '&'
}

// hashtagTextEnd returns the end of the hashtag text at rs[j] and whether it holds a letter.
func hashtagTextEnd(rs []rune, j int) (int, bool) {
	k, hasAlpha := j, false
	for k < len(rs) && isHashtagAlnum(rs[k]) {
		if isHashtagAlpha(rs[k]) {
			hasAlpha = true
		}
		k++
	}
	return k, hasAlpha
}

// hashtagEndOK reports whether a hashtag ending at k is not glued to another '#' or to "://".
func hashtagEndOK(rs []rune, k int) bool {
	if k < len(rs) && isHashSign(rs[k]) {
		return false
	}
	return !hasPrefixASCII(rs[k:], "://")
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
