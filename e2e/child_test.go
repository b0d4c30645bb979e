package e2e

// The crash and kill-loop tests run the daemon in a child process: the test
// binary itself, re-executed with childEnv naming a JSON file that says what
// to connect to. The child is the real daemon (daemon.Open, real clock, cron
// schedules, the real Twitter and issuer clients); the emulators stay in the
// parent, so that they outlive every SIGKILL and keep their own record of
// what the cardholders saw and what the issuer did.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/daemon"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
)

// childEnv names the environment variable that makes the test binary run
// as a child daemon: it holds the path of the childSpec JSON file.
const childEnv = "PAYBYTWEET_E2E_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(runChild(path))
	}
	os.Exit(m.Run())
}

// childSpec is what the parent tells a child daemon.
type childSpec struct {
	API           string // config.APIv1 or config.APIv2
	DB            string
	TwitterURL    string
	IssuerURL     string
	IssuerTimeout time.Duration
	// GiftCardLimit, when set, is the gift card's per-user limit.
	GiftCardLimit int
	// StatusFile is where the child reports, after each check, whether it
	// has nothing left to do (see childStatus).
	StatusFile string
	// PollEvery is how often the child polls on top of its cron schedules.
	PollEvery time.Duration
	// ShutdownGrace is the bot's ShutdownGrace.
	ShutdownGrace time.Duration
	// PollSchedule, when set, is the cron schedule of both polls (default
	// "@every 1s"); the restore guard's settling delay follows it.
	PollSchedule string
	// ApprovalOver, when set, is risk.approval_over: per currency, the
	// amount in minor units above which a purchase needs the
	// cardholder's approval at the issuer.
	ApprovalOver map[string]int64
	// DeclineHold and ApprovalsPerDay, when positive, are
	// risk.decline_hold and risk.approvals_per_day (else their defaults).
	DeclineHold     time.Duration
	ApprovalsPerDay int
	// Push, when set, is twitter.push.mode (config.PushStream or
	// config.PushWebhook; v2 only), with the emulator's bearer token;
	// PushReconcile is push.reconcile (default "@every 1m"); WebhookPort
	// is the port of 127.0.0.1 the webhook is served on (webhookPath).
	Push          string
	PushReconcile string
	WebhookPort   int
	// OAuth2RefreshToken and OAuth2TokenURL, when set, are
	// twitter.oauth2's first refresh token and token_url (the emulator's
	// client id and secret).
	OAuth2RefreshToken string
	OAuth2TokenURL     string
}

// childStatus is what the child writes to StatusFile: Idle is true when a
// poll that began at PollStart found nothing new and the database then had
// nothing left to do (checked twice around a second poll).
type childStatus struct {
	PID       int
	Idle      bool
	PollStart int64 // UnixNano
}

