// Command paybytweet runs a card issuer's pay-by-tweet Twitter bot: a
// cardholder tweets an offer's buy hashtag at the bot, confirms with its
// confirm hashtag, and the bot charges their card through the issuer and
// replies with a receipt. See README.md.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/paybytweet/paybytweet/config"
)

//go:embed config.example.yaml
var exampleConfig []byte

// Exit codes, as docs/configuration.md gives them.
const (
	exitOK    = 0
	exitBad   = 1 // bad configuration or bad input
	exitUsage = 2
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go onSignals(sigs, cancel, os.Stderr, os.Exit)
	m := NewMain()
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// onSignals stops the program cleanly on the first SIGINT or SIGTERM
// (cancel), and exits at once on the second: an operator who asks twice
// does not want to wait for work in flight, which the next start resumes
// anyway. The exit code is 128 plus the signal's number, as a shell
// reports a process killed by it.
func onSignals(sigs <-chan os.Signal, cancel func(), stderr io.Writer, exit func(int)) {
	<-sigs
	cancel()
	s := <-sigs
	fmt.Fprintf(stderr, "paybytweet: second %v: exiting now; work in flight resumes at the next start\n", s)
	code := 1
	if n, ok := s.(syscall.Signal); ok {
		code = 128 + int(n)
	}
	exit(code)
}

// Main is the program, with its outside world (streams, environment) as
// fields so that tests run it in-process.
type Main struct {
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	LookupEnv func(string) (string, bool)
	// Hangup delivers SIGHUP to `run`; nil means the process's own.
	Hangup <-chan os.Signal
}

// NewMain returns a Main wired to the process.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv}
}

// usageError is a command line that does not parse: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// badInput is a configuration or an argument that is wrong: exit code 1.
type badInput struct{ err error }

func (e badInput) Error() string { return e.err.Error() }
func (e badInput) Unwrap() error { return e.err }

const usage = `usage: paybytweet <command> [flags]

commands:
  run -config FILE            run the bot until SIGINT or SIGTERM (SIGHUP reloads the file)
  check-config -config FILE   validate the file; print every problem with its line
  sandbox                     try the whole flow against built-in emulators, no credentials needed
  orders -config FILE [-offer ID] [-state S] [-user ID] [-limit N] [-json]
                              list orders, newest first
  offers -config FILE [-json] show each offer's live state: stock, sales, revenue
  refund -config FILE [-amount 12.50] [-again] ORDER_ID
                              refund a paid order through the issuer and tell the cardholder
  resolve -config FILE ORDER_ID
                              settle a parked order from what the issuer has under its
                              reference (paid, declined or none) and tell the cardholder;
                              never charges
  usage -config FILE [-json]  what the bot read and wrote on Twitter, per day and offer, and its cost
  inbox -config FILE [-state S] [-json]
                              list the mentions and DMs read; -state failed: those set aside
  inbox retry -config FILE ID put a failed message back in line
  pause -config FILE          stop all charging in the running bot, until resume (survives restarts)
  resume -config FILE         charge again after pause
  x-login -config FILE        get the bot account's OAuth 2.0 token (v2): authorize the app
                              in a browser; the token goes to the database

Every command and configuration key: docs/configuration.md in the repository.
`

// Run runs the command in args and returns the process's exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string) error{
		"run":          m.runDaemon,
		"check-config": m.checkConfig,
		"sandbox":      m.sandbox,
		"orders":       m.orders,
		"offers":       m.offers,
		"refund":       m.refund,
		"resolve":      m.resolve,
		"usage":        m.usageReport,
		"inbox":        m.inbox,
		"pause":        m.pause,
		"resume":       m.resume,
		"x-login":      m.xLogin,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprint(m.Stdout, usage)
			return exitOK
		}
		fmt.Fprintf(m.Stderr, "paybytweet: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:])
	var ue usageError
	var bi badInput
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(m.Stderr, "paybytweet %s: %s\n", args[0], ue.msg)
		return exitUsage
	case errors.As(err, &bi):
		fmt.Fprintln(m.Stderr, bi.Error())
		return exitBad
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	fmt.Fprintf(m.Stderr, "paybytweet %s: %v\n", args[0], err)
	return exitBad
}

// flags returns a flag set for a command that reports to Stderr and
// fails with a usageError.
func (m *Main) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("paybytweet "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// logger is the daemon's log to Stderr, one line per event: text or
// JSON (log.format), from the level in level on (log.level, which a
// reload changes).
func (m *Main) logger(format string, level *slog.LevelVar) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(m.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opts))
}

// logLevel turns log.level into slog's level; info for anything else.
func logLevel(name string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(name)); err != nil {
		return slog.LevelInfo
	}
	return l
}
