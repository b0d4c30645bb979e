package config

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/internal/testkit"
)

type logBuffer = testkit.Buffer

type change struct {
	old, new *Config
	ch       Changes
}

// startWatcher writes content to a config file, and returns a Watcher on it
// whose changes arrive on the channel, and its log.
func startWatcher(t *testing.T, content string, run bool) (*Watcher, string, <-chan change, *logBuffer) {
	t.Helper()
	path := writeFile(t, t.TempDir(), "config.yaml", content)
	logs := &logBuffer{}
	w, err := NewWatcher(path, 10*time.Millisecond, lookup(), slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan change, 10)
	w.OnChange(func(old, new *Config, ch Changes) { changes <- change{old, new, ch} })
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return w, path, changes, logs
}

func waitChange(t *testing.T, changes <-chan change) change {
	t.Helper()
	select {
	case c := <-changes:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no reload within 5s")
		return change{}
	}
}

func waitLog(t *testing.T, logs *logBuffer, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("log never had %q:\n%s", text, logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatcherPicksUpAnEditWithoutSIGHUP(t *testing.T) {
	w, path, changes, logs := startWatcher(t, doc(offer("a", "A", `price: "199.00"`), ""), true)
	before := w.Current()
	writeFile(t, filepath.Dir(path), "config.yaml", doc(offer("a", "A", `price: "179.00"`), ""))

	c := waitChange(t, changes)
	if c.old != before || c.new != w.Current() || w.Current().Offers[0].Price != 17900 {
		t.Errorf("after reload: old %p (want %p), new %p, current %p, price %d", c.old, before, c.new, w.Current(), w.Current().Offers[0].Price)
	}
	if got := strings.Join(c.ch.Lines(), "\n"); got != "offer a: price 199.00 USD -> 179.00 USD" {
		t.Errorf("changes = %q", got)
	}
	waitLog(t, logs, "offer a: price 199.00 USD -> 179.00 USD")
}

// TestWatcherSameSizeSameMtime: two saves within the file system's
// timestamp resolution, of the same size, are told apart by content.
func TestWatcherSameSizeSameMtime(t *testing.T) {
	w, path, changes, _ := startWatcher(t, doc(offer("a", "A", `price: "199.00"`), ""), true)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Dir(path), "config.yaml", doc(offer("a", "A", `price: "179.00"`), ""))
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	waitChange(t, changes)
	if w.Current().Offers[0].Price != 17900 {
		t.Errorf("price = %d", w.Current().Offers[0].Price)
	}
}

func TestWatcherRefusesAnInvalidEdit(t *testing.T) {
	w, path, changes, logs := startWatcher(t, doc(offer("a", "A"), ""), true)
	before := w.Current()
	writeFile(t, filepath.Dir(path), "config.yaml", doc(offer("a", "A", "quantitty: 5"), ""))

	// Logged as check-config prints it.
	waitLog(t, logs, path+`:23:5: unknown key \"quantitty\" in offer (did you mean \"quantity\"?)`)
	if w.Current() != before {
		t.Error("an invalid file replaced the running configuration")
	}
	_, err := w.Reload()
	var ps *Problems
	if !errors.As(err, &ps) || len(ps.List) != 1 {
		t.Errorf("Reload() = %v, want the *Problems", err)
	}
	if w.Current() != before {
		t.Error("an invalid file replaced the running configuration")
	}
	select {
	case c := <-changes:
		t.Errorf("OnChange called for an invalid file: %q", c.ch.Lines())
	default:
	}

	// The next good save is taken.
	writeFile(t, filepath.Dir(path), "config.yaml", doc(offer("a", "A", "quantity: 5"), ""))
	if c := waitChange(t, changes); *c.new.Offers[0].Quantity != 5 {
		t.Errorf("quantity = %v", c.new.Offers[0].Quantity)
	}
}

// TestWatcherRenameIntoPlace: editors save by writing a new file and
// renaming it over the old one.
func TestWatcherRenameIntoPlace(t *testing.T) {
	w, path, changes, _ := startWatcher(t, doc(offer("a", "A"), ""), false)
	tmp := writeFile(t, filepath.Dir(path), ".config.yaml.swp", doc(offer("a", "A")+offer("b", "B"), "privacy: dm\n"))
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	ch, err := w.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ch.Lines(), "\n"); got != "offer b added: B, 10.00 USD, #BuyB\nprivacy public -> dm" {
		t.Errorf("changes = %q", got)
	}
	if c := waitChange(t, changes); len(c.new.Offers) != 2 || w.Current().Privacy != PrivacyDM {
		t.Errorf("current = %s", w.Current().Summary())
	}
}

