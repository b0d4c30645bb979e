package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

const webhookPath = "/x/webhook"

// webhookRig is the daemon's webhook: a real HTTP server serving Webhook
// at webhookPath.
type webhookRig struct {
	srv    *httptest.Server
	url    string
	events *sink
	// broken answers X's CRC 500, as a daemon that is down.
	broken atomic.Bool
	// unkept is how many of the next events the daemon cannot store.
	unkept atomic.Int32
}

func newWebhookRig(t *testing.T, r *rig) *webhookRig {
	t.Helper()
	w := &webhookRig{events: newSink()}
	h, err := NewWebhook(WebhookOptions{Path: webhookPath, ConsumerSecret: testSecret, Decoder: r.decoder(), Logger: r.log}, func(ev Event) error {
		if w.unkept.Add(-1) >= 0 {
			return errors.New("the database refuses work")
		}
		return w.events.keep(ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if w.broken.Load() && req.Method == http.MethodGet {
			http.Error(rw, "down", http.StatusInternalServerError)
			return
		}
		h.ServeHTTP(rw, req)
	}))
	t.Cleanup(w.srv.Close)
	w.url = w.srv.URL + webhookPath
	return w
}

// register registers the rig's webhook and ties the bot's subscriptions
// to it.
func (w *webhookRig) register(t *testing.T, r *rig) string {
	t.Helper()
	info, err := r.c.Register(context.Background(), w.url)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Valid || info.URL != w.url || info.ID == "" {
		t.Fatalf("Register = %+v", info)
	}
	r.ensure(info.ID)
	return info.ID
}

func (w *webhookRig) post(t *testing.T, body io.Reader, length int64, signature string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	if signature != "" {
		req.Header.Set(SignatureHeader, signature)
	}
	return httpDo(t, req)
}

func viaWebhook(p twitteremu.PushedEvent) bool { return p.Via == twitteremu.PushViaWebhook }

func TestWebhookCRCAndRegister(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)

	req, _ := http.NewRequest(http.MethodGet, w.url+"?crc_token=abc%2Bdef%3D", nil)
	st, body := httpDo(t, req)
	var answer struct {
		ResponseToken string `json:"response_token"`
	}
	if err := json.Unmarshal([]byte(body), &answer); st != http.StatusOK || err != nil ||
		answer.ResponseToken != twitteremu.WebhookSignature(testSecret, []byte("abc+def=")) {
		t.Errorf("CRC: %d %s", st, body)
	}
	for _, c := range []struct {
		method, url string
		want        int
	}{
		{http.MethodGet, w.url, http.StatusBadRequest},
		{http.MethodPut, w.url, http.StatusMethodNotAllowed},
		{http.MethodGet, w.srv.URL + "/elsewhere?crc_token=abc", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(c.method, c.url, nil)
		if st, _ := httpDo(t, req); st != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.url, st, c.want)
		}
	}

	// X registers it after its own CRC check passes.
	ctx := context.Background()
	info, err := r.c.Register(ctx, w.url)
	if err != nil || !info.Valid || info.CreatedAt.IsZero() {
		t.Fatalf("Register = %+v, %v", info, err)
	}
	again, err := r.c.Register(ctx, w.url)
	if err != nil || again.ID != info.ID || len(r.srv.Webhooks()) != 1 {
		t.Errorf("Register again = %+v, %v; webhooks %+v", again, err, r.srv.Webhooks())
	}
	if hooks := r.srv.RecheckWebhooks(); !hooks[0].Valid || hooks[0].CRCChecks != 2 {
		t.Errorf("X's recheck: %+v", hooks)
	}
	if ok, err := r.c.Valid(ctx, info.ID); !ok || err != nil {
		t.Errorf("Valid = %v, %v", ok, err)
	}

	// A daemon answering the CRC wrong: X holds the webhook invalid.
	w.broken.Store(true)
	if hooks := r.srv.RecheckWebhooks(); hooks[0].Valid {
		t.Fatalf("X's recheck of a broken webhook: %+v", hooks)
	}
	if ok, err := r.c.Valid(ctx, info.ID); ok || err != nil {
		t.Errorf("Valid of an invalid webhook = %v, %v", ok, err)
	}
	if ok, err := r.c.Recheck(ctx, info.ID); ok || err != nil {
		t.Errorf("Recheck while broken = %v, %v", ok, err)
	}
	w.broken.Store(false)
	if ok, err := r.c.Recheck(ctx, info.ID); !ok || err != nil {
		t.Errorf("Recheck = %v, %v", ok, err)
	}
	if ok, err := r.c.Valid(ctx, info.ID); !ok || err != nil {
		t.Errorf("Valid after the recheck = %v, %v", ok, err)
	}
	if _, err := r.c.Valid(ctx, "123"); !errors.Is(err, ErrNoWebhook) {
		t.Errorf("Valid of an unknown webhook: %v", err)
	}

	// A url X refuses: its reason, no token.
	bad := r.client(testBearer)
	defer bad.Close()
	if _, err := bad.Register(ctx, "ftp://example.com/x"); err == nil || !strings.Contains(err.Error(), "UrlValidationFailed") {
		t.Errorf("Register of a bad url: %v", err)
	}
	if _, err := NewWebhook(WebhookOptions{}, func(Event) error { return nil }); err == nil {
		t.Error("NewWebhook without a consumer secret")
	}
}

