package twittertext

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// corpusPieces are the fragments the differential corpus is made of: each
// is a text on its own, and the generated texts join random ones.
var corpusPieces = []string{
	// Hashtags in many scripts, inside words, and next to signs.
	"#BuyKindle", "#日本語", "#日本語ひらがな", "#中文标签", "#한국어", "#русский", "#العربية",
	"#עברית", "#ו״ו", "#ไทย", "#हिन्दी", "#ελληνικά", "#ქართული", "#Ünïcödé", "#ñandú",
	"#café", "#cafe\u0301", "#ＢｕｙＸ", "＃tag", "#ﾊﾝｶｸ", "#カタカナ・ー", "#123", "#１２３",
	"#1st", "#a_b", "#_", "#tag_", "#tag#tag", "#foo＃bar", "abc#tag", "a_#tag", "&#39;",
	"#\uFE0F\u20E3", "#tag.", "#tag's", "#Buy-it", "#emoji😀", "#a\u200cb", "#a\u200db",
	"#ß", "#ǅ", "#𝐛𝐨𝐥𝐝", "#𠀋𠀌", "#ID𝟙", "#ab\u0300", "#http://x.com", "#", "# #",
	"\u2764\uFE0F#Buy", "#日\uFE0F#_é", "#a\uFE0F#b", "#ℹ\uFE0F#example", "#a\uFE0F #b", "#a\uFE0E#b", "(#Buy)", "#Buy!", "#ａｂｃ", "#Ⅻ", "#x\u0951", "#ab·cd",
	// Mentions, emails and @ in odd places.
	"@bob", "@bob_123", "＠bob", "@abcdefghijklmnopqrstu", "@abcdefghijklmnopqrst", "@bob/list",
	"@bob/list-name", "email@example.com", "a@b", "RT@bob", "RT:@bob", "rt @bob", "xRT@bob", "@RT@bob", "@a RT@bob", "@aRT@bob", "@RT:@bob", "@RT:x@bob",
	"@bob@alice", "@bobé", "_@bob", "!@bob", "#@bob", "@@bob", "@bob's", "@日本", "@bob://x",
	"(@bob)", ".@bob", "@BOB", "@a", "@_", "@123", "@", "@bob\u0301", "me@日本.jp",
	// URLs with and without a protocol, IDNs, punycode, long labels.
	"http://example.com", "https://example.com/path?q=1&r=2#frag", "amazon.com", "Amazon.COM",
	"amazon.com.", "amazon.comfoo", "www.example.co.uk/path?q=1", "example.co.uk", "www.example.com",
	"WWW.EXAMPLE.COM", "t.co/abc123", "https://t.co/abc123", "http://t.co/abc123?x=1", "http://t.co",
	"https://bücher.de", "bücher.de", "http://xn--bcher-kva.de", "xn--bcher-kva.de", "http://例え.テスト",
	"https://例え.jp", "https://тест.рф", "тест.рф", "https://example.рф", "www.ü.com",
	"https://" + strings.Repeat("a", 63) + ".com", "https://" + strings.Repeat("a", 64) + ".com",
	strings.Repeat("b", 63) + ".com", "http://sub_domain.example.com", "https://example.com:8080/x",
	"https://en.wikipedia.org/wiki/Go_(game)", "(https://example.com)", "https://example.com/path.",
	"https://example.com/path,", "https://example.com/path)", "foo.bar", "example.xyz", "example.museum",
	"example.notatld", "example.co", "x.co", "t.co", "mailto:x@example.com", "ftp://example.com",
	"HTTPS://EXAMPLE.COM", "http://localhost", "http://192.168.0.1/", "https://example.com/?q=日本",
	"https://example.com/日本", "https://x.com/a#b", "https://example.com/path/#tag",
	"http://example.com/@user", "a.b.c.d.e.f.com", "http://-example.com", "https://example-.com",
	"https://ex--ample.com", "https://example.com/" + strings.Repeat("p", 300), "http://www.google.com.",
	"asdf.com/#tag", "https://example.com\u200e", "\u202aexample.com", "https://example.com/~user/a_b-c",
	"https://example.com/path?a[]=1", "http://user:pass@example.com", "example.com/a?b=c#d",
	"https://example.com/(a(b))", "https://example.com/a%20b", "http://a.b", "https://a.b.co",
	"https://" + strings.Repeat("x", 10) + "." + strings.Repeat("y", 200) + ".com",
	"example.com?q=1", "example.com:80/x", "example.com:80?x", "example.com:80", "www.example.co.uk?q=1",
	"example.com/?q=1", "foo.bar:1⃣日", "foo.bar:1日", "https://example.com/a@(bob)", "https://example.com/a.(bob)",
	"https://example.com/(a(b))@(@bob)", "https://example.com/a(b)(c)", "https://example.com/a.(b)c",
	"https://example.com/a.(b)(c)", "https://example.com/@(bob)", "https://a.b.co/#BuyKindle@(#Buy))",
	"é_a.b.com", "😀_a.b.com", "x😀_a.com", "é" + strings.Repeat("b", 63) + ".com",
	"😀" + strings.Repeat("b", 62) + ".com", "😀" + strings.Repeat("b", 50) + ".com", "𝟙-a.b.com", "😀-a.b.com",
	"x-a.b.com-é_a.b.com", "example.com-1⃣👍example.com", "http://a.bq", "example.bq", "t.co.Amazon.COM-",
	"x-a.b.com", "é-a.b.com", "𝟙.t.co/x", "shop.amazon", "andú.amazon", "example.maserati", "https://example.maserati/x",
	// Emoji sequences.
	"👍", "👍🏽", "👨‍👩‍👧‍👦", "👩🏽‍💻", "🏳️‍🌈", "🇯🇵", "🇺🇸🇬🇧", "🇦", "1️⃣", "1⃣", "#️⃣", "*️⃣",
	"❤️", "❤", "☺", "©️", "©", "®", "™️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "😀😀", "🫠", "🧑‍🤝‍🧑", "👁️‍🗨️", "⌚",
	"↔️", "🆗", "🀄", "🃏", "🏻", "\u200d", "👍\u200d", "☝🏿", "🫱🏼‍🫲🏿", "🐈‍⬛", "❤️‍🔥", "👍\u200d👍", "👍\u200d❤", "🀄🏻", "❤️🏻", "‼️🏻",
	"‼️", "⁉️", "ℹ️", "◻️", "◽", "⤴️", "〰️", "〽️", "▶️", "日\uFE0F", "a\uFE0F", "👁\u200d🗨",
	// Weight-2 text, combining marks, NFC and NFKC.
	"日本語", "中文", "한국어", "ｶﾀｶﾅ", "ＡＢＣ", "。", "「」", "𠀋", "e\u0301", "é", "A\u030A",
	"\u212B", "ﬁ", "Ⅻ", "\u1100\u1161", "ᄀ", "\u0958", "q\u0307\u0323", "\u0344", "\u2026",
	"\u2018quoted\u2019", "\u2014", "\u20ac5", "£10", "₹100",
	// Spaces, controls, directional marks and the characters Twitter refuses.
	"\u00a0", "\u2003", "\u3000", "\t", "\n", "\r\n", "   ", " ", "\u200b", "\u200e", "\u202e",
	"\uFFFE", "\uFEFF", "\uFFFF", "\x00", "\x7f",
	// Cashtags, which this package does not extract.
	"$AAPL", "$aapl.B",
}

