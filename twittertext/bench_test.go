package twittertext

import "testing"

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
