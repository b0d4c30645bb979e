package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/internal/testkit"
)

// stepResult is what a scripted step returns, or panics with.
type stepResult struct {
	busy  bool
	err   error
	panic string
}

// loopRig runs a loop over a scripted step: each call takes the next
// result of script (after the last, the step has nothing to do) and is
// reported on calls, with when it was made.
type loopRig struct {
	calls  chan time.Time
	wake   chan struct{}
	logs   *testkit.Buffer
	cancel context.CancelFunc
	done   chan struct{} // closed when run returned
}

func runLoop(t *testing.T, idle time.Duration, script ...stepResult) *loopRig {
	t.Helper()
	r := &loopRig{calls: make(chan time.Time, 100), wake: make(chan struct{}, 1), logs: &testkit.Buffer{}, done: make(chan struct{})}
	l := loop{log: slog.New(slog.NewTextHandler(r.logs, nil)), idle: idle, wake: r.wake, writesFailing: func() bool { return false }}
	n := 0
	step := func() (bool, time.Duration, error) {
		r.calls <- time.Now()
		if n >= len(script) {
			return false, 0, nil
		}
		res := script[n]
		n++
		if res.panic != "" {
			panic(res.panic)
		}
		return res.busy, 0, res.err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		l.run(ctx, step)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// call waits for the step's next call and returns when it was made.
func (r *loopRig) call(t *testing.T, what string) time.Time {
	t.Helper()
	select {
	case at := <-r.calls:
		return at
	case <-time.After(20 * time.Second):
		t.Fatalf("waited 20s for %s", what)
		return time.Time{}
	}
}

// TestLoopBacksOffWhileTheDatabaseFails: a step that fails twice is
// called again after 1s, then 2s, whatever wakes it meanwhile; the ALERT
// is logged once, the second failure as a warning, and the recovery once.
func TestLoopBacksOffWhileTheDatabaseFails(t *testing.T) {
	t.Parallel() // it waits out 3s of backoff
	failed := errors.New("disk I/O error")
	r := runLoop(t, time.Hour, stepResult{err: failed}, stepResult{err: failed})
	first := r.call(t, "the first call")
	poke(r.wake) // deaf to wake-ups while backing off
	second := r.call(t, "the call after the first failure")
	third := r.call(t, "the call after the second failure")
	if d := second.Sub(first); d < 900*time.Millisecond {
		t.Errorf("called again %s after the first failure; want a 1s backoff", d)
	}
	if d := third.Sub(second); d < 1900*time.Millisecond {
		t.Errorf("called again %s after the second failure; want a 2s backoff", d)
	}
	r.call(t, "the wake-up left over from the backoff")
	logs := r.logs.String()
	if n := strings.Count(logs, "alert=database_unavailable"); n != 1 {
		t.Errorf("%d ALERTs; want one:\n%s", n, logs)
	}
	if n := strings.Count(logs, "the database still refuses work"); n != 1 {
		t.Errorf("%d warnings of further failures; want one:\n%s", n, logs)
	}
	if n := strings.Count(logs, "the database works again"); n != 1 {
		t.Errorf("recovery logged %d times; want once:\n%s", n, logs)
	}
}

// TestLoopRecoversAPanic: a step that panics is logged, and the loop goes
// on: woken, it calls the step again.
func TestLoopRecoversAPanic(t *testing.T) {
	r := runLoop(t, time.Hour, stepResult{panic: "bad row"})
	r.call(t, "the first call")
	poke(r.wake)
	r.call(t, "the call after the panic")
	if logs := r.logs.String(); !strings.Contains(logs, "worker panic; continuing") || !strings.Contains(logs, "bad row") {
		t.Errorf("the panic is not logged:\n%s", logs)
	}
}

// TestLoopRunsTheStepWhenWokenOrBusy: a busy step is called again at
// once; an idle one sleeps (an hour here) until woken, and then is called
// again at once. The loop returns when its context ends.
func TestLoopRunsTheStepWhenWokenOrBusy(t *testing.T) {
	r := runLoop(t, time.Hour, stepResult{busy: true})
	r.call(t, "the first call")
	r.call(t, "the call after a busy step")
	for i := range 3 {
		poke(r.wake)
		r.call(t, "the call after wake-up "+string(rune('1'+i)))
	}
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the loop did not return after its context ended")
	}
}

// TestDBBackoff: 1s, doubling, up to a minute.
func TestDBBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 7: time.Minute, 100: time.Minute} {
		if got := dbBackoff(n); got != want {
			t.Errorf("dbBackoff(%d) = %s; want %s", n, got, want)
		}
	}
}
