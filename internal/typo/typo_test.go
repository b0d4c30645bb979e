package typo

import "testing"

func TestSuggest(t *testing.T) {
	names := []string{"buykindlefirehd", "confirmkindlefirehd", "buygiftcard"}
	for s, want := range map[string]string{
		"bykindlefirehd":      "buykindlefirehd",     // a letter left out
		"buykindelfirehd":     "buykindlefirehd",     // two swapped
		"confrimkindlefirehd": "confirmkindlefirehd", // two swapped
		"buygiftcrad":         "buygiftcard",
		"hello":               "",
		"kindle":              "",
		"buy":                 "",
	} {
		if got := Suggest(s, names); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", s, got, want)
		}
	}
	if got := Suggest("x", nil); got != "" {
		t.Errorf("Suggest among none = %q", got)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"abc", "ab", 1}, {"abc", "xbc", 1}, {"", "abc", 3}, {"ｂｕｙ", "buy", 3},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