// TestWebhookCRCSignsNoEvent: the CRC answer is the HMAC of its token
// under the key that signs X's events, so a token that is an event body
// would hand anyone who can reach the webhook a valid signature for it.
// Such a token is refused, and the forged event it would have signed is
// refused too; X's own tokens (base64) are answered.
func TestWebhookCRCSignsNoEvent(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)
	w.register(t, r)

	req, _ := http.NewRequest(http.MethodGet, w.url+"?crc_token="+url.QueryEscape(sampleMention), nil)
	st, body := httpDo(t, req)
	var answer struct {
		ResponseToken string `json:"response_token"`
	}
	json.Unmarshal([]byte(body), &answer)
	if st != http.StatusBadRequest || answer.ResponseToken != "" {
		t.Errorf("CRC of an event body: %d %s, want 400 and no answer", st, body)
	}
	// What the forger would post with whatever the CRC answered.
	if st, _ := w.post(t, strings.NewReader(sampleMention), int64(len(sampleMention)), answer.ResponseToken); st != http.StatusUnauthorized {
		t.Errorf("the event posted with the CRC's answer as its signature: %d, want 401", st)
	}
	long := strings.Repeat("A", maxCRCToken+1)
	req, _ = http.NewRequest(http.MethodGet, w.url+"?crc_token="+long, nil)
	if st, _ := httpDo(t, req); st != http.StatusBadRequest {
		t.Errorf("CRC of a %d-character token: %d, want 400", len(long), st)
	}
	w.events.none(t)

	// X's own CRC checks still pass.
	if hooks := r.srv.RecheckWebhooks(); len(hooks) != 1 || !hooks[0].Valid {
		t.Errorf("X's CRC check: %+v", hooks)
	}
	for _, tok := range []string{"dA0ZTUwNGItMzQ5Yy00Y2Y5LWE4ZjQtNGY4ODg5MzQ0OGMx", "abc+def/ghi=", "a-b_c"} {
		req, _ := http.NewRequest(http.MethodGet, w.url+"?crc_token="+url.QueryEscape(tok), nil)
		if st, body := httpDo(t, req); st != http.StatusOK || !strings.Contains(body, twitteremu.WebhookSignature(testSecret, []byte(tok))) {
			t.Errorf("CRC of %q: %d %s", tok, st, body)
		}
	}
}

// TestWebhookUnkeptEventIsDeliveredAgain: the daemon cannot store an
// event (its database refuses work): X is answered 503, not 200, and
// delivers it again, and the retry is kept.
func TestWebhookUnkeptEventIsDeliveredAgain(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)
	w.register(t, r)
	w.unkept.Store(1)
	d := r.dm(bob.ID, "yes")
	got := r.waitPushed(2, viaWebhook)
	if got[0].Status != http.StatusServiceUnavailable || got[1].Status != http.StatusOK || got[1].Attempt != 2 {
		t.Errorf("deliveries = %+v, want a 503 and the retry answered 200", got)
	}
	if ev := w.events.next(t); ev.Kind != KindDM || ev.DMs[0].ID != d.ID {
		t.Errorf("kept = %+v, want bob's DM", ev)
	}
	w.events.none(t)
}

func TestWebhookDelivers(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)
	w.register(t, r)
	m := r.post(alice.ID, "@PayByTweet buy #KindleFire", 0)
	d := r.dm(bob.ID, "buy #Kindle")
	if ev := w.events.next(t); ev.Kind != KindTweet || ev.Type != TypeMention || ev.Tweet.ID != m.ID || ev.Tweet.ScreenName != "alice" {
		t.Errorf("first = %+v", ev)
	}
	if ev := w.events.next(t); ev.Kind != KindDM || ev.DMs[0].ID != d.ID || ev.DMs[0].SenderScreenName != "Bob_2" {
		t.Errorf("second = %+v", ev)
	}
	for _, p := range r.waitPushed(2, viaWebhook) {
		if p.Status != http.StatusOK || p.Attempt != 1 {
			t.Errorf("delivery %+v", p)
		}
	}
}

