package daemon

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
)

func TestOneDaemonPerDatabase(t *testing.T) {
	cfg := &config.Config{}
	cfg.Storage.Path = filepath.Join(t.TempDir(), "p.db")
	// Addresses nobody listens on: the bot only retries in the background.
	cfg.Twitter.APIURL, cfg.Issuer.URL, cfg.Issuer.Timeout = "http://127.0.0.1:9/1.1/", "http://127.0.0.1:9/", time.Second
	cfg.Twitter.Poll.Mentions, cfg.Twitter.Poll.DirectMessages = "@every 1h", "@every 1h"
	cfg.Schedules.Expiry, cfg.Schedules.Announce = "@every 1h", "@every 1h"
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
