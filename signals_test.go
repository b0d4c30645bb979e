package main

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondSignalExitsAtOnce: the first SIGTERM asks for a clean stop;
// a second one, while that stop is still going, exits at once with 128
// plus the signal's number.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	cancelled := make(chan struct{})
	exited := make(chan int, 1)
	var stderr bytes.Buffer
	go onSignals(sigs, func() { close(cancelled) }, &stderr, func(code int) { exited <- code })

	sigs <- syscall.SIGTERM
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the first SIGTERM did not start a clean stop")
	}
	select {
	case code := <-exited:
		t.Fatalf("the first SIGTERM exited (%d) instead of stopping cleanly", code)
	case <-time.After(50 * time.Millisecond):
	}
	sigs <- syscall.SIGINT
	select {
	case code := <-exited:
		if code != 130 {
			t.Errorf("exit code %d after a second SIGINT, want 130", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not exit")
	}
	if !strings.Contains(stderr.String(), "second interrupt: exiting now") {
		t.Errorf("stderr %q does not say why it exits", stderr.String())
	}
}
