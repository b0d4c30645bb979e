package twittertext

import (
	"strings"
	"testing"
)

// BenchmarkExtract measures reading the entities of a typical tweet, as
// the emulator does for every tweet it stores.
func BenchmarkExtract(b *testing.B) {
	text := "@AmexOffers ＃ＢｕｙＫｉｎｄｌｅＦｉｒｅＨＤ please, see https://example.com/#notATag and #ConfirmKindleFireHD"
	b.ReportAllocs()
	for b.Loop() {
		Extract(text)
	}
}

// BenchmarkWeightedLength measures the length check every reply passes.
func BenchmarkWeightedLength(b *testing.B) {
	text := "@alice Buy Kindle Fire HD for 199.00 USD on your card ending 1005? Reply #ConfirmKindleFireHD within 15 min to confirm. Order ord_06h1nxcagh5gaqpc 日本語"
	b.ReportAllocs()
	for b.Loop() {
		WeightedLength(text)
	}
}

// BenchmarkExtractLongDM measures the worst a direct message can ask of
// URL extraction: 10,000 characters of CJK text, where a URL may start at
// every character, with sentence dots throughout.
func BenchmarkExtractLongDM(b *testing.B) {
	text := strings.Repeat(strings.Repeat("日本語", 33)+"。.", 10000/101)
	b.ReportAllocs()
	for b.Loop() {
		Extract(text)
	}
}
