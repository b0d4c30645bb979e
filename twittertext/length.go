package twittertext

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

const (
	// MaxTweetLength is the largest weighted length Twitter accepts for a
	// Tweet.
	MaxTweetLength = 280
	// MaxDMLength is the largest number of characters Twitter accepts in a
	// direct message.
	MaxDMLength = 10000
	// TransformedURLLength is the weight of every URL, whatever its length,
	// because Twitter wraps each one in a t.co link.
	TransformedURLLength = 23
)

// weightOne lists the code-point ranges of twitter-text v3 that weigh 1;
// every other code point weighs 2.
var weightOne = [][2]rune{{0, 4351}, {8192, 8205}, {8208, 8223}, {8242, 8247}}

func codePointWeight(r rune) int {
	for _, rg := range weightOne {
		if rg[0] <= r && r <= rg[1] {
			return 1
		}
	}
	return 2
}

// WeightedLength returns the length Twitter counts for text, per
// twitter-text configuration v3: the text is NFC-normalised, code points in
// the Latin-ish ranges weigh 1 and the rest 2, each URL weighs 23, and (as v3
// has emojiParsingEnabled) an emoji sequence such as "👍🏽" or a ZWJ family
// weighs 2 as a whole. It never fails; an empty text has length 0.
func WeightedLength(text string) int {
	rs := []rune(norm.NFC.String(text))
	urls := extractURLs(rs)
	total := 0
	u := 0
	for i := 0; i < len(rs); {
		if u < len(urls) && i == urls[u].Start {
			total += TransformedURLLength
			i = urls[u].End
			u++
			continue
		}
		if n := emojiSequenceLen(rs[i:]); n > 0 {
			total += 2
			i += n
			continue
		}
		total += codePointWeight(rs[i])
		i++
	}
	return total
}

// FitsTweet reports whether Twitter would accept text as a Tweet: not
// blank, no characters twitter-text calls invalid (U+FFFE, U+FEFF, U+FFFF),
// and a weighted length of at most MaxTweetLength. It returns false for
// anything else.
func FitsTweet(text string) bool {
	if strings.TrimSpace(text) == "" || strings.ContainsAny(text, "\uFFFE\uFEFF\uFFFF") {
		return false
	}
	return WeightedLength(text) <= MaxTweetLength
}

func isEmojiModifier(r rune) bool { return r >= 0x1F3FB && r <= 0x1F3FF }

func isEmojiTag(r rune) bool { return r >= 0xE0020 && r <= 0xE007F }

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// emojiNotSo are the emoji (Unicode's Emoji property) above U+2000 whose
// category is not So, such as "↔️" and "‼️": twemoji counts them as emoji too.
var emojiNotSo = []rune{0x203C, 0x2049, 0x2139, 0x2194, 0x25FB, 0x25FC, 0x25FD, 0x25FE, 0x2934, 0x2935, 0x3030, 0x303D}

// isEmojiBase approximates the emoji that twemoji's pattern starts with:
// pictographic symbols outside the weight-1 ranges.
func isEmojiBase(r rune) bool {
	if r >= 0x1F000 && r <= 0x1FAFF || slices.Contains(emojiNotSo, r) {
		return true
	}
	return r >= 0x2000 && unicode.Is(unicode.So, r)
}

// emojiSequenceLen returns how many code points at the start of rs form one
// emoji sequence (flag pair, keycap, base with selectors, skin tones, tags and
// ZWJ-joined parts), or 0 when rs does not start with an emoji. It is an
// approximation of twemoji's pattern, good for the weighted length.
func emojiSequenceLen(rs []rune) int {
	if len(rs) == 0 {
		return 0
	}
	r := rs[0]
	switch {
	case isRegionalIndicator(r):
		return flagLen(rs)
	case isKeycapBase(r):
		return keycapLen(rs)
	case r == '\u00A9' || r == '\u00AE':
		return selectedSymbolLen(rs)
	case !isEmojiBase(r):
		return 0
	}
	return emojiBaseSequenceLen(rs)
}

// flagLen measures a flag at rs[0]: two regional indicators, or a lone one (still an emoji).
func flagLen(rs []rune) int {
	if len(rs) > 1 && isRegionalIndicator(rs[1]) {
		return 2
	}
	return 1
}

// isKeycapBase reports whether r can start a keycap emoji: a digit, '#' or '*'.
func isKeycapBase(r rune) bool { return r >= '0' && r <= '9' || r == '#' || r == '*' }

// keycapLen measures a keycap at rs[0] ("1️⃣", or "1⃣" without selector); a bare digit gives 0.
func keycapLen(rs []rune) int {
	switch {
	case len(rs) > 2 && rs[1] == '\uFE0F' && rs[2] == '\u20E3':
		return 3
	case len(rs) > 1 && rs[1] == '\u20E3': // a keycap without its selector
		return 2
	}
	return 0
}

// selectedSymbolLen measures '©' or '®' at rs[0]: an emoji only when U+FE0F follows, else 0.
func selectedSymbolLen(rs []rune) int {
	if len(rs) > 1 && rs[1] == '\uFE0F' {
		return 2
	}
	return 0
}

// emojiBaseSequenceLen measures the emoji base at rs[0] with every extender and ZWJ part after it.
func emojiBaseSequenceLen(rs []rune) int {
	i := 1
	for i < len(rs) {
		n := emojiContinuationLen(rs, i)
		if n == 0 {
			return i
		}
		i += n
	}
	return i
}

// emojiContinuationLen is 1 for an extender at rs[i], 2 for a ZWJ and the base it joins, else 0.
func emojiContinuationLen(rs []rune, i int) int {
	c := rs[i]
	switch {
	case isEmojiExtender(c):
		return 1
	case c == '\u200D' && i+1 < len(rs) && isEmojiBase(rs[i+1]):
		return 2
	}
	return 0
}

// isEmojiExtender reports whether c extends the emoji before it: a selector, U+20E3, skin tone or tag.
func isEmojiExtender(c rune) bool {
	return c == '\uFE0F' || c == '\uFE0E' || c == '\u20E3' || isEmojiModifier(c) || isEmojiTag(c)
}