func TestWebhookBadSignatureChangesNothing(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)
	id := w.register(t, r)

	// Someone who is not X.
	st, err := r.srv.ForgeWebhookDelivery(id, []byte(sampleMention))
	if err != nil || st != http.StatusUnauthorized {
		t.Errorf("forged delivery: %d %v", st, err)
	}
	for _, sig := range []string{"", "sha256=", "sha256=!!!", "sha1=" + strings.TrimPrefix(Sign(testSecret, []byte(sampleMention)), "sha256="),
		Sign("another-secret", []byte(sampleMention))} {
		if st, _ := w.post(t, strings.NewReader(sampleMention), int64(len(sampleMention)), sig); st != http.StatusUnauthorized {
			t.Errorf("signature %q: %d", sig, st)
		}
	}
	w.events.none(t)
	// The right signature passes.
	if st, _ := w.post(t, strings.NewReader(sampleMention), int64(len(sampleMention)), Sign(testSecret, []byte(sampleMention))); st != http.StatusOK {
		t.Errorf("signed: %d", st)
	}
	if ev := w.events.next(t); ev.Tweet.ID != wantMention.ID {
		t.Errorf("signed = %+v", ev)
	}

	// X's call signed with a wrong key is refused, then retried and taken,
	// once.
	if err := r.srv.InjectPushFault(twitteremu.PushFault{BadSignature: true}); err != nil {
		t.Fatal(err)
	}
	m := r.post(alice.ID, "@PayByTweet buy", 0)
	got := r.waitPushed(2, viaWebhook)
	if got[0].Status != http.StatusUnauthorized || !got[0].BadSignature || got[1].Status != http.StatusOK || got[1].Attempt != 2 {
		t.Errorf("deliveries = %+v", got)
	}
	if ev := w.events.next(t); ev.Tweet.ID != m.ID {
		t.Errorf("after the retry = %+v", ev)
	}
	w.events.none(t)
}

func TestWebhookTooLarge(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)
	big := bytes.Repeat([]byte("x"), MaxWebhookBody+1)
	sig := Sign(testSecret, big)
	if st, _ := w.post(t, bytes.NewReader(big), int64(len(big)), sig); st != http.StatusRequestEntityTooLarge {
		t.Errorf("declared too large: %d", st)
	}
	// Chunked, no length declared.
	if st, _ := w.post(t, io.MultiReader(bytes.NewReader(big)), -1, sig); st != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked too large: %d", st)
	}
	// Exactly the limit is read (and, malformed, skipped).
	ok := big[:MaxWebhookBody]
	if st, _ := w.post(t, bytes.NewReader(ok), int64(len(ok)), Sign(testSecret, ok)); st != http.StatusOK {
		t.Errorf("at the limit: %d", st)
	}
	w.events.none(t)
	if !strings.Contains(r.logs.String(), "body too large") {
		t.Error("the refusal was not logged")
	}
}

func TestWebhookDuplicate(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)
	w.register(t, r)
	if err := r.srv.InjectPushFault(twitteremu.PushFault{Duplicate: true}); err != nil {
		t.Fatal(err)
	}
	m := r.post(alice.ID, "@PayByTweet buy", 0)
	a, b := w.events.next(t), w.events.next(t)
	// Both reach handle: the caller dedupes by message id.
	if a.Tweet.ID != m.ID || b.Tweet.ID != m.ID || a.UUID != b.UUID {
		t.Errorf("duplicates = %+v, %+v", a, b)
	}
}

func TestWebhookDownReplay(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)
	id := w.register(t, r)
	from := time.Now()
	r.srv.SetWebhookDown(true)
	m := r.post(alice.ID, "@PayByTweet buy while down", 0)
	d := r.dm(bob.ID, "buy while down")
	r.waitPushed(2, func(p twitteremu.PushedEvent) bool { return p.Skipped != "" })
	w.events.none(t)
	r.srv.SetWebhookDown(false)

	rep, err := r.c.Replay(context.Background(), id, from, time.Time{})
	if err != nil || rep.JobID == "" || rep.Clamped || rep.From.After(from) {
		t.Fatalf("Replay = %+v, %v", rep, err)
	}
	if ev := w.events.next(t); ev.Tweet.ID != m.ID {
		t.Errorf("replayed first = %+v", ev)
	}
	if ev := w.events.next(t); ev.Kind != KindDM || ev.DMs[0].ID != d.ID {
		t.Errorf("replayed second = %+v", ev)
	}
	for _, p := range r.waitPushed(2, func(p twitteremu.PushedEvent) bool { return p.Replay }) {
		if p.Status != http.StatusOK {
			t.Errorf("replayed delivery %+v", p)
		}
	}
}

func TestReplayLongGap(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	w := newWebhookRig(t, r)
	id := w.register(t, r)
	ctx := context.Background()
	now := time.Now().UTC()
	rep, err := r.c.Replay(ctx, id, now.Add(-30*time.Hour), time.Time{})
	if err != nil || !rep.Clamped || rep.From.Before(now.Add(-ReplayWindow)) || rep.To.After(now) {
		t.Errorf("Replay of 30 hours = %+v, %v", rep, err)
	}
	if !strings.Contains(r.logs.String(), "last 24 hours only") {
		t.Error("the clamp was not said")
	}
	if _, err := r.c.Replay(ctx, id, now.Add(time.Hour), now); err == nil {
		t.Error("Replay from after to")
	}
}
