// Package typo finds what a mistyped word was meant to be: the key a
// configuration misspelt, the hashtag a cardholder misspelt. One rule of
// closeness serves both, so that what counts as a typo is the same
// everywhere.
package typo

// MaxDistance is the most letters a name Suggest returns differs by.
const MaxDistance = 3

// Suggest returns the name in names closest to s, when it is close enough
// to be a typo (at most a third of its letters off, and never more than 3),
// or "" when none is. The first of equally close names wins.
func Suggest(s string, names []string) string {
	best, bestD := "", 0
	for _, n := range names {
		d := Distance(s, n)
		if best == "" || d < bestD {
			best, bestD = n, d
		}
	}
	limit := min(MaxDistance, max(1, len([]rune(s))/3))
	if best == "" || bestD > limit {
		return ""
	}
	return best
}

// Distance is the Damerau-Levenshtein distance (optimal string
// alignment) between a and b, in runes: a swapped pair of letters, the
// commonest typo, counts as one.
func Distance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
