package twitteremu

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPushWebhookRegisterAndCRC(t *testing.T) {
	e := newPushEnv(t, Options{})
	rc := newReceiver(t, testConsumerSecret)
	id := e.register(t, rc)
	if rc.crcCount() != 1 {
		t.Errorf("CRC checks at registration = %d", rc.crcCount())
	}
	st, body := e.bearer(t, http.MethodGet, "webhooks", "")
	if st != http.StatusOK || path(body, "data", 0, "id") != id || path(body, "data", 0, "url") != rc.url() ||
		path(body, "data", 0, "valid") != true || path(body, "data", 0, "created_at") != v2Time(e.clock.Now()) ||
		path(body, "meta", "result_count") != 1.0 {
		t.Errorf("list: %d %v", st, body)
	}
	st, body = e.bearer(t, http.MethodPost, "webhooks", `{"url":"`+rc.url()+`"}`)
	if d, _ := body["detail"].(string); st != http.StatusBadRequest || !strings.HasPrefix(d, "DuplicateUrlFailed") {
		t.Errorf("same url again: %d %v", st, body)
	}
	for _, u := range []string{"not a url", "ftp://example.com/x"} {
		st, body = e.bearer(t, http.MethodPost, "webhooks", `{"url":"`+u+`"}`)
		if d, _ := body["detail"].(string); st != http.StatusBadRequest || !strings.HasPrefix(d, "UrlValidationFailed") {
			t.Errorf("url %q: %d %v", u, st, body)
		}
	}
	// A receiver that answers the CRC wrong is not registered.
	bad := newReceiver(t, "another secret")
	st, body = e.bearer(t, http.MethodPost, "webhooks", `{"url":"`+bad.url()+`"}`)
	if d, _ := body["detail"].(string); st != http.StatusBadRequest || !strings.HasPrefix(d, "CrcValidationFailed") || bad.crcCount() != 1 {
		t.Errorf("wrong CRC: %d %v", st, body)
	}
	if hooks := e.srv.Webhooks(); len(hooks) != 1 || hooks[0].ID != id || !hooks[0].Valid || hooks[0].CRCChecks != 1 {
		t.Errorf("Webhooks() = %+v", hooks)
	}
	for _, call := range [][2]string{{"GET", "webhooks"}, {"POST", "webhooks"}, {"PUT", "webhooks/" + id}, {"POST", "webhooks/replay"}} {
		if resp, _ := e.bearerCall(t, "", call[0], call[1], `{}`); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without the bearer token: %d", call[0], call[1], resp.StatusCode)
		}
	}

	// PUT checks again: the CRC now fails, so the webhook is invalid and
	// gets no event.
	e.subscribeAll(t, id)
	rc.setWrongCRC(true)
	st, body = e.bearer(t, http.MethodPut, "webhooks/"+id, "")
	if st != http.StatusOK || path(body, "data", "valid") != false || rc.crcCount() != 2 {
		t.Errorf("PUT with a wrong CRC: %d %v", st, body)
	}
	if _, body := e.bearer(t, http.MethodGet, "webhooks", ""); path(body, "data", 0, "valid") != false {
		t.Errorf("list after a failed CRC: %v", body)
	}
	m := e.mustPost(t, alice.ID, "@PayByTweet while invalid", TweetOptions{})
	got := e.waitPushed(t, 1, viaWebhook)
	if got[0].Skipped != "webhook invalid" || got[0].MessageID != m.ID || got[0].Delivered() || len(rc.received()) != 0 {
		t.Errorf("delivery to an invalid webhook: %+v", got)
	}
	// X's periodic check passes again: events flow.
	rc.setWrongCRC(false)
	if hooks := e.srv.RecheckWebhooks(); !hooks[0].Valid || hooks[0].CRCChecks != 3 {
		t.Errorf("RecheckWebhooks = %+v", hooks)
	}
	e.mustPost(t, alice.ID, "@PayByTweet valid again", TweetOptions{})
	e.waitPushed(t, 2, viaWebhook)
	if calls := rc.received(); len(calls) != 1 || !calls[0].sigOK {
		t.Errorf("received = %+v", calls)
	}
	if st, body := e.bearer(t, http.MethodPut, "webhooks/123", ""); st != http.StatusBadRequest {
		t.Errorf("PUT an unknown webhook: %d %v", st, body)
	}
	st, body = e.bearer(t, http.MethodDelete, "webhooks/"+id, "")
	if st != http.StatusOK || path(body, "data", "deleted") != true || len(e.srv.Webhooks()) != 0 {
		t.Errorf("delete: %d %v", st, body)
	}
}

