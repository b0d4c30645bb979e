//go:build !crashpoint

package crashpoint

import "testing"

// A binary built without the tag survives the point its environment names.
func TestHitWithoutTheTagDoesNothing(t *testing.T) {
	if err := hitInChild(t, "TestHitWithoutTheTagDoesNothing"); err != nil {
		t.Fatalf("a build without -tags crashpoint died at a crash point: %v", err)
	}
}
