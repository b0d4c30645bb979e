// Package sandbox runs `paybytweet sandbox`: the daemon against the
// project's own Twitter API emulator and issuer sandbox, in one process,
// with the example offers, so that a person can try the whole flow on a
// machine with no credentials and no network.
//
// Everything goes through the real path: a cardholder's tweet is posted to
// the emulator, the daemon reads it over HTTP with the real client (on v2
// the emulator pushes it at once over X's Activity API stream; on v1.1
// the daemon polls for it), charges the card at the issuer sandbox over
// HTTP, and posts its answer back to the emulator. The sandbox only plays the cardholders and
// shows what happened, in the terminal and on a small local web page.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/daemon"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// DefaultListen is where the web page is served when Options.Listen is
// empty.
const DefaultListen = "127.0.0.1:8080"

// Options configure Run. Only ConfigYAML is required.
type Options struct {
	// ConfigYAML is the configuration file's bytes: the example (main
	// embeds config.example.yaml), or the person's own (sandbox -config).
	// Its ${NAME} secrets get sandbox values, never the environment's; the
	// addresses, database and schedules are then pointed at the sandbox
	// (see sandboxConfig).
	ConfigYAML []byte
	// ConfigFile names ConfigYAML when it is the person's own file, so
	// that its problems point at it and its offers keep their dates as
	// written (a person tries an offer that has ended, or not started, on
	// purpose); "" means the example, whose campaign dates are opened.
	ConfigFile string
	// Listen is the web page's address; DefaultListen when empty. When it
	// is busy the page moves to a free port of the same host, and Run says
	// so.
	Listen string
	// API is the Twitter API the bot speaks to the emulator: config.APIv1
	// or config.APIv2; empty means the file's twitter.api (v1.1 where it
	// says none).
	API string
	// Demo runs the scripted purchase at start: alice buys by tweet.
	Demo bool
	// Once makes Run return after the demo and the commands on Stdin,
	// instead of serving until ctx is cancelled (for tests and CI).
	Once bool
	// Stdin holds commands, one a line (see helpText); nil means none. Its
	// end only means no more commands.
	Stdin io.Reader
	// Stdout receives the conversation; nil discards it.
	Stdout io.Writer
	// Logger receives the daemon's logs; nil writes them to paybytweet.log
	// in Dir, so that Stdout stays a readable conversation.
	Logger *slog.Logger
	// Dir holds the sandbox's SQLite file, its log, and sandbox.yaml, the
	// configuration it runs, complete, for the admin commands (see
	// writeAdminConfig); empty means a fresh temporary directory, removed
	// when Run returns.
	Dir string

	// started, when set (by tests), is called once everything runs.
	started func(*sandbox)
	// issuer, when set (by tests), adjusts the issuer sandbox's options
	// before it starts: a fake clock, to watch an approval expire.
	issuer func(*issuersandbox.Options)
}

// Timeouts of the waits for the daemon. They are deadlines, not sleeps:
// waiting ends as soon as the daemon has answered.
const (
	demoStepTimeout = 30 * time.Second
	commandTimeout  = 10 * time.Second
	webTimeout      = 15 * time.Second // a charge that goes to approval takes a few more steps; a loaded machine is slower
	// pushStartTimeout bounds the wait at start for push to be healthy
	// (connected, subscribed, and polled once), so that the demo and the
	// first commands already go by push; past it the bot polls meanwhile.
	pushStartTimeout = 10 * time.Second
	// pushGrace is how long a message the sandbox sent may take to reach
	// the bot's inbox by push before waitUntil polls for it instead: push
	// says healthy, but a line lost with a dropped stream is found by a
	// poll only.
	pushGrace = 2 * time.Second
)

