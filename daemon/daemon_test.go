package daemon

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/storage"
)

// idleConfig returns a configuration with its database in a temporary
// directory and Twitter and the issuer at addresses nobody listens on:
// the bot only retries in the background.
func idleConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := &config.Config{}
	cfg.Storage.Path = filepath.Join(t.TempDir(), "p.db")
	cfg.Twitter.APIURL, cfg.Issuer.URL, cfg.Issuer.Timeout = "http://127.0.0.1:9/1.1/", "http://127.0.0.1:9/", time.Second
	cfg.Twitter.Poll.Mentions, cfg.Twitter.Poll.DirectMessages = "@every 1h", "@every 1h"
	cfg.Schedules.Expiry, cfg.Schedules.Announce = "@every 1h", "@every 1h"
	return cfg
}

func TestOneDaemonPerDatabase(t *testing.T) {
	cfg := idleConfig(t)
	first, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "another paybytweet is running") {
		t.Fatalf("a second daemon on the same database: %v", err)
	}
	first.Close()
	again, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	again.Close()
}

// TestDaemonRefusesNewerSchema: the daemon does not start on a database
// that a newer paybytweet migrated, says why with both versions, and
// leaves the file as it was.
func TestDaemonRefusesNewerSchema(t *testing.T) {
	cfg := idleConfig(t)
	db, err := storage.Open(cfg.Storage.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite3", cfg.Storage.Path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(cfg.Storage.Path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(context.Background(), cfg, Options{})
	if err == nil {
		d.Close()
		t.Fatal("the daemon started on a database from a newer version")
	}
	if !errors.Is(err, storage.ErrNewerSchema) || !strings.Contains(err.Error(), "the database is at schema version 99, this paybytweet knows up to ") {
		t.Errorf("start: %v; want the newer schema refused, naming both versions", err)
	}
	if after, err := os.ReadFile(cfg.Storage.Path); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the refused start changed the database (%v)", err)
	}
}

// otherNames makes a symlink and a hard link to the file at path, and
// returns the three names of it.
func otherNames(t *testing.T, path string) []string {
	t.Helper()
	dir := t.TempDir()
	symlink, hardlink := filepath.Join(dir, "symlink.db"), filepath.Join(filepath.Dir(path), "hardlink.db")
	if err := os.Symlink(path, symlink); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(path, hardlink); err != nil {
		t.Fatal(err)
	}
	return []string{path, symlink, hardlink}
}

// TestOneDaemonPerDatabaseFile: a second daemon is refused whatever name
// it reaches the database by (its path, a symlink, a hard link), while
// the database still works for others beside the daemon: the lock is a
// flock and SQLite's own locks are fcntl locks, which it does not block
// (SQLite finds the file's own name behind a symlink; it does not support
// hard links, whose WAL files would differ).
func TestOneDaemonPerDatabaseFile(t *testing.T) {
	cfg := idleConfig(t)
	first, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for _, name := range otherNames(t, cfg.Storage.Path) {
		second := *cfg
		second.Storage.Path = name
		if d, err := Open(context.Background(), &second, Options{}); err == nil || !strings.Contains(err.Error(), "another paybytweet is running") {
			if d != nil {
				d.Close()
			}
			t.Errorf("a second daemon on %s: %v", name, err)
		}
		if strings.HasSuffix(name, "hardlink.db") {
			continue // SQLite itself cannot share a file across hard links: their WALs differ
		}
		admin, err := storage.Open(name, nil) // migrating takes SQLite's write lock
		if err != nil {
			t.Fatalf("an admin beside the daemon, on %s: %v", name, err)
		}
		admin.Close()
	}
}

// lockChild names the database the child process of
// TestLockHeldByAnotherProcess locks.
const lockChild = "PAYBYTWEET_TEST_LOCK_CHILD"

// TestLockHeldByAnotherProcess: while another process holds the lock, it
// is refused here by every name of the file; once that process is gone,
// it is free. (Within one process a table refuses a second daemon before
// the kernel is asked; this is the kernel's lock.)
func TestLockHeldByAnotherProcess(t *testing.T) {
	if path := os.Getenv(lockChild); path != "" {
		holdLockUntilStdinCloses(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "p.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	names := otherNames(t, path)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHeldByAnotherProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockChild+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		stdin.Close()
		t.Fatalf("the child did not lock: %q, %v (%v)", line, err, cmd.Wait())
	}
	for _, name := range names {
		if lk, err := lock(name); err == nil || !strings.Contains(err.Error(), "another paybytweet is running on "+name) {
			if lk != nil {
				lk.release()
			}
			t.Errorf("lock %s while another process holds it: %v", name, err)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the child: %v", err)
	}
	lk, err := lock(names[1])
	if err != nil {
		t.Fatalf("after the other process ended: %v", err)
	}
	lk.release()
}

// holdLockUntilStdinCloses is the child of TestLockHeldByAnotherProcess.
func holdLockUntilStdinCloses(t *testing.T, path string) {
	lk, err := lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.release()
	os.Stdout.WriteString("locked\n")
	io.Copy(io.Discard, os.Stdin)
}

// TestOlderDaemonsLockIsHonoured: a daemon of the versions before the lock
// on the database file held a flock on "<database>.lock". During an
// upgrade one of those may still run on the database: this daemon is
// refused while it does, and takes that lock too so that it refuses one.
func TestOlderDaemonsLockIsHonoured(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	older, err := flockPath(path + ".lock") // what an older daemon holds
	if err != nil {
		t.Fatal(err)
	}
	if lk, err := lock(path); err == nil || !strings.Contains(err.Error(), "of an older version") {
		if lk != nil {
			lk.release()
		}
		t.Fatalf("lock while an older daemon holds %s.lock: %v", path, err)
	}
	older.Close()
	lk, err := lock(path)
	if err != nil {
		t.Fatalf("lock once the older daemon is gone: %v", err)
	}
	defer lk.release()
	if f, err := flockPath(path + ".lock"); err == nil {
		f.Close()
		t.Fatal("an older daemon could lock <database>.lock while this one runs")
	}
}
