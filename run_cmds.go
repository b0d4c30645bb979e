package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/daemon"
	"github.com/paybytweet/paybytweet/sandbox"
)

// runDaemon runs the bot until ctx is done (SIGINT, SIGTERM), reloading
// the configuration on SIGHUP and when the file is saved.
func (m *Main) runDaemon(ctx context.Context, args []string) error {
	fs := m.flags("run")
	path := fs.String("config", "", "the configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return usageError{"-config FILE is required"}
	}
	// Read once for the log settings, so that even the watcher logs as
	// configured.
	first, err := config.Load(*path, m.LookupEnv)
	if err != nil {
		return badInput{err}
	}
	level := new(slog.LevelVar)
	level.Set(logLevel(first.Log.Level))
	log := m.logger(first.Log.Format, level)
	w, err := config.NewWatcher(*path, 0, m.LookupEnv, log)
	if err != nil {
		return badInput{err}
	}
	hup := m.Hangup
	if hup == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGHUP)
		defer signal.Stop(ch)
		hup = ch
	}
	cfg := w.Current()
	d, err := daemon.Open(ctx, cfg, daemon.Options{Logger: log})
	if err != nil {
		return err
	}
	if problems, err := d.CheckStock(ctx, cfg); err == nil && len(problems) > 0 {
		for _, p := range problems {
			log.Warn("configuration below what is sold", "problem", p)
		}
	}
	// Rules the file alone cannot decide are checked against the database
	// before a reload is put in force.
	w.Check(func(next *config.Config) error {
		problems, err := d.CheckStock(ctx, next)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	})
	w.OnChange(func(_, next *config.Config, _ config.Changes) {
		level.Set(logLevel(next.Log.Level))
		d.SetConfig(next)
	})
	w.OnReload(d.Metrics.ConfigReloaded)
	go w.Run(ctx)
	for {
		select {
		case <-ctx.Done():
			log.Info("signal received: stopping; work in flight finishes or resumes at the next start")
			return d.Close()
		case <-hup:
			log.Info("SIGHUP: reloading the configuration", "file", *path)
			w.Reload() // it logs what it finds, and refuses a bad file
		}
	}
}

// sandbox runs the whole product against the built-in emulators.
func (m *Main) sandbox(ctx context.Context, args []string) error {
	fs := m.flags("sandbox")
	listen := fs.String("listen", sandbox.DefaultListen, "address of the sandbox's web page")
	demo := fs.Bool("demo", true, "start with a scripted purchase by @alice")
	once := fs.Bool("once", false, "exit after the demo and the commands read from standard input")
	dir := fs.String("dir", "", "directory for the sandbox's database, log and "+
		"a configuration for the admin commands (default: a temporary one)")
	api := fs.String("api", "", "the Twitter API the bot speaks to the emulator: v1.1 or v2 (default: the configuration's twitter.api)")
	path := fs.String("config", "", "a configuration file of your own to try, its offers as written "+
		"(default: the example); its credentials and addresses are replaced with the sandbox's")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *api != "" && *api != config.APIv1 && *api != config.APIv2 {
		return usageError{fmt.Sprintf("-api %q: want %s or %s", *api, config.APIv1, config.APIv2)}
	}
	opt := sandbox.Options{
		ConfigYAML: exampleConfig, Listen: *listen, Demo: *demo, Once: *once, Dir: *dir, API: *api,
		Stdin: m.Stdin, Stdout: m.Stdout,
	}
	if *path != "" {
		data, err := os.ReadFile(*path)
		if err != nil {
			return badInput{fmt.Errorf("read config: %w", err)}
		}
		opt.ConfigYAML, opt.ConfigFile = data, *path
	}
	err := sandbox.Run(ctx, opt)
	var problems *config.Problems
	if errors.As(err, &problems) {
		// Printed as check-config prints them, one per line at its line.
		return badInput{err}
	}
	return err
}
