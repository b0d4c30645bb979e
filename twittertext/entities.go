package twittertext

import "sort"

// Hashtag is a hashtag entity. Text excludes the leading '#' or '＃'; Start
// and End are code-point offsets of the whole entity including the sign, End
// exclusive, as in the "indices" of Twitter's JSON.
type Hashtag struct {
	Text       string
	Start, End int
}

// Mention is a user-mention entity. ScreenName excludes the '@' or '＠';
// Start and End are code-point offsets including the sign, End exclusive.
type Mention struct {
	ScreenName string
	Start, End int
}

// URL is a URL entity: the URL as written in the text, with code-point
// offsets, End exclusive.
type URL struct {
	URL        string
	Start, End int
}

// Entities holds the entities of a text, each kind in order of appearance.
type Entities struct {
	Hashtags []Hashtag
	Mentions []Mention
	URLs     []URL
}

// Extract returns the hashtags, user mentions and URLs of text with indices
// in Unicode code points. It never fails: text that holds no entity (or is
// not valid UTF-8) yields empty slices; invalid bytes count as one code point
// each, as []rune(text) converts them.
func Extract(text string) Entities {
	rs := []rune(text)
	urls := extractURLs(rs)
	hashtags := extractHashtags(rs)
	mentions := extractMentions(rs)
	return removeOverlaps(urls, hashtags, mentions)
}

// removeOverlaps drops every entity that starts inside an earlier one, as
// twitter-text does, so that "#frag" inside a URL is not a hashtag.
func removeOverlaps(urls []URL, hashtags []Hashtag, mentions []Mention) Entities {
	type span struct {
		start, end int
		kind       int
		idx        int
	}
	const (
		kindURL = iota
		kindHashtag
		kindMention
	)
	spans := make([]span, 0, len(urls)+len(hashtags)+len(mentions))
	for i, u := range urls {
		spans = append(spans, span{u.Start, u.End, kindURL, i})
	}
	for i, h := range hashtags {
		spans = append(spans, span{h.Start, h.End, kindHashtag, i})
	}
	for i, m := range mentions {
		spans = append(spans, span{m.Start, m.End, kindMention, i})
	}
	// Stable on start so that, for equal starts, URLs win: a URL is what
	// Twitter would wrap in t.co.
	sort.SliceStable(spans, func(a, b int) bool { return spans[a].start < spans[b].start })

	out := Entities{Hashtags: []Hashtag{}, Mentions: []Mention{}, URLs: []URL{}}
	lastEnd := 0
	for _, s := range spans {
		if s.start < lastEnd {
			continue
		}
		lastEnd = s.end
		switch s.kind {
		case kindURL:
			out.URLs = append(out.URLs, urls[s.idx])
		case kindHashtag:
			out.Hashtags = append(out.Hashtags, hashtags[s.idx])
		case kindMention:
			out.Mentions = append(out.Mentions, mentions[s.idx])
		}
	}
	return out
}
