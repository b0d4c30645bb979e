//go:build crashpoint

package crashpoint

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
)

// A crashpoint build is killed at the point its environment names.
func TestHitKills(t *testing.T) {
	err := hitInChild(t, "TestHitKills")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", err)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]struct {
		name string
		n    int
	}{"after-post": {"after-post", 1}, "after-post:3": {"after-post", 3}, "after-post:x": {"after-post", 1}, "": {"", 1}} {
		if name, n := parse(in); name != want.name || n != want.n {
			t.Errorf("parse(%q) = %q, %d", in, name, n)
		}
	}
}
