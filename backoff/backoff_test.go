package backoff

import (
	"testing"
	"time"
)

func TestWaitDoublesUpToMaxWithJitter(t *testing.T) {
	for _, tc := range []struct {
		n    int
		full time.Duration
	}{
		{-1, time.Second}, {0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second},
		{6, 32 * time.Second}, {7, time.Minute}, {8, time.Minute}, {1000, time.Minute},
	} {
		lo, hi := tc.full, time.Duration(0)
		for range 500 {
			d := Wait(tc.n)
			if d < tc.full/2 || d > tc.full {
				t.Fatalf("Wait(%d) = %s, want between %s and %s", tc.n, d, tc.full/2, tc.full)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Jitter: 500 draws from a range of half the wait never all land
		// in one tenth of it.
		if hi-lo < tc.full/10 {
			t.Errorf("Wait(%d) ranged only %s to %s in 500 draws: no jitter", tc.n, lo, hi)
		}
	}
}
