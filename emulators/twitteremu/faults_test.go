package twitteremu

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/dghubble/go-twitter/twitter"
)

func TestFaultStatusAnswersTwitterError(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectFault(Fault{Endpoint: "POST statuses/update", Status: 503})
	_, resp, err := e.client.Statuses.Update("first try", nil)
	wantCode(t, resp, err, http.StatusServiceUnavailable, CodeOverCapacity)
	if len(e.srv.TweetsBy(e.bot.ID)) != 0 {
		t.Error("a plain fault must not do the work")
	}
	if _, _, err := e.client.Statuses.Update("first try", nil); err != nil {
		t.Errorf("fault was not consumed: %v", err)
	}
	e.srv.InjectFault(Fault{Endpoint: "statuses/mentions_timeline", Status: 400, Code: 999, Message: "custom"})
	_, resp, err = e.client.Timelines.MentionTimeline(nil)
	wantCode(t, resp, err, 400, 999)
	if msg := apiError(t, err).Message; msg != "custom" {
		t.Errorf("message = %q", msg)
	}
}

func TestFaultEmptyBody429IsNoErrorForGoTwitter(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectFault(Fault{Endpoint: "GET statuses/mentions_timeline", Status: 429, EmptyBody: true})
	ts, resp, err := e.client.Timelines.MentionTimeline(nil)
	if err != nil {
		t.Fatalf("go-twitter returned %v; it returns nil for a body-less answer", err)
	}
	if resp.StatusCode != http.StatusTooManyRequests || len(ts) != 0 {
		t.Errorf("status %d, %d tweets", resp.StatusCode, len(ts))
	}
	if resp.Header.Get("x-rate-limit-remaining") != "0" || resp.Header.Get("x-rate-limit-reset") == "" {
		t.Errorf("injected 429 headers: %v", resp.Header)
	}
	// The same on POST: the bot must look at the status code.
	e.srv.InjectFault(Fault{Endpoint: "POST statuses/update", Status: 429, EmptyBody: true})
	tw, resp, err := e.client.Statuses.Update("hello", nil)
	if err != nil || resp.StatusCode != 429 || tw.ID != 0 {
		t.Errorf("update: err %v status %d id %d", err, resp.StatusCode, tw.ID)
	}
}

func TestFaultAfterWorkPostsThenFails(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectFault(Fault{Endpoint: "statuses/update", Status: 503, AfterWork: true})
	_, resp, err := e.client.Statuses.Update("@alice receipt A1", nil)
	wantCode(t, resp, err, http.StatusServiceUnavailable, CodeOverCapacity)
	mine := e.srv.TweetsBy(e.bot.ID)
	if len(mine) != 1 || mine[0].Text != "@alice receipt A1" {
		t.Fatalf("tweet should exist although the answer was 503: %+v", mine)
	}
	// A blind retry now hits the duplicate check.
	_, resp, err = e.client.Statuses.Update("@alice receipt A1", nil)
	wantCode(t, resp, err, http.StatusForbidden, CodeDuplicateStatus)

	e.srv.InjectFault(Fault{Endpoint: "POST direct_messages/events/new", Status: 500, AfterWork: true})
	_, resp, err = e.client.DirectMessages.EventsNew(newDM(alice.ID, "dm after work"))
	wantCode(t, resp, err, http.StatusInternalServerError, CodeInternalError)
	if dms := e.srv.DMs(); len(dms) != 1 || dms[0].Text != "dm after work" {
		t.Errorf("DM should exist: %+v", dms)
	}
}

func TestFaultDropClosesConnection(t *testing.T) {
	e := newEnv(t, Options{})
	// Warm a keep-alive connection: Go's transport replays an idempotent
	// request dropped on a reused connection, and the drop must survive
	// that replay.
	if _, _, err := e.client.Timelines.MentionTimeline(nil); err != nil {
		t.Fatal(err)
	}
	e.srv.InjectFault(Fault{Endpoint: "GET statuses/mentions_timeline", Drop: true})
	if _, _, err := e.client.Timelines.MentionTimeline(nil); err == nil {
		t.Fatal("dropped GET returned no error")
	}
	if _, _, err := e.client.Timelines.MentionTimeline(nil); err != nil {
		t.Errorf("after the drop: %v", err)
	}

	e.srv.InjectFault(Fault{Endpoint: "POST statuses/update", Drop: true})
	if _, _, err := e.client.Statuses.Update("dropped", nil); err == nil {
		t.Error("dropped POST returned no error")
	}
	if n := len(e.srv.TweetsBy(e.bot.ID)); n != 0 {
		t.Errorf("dropped without AfterWork, yet %d tweets", n)
	}
	e.srv.InjectFault(Fault{Endpoint: "POST statuses/update", Drop: true, AfterWork: true})
	if _, _, err := e.client.Statuses.Update("posted then dropped", nil); err == nil {
		t.Error("dropped POST returned no error")
	}
	if mine := e.srv.TweetsBy(e.bot.ID); len(mine) != 1 || mine[0].Text != "posted then dropped" {
		t.Errorf("tweets = %+v", mine)
	}
}

