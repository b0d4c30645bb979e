package twittertext

import (
	"reflect"
	"strings"
	"testing"
)

func hashtagTexts(e Entities) []string {
	out := []string{}
	for _, h := range e.Hashtags {
		out = append(out, h.Text)
	}
	return out
}

func TestExtractHashtags(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Hashtag
	}{
		{"plain", "#BuyKindle", []Hashtag{{"BuyKindle", 0, 10}}},
		{"after mention", "@bot #BuyKindle please", []Hashtag{{"BuyKindle", 5, 15}}},
		{"fullwidth sign", "＃BuyKindle", []Hashtag{{"BuyKindle", 0, 10}}},
		{"fullwidth letters", "＃ＢｕｙＫｉｎｄｌｅ", []Hashtag{{"ＢｕｙＫｉｎｄｌｅ", 0, 10}}},
		{"lowercase", "#buykindle", []Hashtag{{"buykindle", 0, 10}}},
		{"two", "#a #b", []Hashtag{{"a", 0, 2}, {"b", 3, 5}}},
		{"comma separated", "#a,#b", []Hashtag{{"a", 0, 2}, {"b", 3, 5}}},
		{"word internal", "abc#Tag", nil},
		{"after ampersand", "&#39;s", nil},
		{"after underscore", "a_#Tag", nil},
		{"all digits", "#123", nil},
		{"fullwidth digits", "#１２３", nil},
		{"digits then letters", "#1st", []Hashtag{{"1st", 0, 4}}},
		{"underscore", "#buy_it", []Hashtag{{"buy_it", 0, 7}}},
		{"ends at punctuation", "#Buy!", []Hashtag{{"Buy", 0, 4}}},
		{"ends at hyphen", "#Buy-it", []Hashtag{{"Buy", 0, 4}}},
		{"followed by hash", "#foo#bar", nil},
		{"followed by fullwidth hash", "#foo＃bar", nil},
		{"followed by scheme", "#http://x.com", nil},
		{"keycap", "#\uFE0F\u20E3 #ok", []Hashtag{{"ok", 4, 7}}},
		{"lone sign", "# #", nil},
		{"url fragment", "https://example.com/page#BuyX", nil},
		{"url slash fragment", "https://example.com/#BuyX", nil},
		{"fragment of a url without protocol", "shop.example.com/#BuyX", nil},
		{"after url", "https://example.com/page #BuyX", []Hashtag{{"BuyX", 25, 30}}},
		{"cjk", "#日本語 ok", []Hashtag{{"日本語", 0, 4}}},
		{"accented with combining mark", "#cafe\u0301", []Hashtag{{"cafe\u0301", 0, 6}}},
		{"emoji before counts code points", "👍 #Buy", []Hashtag{{"Buy", 2, 6}}},
		{"zwnj inside", "#a\u200cb", []Hashtag{{"a\u200cb", 0, 4}}},
		{"after text selector", "\u2764\uFE0F#Buy", []Hashtag{{"Buy", 2, 6}}},
		{"selector taken by a refused hashtag", "#a\uFE0F#Buy", nil},
		{"selector then space", "#a\uFE0F #Buy", []Hashtag{{"a\uFE0F", 0, 3}, {"Buy", 4, 8}}},
		{"in parentheses", "(#Buy)", []Hashtag{{"Buy", 1, 5}}},
		{"after newline", "hi\n#Buy", []Hashtag{{"Buy", 3, 7}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.text).Hashtags
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract(%q).Hashtags = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestExtractMentions(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Mention
	}{
		{"plain", "@bot hi", []Mention{{"bot", 0, 4}}},
		{"fullwidth at", "＠bot hi", []Mention{{"bot", 0, 4}}},
		{"two", "@a @b_2", []Mention{{"a", 0, 2}, {"b_2", 3, 7}}},
		{"email", "me@example.com", nil},
		{"after alnum", "x@bot", nil},
		{"double at", "@@bot", nil},
		{"followed by at", "@bot@x", nil},
		{"followed by scheme", "@bot://x", nil},
		{"followed by latin accent", "@boté", nil},
		{"list", "@bot/mylist", nil},
		{"slash digit is not a list", "@bot/1", []Mention{{"bot", 0, 4}}},
		{"retweet prefix", "RT @alice: hi", []Mention{{"alice", 3, 9}}},
		{"glued RT", "RT@alice", []Mention{{"alice", 2, 8}}},
		{"glued RT colon", "RT:@alice", []Mention{{"alice", 3, 9}}},
		{"glued ART is not RT", "ART@alice", nil},
		{"RT taken by a refused mention", "@RT@alice", nil},
		{"colon after a mention", "@RT:@alice", []Mention{{"RT", 0, 3}, {"alice", 4, 10}}},
		{"RT after a mention and a space", "@a RT@alice", []Mention{{"a", 0, 2}, {"alice", 5, 11}}},
		{"punctuation before", "(@bot)", []Mention{{"bot", 1, 5}}},
		{"after cjk", "日本@bot", []Mention{{"bot", 2, 6}}},
		{"long run takes twenty", "@abcdefghijklmnopqrstuvwxyz", []Mention{{"abcdefghijklmnopqrst", 0, 21}}},
		{"inside url", "https://example.com/@bot", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.text).Mentions
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract(%q).Mentions = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestExtractURLs(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []URL
	}{
		{"plain", "see https://example.com/a?b=c", []URL{{"https://example.com/a?b=c", 4, 29}}},
		{"http", "http://example.com", []URL{{"http://example.com", 0, 18}}},
		{"upper scheme", "HTTPS://Example.com/x", []URL{{"HTTPS://Example.com/x", 0, 21}}},
		{"trailing period", "go to https://example.com/a.", []URL{{"https://example.com/a", 6, 27}}},
		{"trailing punctuation", "https://example.com/a?!,", []URL{{"https://example.com/a", 0, 21}}},
		{"host then period", "https://example.com.", []URL{{"https://example.com", 0, 19}}},
		{"in parentheses", "(https://example.com/a)", []URL{{"https://example.com/a", 1, 22}}},
		{"balanced parentheses", "https://en.wikipedia.org/wiki/Go_(game)", []URL{{"https://en.wikipedia.org/wiki/Go_(game)", 0, 39}}},
		{"fragment", "https://example.com/page#BuyX", []URL{{"https://example.com/page#BuyX", 0, 29}}},
		{"port", "http://example.com:8080/x", []URL{{"http://example.com:8080/x", 0, 25}}},
		{"no dot", "http://localhost/x", nil},
		{"glued to word", "xhttps://example.com", nil},
		{"after hash", "#https://example.com", nil},
		{"two", "https://a.io https://b.io", []URL{{"https://a.io", 0, 12}, {"https://b.io", 13, 25}}},
		{"cjk ends it", "https://example.com/a日本", []URL{{"https://example.com/a", 0, 21}}},
		{"quote ends it", `"https://example.com/a"`, []URL{{"https://example.com/a", 1, 22}}},
		{"no protocol", "buy at amazon.com today", []URL{{"amazon.com", 7, 17}}},
		{"no protocol, path and query", "shop.example.org/kindle?x=1 ok", []URL{{"shop.example.org/kindle?x=1", 0, 27}}},
		{"no protocol, country domain", "www.example.co.uk", []URL{{"www.example.co.uk", 0, 17}}},
		{"no protocol, inside cjk", "見てamazon.co.jpです", []URL{{"amazon.co.jp", 2, 14}}},
		{"no protocol, upper case", "AMAZON.COM", []URL{{"AMAZON.COM", 0, 10}}},
		{"no protocol, unknown top-level domain", "see report.xyzq and notes.comm", nil},
		{"no protocol, after a lone hyphen", "pre -amazon.com", nil},
		{"hyphen inside a label", "pre-amazon.com", []URL{{"pre-amazon.com", 0, 14}}},
		{"no protocol, after underscore", "x_amazon.com", nil},
		{"no protocol, after slash", "a/amazon.com", nil},
		{"no protocol, after space after a broken protocol", "http:// amazon.com/x", []URL{{"amazon.com/x", 8, 20}}},
		{"unicode host", "http://例え.jp/a", []URL{{"http://例え.jp/a", 0, 14}}},
		{"unicode top-level domain", "https://shop.みんな/x", []URL{{"https://shop.みんな/x", 0, 18}}},
		{"wildcard country domain", "https://shop.com.pg", []URL{{"https://shop.com.pg", 0, 19}}},
		{"label over 63", "https://" + strings.Repeat("a", 64) + ".com", nil},
		{"underscore in the domain", "http://my_shop.com", nil},
		{"underscore in a subdomain", "http://a_b.shop.com", []URL{{"http://a_b.shop.com", 0, 19}}},
		{"t.co slug ends at a quote", "https://t.co/abc123's", []URL{{"https://t.co/abc123", 0, 19}}},
		{"t.co slug over 40", "https://t.co/" + strings.Repeat("a", 41), nil},
		{"after emoji", "👍https://example.com", []URL{{"https://example.com", 1, 20}}},
		{"no protocol, query without path is left out", "example.com?q=1", []URL{{"example.com", 0, 11}}},
		{"no protocol, port without path is left out", "example.com:80 ok", []URL{{"example.com", 0, 11}}},
		{"no protocol, port with path", "example.com:80/x", []URL{{"example.com:80/x", 0, 16}}},
		{"parentheses after '@' end the path", "https://example.com/a@(bob)", []URL{{"https://example.com/a", 0, 21}}},
		{"parentheses after '.' end the path", "https://example.com/a.(b) ok", []URL{{"https://example.com/a", 0, 21}}},
		{"parentheses after a letter", "https://example.com/a(b)(c)", []URL{{"https://example.com/a(b)(c)", 0, 27}}},
		{"parentheses inside the path", "https://example.com/a.(b)c", []URL{{"https://example.com/a.(b)c", 0, 26}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.text).URLs
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract(%q).URLs = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestExtractMixed(t *testing.T) {
	text := "@PayBot #BuyKindle https://shop.example.com/p#BuyOther ＃ｃｏｎｆｉｒｍ abc#No"
	e := Extract(text)
	if got, want := hashtagTexts(e), []string{"BuyKindle", "ｃｏｎｆｉｒｍ"}; !reflect.DeepEqual(got, want) {
		t.Errorf("hashtags = %q, want %q", got, want)
	}
	if len(e.Mentions) != 1 || e.Mentions[0].ScreenName != "PayBot" {
		t.Errorf("mentions = %+v", e.Mentions)
	}
	if len(e.URLs) != 1 || e.URLs[0].URL != "https://shop.example.com/p#BuyOther" {
		t.Errorf("urls = %+v", e.URLs)
	}
	// Indices must slice the text back to the entity, in code points.
	rs := []rune(text)
	for _, h := range e.Hashtags {
		if got := string(rs[h.Start+1 : h.End]); got != h.Text {
			t.Errorf("hashtag indices %d..%d give %q, want %q", h.Start, h.End, got, h.Text)
		}
	}
}

func TestExtractEmptySlicesNotNil(t *testing.T) {
	e := Extract("nothing here")
	if e.Hashtags == nil || e.Mentions == nil || e.URLs == nil {
		t.Fatalf("Extract returned nil slices: %+v", e)
	}
}
