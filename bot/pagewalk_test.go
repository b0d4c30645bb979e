package bot

import "testing"

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
