package twitteremu

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestPushStreamDeliversAndKeepsAlive(t *testing.T) {
	e := newPushEnv(t, Options{})
	e.subscribeAll(t, "")
	sc, resp := e.openStream(t, "")
	if sc == nil {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	if !slices.Equal(resp.TransferEncoding, []string{"chunked"}) || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("x-rate-limit-limit") != "450" {
		t.Errorf("answer: %v %v", resp.TransferEncoding, resp.Header)
	}
	// Silence is broken by keep-alives, at most KeepAlive apart.
	start := time.Now()
	for range 3 {
		if l := sc.next(t, time.Second); l != "\r\n" {
			t.Fatalf("line %q, want a keep-alive", l)
		}
	}
	if el := time.Since(start); el < 250*time.Millisecond || el > 2*time.Second {
		t.Errorf("3 keep-alives in %v with KeepAlive 100ms", el)
	}
	m := e.mustPost(t, alice.ID, "@PayByTweet buy #KindleFire", TweetOptions{})
	dm, _ := e.srv.SendDM(bob.ID, e.bot.ID, "yes")
	ev := sc.nextEvent(t, time.Second)
	if path(ev, "data", "event_type") != EventMention || path(ev, "data", "payload", "id") != idStr(m.ID) {
		t.Errorf("first event = %v", ev)
	}
	ev = sc.nextEvent(t, time.Second)
	if path(ev, "data", "event_type") != EventDMReceived || path(ev, "data", "payload", "direct_message_events", 0, "id") != idStr(dm.ID) {
		t.Errorf("second event = %v", ev)
	}
	got := e.waitPushed(t, 2, nil)
	if got[0].Via != PushViaStream || got[0].Stream != 1 || got[0].MessageID != m.ID || got[1].MessageID != dm.ID || got[0].Backfill {
		t.Errorf("PushEvents = %+v", got)
	}
	if e.srv.OpenStreams() != 1 {
		t.Errorf("open streams = %d", e.srv.OpenStreams())
	}
	sc.close()
	deadline := time.Now().Add(2 * time.Second)
	for e.srv.OpenStreams() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if e.srv.OpenStreams() != 0 {
		t.Error("the stream stays open after its client went away")
	}
	if reqs := e.srv.Requests(); reqs[len(reqs)-1].Endpoint != "GET 2/activity/stream" || reqs[len(reqs)-1].Status != 200 {
		t.Errorf("last request = %+v", reqs[len(reqs)-1])
	}
}

func TestPushStreamAuthAndQuery(t *testing.T) {
	e := newPushEnv(t, Options{})
	resp, body := e.bearerCall(t, "", http.MethodGet, "activity/stream", "")
	if resp.StatusCode != http.StatusUnauthorized || body["title"] != "Unauthorized" {
		t.Errorf("no token: %d %v", resp.StatusCode, body)
	}
	for _, q := range []string{"backfill_minutes=6", "backfill_minutes=x", "start_time=2024-03-01T12:00:00Z", "colour=red"} {
		if st, body := e.bearer(t, http.MethodGet, "activity/stream?"+q, ""); st != http.StatusBadRequest {
			t.Errorf("%s: %d %v", q, st, body)
		}
	}
	if e.srv.OpenStreams() != 0 {
		t.Error("a refused connection is open")
	}
}

func TestPushStreamBackfill(t *testing.T) {
	e := newPushEnv(t, Options{})
	e.subscribeAll(t, "")
	old := e.mustPost(t, alice.ID, "@PayByTweet old", TweetOptions{})
	e.clock.Advance(3 * time.Minute)
	recent := e.mustPost(t, alice.ID, "@PayByTweet recent", TweetOptions{})
	e.clock.Advance(30 * time.Second)

	sc, _ := e.openStream(t, "backfill_minutes=2")
	if ev := sc.nextEvent(t, time.Second); path(ev, "data", "payload", "id") != idStr(recent.ID) {
		t.Errorf("backfill = %v, want only the recent post", ev)
	}
	sc.quiet(t, 150*time.Millisecond)
	live := e.mustPost(t, alice.ID, "@PayByTweet live", TweetOptions{})
	if ev := sc.nextEvent(t, time.Second); path(ev, "data", "payload", "id") != idStr(live.ID) {
		t.Errorf("live after backfill = %v", ev)
	}
	sc.close()

	sc, _ = e.openStream(t, "backfill_minutes=5")
	var ids []string
	for range 3 {
		ids = append(ids, path(sc.nextEvent(t, time.Second), "data", "payload", "id").(string))
	}
	if want := []string{idStr(old.ID), idStr(recent.ID), idStr(live.ID)}; !slices.Equal(ids, want) {
		t.Errorf("5 minutes of backfill = %v, want %v", ids, want)
	}
	backfilled := 0
	for _, p := range e.srv.PushEvents() {
		if p.Backfill {
			backfilled++
		}
	}
	if backfilled != 4 {
		t.Errorf("%d deliveries marked Backfill, want 4", backfilled)
	}
}

func TestPushStreamNoBackfill(t *testing.T) {
	e := newPushEnv(t, Options{Push: PushOptions{NoBackfill: true}})
	e.subscribeAll(t, "")
	e.mustPost(t, alice.ID, "@PayByTweet missed", TweetOptions{})
	sc, _ := e.openStream(t, "backfill_minutes=5")
	sc.quiet(t, 250*time.Millisecond)
	if n := len(e.srv.PushEvents()); n != 0 {
		t.Errorf("%d deliveries without backfill", n)
	}
}

func TestPushStreamDropped(t *testing.T) {
	e := newPushEnv(t, Options{})
	e.subscribeAll(t, "")
	sc, _ := e.openStream(t, "")
	sc.next(t, time.Second) // connected
	if n := e.srv.DropStreams(); n != 1 {
		t.Errorf("DropStreams = %d", n)
	}
	if err := sc.ended(t, 2*time.Second); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a dropped stream ends with %v, want an unexpected EOF", err)
	}

	// Dropped after one event: the second is lost on this connection. The
	// fault goes to a stream open when it is injected: wait until the
	// dropped one is gone, however slow the machine.
	for deadline := time.Now().Add(10 * time.Second); e.srv.OpenStreams() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the dropped stream is still open: %d", e.srv.OpenStreams())
		}
	}
	if err := e.srv.InjectPushFault(PushFault{Drop: true, After: 1}); err != nil {
		t.Fatal(err)
	}
	sc, _ = e.openStream(t, "")
	a := e.mustPost(t, alice.ID, "@PayByTweet one", TweetOptions{})
	e.mustPost(t, alice.ID, "@PayByTweet two", TweetOptions{})
	if ev := sc.nextEvent(t, time.Second); path(ev, "data", "payload", "id") != idStr(a.ID) {
		t.Errorf("before the drop: %v", ev)
	}
	if err := sc.ended(t, 2*time.Second); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("dropped after one event: %v", err)
	}
	// The next connection is not dropped, and its backfill brings the
	// lost one.
	sc, _ = e.openStream(t, "backfill_minutes=1")
	sc.nextEvent(t, time.Second)
	sc.nextEvent(t, time.Second)
	sc.quiet(t, 250*time.Millisecond)

	// A fault injected while a stream is open takes that stream.
	if err := e.srv.InjectPushFault(PushFault{Drop: true}); err != nil {
		t.Fatal(err)
	}
	if err := sc.ended(t, 2*time.Second); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("dropped at once: %v", err)
	}
}

