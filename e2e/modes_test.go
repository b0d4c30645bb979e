package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
)

// mode is how a test's daemon reaches Twitter: the API, and on v2
// whether push (the Activity API's stream) brings the mentions and DMs
// besides the polls. Push on changes nothing a cardholder sees: a pushed
// message and the same message polled are one inbox row.
type mode struct {
	api  string // config.APIv1 or config.APIv2
	push bool   // twitter.push.mode: stream (v2 only)
}

// modes are the modes the purchase, DM, crash and restore tests run in.
var modes = []mode{{api: config.APIv1}, {api: config.APIv2}, {api: config.APIv2, push: true}}

// String names the mode's subtests: "v1.1", "v2", "v2+push".
func (m mode) String() string {
	if m.push {
		return m.api + "+push"
	}
	return m.api
}

// eachMode runs test once in each mode, as subtests named after it.
func eachMode(t *testing.T, test func(t *testing.T, m mode)) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) { test(t, m) })
	}
}

// newRig is newRig on the mode's API, with push on when the mode has it;
// then it waits until push is healthy, so that the test's messages are
// pushed as well as polled (settle still polls: whichever comes first is
// acted on, the other changes nothing). At the end of a test that
// passed, it checks that the daemon did receive pushed events: that the
// variant tested push.
func (m mode) newRig(t *testing.T, opts ...any) *rig {
	t.Helper()
	if !m.push {
		return newRig(t, m.api, opts...)
	}
	// Replies are pushed as X's own sample has them: without their author
	// ("includes": {}), whom the bot knows from the buy, or looks up.
	xSampleReplies := emuOption(func(o *twitteremu.Options) { o.Push.ReplyIncludesEmpty = true })
	r := newRig(t, m.api, append(opts, withPush, xSampleReplies)...)
	r.pushHealthy()
	// Registered after newRig's own cleanups: it runs first, with the
	// daemon still running.
	t.Cleanup(func() {
		if t.Failed() || t.Skipped() || r.d == nil {
			return
		}
		for deadline := time.Now().Add(10 * time.Second); r.pushedEvents() == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Error("push was on and healthy, and the daemon counted no pushed event: the variant did not test push")
				return
			}
		}
	})
	return r
}

// pushedEvents is how many pushed events the daemon has counted, of any
// type and outcome (new, duplicate, ignored).
func (r *rig) pushedEvents() int64 {
	r.t.Helper()
	f, err := r.d.DB.Figures(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	n := int64(0)
	for _, c := range f.Counts["push_events"] {
		n += c
	}
	return n
}

// spec is the world's childSpec in the mode: push on the stream when the
// mode has it.
func (m mode) spec(w *world) childSpec {
	spec := w.spec()
	if m.push {
		spec.Push = config.PushStream
	}
	return spec
}

// checkPushed checks, after a child daemon with push on has stopped, that
// it took push up: it opened the stream, and X made events for its
// subscriptions. How many of those it stored depends on when it was
// killed (an event on the wire, or queued for its commit, when SIGKILL
// comes is for the next start's poll to read) and, after a restore, on
// what the restored database lost: that is logged, not required.
func checkPushed(t *testing.T, w *world, db *storage.DB) {
	t.Helper()
	delivered := 0
	for _, e := range w.tw.PushEvents() {
		if e.Delivered() {
			delivered++
		}
	}
	f, err := db.Figures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	made, streams := len(w.tw.PushEventLog()), countRequests(w.tw.Requests(), "GET 2/activity/stream", 200)
	// A crash row whose cardholders said everything before the daemon
	// first connected makes no event: the stream must still have been
	// opened (and what push made, if anything, is logged below).
	if streams == 0 {
		t.Errorf("push was on, but no stream was opened; the test did not test push")
	}
	t.Logf("push: %d streams opened, %d events made, %d delivered on a stream; the daemon stored %v",
		streams, made, delivered, f.Counts["push_events"])
}
