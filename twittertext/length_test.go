package twittertext

import (
	"strings"
	"testing"
)

func TestWeightedLength(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "hello", 5},
		{"latin accents", "café", 4},
		{"decomposed accent is NFC-normalised", "cafe\u0301", 4},
		{"cjk weighs two", "日本語", 6},
		{"hangul syllables weigh two", "한국", 4},
		{"general punctuation weighs one", "\u2018quoted\u2019", 8},
		{"ellipsis weighs two", "\u2026", 2},
		{"fullwidth weighs two", "ＢＵＹ", 6},
		{"url weighs 23", "https://example.com/a/very/long/path/that/is/long", 23},
		{"url and text", "see https://example.com ok", 4 + 23 + 3},
		{"emoji", "👍", 2},
		{"emoji with skin tone", "👍🏽", 2},
		{"zwj family", "👨\u200d👩\u200d👧", 2},
		{"heart with selector", "\u2764\uFE0F", 2},
		{"arrow emoji that is not So", "\u2194\uFE0F", 2},
		{"double exclamation emoji", "\u203C\uFE0F", 2},
		{"selector after a non-emoji", "日\uFE0F", 4},
		{"query of a url without protocol is text", "example.com?q=1", 23 + 4},
		{"flag", "🇫🇷", 2},
		{"keycap", "#\uFE0F\u20E3", 2},
		{"cyrillic weighs one", "привет", 6},
		{"url without protocol weighs 23", "amazon.com", 23},
		{"url without protocol and path weighs 23", "buy at amazon.com/kindle", 7 + 23},
		{"not a top-level domain", "notes.comm", 10},
		{"label over 63 is not a url", "https://" + strings.Repeat("a", 64) + ".com", 8 + 64 + 4},
		{"keycap without its selector", "1\u20E3", 2},
		{"directional marks weigh two", "\u2066amazon.com\u2069", 2 + 23 + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WeightedLength(tt.text); got != tt.want {
				t.Errorf("WeightedLength(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestFitsTweet(t *testing.T) {
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"280 ascii", strings.Repeat("a", 280), true},
		{"281 ascii", strings.Repeat("a", 281), false},
		{"140 cjk", strings.Repeat("日", 140), true},
		{"141 cjk", strings.Repeat("日", 141), false},
		{"long url counts 23", strings.Repeat("a", 256) + " https://example.com/" + strings.Repeat("x", 300), true},
		{"blank", "  \n ", false},
		{"empty", "", false},
		{"invalid character", "hi\uFFFE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FitsTweet(tt.text); got != tt.want {
				t.Errorf("FitsTweet(%q...) = %v, want %v (weighted %d)", tt.text[:min(len(tt.text), 20)], got, tt.want, WeightedLength(tt.text))
			}
		})
	}
}
