package daemon

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
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
