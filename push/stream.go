package push

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paybytweet/paybytweet/backoff"
)

// Defaults of StreamOptions.
const (
	// DefaultDeadAfter is the longest silence of a live stream: X sends a
	// keep-alive at least every 20 s; the contract allows a margin up to
	// 60 s.
	DefaultDeadAfter = 60 * time.Second
	// MaxBackfillMinutes is X's maximum backfill_minutes.
	MaxBackfillMinutes = 5
	// maxRetryWait bounds a wait X asked for (a 429's reset is within its
	// 15-minute window).
	maxRetryWait = 16 * time.Minute
	// maxLine bounds a line of the stream; a longer one is skipped.
	maxLine = 4 << 20
)

// Errors a disconnection's State.Err wraps.
var (
	// ErrSilent: no byte (event or keep-alive) came for DeadAfter, or
	// no answer to the connection for as long.
	ErrSilent = errors.New("push: the stream was silent too long")
	// ErrStreamEnded: X ended the answer (EOF).
	ErrStreamEnded = errors.New("push: X ended the stream")
)

// StateKind is what happened to the stream.
type StateKind int

// The kinds of State.
const (
	// StateConnected: X answered 200; its headers arrived. The pollers
	// should run at once: whatever happened during the gap (or before
	// the start) is theirs to find, whatever backfill X gives.
	StateConnected StateKind = iota + 1
	// StateDisconnected: a connection ended, or an attempt failed.
	StateDisconnected
)

func (k StateKind) String() string {
	switch k {
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	}
	return "unknown"
}

// State reports a connection or disconnection of the stream.
type State struct {
	Kind StateKind
	// At is when it happened.
	At time.Time
	// Reconnect (StateConnected) says this is not the Stream's first
	// connection: count it as a reconnect.
	Reconnect bool
	// Backfill (StateConnected) is the backfill_minutes this connection
	// asked for, 0 for none: count each non-zero one as a backfill asked.
	// X may send less, or nothing.
	Backfill int
	// Err (StateDisconnected) says why: ErrSilent, ErrStreamEnded, a
	// *RefusedError (401, 403: ALERT alert=push_unavailable), an
	// *APIError (429 with its RetryAt, 5xx, ...), a transport error, or
	// the context's error when Run ends.
	Err error
	// Wait (StateDisconnected) is how long until the next attempt; 0
	// when Run is ending.
	Wait time.Duration
	// Failures (StateDisconnected) counts the attempts that failed in a
	// row, this one included; a connection that received anything
	// starts the count again.
	Failures int
}

// StreamOptions configures a Stream.
type StreamOptions struct {
	// Decoder decodes the events; its Me is the bot's account.
	Decoder Decoder
	// DeadAfter is how long without a byte means the connection is dead
	// (and how long a connection may take to answer); default
	// DefaultDeadAfter.
	DeadAfter time.Duration
	// Backoff is the wait before attempt n (1, 2, ...) after a failure;
	// default backoff.Wait (1 s doubling to 1 min, with jitter). After a
	// 429 the wait lasts at least until X's x-rate-limit-reset.
	Backoff func(n int) time.Duration
	// OnState is called, on Run's goroutine, at every connection and
	// disconnection. It must return quickly.
	OnState func(State)
}

// Stream is the bot's connection to GET activity/stream, kept open by
// Run.
type Stream struct {
	c       *Client
	opts    StreamOptions
	running atomic.Bool

	// Run's own, across its calls.
	mu        sync.Mutex
	connected bool      // a connection was made once
	lastByte  time.Time // the last byte received (headers included)
}

// NewStream returns a Stream of the client's stream endpoint.
func (c *Client) NewStream(opts StreamOptions) *Stream {
	if opts.DeadAfter <= 0 {
		opts.DeadAfter = DefaultDeadAfter
	}
	if opts.Backoff == nil {
		opts.Backoff = backoff.Wait
	}
	return &Stream{c: c, opts: opts}
}

