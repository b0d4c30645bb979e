package twitteremu

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// pushStream is one open GET activity/stream connection; its fields but
// wake are guarded by Server.mu.
type pushStream struct {
	n     int
	queue []PushedEvent
	wake  chan struct{} // capacity 1: something to look at
	// fault is the Drop or Stall fault the stream took, after left more
	// events.
	fault *PushFault
	left  int
	// drop and stall are DropStreams and StallStreams.
	drop, stall bool
}

func (st *pushStream) signal() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

func (st *pushStream) enqueue(d PushedEvent) {
	d.Via, d.Stream = PushViaStream, st.n
	st.queue = append(st.queue, d)
	st.signal()
}

// DropStreams closes every open stream connection abruptly, as a network
// failure would, and returns how many there were. Events queued on them
// are lost. It cannot fail.
func (s *Server) DropStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.push.streams {
		st.drop = true
		st.signal()
	}
	return len(s.push.streams)
}

// StallStreams makes every open stream stop sending anything, keep-alives
// included, until its client goes away (or DropStreams), and returns how
// many there were. It cannot fail.
func (s *Server) StallStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.push.streams {
		st.stall = true
		st.signal()
	}
	return len(s.push.streams)
}

// OpenStreams returns how many stream connections are open. It never
// fails.
func (s *Server) OpenStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.push.streams)
}

// streamConnectionJSON is X's 429 for a stream past the connection limit.
type streamConnectionJSON struct {
	Title           string `json:"title"`
	Detail          string `json:"detail"`
	ConnectionIssue string `json:"connection_issue"`
	Type            string `json:"type"`
	Status          int    `json:"status"`
}

type streamAction int

const (
	streamWait streamAction = iota
	streamSend
	streamDrop
	streamStall
)

// next decides what st does now; the caller holds s.mu.
func (s *Server) streamNext(st *pushStream) (streamAction, PushedEvent) {
	switch {
	case st.drop:
		return streamDrop, PushedEvent{}
	case st.stall:
		return streamStall, PushedEvent{}
	}
	if st.fault == nil {
		if f := s.takePushFault(func(f *PushFault) bool { return f.Drop || f.Stall }); f != nil {
			st.fault, st.left = f, f.After
		}
	}
	if st.fault != nil && st.left <= 0 {
		if st.fault.Drop {
			return streamDrop, PushedEvent{}
		}
		st.stall = true
		return streamStall, PushedEvent{}
	}
	if len(st.queue) == 0 {
		return streamWait, PushedEvent{}
	}
	d := st.queue[0]
	st.queue = st.queue[1:]
	if st.fault != nil {
		st.left--
	}
	return streamSend, d
}

// serveStream answers GET activity/stream (bearer): 200 and, kept open, a
// chunked body of lines, each an event or, after PushOptions.KeepAlive of
// silence, an empty one ("\r\n"). backfill_minutes=M first sends again
// the events of the last M minutes (by Options.Clock), unless
// PushOptions.NoBackfill. A ConnectStatus push fault, or MaxStreams open
// already, refuses the connection.
func (s *Server) serveStream(w http.ResponseWriter, c *call, rec Request) {
	backfill, _ := strconv.Atoi(c.query.Get("backfill_minutes")) // checked by the route's params
	s.mu.Lock()
	if f := s.takePushFault(func(f *PushFault) bool { return f.ConnectStatus != 0 }); f != nil {
		rec.Fault = true
		c.problem(problemFor(f.ConnectStatus, ""))
		if f.ConnectStatus == http.StatusTooManyRequests {
			reset := c.now.Add(f.ResetIn)
			if reset.Truncate(time.Second) != reset {
				reset = reset.Truncate(time.Second).Add(time.Second)
			}
			setRateHeaders(c, s.opts.RateLimits[c.route.name], 0, reset)
		}
		s.mu.Unlock()
		s.answer(w, c, rec)
		return
	}
	if max := s.opts.Push.MaxStreams; max > 0 && len(s.push.streams) >= max {
		c.json(http.StatusTooManyRequests, streamConnectionJSON{
			Title: "ConnectionException", Detail: "This stream is currently at the maximum allowed connection limit.",
			ConnectionIssue: "TooManyConnections", Type: "https://api.twitter.com/2/problems/streaming-connection",
			Status: http.StatusTooManyRequests,
		})
		s.mu.Unlock()
		s.answer(w, c, rec)
		return
	}
	s.push.nextStream++
	st := &pushStream{n: s.push.nextStream, wake: make(chan struct{}, 1)}
	if backfill > 0 && !s.opts.Push.NoBackfill {
		cutoff := c.now.Add(-time.Duration(backfill) * time.Minute)
		for _, ev := range s.push.log {
			if ev.Time.After(cutoff) {
				st.enqueue(PushedEvent{PushEvent: ev, Backfill: true})
			}
		}
	}
	s.push.streams = append(s.push.streams, st)
	keepAlive, backfilled := s.opts.Push.KeepAlive, len(st.queue)
	s.mu.Unlock()
	s.log.Info("stream connected", "stream", st.n, "backfill_minutes", backfill, "backfilled", backfilled)
	defer func() {
		s.mu.Lock()
		s.push.streams = slices.DeleteFunc(s.push.streams, func(o *pushStream) bool { return o == st })
		s.mu.Unlock()
		s.log.Info("stream closed", "stream", st.n)
	}()

	for k, vs := range c.resp.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	rec.Status = http.StatusOK
	s.record(rec)

	ctx := c.r.Context()
	timer := time.NewTimer(keepAlive)
	defer timer.Stop()
	for {
		s.mu.Lock()
		act, d := s.streamNext(st)
		s.mu.Unlock()
		switch act {
		case streamDrop:
			abortStream(w)
			return
		case streamStall:
			// Nothing more, keep-alives included, until the client gives
			// up or the stream is dropped.
			select {
			case <-ctx.Done():
				return
			case <-s.closed:
				return
			case <-st.wake:
				continue
			}
		case streamSend:
			line := make([]byte, 0, len(d.Body)+2)
			line = append(append(line, d.Body...), '\r', '\n')
			if _, err := w.Write(line); err != nil || rc.Flush() != nil {
				return
			}
			s.mu.Lock()
			s.recordPush(d)
			s.mu.Unlock()
			timer.Reset(keepAlive)
			continue
		}
		select {
		case <-st.wake:
		case <-timer.C:
			if _, err := w.Write([]byte("\r\n")); err != nil || rc.Flush() != nil {
				return
			}
			timer.Reset(keepAlive)
		case <-ctx.Done():
			return
		case <-s.closed:
			return
		}
	}
}

// abortStream closes the connection under a started answer, so that the
// client reads an unexpected end of the chunked body.
func abortStream(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
