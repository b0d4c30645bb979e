package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// newerVersion is a schema version above every migration this binary has.
const newerVersion = 1000

// newerDatabase returns the path of a database that a newer paybytweet
// migrated to newerVersion and that was left as a crash leaves it: the
// newer version's last commit still in its write-ahead log.
func newerDatabase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	made := filepath.Join(dir, "made.db")
	db, err := Open(made, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, newerVersion); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "p.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(made + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestNewerSchemaRefusedUntouched: a database at a schema version above
// this binary's is refused with both versions named, and neither the
// file nor its write-ahead log changes (a rolled-back binary must leave
// the newer version's data as it found it).
func TestNewerSchemaRefusedUntouched(t *testing.T) {
	path := newerDatabase(t)
	before := map[string][]byte{}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %d bytes, %v", f, len(b), err)
		}
		before[f] = b
	}
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := strconv.Atoi(strings.SplitN(entries[len(entries)-1].Name(), "_", 2)[0])
	db, err := Open(path, nil)
	if err == nil {
		db.Close()
		t.Fatal("a database from a newer version was opened")
	}
	want := fmt.Sprintf("the database is at schema version %d, this paybytweet knows up to %d: run the newer paybytweet", newerVersion, latest)
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), want) {
		t.Errorf("open: %v; want ErrNewerSchema saying %q", err, want)
	}
	for f, b := range before {
		if after, err := os.ReadFile(f); err != nil || !bytes.Equal(after, b) {
			t.Errorf("%s changed by the refused open (%d bytes before, %d after, %v)", f, len(b), len(after), err)
		}
	}
}
