package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

func TestBackfillMinutes(t *testing.T) {
	for gap, want := range map[time.Duration]int{
		0: 1, time.Millisecond: 1, 59 * time.Second: 1, time.Minute: 1, time.Minute + time.Millisecond: 2,
		150 * time.Second: 3, 5 * time.Minute: 5, 5*time.Minute + time.Second: 5, 3 * time.Hour: 5,
	} {
		if got := backfillMinutes(gap); got != want {
			t.Errorf("backfillMinutes(%v) = %d, want %d", gap, got, want)
		}
	}
}

func TestStreamDefaults(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	s := r.c.NewStream(StreamOptions{})
	if s.opts.DeadAfter != 60*time.Second || s.opts.Backoff == nil {
		t.Errorf("defaults = %+v", s.opts)
	}
	// The repository's backoff: 1 s doubling to 1 min, with jitter.
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 7: time.Minute, 20: time.Minute} {
		if d := s.opts.Backoff(n); d < want/2 || d > want {
			t.Errorf("Backoff(%d) = %v, want within [%v, %v]", n, d, want/2, want)
		}
	}
}

func TestStreamEventsInOrder(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	r.ensure("")
	run := r.runStream(StreamOptions{}, nil)
	if st := run.connected(t); st.Reconnect || st.Backfill != 0 {
		t.Errorf("first connection = %+v: no backfill at a first start", st)
	}
	var want []int64
	for i := range 5 {
		want = append(want, r.post(alice.ID, fmt.Sprintf("@PayByTweet buy #%d", i), 0).ID)
	}
	want = append(want, r.dm(bob.ID, "buy #KindleFire").ID)
	req := r.post(r.me.ID, "@alice reply yes to pay", want[0])
	yes := r.post(alice.ID, "yes", req.ID)
	want = append(want, yes.ID)
	var got []int64
	var types []string
	for range want {
		ev := run.events.next(t)
		got = append(got, ev.MessageIDs()...)
		types = append(types, ev.Type)
	}
	if !slices.Equal(got, want) {
		t.Errorf("message ids %v, want %v", got, want)
	}
	if types[5] != TypeDMReceived || types[6] != TypeReply || types[0] != TypeMention {
		t.Errorf("types %v", types)
	}
	run.stop(t)
	if st := run.state(t); st.Kind != StateDisconnected || !errors.Is(st.Err, context.Canceled) || st.Wait != 0 {
		t.Errorf("at the end: %+v", st)
	}
	if r.srv.OpenStreams() != 0 {
		waitFor(t, func() bool { return r.srv.OpenStreams() == 0 }, "the stream closed at X")
	}
}

// compact makes a sample one line, as X sends an event on the stream.
func compact(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}

// waitFor polls cond until it holds, failing after 5 s.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStreamReconnectsWithBackfill(t *testing.T) {
	for _, noBackfill := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoBackfill=%v", noBackfill), func(t *testing.T) {
			r := newRig(t, twitteremu.Options{Push: twitteremu.PushOptions{NoBackfill: noBackfill}})
			r.ensure("")
			var missed int64
			hook := func(st State) {
				// While nothing is connected: only the backfill can bring it.
				if st.Kind == StateDisconnected && missed == 0 {
					missed = r.post(bob.ID, "@PayByTweet buy in the gap", 0).ID
				}
			}
			run := r.runStream(StreamOptions{}, hook)
			run.connected(t)
			live := r.post(alice.ID, "@PayByTweet buy before", 0)
			if ev := run.events.next(t); ev.Tweet.ID != live.ID {
				t.Fatalf("live = %+v", ev)
			}
			if n := r.srv.DropStreams(); n != 1 {
				t.Fatalf("DropStreams = %d", n)
			}
			st := run.disconnected(t)
			if st.Err == nil || errors.Is(st.Err, ErrSilent) || st.Failures != 1 {
				t.Errorf("disconnected = %+v", st)
			}
			st = run.connected(t)
			if !st.Reconnect || st.Backfill != 1 {
				t.Errorf("reconnected = %+v, want a reconnect asking 1 minute", st)
			}
			after := r.post(alice.ID, "@PayByTweet buy after", 0)
			var got []int64
			for {
				ev := run.events.next(t)
				got = append(got, ev.Tweet.ID)
				if ev.Tweet.ID == after.ID {
					break
				}
			}
			if noBackfill {
				// Not pushed again: the poll the daemon runs at every
				// (re)connection finds it.
				if !slices.Equal(got, []int64{after.ID}) {
					t.Errorf("without backfill: %v, want only %d", got, after.ID)
				}
				return
			}
			// The backfill brings the minute again: what was delivered
			// (a duplicate, for the caller's dedupe), then what was missed.
			if !slices.Equal(got, []int64{live.ID, missed, after.ID}) {
				t.Errorf("after the reconnection: %v, want %v", got, []int64{live.ID, missed, after.ID})
			}
			backfilled := 0
			for _, p := range r.srv.PushEvents() {
				if p.Backfill {
					backfilled++
				}
			}
			if backfilled != 2 {
				t.Errorf("%d deliveries by backfill, want 2", backfilled)
			}
			var asked []string
			for _, req := range r.srv.Requests() {
				if req.Endpoint == "GET 2/activity/stream" {
					asked = append(asked, req.Query.Get("backfill_minutes"))
				}
			}
			if !slices.Equal(asked, []string{"", "1"}) {
				t.Errorf("backfill_minutes asked %q", asked)
			}
		})
	}
}