// sandbox is one running sandbox: the two emulators, the daemon, and the
// people a person can play.
type sandbox struct {
	opt    Options
	ctx    context.Context // cancelled when Run must stop
	out    *console
	tw     *twitteremu.Server
	iss    *issuersandbox.Server
	issNow func() time.Time // the issuer's clock, for the time left to approve
	cfg    *config.Config
	d      *daemon.Daemon
	bot    twitteremu.User
	people []*person
	webURL string
	moved  string // why the page is not at Options.Listen, "" when it is
	dir    string
	dbPath string
	logTo  string // the daemon log's path, or "" when the caller took the logs
	// adminConfig is the configuration file left in dir for the admin
	// commands, "" when it could not be written (adminConfigErr says why).
	adminConfig    string
	adminConfigErr error
	tr             *transcript

	mu    sync.Mutex   // guards the people's enrollment fields
	links atomic.Int64 // cards linked: part of the page's version, as linking sends no message

	// owed are the messages the sandbox sent the bot that it has not seen
	// in the bot's inbox yet (see waitUntil); guarded by owedMu.
	owedMu sync.Mutex
	owed   []owedMessage
	// polls counts the polls the sandbox asked of the bot (PollNow):
	// none while push brings the messages.
	polls atomic.Int64

	cleanups []func()
}

// Run starts the emulators and the daemon, prints who can be played,
// runs the demo when asked, then reads commands from Stdin and serves the
// web page until ctx is cancelled (or, with Once, until the commands end).
// It returns an error when the example configuration does not validate,
// something cannot start, or the demo does not end in an approved
// purchase; a cancelled ctx is a clean stop, not an error.
func Run(ctx context.Context, opt Options) error {
	s, err := start(ctx, opt)
	if err != nil {
		return err
	}
	defer s.close()
	return s.run()
}

// start brings everything up; on failure it undoes what it did.
func start(ctx context.Context, opt Options) (_ *sandbox, err error) {
	if len(opt.ConfigYAML) == 0 {
		return nil, errors.New("sandbox: no example configuration was given")
	}
	if opt.Listen == "" {
		opt.Listen = DefaultListen
	}
	if opt.Stdout == nil {
		opt.Stdout = io.Discard
	}
	s := &sandbox{opt: opt, ctx: ctx, out: &console{w: opt.Stdout}}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if err := s.makeDir(); err != nil {
		return nil, err
	}
	logger := opt.Logger
	if logger == nil {
		s.logTo = filepath.Join(s.dir, "paybytweet.log")
		f, err := os.OpenFile(s.logTo, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("sandbox: daemon log: %w", err)
		}
		s.cleanups = append(s.cleanups, func() { f.Close() })
		logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}

	// The page's address goes into the configuration (the enrollment link
	// points at it), so it is bound before the daemon starts.
	ln, moved, err := listen(opt.Listen)
	if err != nil {
		return nil, fmt.Errorf("sandbox: web page: %w", err)
	}
	s.cleanups = append(s.cleanups, func() { ln.Close() }) // in case the page is never served
	s.webURL, s.moved = "http://"+ln.Addr().String(), moved

	// The bot's name comes from the file; a first parse (with sandbox
	// secrets) is what knows it, and also refuses a broken file before
	// anything starts, each problem at its line as check-config says it.
	name, what := "config.example.yaml", "the example configuration"
	if opt.ConfigFile != "" {
		name, what = opt.ConfigFile, opt.ConfigFile
	}
	cfg, err := config.Parse(opt.ConfigYAML, name, sandboxEnv)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s does not validate:\n%w", what, err)
	}
	s.cfg = cfg
	s.bot = twitteremu.User{ID: botUserID, ScreenName: cfg.Bot.ScreenName}
	if s.bot.ScreenName == "" {
		s.bot.ScreenName = "AmexOffers"
	}
	s.bot.Name = s.bot.ScreenName

	if err := s.startEmulators(); err != nil {
		return nil, err
	}
	s.sandboxConfig(time.Now())
	s.adminConfig, s.adminConfigErr = s.writeAdminConfig()

	d, err := daemon.Open(ctx, s.cfg, daemon.Options{Logger: logger, Bot: func(o *bot.Options) {
		// A person is watching: workers look for work often rather than
		// once a second, and Ctrl-C does not wait long for work in flight.
		o.Idle = 100 * time.Millisecond
		o.ShutdownGrace = 2 * time.Second
	}})
	if err != nil {
		return nil, fmt.Errorf("sandbox: start the daemon: %w", err)
	}
	s.d = d
	s.cleanups = append(s.cleanups, func() { d.Close() })
	s.waitForPush(pushStartTimeout)
	s.tr = newTranscript(s)
	s.serveWeb(ln)
	return s, nil
}

