package bot

import (
	"math"
	"testing"
)

// TestWalkGuard: pages are newest first, each older than the one before,
// and no token comes twice; anything else is a walk in a circle.
func TestWalkGuard(t *testing.T) {
	pg := func(newest, oldest int64, next string) polledPage {
		return polledPage{newest: newest, oldest: oldest, next: next}
	}
	tests := []struct {
		name   string
		start  string // the token a resumed walk starts with
		pages  []polledPage
		broken int // the page that breaks the walk, -1 for none
	}{
		{"a straight walk", "", []polledPage{pg(900, 801, "a"), pg(800, 701, "b"), pg(700, 601, "c")}, -1},
		{"empty pages with new tokens", "", []polledPage{pg(0, 0, "a"), pg(0, 0, "b")}, -1},
		{"a token comes back", "", []polledPage{pg(900, 801, "a"), pg(800, 701, "a")}, 1},
		{"a token comes back later", "", []polledPage{pg(900, 801, "a"), pg(800, 701, "b"), pg(700, 601, "a")}, 2},
		{"the resumed walk's token comes back", "x", []polledPage{pg(900, 801, "x")}, 0},
		{"the first page again", "", []polledPage{pg(900, 801, "a"), pg(900, 801, "b")}, 1},
		{"an overlapping page", "", []polledPage{pg(900, 801, "a"), pg(801, 750, "b")}, 1},
		{"a newer page", "", []polledPage{pg(900, 801, "a"), pg(1000, 950, "b")}, 1},
	}
	for _, tt := range tests {
		var g walkGuard
		if tt.start != "" {
			g.used(tt.start)
		}
		got := -1
		for i, p := range tt.pages {
			if why := g.check(p); why != "" {
				got = i
				break
			}
		}
		if got != tt.broken {
			t.Errorf("%s: broken at page %d, want %d", tt.name, got, tt.broken)
		}
	}
}

// TestNextCursor: a walk ended by a circle lets what it read be acted on
// (up to its newest id) without claiming it complete; a complete walk
// moves Stored; a walk going on keeps both, and holds back what is
// stored beyond them; with no walk going on, nothing is held back (what
// push stored beyond the last walk came in order).
func TestNextCursor(t *testing.T) {
	tests := []struct {
		name           string
		cur            streamCursor
		done, broken   bool
		stored, actsOn int64
		walking        bool
	}{
		{"going on", streamCursor{Stored: 100}, false, false, 100, 100, true},
		{"complete", streamCursor{Stored: 100}, true, false, 900, 900, false},
		{"in a circle", streamCursor{Stored: 100}, false, true, 100, 900, false},
		{"in a circle again, lower", streamCursor{Stored: 100, Read: 950}, false, true, 100, 950, false},
		{"complete after a circle", streamCursor{Stored: 100, Read: 950}, true, false, 900, 950, false},
		{"going on after a circle", streamCursor{Stored: 100, Read: 950}, false, false, 100, 950, true},
	}
	for _, tt := range tests {
		next := nextCursor(tt.cur, &pageWalk{Top: 900}, "tok", tt.done, tt.broken)
		if next.Stored != tt.stored || next.readUpTo() != tt.actsOn || (next.Walk != nil) != tt.walking {
			t.Errorf("%s: stored %d, read up to %d, walking %v; want %d, %d, %v",
				tt.name, next.Stored, next.readUpTo(), next.Walk != nil, tt.stored, tt.actsOn, tt.walking)
		}
		bound := next.actOnUpTo()
		if (tt.walking && bound != tt.actsOn) || (!tt.walking && bound != math.MaxInt64) {
			t.Errorf("%s: acts on up to %d", tt.name, bound)
		}
	}
}
