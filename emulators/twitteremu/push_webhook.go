package twitteremu

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// webhook is a registered webhook; its fields but wake and gone are
// guarded by Server.mu. Deliveries go out one at a time, in order, from
// its worker.
type webhook struct {
	id        int64
	url       string
	valid     bool
	createdAt time.Time
	crcChecks int
	queue     []PushedEvent
	wake      chan struct{} // capacity 1
	gone      chan struct{} // closed when deleted
}

// Webhook is a webhook registered with the app.
type Webhook struct {
	ID        string
	URL       string
	Valid     bool
	CreatedAt time.Time
	// CRCChecks counts the CRC checks made of it.
	CRCChecks int
}

func (wh *webhook) public() Webhook {
	return Webhook{ID: idStr(wh.id), URL: wh.url, Valid: wh.valid, CreatedAt: wh.createdAt, CRCChecks: wh.crcChecks}
}

func (wh *webhook) enqueue(d PushedEvent) {
	d.Via = PushViaWebhook
	wh.queue = append(wh.queue, d)
	select {
	case wh.wake <- struct{}{}:
	default:
	}
}

// Webhooks returns the app's webhooks, oldest first. It never fails.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Webhook, len(s.push.webhooks))
	for i, wh := range s.push.webhooks {
		out[i] = wh.public()
	}
	return out
}

// webhookByID returns the webhook id names, or nil; the caller holds
// s.mu.
func (s *Server) webhookByID(id string) *webhook {
	n, ok := parseV2ID(id)
	if !ok {
		return nil
	}
	for _, wh := range s.push.webhooks {
		if wh.id == n {
			return wh
		}
	}
	return nil
}

// SetWebhookDown makes X's deliveries to every webhook fail (true) or
// work again (false): while down, each event is recorded as skipped
// ("webhook down") and lost, but for a replay. It cannot fail.
func (s *Server) SetWebhookDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push.webhookDown = down
}

// RecheckWebhooks runs a CRC check of every webhook now, as X does from
// time to time, marking each valid or not, and returns them. It cannot
// fail.
func (s *Server) RecheckWebhooks() []Webhook {
	s.mu.Lock()
	hooks := slices.Clone(s.push.webhooks)
	s.mu.Unlock()
	for _, wh := range hooks {
		s.checkWebhook(wh)
	}
	return s.Webhooks()
}

// ForgeWebhookDelivery posts body to the webhook id as someone who is not
// X would: with a signature made with another key. It returns the status
// answered; nothing is recorded among PushEvents.
func (s *Server) ForgeWebhookDelivery(id string, body []byte) (int, error) {
	s.mu.Lock()
	wh := s.webhookByID(id)
	ctx := s.pushContext()
	client := s.push.client
	s.mu.Unlock()
	if wh == nil {
		return 0, fmt.Errorf("twitteremu: no webhook %q", id)
	}
	return postWebhook(ctx, client, wh.url, body, sign("not-the-consumer-secret", body))
}

