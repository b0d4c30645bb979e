package money

import (
	"math"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		wantErr bool
	}{
		{"199.00", "USD", 19900, false},
		{"199", "USD", 19900, false},
		{"199.5", "USD", 19950, false},
		{"0.01", "USD", 1, false},
		{"12.345", "USD", 0, true},
		{"1000", "JPY", 1000, false},
		{"1000.0", "JPY", 0, true},
		{"1.234", "BHD", 1234, false},
		{"1.2345", "BHD", 0, true},
		{"-1.00", "USD", 0, true},
		{"+1.00", "USD", 0, true},
		{"1e3", "USD", 0, true},
		{"1.", "USD", 0, true},
		{".5", "USD", 0, true},
		{"", "USD", 0, true},
		{" 1.00", "USD", 0, true},
		{"1,00", "EUR", 0, true},
		{"1.00", "usd", 0, true},
		{"1.00", "XYZ", 0, true},
		{"92233720368547758.07", "USD", math.MaxInt64, false},
		{"92233720368547758.08", "USD", 0, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.cur)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q, %q) = %d, %v; want %d, error %v", tt.in, tt.cur, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatRoundTrips(t *testing.T) {
	tests := []struct {
		amount int64
		cur    string
		want   string
	}{
		{19900, "USD", "199.00 USD"},
		{5, "USD", "0.05 USD"},
		{1000, "JPY", "1000 JPY"},
		{1234, "BHD", "1.234 BHD"},
		{-250, "EUR", "-2.50 EUR"},
		{math.MinInt64, "USD", "-92233720368547758.08 USD"},
	}
	for _, tt := range tests {
		if got := Format(tt.amount, tt.cur); got != tt.want {
			t.Errorf("Format(%d, %s) = %q, want %q", tt.amount, tt.cur, got, tt.want)
		}
		if tt.amount >= 0 {
			back, err := Parse(FormatNumber(tt.amount, tt.cur), tt.cur)
			if err != nil || back != tt.amount {
				t.Errorf("Parse(FormatNumber(%d)) = %d, %v", tt.amount, back, err)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("199.00", "USD")
	f.Add("7", "JPY")
	f.Fuzz(func(t *testing.T, s, cur string) {
		n, err := Parse(s, cur)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("Parse(%q) = %d, negative", s, n)
		}
		back, err := Parse(FormatNumber(n, cur), cur)
		if err != nil || back != n {
			t.Fatalf("round trip of %q: %d, %v", s, back, err)
		}
	})
}