func TestStreamStalled(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	r.ensure("")
	// The first connection stalls after one event.
	if err := r.srv.InjectPushFault(twitteremu.PushFault{Stall: true, After: 1}); err != nil {
		t.Fatal(err)
	}
	run := r.runStream(StreamOptions{DeadAfter: 300 * time.Millisecond}, nil)
	run.connected(t)
	one := r.post(alice.ID, "@PayByTweet one", 0)
	two := r.post(alice.ID, "@PayByTweet two", 0)
	if ev := run.events.next(t); ev.Tweet.ID != one.ID {
		t.Fatalf("first = %+v", ev)
	}
	// Nothing more, keep-alives included: dead after DeadAfter.
	st := run.disconnected(t)
	if !errors.Is(st.Err, ErrSilent) {
		t.Errorf("disconnected = %+v, want ErrSilent", st)
	}
	if st := run.connected(t); !st.Reconnect || st.Backfill != 1 {
		t.Errorf("reconnected = %+v", st)
	}
	var got []int64
	for len(got) < 2 {
		got = append(got, run.events.next(t).Tweet.ID)
	}
	if !slices.Equal(got, []int64{one.ID, two.ID}) {
		t.Errorf("after the stall: %v", got)
	}
	// The stalled connection is closed: one stream open at X.
	waitFor(t, func() bool { return r.srv.OpenStreams() == 1 }, "one stream open")

	// StallStreams stalls what is open, keep-alives included.
	r.srv.StallStreams()
	if st := run.disconnected(t); !errors.Is(st.Err, ErrSilent) {
		t.Errorf("disconnected = %+v", st)
	}
	run.connected(t)
	three := r.post(alice.ID, "@PayByTweet three", 0)
	for {
		if ev := run.events.next(t); ev.Tweet.ID == three.ID {
			break
		}
	}
}

func TestStreamConnectionWithoutAnswerIsDead(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	r.srv.InjectFault(twitteremu.Fault{Endpoint: "GET 2/activity/stream", Delay: time.Minute})
	run := r.runStream(StreamOptions{DeadAfter: 200 * time.Millisecond}, nil)
	if st := run.disconnected(t); !errors.Is(st.Err, ErrSilent) {
		t.Errorf("disconnected = %+v", st)
	}
	if st := run.connected(t); st.Reconnect {
		t.Errorf("the first connection made = %+v", st)
	}
}