// runChild is the child daemon's main: it runs until SIGTERM or SIGINT and
// returns the exit code.
func runChild(specPath string) int {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: read spec:", err)
		return 2
	}
	var spec childSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		fmt.Fprintln(os.Stderr, "child: spec:", err)
		return 2
	}
	cfg := testConfig(spec.API, spec.TwitterURL, spec.IssuerURL, spec.DB)
	cfg.Twitter.Poll.Mentions, cfg.Twitter.Poll.DirectMessages = "@every 1s", "@every 1s"
	if spec.PollSchedule != "" {
		cfg.Twitter.Poll.Mentions, cfg.Twitter.Poll.DirectMessages = spec.PollSchedule, spec.PollSchedule
	}
	cfg.Schedules.Expiry, cfg.Schedules.Announce = "@every 5s", "@every 1m"
	cfg.Twitter.Limits.TweetsPerWindow, cfg.Twitter.Limits.DMsPerWindow, cfg.Twitter.Limits.DMsPerDay = 100000, 100000, 100000
	if spec.IssuerTimeout > 0 {
		cfg.Issuer.Timeout = spec.IssuerTimeout
	}
	if spec.GiftCardLimit > 0 {
		cfg.Offers[1].PerUserLimit = spec.GiftCardLimit
	}
	// cfg.Risk is config.DefaultRisk(), as a file without risk: gives.
	if len(spec.ApprovalOver) > 0 {
		cfg.Risk.ApprovalOver = spec.ApprovalOver
	}
	if spec.DeclineHold > 0 {
		cfg.Risk.DeclineHold = spec.DeclineHold
	}
	if spec.ApprovalsPerDay > 0 {
		cfg.Risk.ApprovalsPerDay = spec.ApprovalsPerDay
	}
	if spec.Push != "" {
		cfg.Twitter.Push = config.Push{Mode: spec.Push, BearerToken: twitteremu.DefaultPushBearerToken, Reconcile: cmp.Or(spec.PushReconcile, "@every 1m")}
		if spec.Push == config.PushWebhook {
			cfg.Twitter.Push.Webhook = webhookConfig(spec.WebhookPort)
		}
	}
	if spec.OAuth2RefreshToken != "" {
		cfg.Twitter.OAuth2 = &config.OAuth2{ClientID: twitteremu.DefaultOAuth2ClientID, ClientSecret: twitteremu.DefaultOAuth2ClientSecret,
			RefreshToken: spec.OAuth2RefreshToken, TokenURL: spec.OAuth2TokenURL}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	d, err := daemon.Open(ctx, cfg, daemon.Options{Logger: logger, Bot: func(o *bot.Options) {
		o.Idle = 50 * time.Millisecond
		if spec.ShutdownGrace > 0 {
			o.ShutdownGrace = spec.ShutdownGrace
		}
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		return 1
	}
	every := spec.PollEvery
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	report := func(st childStatus) {
		st.PID = os.Getpid()
		b, _ := json.Marshal(st)
		tmp := spec.StatusFile + ".tmp." + strconv.Itoa(os.Getpid())
		if err := os.WriteFile(tmp, b, 0o600); err == nil {
			os.Rename(tmp, spec.StatusFile)
		}
	}
	quiet := func() bool {
		q, err := d.Bot.Idle(ctx)
		return err == nil && q
	}
	t := time.NewTicker(every)
	defer t.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-t.C:
		}
		start := time.Now()
		d.Bot.PollNow()
		if !quiet() {
			report(childStatus{})
			continue
		}
		// A poll started by the schedule in between may still be storing
		// a page; a second PollNow waits for it.
		d.Bot.PollNow()
		report(childStatus{Idle: quiet(), PollStart: start.UnixNano()})
	}
	logger.Info("child: signal received; closing")
	if err := d.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child: close:", err)
		return 1
	}
	return 0
}

// daemonProc runs child daemons one after another on one database, as a
// supervisor would, and keeps every run's output in one log file.
type daemonProc struct {
	t        testing.TB
	spec     childSpec
	specPath string
	logPath  string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	state   *os.ProcessState
	started time.Time
	runs    int
	// command, when set, makes the command that runs the child (the
	// restore tests run it under litestream replicate -exec).
	command func(name string, args ...string) *exec.Cmd
}

func newDaemonProc(t testing.TB, dir string, spec childSpec) *daemonProc {
	t.Helper()
	spec.DB = filepath.Join(dir, "paybytweet.db")
	spec.StatusFile = filepath.Join(dir, "status.json")
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	p := &daemonProc{t: t, spec: spec, specPath: filepath.Join(dir, "spec.json"), logPath: filepath.Join(dir, "daemon.log")}
	if err := os.WriteFile(p.specPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		cmd, done := p.cmd, p.done
		p.mu.Unlock()
		if cmd != nil {
			select {
			case <-done:
			default:
				cmd.Process.Kill() // the child this test started, by its pid
				<-done
			}
		}
		if t.Failed() || os.Getenv("E2E_LOGS") != "" {
			p.dumpLog()
		}
	})
	return p
}

// start runs a new child. crashAt, when not empty, is its
// PAYBYTWEET_CRASH_AT.
func (p *daemonProc) start(crashAt string) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.done:
		default:
			p.t.Fatalf("start: the previous child (pid %d) is still running", p.cmd.Process.Pid)
		}
	}
	os.Remove(p.spec.StatusFile)
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	p.runs++
	fmt.Fprintf(logf, "==== run %d, crash at %q, %s\n", p.runs, crashAt, time.Now().Format(time.RFC3339Nano))
	newCmd := exec.Command
	if p.command != nil {
		newCmd = p.command
	}
	cmd := newCmd(os.Args[0], "-test.run=^$")
	env := []string{childEnv + "=" + p.specPath, crashpoint.EnvVar + "=" + crashAt}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, childEnv+"=") && !strings.HasPrefix(kv, crashpoint.EnvVar+"=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	// A test binary that dies (a -timeout panic) takes its children with
	// it, rather than leaving daemons that load the machine after it.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		logf.Close()
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.state, p.started = cmd, done, nil, time.Now()
	go func() {
		cmd.Wait()
		logf.Close()
		p.mu.Lock()
		p.state = cmd.ProcessState
		p.mu.Unlock()
		close(done)
	}()
}