func TestPushWebhookDeliverySignedAndRetried(t *testing.T) {
	e := newPushEnv(t, Options{})
	rc := newReceiver(t, testConsumerSecret)
	id := e.register(t, rc)
	e.subscribeAll(t, id)
	// The stream, if open, gets the webhook's events too.
	sc, _ := e.openStream(t, "")

	m := e.mustPost(t, alice.ID, "@PayByTweet buy #KindleFire", TweetOptions{})
	got := e.waitPushed(t, 1, viaWebhook)
	calls := rc.received()
	if len(calls) != 1 || !calls[0].sigOK || got[0].Status != 200 || got[0].Attempt != 1 || !got[0].Delivered() || got[0].WebhookID != id {
		t.Fatalf("delivery: %+v / %+v", got, calls)
	}
	if !bytes.Equal(calls[0].body, got[0].Body) {
		t.Errorf("body %s, want %s", calls[0].body, got[0].Body)
	}
	ev := decodeEvent(t, calls[0].body)
	if path(ev, "data", "event_type") != EventMention || path(ev, "data", "payload", "id") != idStr(m.ID) {
		t.Errorf("event = %v", ev)
	}
	if sev := sc.nextEvent(t, time.Second); path(sev, "data", "event_uuid") != path(ev, "data", "event_uuid") {
		t.Errorf("the stream got %v", sev)
	}

	// A receiver that fails twice gets the same body a third time.
	rc.answer(503, 500)
	dm, _ := e.srv.SendDM(alice.ID, e.bot.ID, "yes")
	got = e.waitPushed(t, 4, viaWebhook)[1:]
	if got[0].Status != 503 || got[1].Status != 500 || got[2].Status != 200 || got[2].Attempt != 3 || got[2].MessageID != dm.ID {
		t.Errorf("retries: %+v", got)
	}
	calls = rc.received()
	if len(calls) != 4 || !bytes.Equal(calls[1].body, calls[3].body) {
		t.Errorf("the retries carry another body: %d calls", len(calls))
	}
}

func TestPushWebhookGivesUp(t *testing.T) {
	e := newPushEnv(t, Options{Push: PushOptions{WebhookRetries: 1}})
	rc := newReceiver(t, testConsumerSecret)
	id := e.register(t, rc)
	e.subscribeAll(t, id)
	rc.answer(500, 500, 500)
	e.mustPost(t, alice.ID, "@PayByTweet lost", TweetOptions{})
	e.waitPushed(t, 2, viaWebhook)
	time.Sleep(100 * time.Millisecond)
	if calls := rc.received(); len(calls) != 2 {
		t.Errorf("%d calls, want 1 and 1 retry", len(calls))
	}
}

func TestPushWebhookBadSignature(t *testing.T) {
	e := newPushEnv(t, Options{})
	rc := newReceiver(t, testConsumerSecret)
	id := e.register(t, rc)
	e.subscribeAll(t, id)
	if err := e.srv.InjectPushFault(PushFault{BadSignature: true}); err != nil {
		t.Fatal(err)
	}
	e.mustPost(t, alice.ID, "@PayByTweet buy", TweetOptions{})
	got := e.waitPushed(t, 2, viaWebhook)
	calls := rc.received()
	if !got[0].BadSignature || got[0].Status != 401 || got[1].BadSignature || got[1].Status != 200 ||
		len(calls) != 2 || calls[0].sigOK || !calls[1].sigOK {
		t.Errorf("a badly signed call, refused, then a good one: %+v / %+v", got, calls)
	}
	// Someone who is not X: the receiver refuses it, nothing is recorded.
	forged := bytes.Replace(got[1].Body, []byte("buy"), []byte("buy 100"), 1)
	st, err := e.srv.ForgeWebhookDelivery(id, forged)
	if err != nil || st != http.StatusUnauthorized {
		t.Errorf("forged: %d %v", st, err)
	}
	if len(e.srv.PushEvents()) != 2 {
		t.Error("a forged call was recorded as X's")
	}
	if _, err := e.srv.ForgeWebhookDelivery("42", forged); err == nil {
		t.Error("forged to no webhook")
	}
}

