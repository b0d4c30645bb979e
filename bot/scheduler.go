package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/robfig/cron/v3"

	"github.com/paybytweet/paybytweet/config"
)

// scheduler runs the scheduled jobs (the polls, expiry, announcements,
// retention) on the schedules the configuration gives them, and a
// catch-up (announce, poll) at once whenever the schedules start or
// change: an operator restarting the box expects the bot to catch up
// without waiting for the first tick. A job still running when its next
// tick comes skips that tick; a job that panics is logged and runs again
// at its next.
type scheduler struct {
	schedulerDeps

	mu      sync.Mutex
	cron    *cron.Cron // the schedules in force; nil before Run and after it
	started bool       // Run has started the schedules
	stopped bool       // Run has stopped them for good
	// running counts the catch-up runs and the replaced schedules' jobs
	// still running, which Run waits for before it returns.
	running sync.WaitGroup
}

// scheduledJob is one job and where the configuration gives its schedule
// (a robfig/cron spec).
type scheduledJob struct {
	name string
	spec func(*config.Config) string
	run  func()
}

// schedulerDeps is what a scheduler is made of.
type schedulerDeps struct {
	jobs    []scheduledJob
	catchUp func()
	// config gives the configuration the last reload left.
	config func() *config.Config
	log    *slog.Logger
}

func newScheduler(d schedulerDeps) *scheduler {
	d.log = d.log.With("component", "cron")
	return &scheduler{schedulerDeps: d}
}

// check returns an error when a schedule of the configuration in force
// does not parse.
func (s *scheduler) check() error {
	_, err := s.build()
	return err
}

// Run starts the schedules and the catch-up, and when ctx ends stops
// them and returns once the jobs still running have finished.
func (s *scheduler) Run(ctx context.Context) {
	s.mu.Lock()
	if ctx.Err() == nil {
		s.started = true
		if err := s.replace(true); err != nil {
			s.log.Error("schedules not started", "err", err)
		}
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	s.stopped = true
	c := s.cron
	s.cron = nil
	s.mu.Unlock()
	var jobs context.Context
	if c != nil {
		jobs = c.Stop()
	}
	s.log.Debug("schedules stopped; waiting for the jobs still running")
	if jobs != nil {
		<-jobs.Done()
	}
	s.running.Wait()
}

// reschedule puts the configuration's schedules in force in place of the
// ones running (a reload changed them), and runs the catch-up. It returns
// an error, and leaves the schedules as they were, when one does not
// parse. Before Run and after it, it does nothing.
func (s *scheduler) reschedule() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped {
		return nil
	}
	return s.replace(true)
}

// retime puts the schedules in force anew, as reschedule does, without
// the catch-up: the polls' pace changed with push's health, and whoever
// changed it has polled already.
func (s *scheduler) retime() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped {
		return nil
	}
	return s.replace(false)
}

// replace starts the configuration's schedules in place of the ones in
// force, and the catch-up when catchUp; s.mu is held.
func (s *scheduler) replace(catchUp bool) error {
	c, err := s.build()
	if err != nil {
		return err
	}
	if old := s.cron; old != nil {
		// Its running jobs finish before Run returns, without holding
		// the lock meanwhile.
		stopped := old.Stop()
		s.running.Add(1)
		go func() {
			defer s.running.Done()
			<-stopped.Done()
		}()
	}
	s.cron = c
	c.Start()
	if !catchUp {
		return nil
	}
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		s.catchUp()
	}()
	return nil
}

// build returns the configuration's schedules, not started. It returns
// an error when one does not parse.
func (s *scheduler) build() (*cron.Cron, error) {
	cfg := s.config()
	logger := cron.PrintfLogger(slogPrintf{s.log})
	c := cron.New(cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	for _, j := range s.jobs {
		spec := j.spec(cfg)
		if _, err := c.AddFunc(spec, j.run); err != nil {
			return nil, fmt.Errorf("schedule %s %q: %w", j.name, spec, err)
		}
	}
	return c, nil
}

// slogPrintf gives cron's log lines to a slog.Logger.
type slogPrintf struct{ l *slog.Logger }

func (s slogPrintf) Printf(format string, args ...any) { s.l.Info(fmt.Sprintf(format, args...)) }
