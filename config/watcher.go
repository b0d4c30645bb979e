package config

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultWatchInterval is how often a Watcher looks at the file when given
// no interval: well inside the 10 seconds the contract allows.
const DefaultWatchInterval = 2 * time.Second

// settle is how old a file's modification time must be before an unchanged
// stat is trusted to mean unchanged content: file systems with coarse
// timestamps can hold two saves in one tick.
const settle = 2 * time.Second

// Watcher keeps the running configuration and reloads it when the file
// changes (Run) or when asked (Reload, on SIGHUP). A file that does not
// validate is refused and the running configuration stays in force.
type Watcher struct {
	path      string
	interval  time.Duration
	lookupEnv func(string) (string, bool)
	log       *slog.Logger

	current atomic.Pointer[Config]

	mu       sync.Mutex // one reload at a time; guards what follows
	sum      [sha256.Size]byte
	info     os.FileInfo // the stat taken before sum's content was read
	hashedAt time.Time
	readErr  string // the last read error logged, so it is logged once
	subs     []func(old, new *Config, ch Changes)
	checks   []func(next *Config) error
	results  []func(result string)
}

// NewWatcher loads the file at path and returns a Watcher holding it.
// interval is how often Run looks at the file (DefaultWatchInterval when
// not positive); lookupEnv resolves ${NAME} (os.LookupEnv when nil). It
// returns the *Problems of an invalid file, or the error of an unreadable
// one.
func NewWatcher(path string, interval time.Duration, lookupEnv func(string) (string, bool), logger *slog.Logger) (*Watcher, error) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	if logger == nil {
		logger = slog.Default()
	}
	w := &Watcher{path: path, interval: interval, lookupEnv: lookupEnv, log: logger.With("component", "config")}
	info, data, err := w.read()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(data, path, lookupEnv)
	if err != nil {
		return nil, err
	}
	w.remember(info, data)
	w.current.Store(c)
	return w, nil
}

// Current returns the configuration in force. It never fails nor returns
// nil, and is safe from any goroutine; treat the Config as read-only.
func (w *Watcher) Current() *Config { return w.current.Load() }

// OnChange registers f to be called after each reload that changes
// something for the running bot, with the configuration before and after
// and what changed. Calls are made one at a time, in the order of reloads;
// f must not call Reload. It never fails.
func (w *Watcher) OnChange(f func(old, new *Config, ch Changes)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.subs = append(w.subs, f)
}

// OnReload registers f to hear how each reload of a changed file ended:
// "applied", "unchanged" (nothing that takes effect without a restart) or
// "refused". Call it before Run.
func (w *Watcher) OnReload(f func(result string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.results = append(w.results, f)
}

func (w *Watcher) reloaded(result string) {
	for _, f := range w.results {
		f(result)
	}
}

// Check registers f to be asked, before each reloaded configuration is put
// in force, whether it may be: an error refuses the reload, which is
// logged, and the running configuration stays. The daemon uses it for
// rules the file alone cannot decide, such as a quantity lowered below
// the units already sold. It never fails.
func (w *Watcher) Check(f func(next *Config) error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checks = append(w.checks, f)
}

// Reload reads and validates the file now (the daemon calls it on SIGHUP).
// A valid file is put in force (see Apply) and its changes are returned and
// logged. It returns the *Problems of an invalid file, or the error of an
// unreadable one; in both cases the running configuration stays in force.
func (w *Watcher) Reload() (Changes, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	info, data, err := w.read()
	if err != nil {
		w.log.Error("cannot read the configuration file; the running configuration stays in force", "file", w.path, "err", err)
		w.reloaded("refused")
		return Changes{}, fmt.Errorf("reload config: %w", err)
	}
	return w.reload(info, data)
}

// Run looks at the file every interval and reloads it when its content
// changed, until ctx is done. An editor that saves by renaming a new file
// into place, and a save within the file system's timestamp resolution,
// are both caught: what decides is a hash of the content. It returns
// nothing: a file it cannot read is logged once and looked at again.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.check()
		}
	}
}

func (w *Watcher) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	fi, err := os.Stat(w.path)
	if err == nil && w.unchanged(fi) {
		return
	}
	info, data, err := w.read()
	if err != nil {
		// An editor between unlinking and renaming leaves no file for a
		// moment: say so once, and keep looking.
		if msg := err.Error(); msg != w.readErr {
			w.readErr = msg
			w.log.Warn("cannot read the configuration file; the running configuration stays in force", "file", w.path, "err", err)
		}
		return
	}
	w.readErr = ""
	if sha256.Sum256(data) == w.sum {
		w.remember(info, data)
		return
	}
	_, _ = w.reload(info, data) // reload logs what it finds
}

// unchanged reports whether fi is the stat last hashed and old enough that
// a write since would have moved its modification time.
func (w *Watcher) unchanged(fi os.FileInfo) bool {
	return w.info != nil && os.SameFile(w.info, fi) && fi.Size() == w.info.Size() &&
		fi.ModTime().Equal(w.info.ModTime()) && w.hashedAt.Sub(fi.ModTime()) > settle
}

// read stats the file before reading it, so that a write between the two
// shows in the next stat rather than being taken as already seen.
func (w *Watcher) read() (os.FileInfo, []byte, error) {
	info, err := os.Stat(w.path)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		return nil, nil, err
	}
	return info, data, nil
}

func (w *Watcher) remember(info os.FileInfo, data []byte) {
	w.sum = sha256.Sum256(data)
	w.info = info
	w.hashedAt = time.Now()
}

// reload validates data and puts it in force. The hash is remembered
// whatever the outcome, so that Run does not refuse the same bad file
// every interval; the next save is looked at again.
func (w *Watcher) reload(info os.FileInfo, data []byte) (Changes, error) {
	w.remember(info, data)
	loaded, err := Parse(data, w.path, w.lookupEnv)
	if err != nil {
		w.logProblems(err)
		w.reloaded("refused")
		return Changes{}, err
	}
	old := w.current.Load()
	ch := Diff(old, loaded)
	for _, c := range ch.Restart {
		w.log.Warn("configuration change needs a restart to take effect; the running value stays until then", "setting", c.Setting, "change", scrub(c.String(), ch.secrets))
	}
	if !ch.Applied() {
		if ch.Empty() {
			w.log.Info("configuration file reloaded; nothing changed", "file", w.path)
		}
		w.reloaded("unchanged")
		return ch, nil
	}
	next := Apply(old, loaded)
	for _, check := range w.checks {
		if err := check(next); err != nil {
			w.log.Error("configuration refused; the running configuration stays in force", "file", w.path, "err", err)
			w.reloaded("refused")
			return Changes{}, err
		}
	}
	w.current.Store(next)
	for _, line := range ch.appliedLines() {
		w.log.Info("configuration change", "change", line)
	}
	w.log.Info("configuration reloaded", "summary", next.Summary())
	for _, f := range w.subs {
		f(old, next, ch)
	}
	w.reloaded("applied")
	return ch, nil
}

// logProblems logs each problem as the line check-config prints for it.
func (w *Watcher) logProblems(err error) {
	var ps *Problems
	if !errors.As(err, &ps) {
		w.log.Error("configuration file refused; the running configuration stays in force", "file", w.path, "err", err)
		return
	}
	w.log.Error("configuration file refused; the running configuration stays in force", "file", w.path, "problems", len(ps.List))
	for _, p := range ps.List {
		w.log.Error(p.String())
	}
}
