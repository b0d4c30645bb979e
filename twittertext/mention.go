package twittertext

import "strings"

// maxScreenNameMatch is how many screen-name characters twitter-text's
// pattern takes after '@' ([a-zA-Z0-9_]{1,20}); real screen names have at
// most 15, so longer runs never resolve to an account.
const maxScreenNameMatch = 20

func isAtSign(r rune) bool { return r == '@' || r == '＠' }

func isScreenNameChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
}

func isASCIILetter(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }

// isLatinAccent matches twitter-text's latinAccentChars: a mention glued to
// one of these ("@useré") is not a mention.
func isLatinAccent(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0xFF,
		r >= 0x100 && r <= 0x24F, r >= 0x300 && r <= 0x36F, r >= 0x1E00 && r <= 0x1EFF:
		return true
	}
	return strings.ContainsRune("\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb", r)
}

// mentionPrecededOK implements validMentionPrecedingChars, including the
// "RT@user" / "RT:@user" forms that old-style retweets use. The preceding
// characters must lie at or after from, the end of the previous match:
// twitter-text's pattern consumes them, so in "@RT@bob" the "RT" belongs
// to the first match and "@bob" is no mention.
func mentionPrecededOK(rs []rune, i, from int) bool {
	if i == 0 {
		return true
	}
	if i-1 >= from && !strings.ContainsRune("!#$%&*@＠", rs[i-1]) && !isScreenNameChar(rs[i-1]) {
		return true
	}
	rtAt := func(k int) bool { // "rt" at rs[k:k+2] with a valid char before it
		if k < from || !hasPrefixASCIIFold(rs[k:], "rt") {
			return false
		}
		return k == 0 || k-1 >= from && !isScreenNameChar(rs[k-1]) && !strings.ContainsRune("+~.-", rs[k-1])
	}
	if rtAt(i - 2) {
		return true
	}
	return rs[i-1] == ':' && rtAt(i-3)
}

// extractMentions finds user mentions as twitter-text's validMentionOrList
// pattern does, leaving out lists ("@user/list").
func extractMentions(rs []rune) []Mention {
	var out []Mention
	n := len(rs)
	from := 0 // where the previous match, kept or not, ended
	for i := 0; i < n; i++ {
		if !isAtSign(rs[i]) || !mentionPrecededOK(rs, i, from) {
			continue
		}
		j := i + 1
		k := j
		for k < n && k-j < maxScreenNameMatch && isScreenNameChar(rs[k]) {
			k++
		}
		if k == j {
			continue
		}
		end := k
		isList := false
		if k+1 < n && rs[k] == '/' && isASCIILetter(rs[k+1]) {
			isList = true
			end = k + 2
			for end < n && end-(k+1) < 25 && (isScreenNameChar(rs[end]) || rs[end] == '-') {
				end++
			}
		}
		from = end
		if end < n && (isAtSign(rs[end]) || isLatinAccent(rs[end])) || hasPrefixASCII(rs[end:], "://") {
			i = end - 1
			continue
		}
		if !isList {
			out = append(out, Mention{ScreenName: string(rs[j:k]), Start: i, End: k})
		}
		i = end - 1
	}
	return out
}