func TestPushStreamStalled(t *testing.T) {
	e := newPushEnv(t, Options{Push: PushOptions{KeepAlive: 30 * time.Millisecond}})
	e.subscribeAll(t, "")
	if err := e.srv.InjectPushFault(PushFault{Stall: true, After: 1}); err != nil {
		t.Fatal(err)
	}
	sc, _ := e.openStream(t, "")
	e.mustPost(t, alice.ID, "@PayByTweet one", TweetOptions{})
	e.mustPost(t, alice.ID, "@PayByTweet two", TweetOptions{})
	sc.nextEvent(t, time.Second)
	// Then nothing, keep-alives included, for many times KeepAlive.
	select {
	case l := <-sc.lines:
		t.Fatalf("a stalled stream sent %q", l)
	case err := <-sc.err:
		t.Fatalf("a stalled stream ended: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	sc.close() // the client gives up
	deadline := time.Now().Add(2 * time.Second)
	for e.srv.OpenStreams() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if e.srv.OpenStreams() != 0 {
		t.Error("a stalled stream outlives its client")
	}

	// StallStreams stalls what is open; DropStreams ends a stalled one.
	sc, _ = e.openStream(t, "")
	sc.next(t, time.Second)
	if n := e.srv.StallStreams(); n != 1 {
		t.Errorf("StallStreams = %d", n)
	}
	time.Sleep(50 * time.Millisecond)
	for len(sc.lines) > 0 {
		<-sc.lines
	}
	select {
	case l := <-sc.lines:
		t.Fatalf("a stalled stream sent %q", l)
	case <-time.After(200 * time.Millisecond):
	}
	e.srv.DropStreams()
	if err := sc.ended(t, 2*time.Second); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("stalled then dropped: %v", err)
	}
}

func TestPushStreamRefusedOnConnect(t *testing.T) {
	e := newPushEnv(t, Options{Push: PushOptions{MaxStreams: 1}})
	if err := e.srv.InjectPushFault(PushFault{ConnectStatus: 429, ResetIn: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	resp, body := e.bearerCall(t, testBearer, http.MethodGet, "activity/stream", "")
	want := strconv.FormatInt(e.clock.Now().Add(30*time.Second).Unix(), 10)
	if resp.StatusCode != 429 || resp.Header.Get("x-rate-limit-reset") != want || resp.Header.Get("x-rate-limit-remaining") != "0" {
		t.Errorf("429 on connect: %d %v %v", resp.StatusCode, resp.Header, body)
	}
	// InjectFault refuses it too, with the window's reset.
	e.srv.InjectFault(Fault{Endpoint: "GET 2/activity/stream", Status: 503})
	if resp, _ := e.bearerCall(t, testBearer, http.MethodGet, "activity/stream", ""); resp.StatusCode != 503 {
		t.Errorf("injected 503: %d", resp.StatusCode)
	}
	sc, resp := e.openStream(t, "")
	if sc == nil {
		t.Fatalf("after the faults: %d", resp.StatusCode)
	}
	// One connection at most (MaxStreams 1): X's TooManyConnections.
	resp, body = e.bearerCall(t, testBearer, http.MethodGet, "activity/stream", "")
	if resp.StatusCode != 429 || body["connection_issue"] != "TooManyConnections" {
		t.Errorf("second connection: %d %v", resp.StatusCode, body)
	}
	if e.srv.OpenStreams() != 1 {
		t.Errorf("open streams = %d", e.srv.OpenStreams())
	}
	if err := e.srv.InjectPushFault(PushFault{Drop: true, Stall: true}); err == nil {
		t.Error("a PushFault of two kinds was taken")
	}
	if err := e.srv.InjectPushFault(PushFault{}); err == nil {
		t.Error("a PushFault of no kind was taken")
	}
}

func TestPushStreamDuplicate(t *testing.T) {
	e := newPushEnv(t, Options{})
	e.subscribeAll(t, "")
	sc, _ := e.openStream(t, "")
	if err := e.srv.InjectPushFault(PushFault{Duplicate: true}); err != nil {
		t.Fatal(err)
	}
	e.mustPost(t, alice.ID, "@PayByTweet once", TweetOptions{})
	e.mustPost(t, alice.ID, "@PayByTweet twice", TweetOptions{})
	var uuids []any
	for range 3 {
		uuids = append(uuids, path(sc.nextEvent(t, time.Second), "data", "event_uuid"))
	}
	if uuids[0] != uuids[1] || uuids[1] == uuids[2] {
		t.Errorf("event_uuids = %v, want the first twice", uuids)
	}
	sc.quiet(t, 150*time.Millisecond)
	got := e.srv.PushEvents()
	if len(got) != 3 || got[0].Duplicate || !got[1].Duplicate || got[2].Duplicate {
		t.Errorf("PushEvents = %+v", got)
	}
}