func TestStream429WaitsForReset(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	if err := r.srv.InjectPushFault(twitteremu.PushFault{ConnectStatus: http.StatusTooManyRequests, ResetIn: 1200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run := r.runStream(StreamOptions{Backoff: func(int) time.Duration { return 10 * time.Millisecond }}, nil)
	st := run.disconnected(t)
	var ae *APIError
	if !errors.As(st.Err, &ae) || ae.Status != http.StatusTooManyRequests || ae.RetryAt.Before(start.Add(time.Second)) {
		t.Fatalf("disconnected = %+v (%v)", st, st.Err)
	}
	if st.Wait < time.Until(ae.RetryAt)-50*time.Millisecond {
		t.Errorf("wait %v, reset in %v", st.Wait, time.Until(ae.RetryAt))
	}
	c := run.connected(t)
	if c.At.Before(ae.RetryAt) {
		t.Errorf("connected at %v, before the reset %v", c.At, ae.RetryAt)
	}
	if c.Reconnect || c.Backfill != 0 {
		t.Errorf("connected = %+v: never connected before, nothing to backfill", c)
	}
}

func TestStreamBacksOff(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	r.ensure("")
	var mu sync.Mutex
	var asked []int
	backoff := func(n int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, n)
		return 5 * time.Millisecond
	}
	// A 503 carries x-rate-limit-reset too (the window's end): not a wait.
	if err := r.srv.InjectPushFault(twitteremu.PushFault{ConnectStatus: http.StatusServiceUnavailable, Times: 3}); err != nil {
		t.Fatal(err)
	}
	run := r.runStream(StreamOptions{Backoff: backoff}, nil)
	for i := 1; i <= 3; i++ {
		st := run.disconnected(t)
		var ae *APIError
		if !errors.As(st.Err, &ae) || ae.Status != http.StatusServiceUnavailable || st.Failures != i || st.Wait != 5*time.Millisecond {
			t.Errorf("attempt %d: %+v", i, st)
		}
	}
	run.connected(t)
	// A connection that received something starts the count again.
	m := r.post(alice.ID, "@PayByTweet buy", 0)
	if ev := run.events.next(t); ev.Tweet.ID != m.ID {
		t.Fatalf("event = %+v", ev)
	}
	r.srv.DropStreams()
	if st := run.disconnected(t); st.Failures != 1 {
		t.Errorf("after a good connection: %+v", st)
	}
	run.connected(t)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(asked, []int{1, 2, 3, 1}) {
		t.Errorf("Backoff asked for attempts %v", asked)
	}
}

func TestStreamDuplicateReachesHandleTwice(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	r.ensure("")
	run := r.runStream(StreamOptions{}, nil)
	run.connected(t)
	if err := r.srv.InjectPushFault(twitteremu.PushFault{Duplicate: true}); err != nil {
		t.Fatal(err)
	}
	m := r.post(alice.ID, "@PayByTweet buy", 0)
	a, b := run.events.next(t), run.events.next(t)
	// Both: dedupe is the caller's, by the message id.
	if a.Tweet.ID != m.ID || b.Tweet.ID != m.ID || a.UUID != b.UUID {
		t.Errorf("duplicates = %+v / %+v", a, b)
	}
}

func TestStreamRefusedBearer(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	r.c = r.client("not-the-" + testBearer)
	run := r.runStream(StreamOptions{}, nil)
	for i := 1; i <= 2; i++ {
		st := run.disconnected(t)
		var re *RefusedError
		if !errors.As(st.Err, &re) || re.Status != http.StatusUnauthorized || st.Failures != i {
			t.Errorf("attempt %d: %+v", i, st)
		}
		if strings.Contains(st.Err.Error(), testBearer) || strings.Contains(st.Err.Error(), "AAAA") {
			t.Errorf("the error holds the token: %v", st.Err)
		}
	}
}

// TestStreamLines: keep-alives, X's operational messages, malformed and
// overlong lines, bare "\n" line ends, and an unfinished last line.
func TestStreamLines(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	var mu sync.Mutex
	var backfills []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != "Bearer "+testBearer || req.URL.Path != "/2/activity/stream" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		backfills = append(backfills, req.URL.Query().Get("backfill_minutes"))
		n := len(backfills)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		if n > 1 {
			<-req.Context().Done()
			return
		}
		for _, l := range []string{"\r\n", compact(sampleMention) + "\r\n", "garbage\r\n",
			`{"errors":[{"title":"operational-disconnect"}]}` + "\r\n", strings.Repeat("x", maxLine+100) + "\r\n",
			"\r\n", compact(sampleDM) + "\n", compact(sampleReply)} {
			io.WriteString(w, l)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(fake.Close) // after the stream's stop
	c, err := New(Config{BaseURL: fake.URL + "/2", BearerToken: testBearer, Logger: r.log})
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	run := r.runStream(StreamOptions{Decoder: Decoder{Me: sampleMe}}, nil)
	run.connected(t)
	if ev := run.events.next(t); ev.Tweet.ID != wantMention.ID {
		t.Errorf("first = %+v", ev)
	}
	if ev := run.events.next(t); ev.Kind != KindDM || ev.DMs[0].ID != wantDM.ID {
		t.Errorf("second = %+v", ev)
	}
	if st := run.disconnected(t); !errors.Is(st.Err, ErrStreamEnded) {
		t.Errorf("disconnected = %+v", st)
	}
	if st := run.connected(t); st.Backfill != 1 {
		t.Errorf("reconnected = %+v", st)
	}
	run.events.none(t) // the unfinished reply was dropped
	logs := r.logs.String()
	for _, want := range []string{"malformed push event skipped", "a message from X", "operational-disconnect", "line too long"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %q", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(backfills, []string{"", "1"}) {
		t.Errorf("backfill_minutes %q", backfills)
	}
}

func TestStreamRunOnce(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	run := r.runStream(StreamOptions{}, nil)
	run.connected(t)
	if err := run.s.Run(context.Background(), func(Event) {}); err == nil {
		t.Error("a second Run at once")
	}
}

// signalTransport tells when a stream request starts.
type signalTransport struct {
	inner   http.RoundTripper
	started chan struct{}
}

func (s signalTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/activity/stream") {
		select {
		case s.started <- struct{}{}:
		default:
		}
	}
	return s.inner.RoundTrip(req)
}

// TestStreamLeavesNoGoroutine ends Run while connected, while waiting to
// reconnect, and while a connection waits for its answer; once the
// emulator is closed too, every goroutine of the test is gone.
func TestStreamLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		r := newRig(t, twitteremu.Options{})
		defer r.srv.Close()
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		started := make(chan struct{}, 1)
		c, err := New(Config{BaseURL: r.srv.URLv2(), BearerToken: testBearer, HTTPClient: &http.Client{Transport: signalTransport{tr, started}}})
		if err != nil {
			t.Fatal(err)
		}
		r.c = c

		// Connected.
		run := r.runStream(StreamOptions{}, nil)
		run.connected(t)
		run.stop(t)

		// Waiting an hour to reconnect.
		if err := r.srv.InjectPushFault(twitteremu.PushFault{ConnectStatus: 503, Times: -1}); err != nil {
			t.Fatal(err)
		}
		run = r.runStream(StreamOptions{Backoff: func(int) time.Duration { return time.Hour }}, nil)
		if st := run.disconnected(t); st.Wait != time.Hour {
			t.Errorf("disconnected = %+v", st)
		}
		run.stop(t)
		r.srv.ClearPushFaults()

		// Connecting, X not answering.
		r.srv.InjectFault(twitteremu.Fault{Endpoint: "GET 2/activity/stream", Delay: time.Hour})
		for len(started) > 0 {
			<-started
		}
		run = r.runStream(StreamOptions{}, nil)
		<-started
		run.stop(t)
		select {
		case st := <-run.states:
			t.Errorf("a state without a connection: %+v", st)
		default:
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:n])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A 429 with budget left (X's TooManyConnections, another stream still
// open) waits the backoff, not the window's reset.
func TestStreamTooManyConnections(t *testing.T) {
	r := newRig(t, twitteremu.Options{Push: twitteremu.PushOptions{MaxStreams: 1}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URLv2()+"activity/stream", nil)
	req.Header.Set("Authorization", "Bearer "+testBearer)
	other, err := http.DefaultClient.Do(req)
	if err != nil || other.StatusCode != http.StatusOK {
		t.Fatalf("the other stream: %v %v", other, err)
	}
	run := r.runStream(StreamOptions{}, nil)
	st := run.disconnected(t)
	var ae *APIError
	if !errors.As(st.Err, &ae) || ae.Status != http.StatusTooManyRequests || !ae.RetryAt.IsZero() || st.Wait != 20*time.Millisecond {
		t.Errorf("disconnected = %+v (%v)", st, st.Err)
	}
	cancel()
	other.Body.Close()
	for {
		if st := run.state(t); st.Kind == StateConnected {
			break
		}
	}
}
