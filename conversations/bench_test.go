package conversations

import "testing"

// BenchmarkDecideBuy measures one buy decision, templates rendered: the
// pure part of the processor's work on each mention.
func BenchmarkDecideBuy(b *testing.B) {
	s := situation()
	m := tweet(300, "@AmexOffers #BuyKindleFireHD", "BuyKindleFireHD")
	b.ReportAllocs()
	for b.Loop() {
		Decide(s, m, Classify(m, s.Catalog))
	}
}

// BenchmarkDecideDMHelp measures the longest message the bot composes.
func BenchmarkDecideDMHelp(b *testing.B) {
	s := situation()
	m := dm(300, "help")
	b.ReportAllocs()
	for b.Loop() {
		Decide(s, m, Classify(m, s.Catalog))
	}
}
