package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/storage"
)

// pause stops all charging in the running daemon: a switch in its
// database, which the daemon reads within seconds and which survives a
// restart. New buys and confirmations are answered that purchases are
// paused; orders already sent to the issuer are settled as usual.
func (m *Main) pause(ctx context.Context, args []string) error {
	return m.setPaused(ctx, "pause", args, true)
}

// resume clears the switch pause sets: the running daemon charges again.
func (m *Main) resume(ctx context.Context, args []string) error {
	return m.setPaused(ctx, "resume", args, false)
}

func (m *Main) setPaused(ctx context.Context, name string, args []string, paused bool) error {
	fs := m.flags(name)
	path := fs.String("config", "", "the configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected %q", fs.Arg(0))}
	}
	cfg, err := m.loadConfig(*path, config.NoSecrets)
	if err != nil {
		return err
	}
	// The switch must land in the daemon's own database. A relative
	// storage.path run from another directory names a file that is not
	// there; making one would pause nothing while saying it did.
	if _, err := os.Stat(cfg.Storage.Path); errors.Is(err, os.ErrNotExist) {
		if filepath.IsAbs(cfg.Storage.Path) {
			return badInput{fmt.Errorf("no database at %s (storage.path): nothing done; is %s the daemon's configuration?", cfg.Storage.Path, *path)}
		}
		return badInput{fmt.Errorf("no database at %s (storage.path, relative to this directory): nothing done; run %s where the daemon runs, or make storage.path absolute", cfg.Storage.Path, name)}
	}
	db, err := storage.Open(cfg.Storage.Path, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	changed, err := db.SetPaused(ctx, paused, time.Now())
	if err != nil {
		return err
	}
	state, err := db.PauseState(ctx)
	if err != nil {
		return err
	}
	since := ""
	if !state.Since.IsZero() {
		since = state.Since.UTC().Format(time.RFC3339)
	}
	switch {
	case paused && changed:
		fmt.Fprintf(m.Stdout, "charging is paused: the running daemon charges nothing more within seconds, and stays paused across restarts until paybytweet resume\n")
	case paused:
		fmt.Fprintf(m.Stdout, "charging was already paused, since %s: nothing changed\n", since)
	case changed:
		fmt.Fprintf(m.Stdout, "charging is resumed: the running daemon charges again within seconds\n")
	case since == "":
		fmt.Fprintf(m.Stdout, "charging was not paused: nothing changed\n")
	default:
		fmt.Fprintf(m.Stdout, "charging was not paused (resumed %s): nothing changed\n", since)
	}
	return nil
}