func TestWatcherRunCatchesRenameIntoPlace(t *testing.T) {
	w, path, changes, _ := startWatcher(t, doc(offer("a", "A"), ""), true)
	tmp := writeFile(t, filepath.Dir(path), "config.yaml.new", doc(offer("a", "A"), "privacy: dm\n"))
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	waitChange(t, changes)
	if w.Current().Privacy != PrivacyDM {
		t.Errorf("privacy = %s", w.Current().Privacy)
	}
}

func TestWatcherRestartOnlyChange(t *testing.T) {
	w, path, changes, logs := startWatcher(t, doc(offer("a", "A"), ""), false)
	before := w.Current()
	writeFile(t, filepath.Dir(path), "config.yaml", strings.Replace(doc(offer("a", "A"), ""), "path: test.db", "path: other.db", 1))
	ch, err := w.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if ch.Applied() || len(ch.Restart) != 1 || w.Current() != before {
		t.Errorf("changes = %q; current changed: %v", ch.Lines(), w.Current() != before)
	}
	select {
	case <-changes:
		t.Error("OnChange called for a restart-only change")
	default:
	}
	if !strings.Contains(logs.String(), "needs a restart") || !strings.Contains(logs.String(), "storage.path test.db -> other.db") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestNewWatcherInvalidFile(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config.yaml", doc(offer("a", "A", "quantity: -1"), ""))
	_, err := NewWatcher(path, 0, lookup(), nil)
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Errorf("NewWatcher = %v, want *Problems", err)
	}
}

func TestWatcherMissingFileKeepsConfig(t *testing.T) {
	w, path, _, logs := startWatcher(t, doc(offer("a", "A"), ""), true)
	before := w.Current()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, "cannot read the configuration file")
	if _, err := w.Reload(); err == nil || w.Current() != before {
		t.Errorf("Reload of a missing file = %v", err)
	}
}

// TestWatcherSurvivesAMergeLoop: a map merging itself used to recurse
// until Go's stack ran out, a fatal error no recover catches, so a save
// or a SIGHUP killed the running daemon. Such a file, and a merge bomb,
// are refused like any invalid file, with the line, by Run and by Reload,
// and the running configuration stays in force.
func TestWatcherSurvivesAMergeLoop(t *testing.T) {
	w, path, changes, logs := startWatcher(t, doc(offer("a", "A"), ""), true)
	before := w.Current()
	writeFile(t, filepath.Dir(path), "config.yaml", withBot("bot: &b", "<<: *b"))

	waitLog(t, logs, path+":2:7: << in bot merges *b into itself, which would never end")
	if w.Current() != before {
		t.Error("a looping file replaced the running configuration")
	}
	for _, file := range []string{withBot("bot: &b", "<<: *b"), mergeBomb(8) + withBot("bot:", "<<: *l8")} {
		writeFile(t, filepath.Dir(path), "config.yaml", file)
		_, err := w.Reload()
		var ps *Problems
		if !errors.As(err, &ps) || !strings.Contains(ps.Error(), "<< in bot") {
			t.Errorf("Reload() = %v, want the *Problems of the merge", err)
		}
		if w.Current() != before {
			t.Error("an invalid file replaced the running configuration")
		}
	}
	waitLog(t, logs, path+":12:7: << in bot expands to more than 100000 merged keys")
	select {
	case c := <-changes:
		t.Errorf("OnChange called for an invalid file: %q", c.ch.Lines())
	default:
	}
}