// makeDir picks the directory of the database and log. A database left by
// an earlier run is replaced: the emulators start empty every time, and
// the bot's cursors and orders from another world would hide this one's
// tweets and refuse alice's purchase.
func (s *sandbox) makeDir() error {
	s.dir = s.opt.Dir
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "paybytweet-sandbox-")
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		s.dir = dir
		s.cleanups = append(s.cleanups, func() { os.RemoveAll(dir) })
	} else if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.dbPath = filepath.Join(s.dir, "sandbox.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(s.dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sandbox: remove the database of an earlier run: %w", err)
		}
	}
	return nil
}

// listen binds addr or, when that fails (most likely another program
// has the port), a free port of the same host; why says why it moved, ""
// when it did not.
func listen(addr string) (ln net.Listener, why string, err error) {
	ln, err = net.Listen("tcp", addr)
	if err == nil {
		return ln, "", nil
	}
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		return nil, "", err
	}
	why = fmt.Sprintf("cannot listen on %s (%v)", addr, err)
	if errors.Is(err, syscall.EADDRINUSE) {
		why = addr + " is busy"
	}
	ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	return ln, why, err
}

// Sandbox credentials. They are what the emulators accept, and what the
// example file's ${...} secrets become: the sandbox never reads the real
// environment, so no real credential can end up in it.
const (
	sandboxConsumerKey    = "sandbox-consumer-key"
	sandboxConsumerSecret = "sandbox-consumer-secret"
	sandboxAccessToken    = "sandbox-access-token"
	sandboxAccessSecret   = "sandbox-access-secret"
	sandboxBearerToken    = "sandbox-bearer-token"
	sandboxIssuerKey      = issuersandbox.DefaultAPIKey
)

// sandboxReconcile is how often the bot polls on v2 while push is
// healthy: the safety net only, as push brings every message at once;
// twitter.poll (every second) applies while push is down.
const sandboxReconcile = "@every 30s"

// sandboxEnv resolves the example file's ${NAME}. Names it does not know
// get a harmless placeholder rather than an error, so that an example file
// that grows a new secret still runs in the sandbox.
func sandboxEnv(name string) (string, bool) {
	switch name {
	case "TWITTER_CONSUMER_KEY":
		return sandboxConsumerKey, true
	case "TWITTER_CONSUMER_SECRET":
		return sandboxConsumerSecret, true
	case "TWITTER_ACCESS_TOKEN":
		return sandboxAccessToken, true
	case "TWITTER_ACCESS_SECRET":
		return sandboxAccessSecret, true
	case "TWITTER_BEARER_TOKEN":
		return sandboxBearerToken, true
	case "ISSUER_API_KEY":
		return sandboxIssuerKey, true
	}
	return "sandbox-" + strings.ToLower(name), true
}

