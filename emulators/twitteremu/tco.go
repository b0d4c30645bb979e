package twitteremu

import (
	"fmt"
	"hash/fnv"
	"strings"
	"unicode"

	"github.com/paybytweet/paybytweet/twittertext"
)

const (
	tcoPrefix = "https://t.co/"
	// compatLength is the classic 140-character limit past which a Tweet
	// served without tweet_mode=extended is truncated.
	compatLength = 140
)

// renderedText is a text as Twitter returns it: URLs replaced by t.co links
// and entity indices moved accordingly.
type renderedText struct {
	runes    []rune
	hashtags []twittertext.Hashtag
	mentions []twittertext.Mention
	mentionU []int64
	urls     []urlJSON
}

// tcoLink derives a stable 23-character t.co link for the n-th URL of the
// object with the given id.
func tcoLink(id int64, n int, original string) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%s", id, n, original)
	v := h.Sum64()
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	b.WriteString(tcoPrefix)
	for range 10 {
		b.WriteByte(alphabet[v%62])
		v /= 62
	}
	return b.String()
}

func displayURL(u string) string {
	d := u
	for _, p := range []string{"https://", "http://", "HTTPS://", "HTTP://"} {
		d = strings.TrimPrefix(d, p)
	}
	d = strings.TrimPrefix(d, "www.")
	if rs := []rune(d); len(rs) > 26 {
		d = string(rs[:26]) + "…"
	}
	return d
}

// render wraps the URLs of text in t.co links, as Twitter does for every
// link in a Tweet or direct message, and shifts the other entities.
func render(id int64, text string, ents twittertext.Entities, mentionIDs []int64) renderedText {
	src := []rune(text)
	out := renderedText{runes: make([]rune, 0, len(src))}
	// shift maps an index in src to the index in the rendered text; it only
	// has to be right outside URLs, where the other entities are.
	type delta struct{ at, by int }
	var deltas []delta
	pos := 0
	for i, u := range ents.URLs {
		out.runes = append(out.runes, src[pos:u.Start]...)
		link := tcoLink(id, i, u.URL)
		start := len(out.runes)
		out.runes = append(out.runes, []rune(link)...)
		out.urls = append(out.urls, urlJSON{
			URL: link, ExpandedURL: u.URL, DisplayURL: displayURL(u.URL),
			Indices: [2]int{start, len(out.runes)},
		})
		deltas = append(deltas, delta{u.End, len(out.runes) - u.End})
		pos = u.End
	}
	out.runes = append(out.runes, src[pos:]...)
	shift := func(i int) int {
		by := 0
		for _, d := range deltas {
			if i >= d.at {
				by = d.by
			}
		}
		return i + by
	}
	for _, h := range ents.Hashtags {
		out.hashtags = append(out.hashtags, twittertext.Hashtag{Text: h.Text, Start: shift(h.Start), End: shift(h.End)})
	}
	for i, m := range ents.Mentions {
		out.mentions = append(out.mentions, twittertext.Mention{ScreenName: m.ScreenName, Start: shift(m.Start), End: shift(m.End)})
		out.mentionU = append(out.mentionU, mentionIDs[i])
	}
	return out
}

// truncateCompat shortens a rendered Tweet longer than 140 characters the
// way Twitter serves it without tweet_mode=extended: cut at a word boundary
// outside any entity, "… " and a t.co link to the Tweet, keeping only the
// entities before the cut. It reports whether it truncated.
func (r *renderedText) truncateCompat(id int64) bool {
	if len(r.runes) <= compatLength {
		return false
	}
	link := tcoLink(id, -1, "status")
	cut := compatLength - 2 - len(link)
	inside := func(k int) (int, bool) {
		for _, h := range r.hashtags {
			if h.Start < k && k < h.End {
				return h.Start, true
			}
		}
		for _, m := range r.mentions {
			if m.Start < k && k < m.End {
				return m.Start, true
			}
		}
		for _, u := range r.urls {
			if u.Indices[0] < k && k < u.Indices[1] {
				return u.Indices[0], true
			}
		}
		return 0, false
	}
	if start, ok := inside(cut); ok {
		cut = start
	}
	word := cut
	for word > 0 && !unicode.IsSpace(r.runes[word]) && !unicode.IsSpace(r.runes[word-1]) {
		word--
	}
	if word > 0 {
		cut = word
	}
	kept := []rune(strings.TrimRightFunc(string(r.runes[:cut]), unicode.IsSpace))
	cut = len(kept)
	r.runes = append(append(kept, []rune("… ")...), []rune(link)...)

	var hs []twittertext.Hashtag
	for _, h := range r.hashtags {
		if h.End <= cut {
			hs = append(hs, h)
		}
	}
	var ms []twittertext.Mention
	var mu []int64
	for i, m := range r.mentions {
		if m.End <= cut {
			ms = append(ms, m)
			mu = append(mu, r.mentionU[i])
		}
	}
	var us []urlJSON
	for _, u := range r.urls {
		if u.Indices[1] <= cut {
			us = append(us, u)
		}
	}
	web := fmt.Sprintf("https://twitter.com/i/web/status/%d", id)
	us = append(us, urlJSON{URL: link, ExpandedURL: web, DisplayURL: displayURL(web), Indices: [2]int{cut + 2, cut + 2 + len([]rune(link))}})
	r.hashtags, r.mentions, r.mentionU, r.urls = hs, ms, mu, us
	return true
}

// htmlEscape escapes what Twitter escapes in v1.1 Tweet text; entity
// indices keep counting the unescaped text, as on Twitter.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
