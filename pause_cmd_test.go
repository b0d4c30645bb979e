package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/storage"
)

// TestPauseAndResumeCommands: pause and resume flip the switch in the
// configured database, which a daemon's own handle on it sees, say what
// is now true and whether it already was, need no credentials, and
// refuse a database that is not there rather than pause a new one.
func TestPauseAndResumeCommands(t *testing.T) {
	path := writeConfig(t, "http://127.0.0.1:1/1.1/", "http://127.0.0.1:1/")
	dbPath := filepath.Join(filepath.Dir(path), "p.db")
	code, out, stderr := run(t, env(nil), "pause", "-config", path)
	if code != 1 || out != "" || !strings.Contains(stderr, "no database at "+dbPath+" (storage.path): nothing done") {
		t.Errorf("pause without a database: exit %d, %q, %q; want 1 and no database", code, out, stderr)
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Error("pause made a database")
	}
	relative := filepath.Join(t.TempDir(), "relative.yaml")
	if err := os.WriteFile(relative, []byte(strings.Replace(readFile(t, path), dbPath, "no-such-pause-test.db", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, env(nil), "resume", "-config", relative)
	if code != 1 || !strings.Contains(stderr, "no database at no-such-pause-test.db (storage.path, relative to this directory): nothing done; run resume where the daemon runs") {
		t.Errorf("resume with a relative path to no database: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat("no-such-pause-test.db"); err == nil {
		os.Remove("no-such-pause-test.db")
		t.Error("resume made a database")
	}
	daemon, err := storage.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()

	noSecrets := func(string) (string, bool) { return "", false }
	steps := []struct {
		cmd, want string
		paused    bool
	}{
		{"resume", "charging was not paused: nothing changed\n", false},
		{"pause", "charging is paused: the running daemon charges nothing more within seconds, and stays paused across restarts until paybytweet resume\n", true},
		{"pause", "charging was already paused, since 20", true},
		{"resume", "charging is resumed: the running daemon charges again within seconds\n", false},
		{"resume", "charging was not paused (resumed 20", false},
	}
	for i, st := range steps {
		code, out, stderr := run(t, noSecrets, st.cmd, "-config", path)
		if code != 0 || !strings.HasPrefix(out, st.want) || strings.Count(out, "\n") != 1 || stderr != "" {
			t.Errorf("step %d: %s = %d, %q, %q; want 0 and %q", i, st.cmd, code, out, stderr, st.want)
		}
		if p, err := daemon.Paused(context.Background()); p != st.paused || err != nil {
			t.Errorf("step %d: after %s the daemon sees paused %v, %v", i, st.cmd, p, err)
		}
	}

	for _, args := range [][]string{{"pause"}, {"resume"}, {"pause", "-config", path, "now"}, {"resume", "-config", path, "-force"}} {
		if code, out, _ := run(t, env(nil), args...); code != 2 || out != "" {
			t.Errorf("paybytweet %v = %d, %q; want 2", args, code, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(readFile(t, path), "storage:", "storage:\n  pth: x", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = run(t, env(nil), "pause", "-config", bad)
	if code != 1 || out != "" || !strings.Contains(stderr, `unknown key "pth"`) {
		t.Errorf("pause with a bad configuration = %d, %q, %q; want 1 and the problem", code, out, stderr)
	}
	if p, _ := daemon.Paused(context.Background()); p {
		t.Error("a refused pause paused")
	}
}