// TestFaultHold: a held request does its work and answers only once the
// test releases it, however long that takes.
func TestFaultHold(t *testing.T) {
	e := newEnv(t, Options{})
	release := make(chan struct{})
	e.srv.InjectFault(Fault{Endpoint: "POST statuses/update", Hold: release})
	done := make(chan error, 1)
	go func() {
		_, _, err := e.client.Statuses.Update("held", nil)
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.Held() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("held requests = %d, want 1", e.srv.Held())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, err := e.client.Statuses.Update("quick", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("the held request answered before its release: %v", err)
	default:
	}
	if n := len(e.srv.TweetsBy(e.bot.ID)); n != 1 {
		t.Fatalf("tweets before the release = %d, want only the quick one", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("released request: %v", err)
	}
	if n := len(e.srv.TweetsBy(e.bot.ID)); n != 2 || e.srv.Held() != 0 {
		t.Errorf("after the release: %d tweets, %d held; want 2 and 0", n, e.srv.Held())
	}
}

func TestFaultDelay(t *testing.T) {
	e := newEnv(t, Options{})
	impatient := newClient(e.base, testConsumerKey, testConsumerSecret, testAccessToken, testAccessSecret, 100*time.Millisecond)
	// Timeout after doing the work: the outcome is unknown to the bot.
	e.srv.InjectFault(Fault{Endpoint: "POST statuses/update", Delay: 5 * time.Second, AfterWork: true})
	start := time.Now()
	if _, _, err := impatient.Statuses.Update("slow", nil); err == nil {
		t.Fatal("want a timeout")
	}
	if time.Since(start) > 3*time.Second {
		t.Error("the delay outlived the client")
	}
	if n := len(e.srv.TweetsBy(e.bot.ID)); n != 1 {
		t.Errorf("tweets = %d, want the one posted before the delay", n)
	}
	// A delay alone is followed by the real answer.
	e.srv.InjectFault(Fault{Endpoint: "GET account/verify_credentials", Delay: 20 * time.Millisecond})
	if _, _, err := e.client.Accounts.VerifyCredentials(nil); err != nil {
		t.Errorf("delayed answer: %v", err)
	}
}

func TestFaultMalformedBody(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustPost(t, alice.ID, "@PayByTweet hi", TweetOptions{})
	e.srv.InjectFault(Fault{Endpoint: "GET statuses/mentions_timeline", Malformed: true})
	_, resp, err := e.client.Timelines.MentionTimeline(nil)
	var ae twitter.APIError
	if err == nil || errors.As(err, &ae) || resp.StatusCode != 200 {
		t.Errorf("want a decoding error with 200, got %v (%d)", err, resp.StatusCode)
	}
	e.srv.InjectFault(Fault{Endpoint: "POST statuses/update", Malformed: true, AfterWork: true})
	if _, _, err := e.client.Statuses.Update("half an answer", nil); err == nil {
		t.Error("want a decoding error")
	}
	if n := len(e.srv.TweetsBy(e.bot.ID)); n != 1 {
		t.Errorf("tweets = %d, want 1", n)
	}
}

func TestFaultTimesMatchingAndClear(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectFault(Fault{Endpoint: "statuses/update", Status: 503, Times: 2})
	for i := range 2 {
		if _, _, err := e.client.Statuses.Update("x", nil); err == nil {
			t.Errorf("attempt %d succeeded", i)
		}
	}
	if _, _, err := e.client.Statuses.Update("x", nil); err != nil {
		t.Errorf("third attempt: %v", err)
	}
	// Other endpoints are untouched; "" matches every endpoint.
	e.srv.InjectFault(Fault{Endpoint: "GET direct_messages/events/list", Status: 500, Times: -1})
	if _, _, err := e.client.Timelines.MentionTimeline(nil); err != nil {
		t.Errorf("unrelated endpoint: %v", err)
	}
	for range 3 {
		if _, _, err := e.client.DirectMessages.EventsList(nil); err == nil {
			t.Error("Times -1 fault stopped")
		}
	}
	e.srv.ClearFaults()
	if _, _, err := e.client.DirectMessages.EventsList(nil); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
	e.srv.InjectFault(Fault{Endpoint: "GET /1.1/statuses/user_timeline.json", Status: 503})
	if _, _, err := e.client.Timelines.UserTimeline(nil); err == nil {
		t.Error("path-form endpoint did not match")
	}
	e.srv.InjectFault(Fault{Status: 503})
	if _, _, err := e.client.Accounts.VerifyCredentials(nil); err == nil {
		t.Error("catch-all fault did not apply")
	}

	var updates, faulted int
	for _, r := range e.srv.Requests() {
		if r.Endpoint == "POST statuses/update" {
			updates++
			if r.Form.Get("status") != "x" {
				t.Errorf("recorded form = %v", r.Form)
			}
			if r.Fault {
				faulted++
				if r.Status != 503 {
					t.Errorf("faulted status %d", r.Status)
				}
			}
		}
	}
	if updates != 3 || faulted != 2 {
		t.Errorf("recorded %d updates, %d faulted; want 3, 2", updates, faulted)
	}
}

func TestCloseEndsDelayedAnswers(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectFault(Fault{Endpoint: "GET account/verify_credentials", Delay: time.Minute})
	done := make(chan error, 1)
	go func() {
		_, _, err := e.client.Accounts.VerifyCredentials(nil)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	e.srv.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("want an error from a closed server")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the delayed request")
	}
}