// pid is the current child's process id.
func (p *daemonProc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// exited returns the channel closed when the current child exits.
func (p *daemonProc) exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// wait waits up to timeout for the current child to exit and returns how
// it ended; it fails the test on timeout.
func (p *daemonProc) wait(timeout time.Duration) *os.ProcessState {
	p.t.Helper()
	select {
	case <-p.exited():
	case <-time.After(timeout):
		p.t.Fatalf("the daemon (run %d) did not exit within %s", p.runs, timeout)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// alive reports whether the current child is running.
func (p *daemonProc) alive() bool {
	select {
	case <-p.exited():
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to the current child and waits for it to die.
func (p *daemonProc) kill() {
	p.t.Helper()
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	cmd.Process.Signal(syscall.SIGKILL)
	st := p.wait(10 * time.Second)
	if !killedBy(st, syscall.SIGKILL) && !st.Success() {
		p.t.Fatalf("the daemon died of something else than our SIGKILL: %v", st)
	}
}

// term sends SIGTERM to the current child and returns how long it took to
// exit and how it ended.
func (p *daemonProc) term(timeout time.Duration) (time.Duration, *os.ProcessState) {
	p.t.Helper()
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	st := p.wait(timeout)
	return time.Since(start), st
}

func killedBy(st *os.ProcessState, sig syscall.Signal) bool {
	ws, ok := st.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// status reads what the current child last reported.
func (p *daemonProc) status() (childStatus, bool) {
	var st childStatus
	b, err := os.ReadFile(p.spec.StatusFile)
	if err != nil || json.Unmarshal(b, &st) != nil {
		return st, false
	}
	return st, true
}

// idleSince reports whether the running child said it had nothing left to
// do after a poll that began after t.
func (p *daemonProc) idleSince(t time.Time) bool {
	st, ok := p.status()
	if !ok || !st.Idle || st.PollStart <= t.UnixNano() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && st.PID == p.cmd.Process.Pid
}

// log returns everything the children wrote.
func (p *daemonProc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// dumpLog puts the end of the children's log in the test output.
func (p *daemonProc) dumpLog() {
	s := p.log()
	const tail = 60000
	if len(s) > tail {
		s = "...\n" + s[len(s)-tail:]
	}
	p.t.Logf("daemon log (%s):\n%s", p.logPath, s)
}

// openDB opens the database of a daemon that is not running.
func (p *daemonProc) openDB() *storage.DB {
	p.t.Helper()
	if p.alive() {
		p.t.Fatal("openDB while the daemon runs")
	}
	db, err := storage.Open(p.spec.DB, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { db.Close() })
	return db
}

// waitFor checks cond every few milliseconds until it holds, and fails
// the test, saying what it waited for, when timeout passes first.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// campaignShoppers is the cast of the crash-point and restore scenarios:
// purchases by tweet and by DM, approved and declined, a cardholder who
// never confirms, and one without a card. (With the driver's hijacker,
// mallory confirms other people's requests.)
func campaignShoppers() []*shopper {
	return []*shopper{
		{user: alice, buy: "#BuyKindleFireHD", confirm: "#ConfirmKindleFireHD", confirms: true},
		{user: bob, dm: true, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", dmYes: "yes", confirms: true},
		{user: grace, dm: true, buy: "#BuyKindleFireHD", confirm: "#ConfirmKindleFireHD", dmYes: "#ConfirmKindleFireHD", confirms: true},
		{user: erin, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true},
		{user: heidi, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true},
		{user: frank, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: false},
		{user: carol, buy: "#BuyKindleFireHD", confirm: "#ConfirmKindleFireHD", confirms: true},
	}
}

// driveUntil plays the shoppers against a child daemon: it moves every
// cycle on, then asks check, every pause, until check holds, and returns
// false if within passes first (the caller says what was awaited). check
// may restart a daemon that died, or fail the test.
func (d *driver) driveUntil(within, pause time.Duration, check func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		d.stepAll()
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
	}
}