// sign is X's signature of a webhook call or CRC answer: "sha256=" and
// the base64 of HMAC-SHA256 with key the app's consumer secret.
func sign(key string, msg []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(msg)
	return "sha256=" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// WebhookSignature is the x-twitter-webhooks-signature (or the CRC
// response_token) that X sends with body, for a test's receiver.
func WebhookSignature(consumerSecret string, body []byte) string {
	return sign(consumerSecret, body)
}

// webhookProblem is the refusal of a webhook call with X's reason
// (DuplicateUrlFailed, CrcValidationFailed, ...).
func webhookProblem(status int, reason, detail string) problemJSON {
	return problemFor(status, reason+": "+detail)
}

// checkWebhook runs a CRC check of wh and records the result.
func (s *Server) checkWebhook(wh *webhook) bool {
	s.mu.Lock()
	u := wh.url
	s.mu.Unlock()
	ok := s.crc(u)
	s.mu.Lock()
	wh.crcChecks++
	wh.valid = ok
	s.mu.Unlock()
	s.log.Info("webhook CRC", "id", wh.id, "valid", ok)
	return ok
}

// crc calls GET rawURL?crc_token=T and reports whether the answer is 200
// with X's response_token.
func (s *Server) crc(rawURL string) bool {
	s.mu.Lock()
	ctx := s.pushContext()
	client := s.push.client
	secret := s.creds.consumerSecret
	s.push.crcSeq++
	sum := sha256.Sum256([]byte("crc/" + strconv.FormatUint(s.push.crcSeq, 10) + "/" + s.opts.Bot.ScreenName))
	s.mu.Unlock()
	token := base64.StdEncoding.EncodeToString(sum[:18])
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	q := u.Query()
	q.Set("crc_token", token)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var answer struct {
		ResponseToken string `json:"response_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&answer) != nil {
		return false
	}
	return hmac.Equal([]byte(answer.ResponseToken), []byte(sign(secret, []byte(token))))
}

// postWebhook makes one call of a delivery.
func postWebhook(ctx context.Context, client *http.Client, u string, body []byte, signature string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-twitter-webhooks-signature", signature)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// webhookWorker delivers wh's events in order until wh is deleted or the
// server closes.
func (s *Server) webhookWorker(wh *webhook) {
	for {
		s.mu.Lock()
		if len(wh.queue) == 0 {
			s.mu.Unlock()
			select {
			case <-wh.wake:
				continue
			case <-wh.gone:
				return
			case <-s.closed:
				return
			}
		}
		d := wh.queue[0]
		wh.queue = wh.queue[1:]
		switch {
		case s.push.webhookDown:
			d.Skipped = "webhook down"
		case !wh.valid:
			d.Skipped = "webhook invalid"
		}
		if d.Skipped != "" {
			s.recordPush(d)
			s.mu.Unlock()
			continue
		}
		s.mu.Unlock()
		s.deliver(wh, d)
	}
}

// deliver calls wh with d, signed with the consumer secret, and again
// after a wait, doubled each time, while the answer is not 2xx, up to
// PushOptions.WebhookRetries more times.
func (s *Server) deliver(wh *webhook, d PushedEvent) {
	s.mu.Lock()
	ctx := s.pushContext()
	client, secret := s.push.client, s.creds.consumerSecret
	retries, wait := s.opts.Push.WebhookRetries, s.opts.Push.WebhookRetryDelay
	s.mu.Unlock()
	for attempt := 1; ; attempt++ {
		s.mu.Lock()
		bad := s.takePushFault(func(f *PushFault) bool { return f.BadSignature }) != nil
		s.mu.Unlock()
		key := secret
		if bad {
			key = "not-the-consumer-secret"
		}
		status, err := postWebhook(ctx, client, wh.url, d.Body, sign(key, d.Body))
		d.Attempt, d.Status, d.BadSignature, d.Err = attempt, status, bad, ""
		if err != nil {
			d.Err = err.Error()
		}
		s.mu.Lock()
		s.recordPush(d)
		s.mu.Unlock()
		s.log.Debug("webhook delivery", "webhook", wh.id, "uuid", d.UUID, "attempt", attempt, "status", status, "err", err)
		if status >= 200 && status < 300 || attempt > retries {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		case <-wh.gone:
			t.Stop()
			return
		}
		wait *= 2
	}
}

type webhookJSON struct {
	CreatedAt string `json:"created_at"`
	ID        string `json:"id"`
	URL       string `json:"url"`
	Valid     bool   `json:"valid"`
}

func (wh *webhook) json() webhookJSON {
	return webhookJSON{CreatedAt: v2Time(wh.createdAt), ID: idStr(wh.id), URL: wh.url, Valid: wh.valid}
}

// serveCreateWebhook answers POST webhooks (bearer), body {"url": …}: X
// checks the url with a CRC at once and registers it only if that
// passes, valid.
func (s *Server) serveCreateWebhook(w http.ResponseWriter, c *call, rec Request) {
	defer s.answer(w, c, rec)
	m, ok := jsonBody(c, []string{"url"}, []string{"url"})
	if !ok {
		return
	}
	raw, ok := stringMember(c, m, "url")
	if !ok {
		return
	}
	if u, err := url.Parse(raw); err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" || len(raw) > 200 {
		c.problem(webhookProblem(http.StatusBadRequest, "UrlValidationFailed", fmt.Sprintf("The url [%s] is not a valid https address.", raw)))
		return
	}
	dup := func() bool {
		for _, wh := range s.push.webhooks {
			if wh.url == raw {
				c.problem(webhookProblem(http.StatusBadRequest, "DuplicateUrlFailed", "A webhook is already registered by your application for this URL."))
				return true
			}
		}
		return false
	}
	s.mu.Lock()
	d := dup()
	s.mu.Unlock()
	if d {
		return
	}
	if !s.crc(raw) {
		c.problem(webhookProblem(http.StatusBadRequest, "CrcValidationFailed", "The callback URL did not respond correctly to the CRC check."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if dup() {
		return
	}
	if s.push.nextWebhook == 0 {
		s.push.nextWebhook = firstWebhookID
	}
	wh := &webhook{id: s.push.nextWebhook, url: raw, valid: true, createdAt: c.now, crcChecks: 1,
		wake: make(chan struct{}, 1), gone: make(chan struct{})}
	s.push.nextWebhook++
	s.push.webhooks = append(s.push.webhooks, wh)
	go s.webhookWorker(wh)
	s.log.Info("webhook registered", "id", wh.id, "url", raw)
	c.json(http.StatusOK, v2DataJSON[webhookJSON]{Data: wh.json()})
}

type webhooksPageJSON struct {
	Data []webhookJSON `json:"data"`
	Meta v2MetaJSON    `json:"meta"`
}

// serveListWebhooks answers GET webhooks (bearer).
func (s *Server) serveListWebhooks(w http.ResponseWriter, c *call, rec Request) {
	s.mu.Lock()
	page := webhooksPageJSON{Data: []webhookJSON{}}
	for _, wh := range s.push.webhooks {
		page.Data = append(page.Data, wh.json())
	}
	page.Meta.ResultCount = len(page.Data)
	c.json(http.StatusOK, page)
	s.mu.Unlock()
	s.answer(w, c, rec)
}

type webhookValidJSON struct {
	Valid bool `json:"valid"`
}

// serveValidateWebhook answers PUT webhooks/{id} (bearer): a CRC check
// now, whose result the answer's valid gives.
func (s *Server) serveValidateWebhook(w http.ResponseWriter, c *call, rec Request) {
	defer s.answer(w, c, rec)
	s.mu.Lock()
	wh := s.webhookByID(c.pathID)
	s.mu.Unlock()
	if wh == nil {
		c.problem(webhookProblem(http.StatusBadRequest, "WebhookIdInvalid", fmt.Sprintf("The webhook_id [%s] was not found or is not associated with your app.", c.pathID)))
		return
	}
	valid := s.checkWebhook(wh)
	s.mu.Lock()
	c.json(http.StatusOK, v2DataJSON[webhookValidJSON]{Data: webhookValidJSON{Valid: valid}})
	s.mu.Unlock()
}

// serveDeleteWebhook answers DELETE webhooks/{id} (bearer).
func (s *Server) serveDeleteWebhook(w http.ResponseWriter, c *call, rec Request) {
	s.mu.Lock()
	wh := s.webhookByID(c.pathID)
	if wh == nil {
		c.problem(webhookProblem(http.StatusBadRequest, "WebhookIdInvalid", fmt.Sprintf("The webhook_id [%s] was not found or is not associated with your app.", c.pathID)))
	} else {
		s.push.webhooks = slices.DeleteFunc(s.push.webhooks, func(o *webhook) bool { return o == wh })
		close(wh.gone)
		c.json(http.StatusOK, deletedJSON{Data: deletedDataJSON{Deleted: true}})
	}
	s.mu.Unlock()
	s.answer(w, c, rec)
}

type replayJobJSON struct {
	JobID     string `json:"job_id"`
	CreatedAt string `json:"created_at"`
}

// replayDate reads a yyyymmddhhmm (UTC) member.
func replayDate(c *call, m map[string]json.RawMessage, key string) (time.Time, bool) {
	v, ok := stringMember(c, m, key)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("200601021504", v)
	if len(v) != 12 || err != nil {
		c.problem(problemFor(http.StatusBadRequest, fmt.Sprintf("$.%s: [%s] is not a yyyymmddhhmm date", key, v)))
		return time.Time{}, false
	}
	return t, true
}

// serveReplay answers POST webhooks/replay (bearer), body {"webhook_id",
// "from_date", "to_date"}: the events made for the webhook's
// subscriptions from from_date to to_date (both minutes included, at most
// 24 hours back) are delivered again, after what is queued.
func (s *Server) serveReplay(w http.ResponseWriter, c *call, rec Request) {
	defer s.answer(w, c, rec)
	keys := []string{"webhook_id", "from_date", "to_date"}
	m, ok := jsonBody(c, keys, keys)
	if !ok {
		return
	}
	for _, k := range keys {
		if _, has := m[k]; !has {
			c.problem(problemFor(http.StatusBadRequest, fmt.Sprintf("$.%s: is missing but it is required", k)))
			return
		}
	}
	id, ok := stringMember(c, m, "webhook_id")
	if !ok {
		return
	}
	from, ok := replayDate(c, m, "from_date")
	if !ok {
		return
	}
	to, ok := replayDate(c, m, "to_date")
	if !ok {
		return
	}
	to = to.Add(time.Minute) // the last minute is included
	switch {
	case !from.Before(to):
		c.problem(problemFor(http.StatusBadRequest, "from_date must not be after to_date"))
		return
	case from.Before(c.now.Add(-PushReplayWindow).Truncate(time.Minute).Add(-time.Minute)):
		c.problem(problemFor(http.StatusBadRequest, "from_date must be within the last 24 hours"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wh := s.webhookByID(id)
	if wh == nil {
		c.problem(webhookProblem(http.StatusBadRequest, "WebhookIdInvalid", fmt.Sprintf("The webhook_id [%s] was not found or is not associated with your app.", id)))
		return
	}
	n := 0
	for _, ev := range s.push.log {
		if ev.WebhookID == idStr(wh.id) && !ev.Time.Before(from) && ev.Time.Before(to) {
			wh.enqueue(PushedEvent{PushEvent: ev, Replay: true})
			n++
		}
	}
	if s.push.jobSeq == 0 {
		s.push.jobSeq = firstReplayJobID
	}
	job := s.push.jobSeq
	s.push.jobSeq++
	s.log.Info("webhook replay", "webhook", wh.id, "from", from, "to", to, "events", n, "job", job)
	c.json(http.StatusOK, v2DataJSON[replayJobJSON]{Data: replayJobJSON{JobID: idStr(job), CreatedAt: v2Time(c.now)}})
}

// webhookFields are the fields of webhook_config.fields, all rendered.
var webhookFields = []string{"created_at", "id", "url", "valid"}
