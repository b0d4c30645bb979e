package push

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
	"github.com/paybytweet/paybytweet/twitterv2"
)

// The app's credentials in the tests: none may ever be logged.
const (
	testBearer   = "bearer-test-AAAA%2Fsecret-bearer"
	testConsumer = "consumer-key-test"
	testSecret   = "consumer-secret-test-5ecret"
	testToken    = "access-token-test"
	testTokenSec = "access-secret-test"
)

var (
	alice = twitteremu.User{ID: 1001, ScreenName: "alice"}
	bob   = twitteremu.User{ID: 1002, ScreenName: "Bob_2"}
)

// lockedBuffer is a log sink the tests read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rig is the emulator with push on, short timings, and a Client of it.
type rig struct {
	t    *testing.T
	srv  *twitteremu.Server
	c    *Client
	me   twitterapi.User
	logs *lockedBuffer
	log  *slog.Logger
}

func newRig(t *testing.T, opts twitteremu.Options) *rig {
	t.Helper()
	opts.ConsumerKey, opts.ConsumerSecret, opts.AccessToken, opts.AccessSecret = testConsumer, testSecret, testToken, testTokenSec
	opts.Push.BearerToken = testBearer
	if opts.Push.KeepAlive == 0 {
		opts.Push.KeepAlive = 50 * time.Millisecond
	}
	if opts.Push.WebhookRetryDelay == 0 {
		opts.Push.WebhookRetryDelay = 10 * time.Millisecond
	}
	if opts.Push.WebhookTimeout == 0 {
		opts.Push.WebhookTimeout = 5 * time.Second
	}
	srv := twitteremu.New(opts)
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddUser(alice)
	srv.AddUser(bob)
	bot := srv.Bot()
	r := &rig{t: t, srv: srv, me: twitterapi.User{ID: bot.ID, ScreenName: bot.ScreenName}, logs: &lockedBuffer{}}
	r.log = slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.c = r.client(testBearer)
	t.Cleanup(func() {
		r.c.Close()
		// Nothing this package logged may hold a token.
		logs := r.logs.String()
		for _, secret := range []string{testBearer, testSecret, testTokenSec, "AAAA%2F", "AAAA/"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs hold a secret %q:\n%s", secret, logs)
			}
		}
	})
	return r
}

// client is a Client of the rig's emulator with bearer.
func (r *rig) client(bearer string) *Client {
	r.t.Helper()
	c, err := New(Config{
		BaseURL: r.srv.URLv2(), BearerToken: bearer, ConsumerSecret: testSecret,
		UserClient: twitterv2.OAuth1Client(testConsumer, testSecret, testToken, testTokenSec, nil),
		Logger:     r.log,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *rig) decoder() Decoder { return Decoder{Me: r.me, Logger: r.log} }

func (r *rig) ensure(webhookID string) Ensured {
	r.t.Helper()
	res, err := r.c.Ensure(context.Background(), r.me.ID, webhookID)
	if err != nil {
		r.t.Fatalf("Ensure: %v", err)
	}
	return res
}

func (r *rig) post(author int64, text string, inReplyTo int64) twitteremu.Tweet {
	r.t.Helper()
	tw, err := r.srv.PostTweet(author, text, twitteremu.TweetOptions{InReplyTo: inReplyTo})
	if err != nil {
		r.t.Fatalf("post %q: %v", text, err)
	}
	return tw
}

func (r *rig) dm(from int64, text string) twitteremu.DMEvent {
	r.t.Helper()
	d, err := r.srv.SendDM(from, r.me.ID, text)
	if err != nil {
		r.t.Fatalf("DM %q: %v", text, err)
	}
	return d
}

// waitPushed waits for n deliveries match accepts.
func (r *rig) waitPushed(n int, match func(twitteremu.PushedEvent) bool) []twitteremu.PushedEvent {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := r.srv.WaitPushEvents(ctx, n, match)
	if err != nil {
		r.t.Fatal(err)
	}
	return got
}

// sink collects what handle gets.
type sink struct {
	ch chan Event
}

func newSink() *sink { return &sink{ch: make(chan Event, 1000)} }

func (s *sink) handle(ev Event) { s.ch <- ev }

// keep is handle as the webhook takes it: every event kept.
func (s *sink) keep(ev Event) error {
	s.handle(ev)
	return nil
}

// next waits for the next event.
func (s *sink) next(t *testing.T) Event {
	t.Helper()
	select {
	case ev := <-s.ch:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return Event{}
}

// none reports that nothing was handed on so far.
func (s *sink) none(t *testing.T) {
	t.Helper()
	select {
	case ev := <-s.ch:
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
}

// running is a Stream run by a test.
type running struct {
	s      *Stream
	events *sink
	states chan State
	cancel context.CancelFunc
	done   chan error
}

// runStream runs a Stream of the rig's client; hook (may be nil) runs on
// Run's goroutine at each state, before the test hears of it. The stream
// is stopped at the end of the test, with a leak check.
func (r *rig) runStream(opts StreamOptions, hook func(State)) *running {
	r.t.Helper()
	run := &running{events: newSink(), states: make(chan State, 100), done: make(chan error, 1)}
	if opts.Decoder.Me.ID == 0 {
		opts.Decoder = r.decoder()
	}
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return 20 * time.Millisecond }
	}
	opts.OnState = func(st State) {
		if hook != nil {
			hook(st)
		}
		run.states <- st
	}
	run.s = r.c.NewStream(opts)
	ctx, cancel := context.WithCancel(context.Background())
	run.cancel = cancel
	go func() { run.done <- run.s.Run(ctx, run.events.handle) }()
	r.t.Cleanup(func() { run.stop(r.t) })
	return run
}

// stop ends Run and checks it left nothing behind.
func (run *running) stop(t *testing.T) {
	t.Helper()
	run.cancel()
	select {
	case err := <-run.done:
		if err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
		run.done <- err // for a second stop
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of its context's end")
	}
	noPushGoroutines(t)
}

// state waits for the next state.
func (run *running) state(t *testing.T) State {
	t.Helper()
	select {
	case st := <-run.states:
		return st
	case <-time.After(10 * time.Second):
		t.Fatal("no state within 10 s")
	}
	return State{}
}

// connected waits for the next state and wants a connection.
func (run *running) connected(t *testing.T) State {
	t.Helper()
	st := run.state(t)
	if st.Kind != StateConnected {
		t.Fatalf("state %v (%v), want connected", st.Kind, st.Err)
	}
	return st
}

// disconnected waits for the next state and wants a disconnection.
func (run *running) disconnected(t *testing.T) State {
	t.Helper()
	st := run.state(t)
	if st.Kind != StateDisconnected {
		t.Fatalf("state %v, want disconnected", st.Kind)
	}
	return st
}

// pushGoroutines are the goroutines running this package's code, but the
// tests' own.
func pushGoroutines() []string {
	buf := make([]byte, 1<<22)
	n := runtime.Stack(buf, true)
	var out []string
	for _, g := range strings.Split(string(buf[:n]), "\n\n") {
		if strings.Contains(g, "paybytweet/push.") && !strings.Contains(g, "testing.tRunner") &&
			!strings.Contains(g, "push.pushGoroutines") {
			out = append(out, g)
		}
	}
	return out
}

// noPushGoroutines waits for this package's goroutines to be gone.
func noPushGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := pushGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left behind:\n%s", strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// httpDo sends a request and returns the status and body.
func httpDo(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}
