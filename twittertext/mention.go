package twittertext

import "strings"

// maxScreenNameMatch is how many screen-name characters twitter-text's
// pattern takes after '@' ([a-zA-Z0-9_]{1,20}); real screen names have at
// most 15, so longer runs never resolve to an account.
const maxScreenNameMatch = 20

// maxListNameMatch is how many list-name characters twitter-text's pattern
// takes after "@user/" ([a-zA-Z][a-zA-Z0-9_\-]{0,24}).
const maxListNameMatch = 25

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
	from := 0 // where the previous match, kept or not, ended
	for i := 0; i < len(rs); i++ {
		if !isAtSign(rs[i]) || !mentionPrecededOK(rs, i, from) {
			continue
		}
		j := i + 1
		k := screenNameEnd(rs, j)
		if k == j {
			continue
		}
		end, isList := listEnd(rs, k)
		from = end
		if !isList && mentionEndOK(rs, end) {
			out = append(out, Mention{ScreenName: string(rs[j:k]), Start: i, End: k})
		}
		i = end - 1
	}
	return out
}

// screenNameEnd returns the end of the screen name at rs[j] (up to maxScreenNameMatch characters).
func screenNameEnd(rs []rune, j int) int {
	k := j
	for k < len(rs) && k-j < maxScreenNameMatch && isScreenNameChar(rs[k]) {
		k++
	}
	return k
}

// listEnd returns the end of a "/list" at rs[k] and true, or k and false when none follows.
func listEnd(rs []rune, k int) (int, bool) {
	if k+1 >= len(rs) || rs[k] != '/' || !isASCIILetter(rs[k+1]) {
		return k, false
	}
	end := k + 2
	for end < len(rs) && end-(k+1) < maxListNameMatch && (isScreenNameChar(rs[end]) || rs[end] == '-') {
		end++
	}
	return end, true
}

// mentionEndOK reports whether a match ending at end is not glued to '@', a Latin accent or "://".
func mentionEndOK(rs []rune, end int) bool {
	if end < len(rs) && (isAtSign(rs[end]) || isLatinAccent(rs[end])) {
		return false
	}
	return !hasPrefixASCII(rs[end:], "://")
}
