package twittertext

import "testing"

func TestNormalizeHashtag(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"＃ＢｕｙＫｉｎｄｌｅＦｉｒｅＨＤ", "buykindlefirehd"},
		{"#buykindlefirehd", "buykindlefirehd"},
		{"BuyKindleFireHD", "buykindlefirehd"},
		{"#Straße", "strasse"},
		{"#cafe\u0301", "café"},
		{"#Ｃｏｎｆｉｒｍ１", "confirm1"},
		{"", ""},
		{"#", ""},
		{"##x", "#x"},
	}
	for _, tt := range tests {
		if got := NormalizeHashtag(tt.in); got != tt.want {
			t.Errorf("NormalizeHashtag(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeExtractedFullwidthMatchesOffer(t *testing.T) {
	e := Extract("@bot ＃ＢｕｙＫｉｎｄｌｅＦｉｒｅＨＤ")
	if len(e.Hashtags) != 1 {
		t.Fatalf("hashtags = %+v, want one", e.Hashtags)
	}
	if got := NormalizeHashtag(e.Hashtags[0].Text); got != NormalizeHashtag("#BuyKindleFireHD") {
		t.Errorf("normalised %q, want it equal to the offer's", got)
	}
}