// startEmulators starts the Twitter emulator and the issuer sandbox on
// free ports of 127.0.0.1 and gives them the cast.
func (s *sandbox) startEmulators() error {
	s.tw = twitteremu.New(twitteremu.Options{
		Bot:         s.bot,
		ConsumerKey: sandboxConsumerKey, ConsumerSecret: sandboxConsumerSecret,
		AccessToken: sandboxAccessToken, AccessSecret: sandboxAccessSecret,
		// On v1.1 (and on v2 while push is down) the sandbox polls every
		// second and after every command; Twitter's 15-minute budgets (15
		// DM lists!) would run out within a minute and make the bot look
		// broken.
		RateLimits: map[string]int{
			"statuses/mentions_timeline":  1 << 30,
			"statuses/user_timeline":      1 << 30,
			"statuses/show":               1 << 30,
			"account/verify_credentials":  1 << 30,
			"direct_messages/events/list": 1 << 30,
			"direct_messages/events/show": 1 << 30,
			"2/users/me":                  1 << 30,
			"2/users/:id/mentions":        1 << 30,
			"2/users/:id/tweets":          1 << 30,
			"2/dm_events":                 1 << 30,
		},
		// On v2 the bot takes the Activity API's stream with the
		// sandbox's own bearer token.
		Push: twitteremu.PushOptions{BearerToken: sandboxBearerToken},
	})
	// A purchase that waits for its cardholder's approval waits for the
	// person playing them, who is asked on the page and at the prompt.
	issOpt := issuersandbox.Options{APIKey: sandboxIssuerKey, ApprovalTTL: sandboxApprovalTTL}
	if s.opt.issuer != nil {
		s.opt.issuer(&issOpt)
	}
	s.iss, s.issNow = issuersandbox.New(issOpt), issOpt.Clock
	if s.issNow == nil {
		s.issNow = time.Now
	}
	s.people = cast()
	for _, p := range s.people {
		s.tw.AddUser(p.User)
		if p.Cardholder != "" {
			s.iss.Enroll(issuersandbox.Enrollment{
				TwitterUserID: p.idString(), Cardholder: p.Cardholder, CardLast4: p.Card, CardBrand: "amex", Status: p.Status,
			})
		}
		if p.Declines != "" {
			s.iss.DeclineCard(p.Cardholder, p.Declines)
		}
	}
	if _, err := s.tw.Start(); err != nil {
		return fmt.Errorf("sandbox: start the Twitter emulator: %w", err)
	}
	s.cleanups = append(s.cleanups, s.tw.Close)
	if _, err := s.iss.Start(); err != nil {
		return fmt.Errorf("sandbox: start the issuer sandbox: %w", err)
	}
	s.cleanups = append(s.cleanups, s.iss.Close)
	return nil
}

// demoApprovalOver is the sandbox's approval threshold in USD cents: below
// the demo's Kindle Fire HD (199.00), above the gift cards.
const demoApprovalOver = 100_00

// sandboxConfig points the parsed example configuration at the sandbox:
// the emulators' addresses and credentials, the database in Dir, polls
// every second, on v2 push over the emulator's Activity API stream (the
// polls then only reconcile, every 30 s, while push is healthy), no
// OAuth 2.0 (its token endpoint would be X's), the enrollment link at the
// web page, no health endpoint (it would take a port the person did not
// ask for).
//
// The example's offers are opened now, as its dates are for a real
// campaign and a person trying the sandbox next year must still be able
// to buy (see openOffers). A person's own file (Options.ConfigFile) keeps
// its dates: there an ended offer is one to try.
func (s *sandbox) sandboxConfig(now time.Time) {
	c := s.cfg
	c.Bot.ScreenName = s.bot.ScreenName
	c.Storage.Path = s.dbPath
	if api := s.opt.API; api != "" && api != c.Twitter.API {
		// The file's budgets are for its own API; on the other one the
		// bot keeps to that one's.
		c.Twitter.API, c.Twitter.Limits = api, config.APILimits(api)
	}
	c.Twitter.APIURL = s.tw.URL()
	if c.Twitter.API == config.APIv2 {
		c.Twitter.APIURL = s.tw.URLv2()
	}
	c.Twitter.ConsumerKey, c.Twitter.ConsumerSecret = sandboxConsumerKey, sandboxConsumerSecret
	c.Twitter.AccessToken, c.Twitter.AccessSecret = sandboxAccessToken, sandboxAccessSecret
	c.Twitter.Poll.Mentions, c.Twitter.Poll.DirectMessages = "@every 1s", "@every 1s"
	// Push is X's on v2 only. A file's own push section (a webhook at its
	// public address, its bearer token) gives way to the emulator's
	// stream, which needs no address.
	c.Twitter.Push = config.Push{Mode: config.PushOff}
	if c.Twitter.API == config.APIv2 {
		c.Twitter.Push = config.Push{Mode: config.PushStream, BearerToken: sandboxBearerToken, Reconcile: sandboxReconcile}
	}
	c.Twitter.OAuth2 = nil
	c.Issuer.URL, c.Issuer.APIKey = s.iss.URL(), sandboxIssuerKey
	c.Issuer.EnrollURL = s.webURL + "/link-card"
	c.Health.Listen = ""
	if s.opt.ConfigFile == "" {
		openOffers(c.Offers, now)
		// The demo's purchase goes over the approval threshold, so that a
		// person sees the cardholder's phone at work (the example's
		// threshold is for a real campaign).
		c.Risk.ApprovalOver = map[string]int64{"USD": demoApprovalOver}
	}
}