// Run connects with the bearer token and keeps the stream open until ctx
// ends, calling handle, on its own goroutine, with every event in the
// order X sent them, those to ignore included (KindIgnored; X's
// operational messages and malformed lines are logged, not handed on).
// handle must be quick (store the event, wake the processor): it holds
// up the stream. The same message may come more than once (a duplicate,
// a backfill of what was delivered): dedupe by Event.MessageIDs.
//
// Every end of a connection (EOF, error, DeadAfter of silence, an answer
// other than 200) is followed by another attempt after Backoff (after a
// 429, not before x-rate-limit-reset); a reconnection asks
// backfill_minutes = the minutes since the last byte received, rounded
// up, at most 5; the Stream's first connection asks none. OnState hears
// of each. Run returns ctx's error when ctx ends, having closed its
// connection and left no goroutine behind; it refuses to run twice at
// once.
func (s *Stream) Run(ctx context.Context, handle func(Event)) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("push: Stream.Run is running already")
	}
	defer s.running.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.c.Close()
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		backfill := 0
		if s.connected {
			backfill = backfillMinutes(s.c.now().Sub(s.lastByte))
		}
		got, err := s.session(ctx, backfill, handle)
		if ctxErr := ctx.Err(); ctxErr != nil {
			if got >= 0 {
				s.report(State{Kind: StateDisconnected, Err: ctxErr, Failures: failures})
			}
			return ctxErr
		}
		if got > 0 {
			failures = 0
		}
		failures++
		wait := s.opts.Backoff(failures)
		var ae *APIError
		if errors.As(err, &ae) && !ae.RetryAt.IsZero() {
			if until := ae.RetryAt.Sub(s.c.now()); until > wait {
				wait = min(until, maxRetryWait)
			}
		}
		s.c.log.Warn("push stream disconnected", "err", err, "retry_in", wait, "failures", failures)
		s.report(State{Kind: StateDisconnected, Err: err, Wait: wait, Failures: failures})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Stream) report(st State) {
	if st.At.IsZero() {
		st.At = s.c.now()
	}
	if s.opts.OnState != nil {
		s.opts.OnState(st)
	}
}

// backfillMinutes is the backfill to ask after a gap since the last
// byte: its minutes rounded up, at least 1, at most MaxBackfillMinutes.
func backfillMinutes(gap time.Duration) int {
	m := int((gap + time.Minute - 1) / time.Minute)
	return max(1, min(m, MaxBackfillMinutes))
}

// session makes one connection and reads it to its end. got is -1 when
// the connection was not made, else the bytes of the body received; err
// says how it ended.
func (s *Stream) session(ctx context.Context, backfill int, handle func(Event)) (got int, err error) {
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	dead := s.opts.DeadAfter
	var silent atomic.Bool
	timer := time.AfterFunc(dead, func() {
		silent.Store(true)
		cancel()
	})
	defer timer.Stop()
	silence := func(err error) error {
		if silent.Load() && ctx.Err() == nil {
			return fmt.Errorf("%w: nothing for %v", ErrSilent, dead)
		}
		return err
	}

	u := s.c.base.JoinPath("activity/stream")
	if backfill > 0 {
		u.RawQuery = url.Values{"backfill_minutes": {strconv.Itoa(backfill)}}.Encode()
	}
	req, err := http.NewRequestWithContext(connCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return -1, s.c.transportErr(EndpointStream, err)
	}
	req.Header.Set("Authorization", "Bearer "+s.c.bearer)
	resp, err := s.c.stream.Do(req)
	if err != nil {
		return -1, silence(s.c.transportErr(EndpointStream, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return -1, s.c.statusError(EndpointStream, resp, raw)
	}
	s.lastByte = s.c.now()
	timer.Reset(dead)
	reconnect := s.connected
	s.connected = true
	s.c.log.Info("push stream connected", "reconnect", reconnect, "backfill_minutes", backfill)
	s.report(State{Kind: StateConnected, Reconnect: reconnect, Backfill: backfill})

	body := &liveReader{r: resp.Body, onRead: func(n int) {
		got += n
		s.lastByte = s.c.now()
		timer.Reset(dead)
	}}
	br := bufio.NewReaderSize(body, 64<<10)
	for {
		line, tooLong, err := readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return got, ErrStreamEnded
			}
			return got, silence(s.c.transportErr(EndpointStream, err))
		}
		if tooLong {
			s.c.log.Warn("push stream line too long skipped", "max_bytes", maxLine)
			continue
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue // a keep-alive
		}
		s.deliver(line, handle)
	}
}

// deliver decodes a line and hands it on.
func (s *Stream) deliver(line []byte, handle func(Event)) {
	ev, err := s.opts.Decoder.Decode(line)
	switch {
	case err != nil:
		s.c.log.Warn("malformed push event skipped", "via", "stream", "bytes", len(line), "err", err)
	case ev.Kind == KindOperational:
		s.c.log.Warn("push stream: a message from X", "message", s.c.redact(ev.Message))
	default:
		handle(ev)
	}
}

// liveReader tells of every byte read.
type liveReader struct {
	r      io.Reader
	onRead func(n int)
}

func (l *liveReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		l.onRead(n)
	}
	return n, err
}

// readLine reads up to and including a '\n'. A line over maxLine is read
// to its end and reported tooLong, its bytes dropped; an unfinished line
// at the end of the body is dropped with the error.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		if !tooLong && len(line)+len(frag) <= maxLine {
			line = append(line, frag...)
		} else {
			tooLong, line = true, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return line, tooLong, nil
	}
}
