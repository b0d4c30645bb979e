package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// loop drives a worker's step until the worker's context ends: what the
// processor, the charger, the sender and the auditor share of running.
// A step returns true when it did something, so the loop goes again at
// once; otherwise the loop sleeps until woken or for the time the step
// asked for, at most idle. A step that returns an error (the database
// failed: a full disk, an I/O error, a lock held elsewhere) makes the
// worker back off, doubling from a second up to a minute and deaf to
// wake-ups, so that it neither spins nor floods the log; it says so once
// when it recovers. A step that panics costs one pause, not the worker.
type loop struct {
	log  *slog.Logger
	idle time.Duration
	// wake is the worker's wake-up: new work was written for it.
	wake <-chan struct{}
	// writesFailing reports that the database's last write failed;
	// *storage.DB.WritesFailing is the real one.
	writesFailing func() bool
}

// run calls step until ctx ends.
func (l loop) run(ctx context.Context, step func() (bool, time.Duration, error)) {
	failures := 0
	for ctx.Err() == nil {
		busy, wait, err := l.safeStep(step)
		if err != nil {
			failures++
			wait = dbBackoff(failures)
			if failures == 1 {
				l.log.Error("ALERT: the database refuses work; backing off until it works again", "alert", "database_unavailable", "retry_in", wait.String(), "err", err)
			} else {
				l.log.Warn("the database still refuses work", "failures", failures, "retry_in", wait.String(), "err", err)
			}
			if !sleep(ctx, wait, nil) {
				return
			}
			continue
		}
		// A step that wrote nothing (a processor whose messages wait
		// for look-ups) says nothing of the disk: the database works
		// again once a write has gone through.
		if failures > 0 && !l.writesFailing() {
			l.log.Info("the database works again", "after_failures", failures)
			failures = 0
		}
		if busy {
			continue
		}
		if wait <= 0 || wait > l.idle {
			wait = l.idle
		}
		sleep(ctx, wait, l.wake)
	}
}

// safeStep keeps one bad row from killing a worker: a panic is logged and
// the worker carries on after a pause.
func (l loop) safeStep(step func() (bool, time.Duration, error)) (busy bool, wait time.Duration, err error) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("worker panic; continuing", "panic", fmt.Sprint(r))
			busy, wait, err = false, l.idle, nil
		}
	}()
	return step()
}

// sleep waits for d, or until woken on wake (nil: never), and returns
// false when ctx ended meanwhile.
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}

// dbBackoff is how long a worker waits after its nth database failure in
// a row: 1s, 2s, 4s ... up to a minute.
func dbBackoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// poke wakes the worker whose wake-up ch is, unless it is woken already.
func poke(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