// corpusSeparators join the pieces of generated texts.
var corpusSeparators = []string{" ", " ", " ", "", "\n", ",", ".", "(", ")", "/", "#", "@", ":", "-", "_", "日", "é", "👍", "\u3000"}

// differentialCorpus returns the texts the differential test compares:
// the pieces, texts at the limits of a Tweet and of a DM, and texts
// joined from random pieces with a fixed seed, so that every run checks the
// same texts.
func differentialCorpus() []string {
	a := func(n int) string { return strings.Repeat("a", n) }
	texts := append([]string{""}, corpusPieces...)
	texts = append(texts,
		"@bot #BuyKindle please", "@bot #BuyKindle https://amazon.com/dp/B0 thanks!",
		"Buy at amazon.com or www.example.co.uk/path?q=1 #deal @shop",
		a(280), a(281), strings.Repeat("日", 140), strings.Repeat("日", 141),
		a(278)+"日", a(279)+"日", a(278)+"👍", a(279)+"👨‍👩‍👧‍👦", a(278)+"👨‍👩‍👧‍👦",
		a(256)+" https://example.com", a(257)+" https://example.com", a(256)+" amazon.com", a(257)+" amazon.com",
		a(279)+"e\u0301", a(280)+"e\u0301", a(279)+"\u212B", strings.Repeat("\u1100\u1161", 141),
		strings.Repeat("ᄀ", 280), strings.Repeat("é", 280), strings.Repeat("e\u0301", 280),
		strings.Repeat("👍🏽", 140), strings.Repeat("👍🏽", 141), strings.Repeat("🇯🇵", 141),
		strings.Repeat("https://t.co/abcdefghij ", 12), strings.Repeat("#tag ", 56), strings.Repeat("#tag ", 57),
		a(279)+"\uFEFF", "\uFEFF"+a(10), a(300)+"\uFFFE",
		a(10000), strings.Repeat("日", 10000), strings.Repeat("x", 9999)+"👍",
	)
	var dm strings.Builder
	for i := 0; dm.Len() < 30000; i++ {
		dm.WriteString(corpusPieces[i%len(corpusPieces)])
		dm.WriteString(" ")
	}
	texts = append(texts, string([]rune(dm.String())[:10000]))

	var mixable []string
	for _, p := range corpusPieces {
		if !slices.ContainsFunc(knownJSDivergences, func(k knownJSDivergenceEntry) bool { return k.keepOutOfMix && k.applies(p) }) {
			mixable = append(mixable, p)
		}
	}
	rng := rand.New(rand.NewPCG(8, 2026))
	for range 3000 {
		var b strings.Builder
		for n := 1 + rng.IntN(8); n > 0; n-- {
			b.WriteString(mixable[rng.IntN(len(mixable))])
			b.WriteString(corpusSeparators[rng.IntN(len(corpusSeparators))])
		}
		texts = append(texts, b.String())
	}
	return texts
}