func TestPushWebhookDownAndReplay(t *testing.T) {
	e := newPushEnv(t, Options{})
	rc := newReceiver(t, testConsumerSecret)
	id := e.register(t, rc)
	e.subscribeAll(t, id)
	start := e.clock.Now()
	e.mustPost(t, alice.ID, "@PayByTweet before", TweetOptions{})
	e.waitPushed(t, 1, viaWebhook)

	e.clock.Advance(10 * time.Minute)
	e.srv.SetWebhookDown(true)
	a := e.mustPost(t, alice.ID, "@PayByTweet while down", TweetOptions{})
	e.clock.Advance(time.Minute)
	dm, _ := e.srv.SendDM(bob.ID, e.bot.ID, "yes")
	got := e.waitPushed(t, 3, viaWebhook)
	if got[1].Skipped != "webhook down" || got[2].Skipped != "webhook down" || len(rc.received()) != 1 {
		t.Fatalf("while down: %+v", got)
	}
	e.srv.SetWebhookDown(false)
	e.clock.Advance(time.Minute)

	// Replay the minutes of the outage: both come, nothing else.
	from := start.Add(10 * time.Minute).Format("200601021504")
	to := start.Add(11 * time.Minute).Format("200601021504")
	st, body := e.bearer(t, http.MethodPost, "webhooks/replay", `{"webhook_id":"`+id+`","from_date":"`+from+`","to_date":"`+to+`"}`)
	if st != http.StatusOK || path(body, "data", "job_id") == nil || path(body, "data", "created_at") != v2Time(e.clock.Now()) {
		t.Fatalf("replay: %d %v", st, body)
	}
	got = e.waitPushed(t, 2, func(p PushedEvent) bool { return p.Replay })
	time.Sleep(50 * time.Millisecond)
	calls := rc.received()
	if len(calls) != 3 || got[0].MessageID != a.ID || got[1].MessageID != dm.ID || !got[0].Delivered() || !got[1].Delivered() {
		t.Errorf("replayed: %+v, %d calls", got, len(calls))
	}
	for _, tc := range []struct{ body, detail string }{
		{`{"webhook_id":"` + id + `","from_date":"2024","to_date":"` + to + `"}`, "yyyymmddhhmm"},
		{`{"webhook_id":"` + id + `","from_date":"` + to + `","to_date":"` + from + `"}`, "after"},
		{`{"webhook_id":"` + id + `","from_date":"` + start.Add(-25*time.Hour).Format("200601021504") + `","to_date":"` + to + `"}`, "24 hours"},
		{`{"webhook_id":"42","from_date":"` + from + `","to_date":"` + to + `"}`, "WebhookIdInvalid"},
		{`{"webhook_id":"` + id + `","from_date":"` + from + `"}`, "to_date"},
	} {
		st, body := e.bearer(t, http.MethodPost, "webhooks/replay", tc.body)
		if d, _ := body["detail"].(string); st != http.StatusBadRequest || !strings.Contains(d, tc.detail) {
			t.Errorf("%s: %d %v", tc.body, st, body)
		}
	}
}

func TestPushWebhookDuplicate(t *testing.T) {
	e := newPushEnv(t, Options{})
	rc := newReceiver(t, testConsumerSecret)
	id := e.register(t, rc)
	e.subscribeAll(t, id)
	if err := e.srv.InjectPushFault(PushFault{Duplicate: true}); err != nil {
		t.Fatal(err)
	}
	e.mustPost(t, alice.ID, "@PayByTweet once", TweetOptions{})
	got := e.waitPushed(t, 2, viaWebhook)
	calls := rc.received()
	if len(calls) != 2 || !bytes.Equal(calls[0].body, calls[1].body) || !got[1].Duplicate || got[0].UUID != got[1].UUID {
		t.Errorf("duplicate: %+v", got)
	}
}