// openOffers opens the example's offers at now: a start in the future
// becomes "open from the start", an end in the past becomes "never ends",
// and an announcement due later is made at once. Offers already open keep
// their dates, so the sandbox says what the file says wherever it can.
func openOffers(offers []config.Offer, now time.Time) {
	for i := range offers {
		o := &offers[i]
		if o.Starts.After(now) {
			o.Starts = time.Time{}
		}
		if !o.Ends.IsZero() && !o.Ends.After(now) {
			o.Ends = time.Time{}
		}
		if o.AnnounceAt.After(now) {
			o.AnnounceAt = now
		}
	}
}

// run is Run once everything is up.
func (s *sandbox) run() error {
	s.printIntro()
	if s.opt.started != nil {
		s.opt.started(s)
	}
	stopWatch := s.tr.watch()
	defer stopWatch()
	if err := s.runDemo(); err != nil {
		return err
	}
	if !s.opt.Once {
		s.out.printf("\nYour turn. %s\n\n%s\n", s.webNote(), s.helpText())
	}
	quit := s.prompt()
	if quit || s.opt.Once {
		s.out.printf("\nStopping the sandbox.\n")
		return nil
	}
	if s.opt.Stdin != nil && s.ctx.Err() == nil {
		s.out.printf("\n(No more commands. The web page stays at %s until Ctrl-C.)\n", s.webURL)
	}
	<-s.ctx.Done()
	s.out.printf("\nStopping the sandbox.\n")
	return nil
}

// runDemo runs the demo when asked. A failed demo is an error (with
// Once, `sandbox -once` is a smoke test; with the example, it is a bug),
// except with the person's own file, whose offers may be sold out or
// closed on purpose: then it is said, and the sandbox goes on.
func (s *sandbox) runDemo() error {
	if !s.opt.Demo {
		return nil
	}
	err := s.demo()
	switch {
	case err == nil, s.ctx.Err() != nil:
		return nil
	case s.opt.Once || s.opt.ConfigFile == "":
		return err
	}
	s.out.printf("\n%v\n(The demo's offer in %s may be sold out or closed on purpose: the sandbox goes on. -demo=false leaves the demo out.)\n",
		err, s.opt.ConfigFile)
	return nil
}

// close stops everything in the reverse order of starting. It may be
// called on a half-started sandbox.
func (s *sandbox) close() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}

// console is Stdout shared by the prompt, the demo, the watcher and the web
// handlers; one lock keeps their lines whole.
type console struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, format, args...)
}

func (c *console) print(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.w, s)
}

// waitCtx is a context that ends with the sandbox or with ctx, whichever
// comes first: a web request waiting for the bot must not hold up Ctrl-C.
func (s *sandbox) waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return c, func() { stop(); cancel() }
}

// serveHTTP serves the page on ln until the sandbox closes.
func (s *sandbox) serveHTTP(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	s.cleanups = append(s.cleanups, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	})
}
