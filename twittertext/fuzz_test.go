package twittertext

import (
	"testing"
	"unicode/utf8"
)

// FuzzExtract checks that Extract never panics and that every entity's
// indices lie inside the text and slice back to the entity.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"", "#", "@", "#a", "@bot #BuyX https://x.com/p#frag", "＃ＢｕｙＸ", "abc#Tag",
		"RT:@a", "https://en.wikipedia.org/wiki/Go_(game))", "\xff#x\xfe", "👨\u200d👩 #x",
		"#\uFE0F\u20E3", "@a/list", "http://a.b:", "((https://a.io/))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		e := Extract(text)
		n := utf8.RuneCountInString(text)
		rs := []rune(text)
		for _, h := range e.Hashtags {
			if h.Start < 0 || h.End > n || h.Start >= h.End {
				t.Fatalf("hashtag %+v out of range for %d code points", h, n)
			}
			if string(rs[h.Start+1:h.End]) != h.Text {
				t.Fatalf("hashtag %+v does not slice back", h)
			}
		}
		for _, m := range e.Mentions {
			if m.Start < 0 || m.End > n || m.Start >= m.End {
				t.Fatalf("mention %+v out of range for %d code points", m, n)
			}
			if string(rs[m.Start+1:m.End]) != m.ScreenName {
				t.Fatalf("mention %+v does not slice back", m)
			}
		}
		for _, u := range e.URLs {
			if u.Start < 0 || u.End > n || u.Start >= u.End {
				t.Fatalf("url %+v out of range for %d code points", u, n)
			}
			if string(rs[u.Start:u.End]) != u.URL {
				t.Fatalf("url %+v does not slice back", u)
			}
		}
		if w := WeightedLength(text); w < 0 {
			t.Fatalf("WeightedLength = %d", w)
		}
		_ = NormalizeHashtag(text)
	})
}
