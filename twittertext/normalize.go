package twittertext

import (
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// NormalizeHashtag returns the form under which two hashtags are the same
// hashtag: without a leading '#' or '＃', NFKC-normalised (so fullwidth
// letters become ASCII) and case-folded. It never fails; an empty string
// normalises to "".
func NormalizeHashtag(s string) string {
	s = strings.TrimPrefix(s, "#")
	s = strings.TrimPrefix(s, "＃")
	s = norm.NFKC.String(s)
	// A cases.Caser keeps state, so one per call keeps the function safe for
	// concurrent use. Folding may produce text that NFKC changes again
	// (NFKC_Casefold does the same second pass).
	s = cases.Fold().String(s)
	return norm.NFKC.String(s)
}
