package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/storage"
)

// writeConfig writes the scenario's configuration with the given
// Twitter and issuer URLs, and returns its path.
func writeConfig(t *testing.T, twitterURL, issuerURL string) string {
	t.Helper()
	dir := t.TempDir()
	text := strings.NewReplacer("{{DB}}", filepath.Join(dir, "p.db"), "{{TWITTER}}", twitterURL, "{{ISSUER}}", issuerURL,
		"{{PRICE}}", "199.00", "{{QUANTITY}}", "3").Replace(scenarioConfig)
	path := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestResolveCommand: its usage, an unknown order, and the parked list.
func TestResolveCommand(t *testing.T) {
	path := writeConfig(t, "http://127.0.0.1:1/1.1/", "http://127.0.0.1:1/")
	for _, args := range [][]string{{"resolve", "-config", path}, {"resolve", "-config", path, "ord_a", "ord_b"}} {
		if code, _, _ := run(t, env(nil), args...); code != 2 {
			t.Errorf("paybytweet %v = %d, want 2", args, code)
		}
	}
	code, _, stderr := run(t, env(nil), "resolve", "-config", path, "ord_nosuchorder")
	if code != 1 || !strings.Contains(stderr, "no order ord_nosuchorder") {
		t.Errorf("resolve of an unknown order: exit %d, %q; want 1 and no order", code, stderr)
	}
	if code, _, stderr := run(t, env(nil), "orders", "-config", path, "-state", "parked"); code != 0 {
		t.Errorf("orders -state parked: exit %d, %q", code, stderr)
	}
}

// TestCheckConfigRefusesSecretsInClear: an http:// issuer on another
// host fails check-config with its line.
func TestCheckConfigRefusesSecretsInClear(t *testing.T) {
	path := writeConfig(t, "https://api.twitter.com/1.1/", "http://issuer.example/")
	code, _, stderr := run(t, env(nil), "check-config", "-config", path)
	if code != 1 || !strings.Contains(stderr, `issuer.url "http://issuer.example/" must be https`) || !strings.Contains(stderr, "p.yaml:") {
		t.Errorf("check-config: exit %d, %q; want 1 and the problem with its line", code, stderr)
	}
}

// TestAdminRefusesNewerSchema: an admin command on a database that a
// newer paybytweet migrated says so, naming both versions, and fails.
func TestAdminRefusesNewerSchema(t *testing.T) {
	path := writeConfig(t, "http://127.0.0.1:1/1.1/", "http://127.0.0.1:1/")
	dbPath := filepath.Join(filepath.Dir(path), "p.db")
	db, err := storage.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite3", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, env(nil), "orders", "-config", path)
	if code != 1 || !strings.Contains(stderr, "the database is at schema version 99, this paybytweet knows up to ") ||
		!strings.Contains(stderr, "run the newer paybytweet, or restore a backup made by this version") {
		t.Errorf("orders on a newer database: exit %d, %q; want 1 naming both versions", code, stderr)
	}
}
