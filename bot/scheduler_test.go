package bot

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
)

// never is a cron spec that never fires: February the 30th.
const never = "0 0 30 2 *"

// schedulerRig is a scheduler of two jobs, x on the configuration's
// expiry schedule and y on its announcement schedule, each reporting its
// runs on a channel, as the catch-up does.
type schedulerRig struct {
	s       *scheduler
	cfg     atomic.Pointer[config.Config]
	x, y    chan struct{}
	catchUp chan struct{}
	xRuns   atomic.Int64
	logged  chan string // the scheduler's log messages
}

// newSchedulerRig returns a rig with x and y on those schedules; x runs
// xRun after it reports, when not nil.
func newSchedulerRig(xSpec, ySpec string, xRun func()) *schedulerRig {
	r := &schedulerRig{x: make(chan struct{}, 100), y: make(chan struct{}, 100), catchUp: make(chan struct{}, 100), logged: make(chan string, 100)}
	r.setSpecs(xSpec, ySpec)
	r.s = newScheduler(schedulerDeps{
		config: r.cfg.Load, log: slog.New(messageHandler{r.logged}),
		jobs: []scheduledJob{
			{"x", func(c *config.Config) string { return c.Schedules.Expiry }, func() {
				r.xRuns.Add(1)
				r.x <- struct{}{}
				if xRun != nil {
					xRun()
				}
			}},
			{"y", func(c *config.Config) string { return c.Schedules.Announce }, func() { r.y <- struct{}{} }},
		},
		catchUp: func() { r.catchUp <- struct{}{} },
	})
	return r
}

func (r *schedulerRig) setSpecs(x, y string) {
	cfg := &config.Config{}
	cfg.Schedules.Expiry, cfg.Schedules.Announce = x, y
	r.cfg.Store(cfg)
}

// run starts the scheduler; the channel returned is closed when Run
// returns, which it must have when the test ends.
func (r *schedulerRig) run(t *testing.T) (context.CancelFunc, chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		r.s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-returned
	})
	return cancel, returned
}

// await waits for an event on ch.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("waited 20s for %s", what)
		var zero T
		return zero
	}
}

// messageHandler reports each log record's message on a channel.
type messageHandler struct{ ch chan<- string }

func (h messageHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h messageHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.ch <- r.Message:
	default:
	}
	return nil
}
func (h messageHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h messageHandler) WithGroup(string) slog.Handler      { return h }

// TestSchedulerRunsTheCatchUpAtOnceAndJobsOnTheirSchedules: Run catches
// up at once, runs a job on its schedule (every second), and never one
// whose schedule has not come.
func TestSchedulerRunsTheCatchUpAtOnceAndJobsOnTheirSchedules(t *testing.T) {
	t.Parallel()
	r := newSchedulerRig("@every 1s", never, nil)
	r.run(t)
	await(t, r.catchUp, "the catch-up")
	await(t, r.x, "x's first run")
	await(t, r.x, "x's second run")
	if len(r.y) != 0 || len(r.catchUp) != 0 {
		t.Errorf("y ran %d times, the catch-up %d more; want neither", len(r.y), len(r.catchUp))
	}
}

// TestSchedulerRescheduleReplacesTheJobs: after a reload swaps the two
// schedules, y runs on x's old one, x no longer runs, and the catch-up
// runs again at once.
func TestSchedulerRescheduleReplacesTheJobs(t *testing.T) {
	t.Parallel()
	r := newSchedulerRig("@every 1s", never, nil)
	if err := r.s.reschedule(); err != nil { // before Run: nothing to do
		t.Fatal(err)
	}
	r.run(t)
	await(t, r.catchUp, "the catch-up")
	await(t, r.x, "x's first run")

	r.setSpecs(never, "@every 1s")
	if err := r.s.reschedule(); err != nil {
		t.Fatal(err)
	}
	before := r.xRuns.Load()
	await(t, r.catchUp, "the catch-up after the reload")
	await(t, r.y, "y's first run")
	await(t, r.y, "y's second run") // two seconds of the new schedules
	// One run of x may have begun as the old schedules stopped; on them
	// x would have run twice by now.
	if n := r.xRuns.Load() - before; n > 1 {
		t.Errorf("x ran %d times after the reload; want it unscheduled", n)
	}

	r.setSpecs("not a spec", "@every 1s")
	if err := r.s.reschedule(); err == nil {
		t.Error("a spec that does not parse was put in force")
	}
	await(t, r.y, "y's run on the schedules left in force")
}

// TestSchedulerRunWaitsForARunningJob: when its context ends while a job
// runs, Run stops the schedules and returns only once the job is done.
func TestSchedulerRunWaitsForARunningJob(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var finished atomic.Bool
	var once sync.Once
	r := newSchedulerRig("@every 1s", never, func() {
		once.Do(func() {
			<-release
			finished.Store(true)
		})
	})
	cancel, returned := r.run(t)
	await(t, r.x, "x's run")
	cancel()
	for msg := ""; msg != "schedules stopped; waiting for the jobs still running"; {
		msg = await(t, r.logged, "the schedules to stop")
	}
	select {
	case <-returned:
		t.Fatal("Run returned while a job was running")
	default:
	}
	close(release)
	await(t, returned, "Run to return")
	if !finished.Load() {
		t.Error("Run returned before the running job finished")
	}
}
