package push

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxWebhookBody is the largest delivery the webhook reads; a larger one
// is refused 413 before any HMAC.
const MaxWebhookBody = 1 << 20

// SignatureHeader is the header X signs its webhook calls with.
const SignatureHeader = "x-twitter-webhooks-signature"

// Sign is X's signature of a webhook call's body, and the CRC's
// response_token of a crc_token: "sha256=" + base64(HMAC-SHA256(key =
// the app's consumer secret, message)).
func Sign(consumerSecret string, message []byte) string {
	return "sha256=" + base64.StdEncoding.EncodeToString(mac(consumerSecret, message))
}

func mac(key string, message []byte) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(message)
	return m.Sum(nil)
}

// validSignature checks a signature header against body in constant
// time.
func validSignature(consumerSecret, header string, body []byte) bool {
	b64, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return false
	}
	return hmac.Equal(got, mac(consumerSecret, body))
}

// WebhookOptions configures a Webhook.
type WebhookOptions struct {
	// Path is the path X calls (twitter.push.webhook.path); a request
	// for another path gets 404. "" serves any path.
	Path string
	// ConsumerSecret is the app's consumer secret, the key of X's
	// signatures and of the CRC answer. Required.
	ConsumerSecret string
	// Decoder decodes the events; its Me is the bot's account.
	Decoder Decoder
	// Logger receives what was refused and why; default discards.
	Logger *slog.Logger
}

// String leaves the consumer secret out.
func (o WebhookOptions) String() string {
	return fmt.Sprintf("push.WebhookOptions{Path: %q, ConsumerSecret: %s}", o.Path, hidden(o.ConsumerSecret))
}

// GoString leaves the consumer secret out.
func (o WebhookOptions) GoString() string { return o.String() }

// LogValue leaves the consumer secret out of logs.
func (o WebhookOptions) LogValue() slog.Value { return slog.StringValue(o.String()) }

// Webhook is the http.Handler of X's calls to the bot's webhook:
//
//   - GET ?crc_token=T answers 200 {"response_token": Sign(secret, T)};
//   - POST with a body over MaxWebhookBody answers 413, before any HMAC;
//     one whose x-twitter-webhooks-signature is missing or wrong answers
//     401 and is not read further (nothing changes); a good one is
//     decoded, handed to handle (which stores it), and answered 200 — in
//     the time handle takes, which must be milliseconds: never wait on
//     the processor. A malformed event from X is logged and answered
//     200 (X's retries would bring the same bytes; polling finds the
//     message).
//
// X may deliver the same event more than once (its retries, a replay):
// dedupe by Event.MessageIDs.
type Webhook struct {
	opts   WebhookOptions
	handle func(Event) error
	log    *slog.Logger
}

// NewWebhook returns the handler; handle gets every event but X's
// operational messages, those to ignore included (KindIgnored), and
// returns an error when it could not keep the event: X is then answered
// 503 and delivers it again. It fails without a consumer secret or a
// handle.
func NewWebhook(opts WebhookOptions, handle func(Event) error) (*Webhook, error) {
	if opts.ConsumerSecret == "" {
		return nil, errors.New("push: the webhook needs the app's consumer secret")
	}
	if handle == nil {
		return nil, errors.New("push: the webhook needs a handle func")
	}
	w := &Webhook{opts: opts, handle: handle, log: opts.Logger}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w, nil
}

// String leaves the consumer secret out.
func (h *Webhook) String() string { return "push.Webhook{" + h.opts.String() + "}" }

// GoString leaves the consumer secret out.
func (h *Webhook) GoString() string { return h.String() }

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opts.Path != "" && r.URL.Path != h.opts.Path {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.crc(w, r)
	case http.MethodPost:
		h.delivery(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// crc answers X's challenge.
func (h *Webhook) crc(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("crc_token")
	if token == "" {
		http.Error(w, "crc_token is required", http.StatusBadRequest)
		return
	}
	if !crcTokenShaped(token) {
		// The answer is the HMAC of the token with the key that signs
		// events: signing whatever is asked would sign a forged event
		// body for anyone who can reach the webhook.
		h.log.Warn("webhook CRC refused: the token is not shaped as X's", "bytes", len(token), "remote", r.RemoteAddr)
		http.Error(w, "crc_token is not X's", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		ResponseToken string `json:"response_token"`
	}{Sign(h.opts.ConsumerSecret, []byte(token))})
	h.log.Info("webhook CRC answered")
}

// maxCRCToken bounds a CRC token's length: X's are a few dozen
// characters.
const maxCRCToken = 256

// crcTokenShaped reports whether token looks like X's CRC tokens (base64
// or base64url characters, at most maxCRCToken of them). No event body
// does: each is a JSON object, so no signature of one can be had by
// asking for a CRC answer.
func crcTokenShaped(token string) bool {
	if len(token) > maxCRCToken {
		return false
	}
	for _, c := range token {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '+', c == '/', c == '=', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// delivery takes one event.
func (h *Webhook) delivery(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > MaxWebhookBody {
		h.log.Warn("webhook call refused: body too large", "bytes", r.ContentLength, "remote", r.RemoteAddr)
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	if err != nil {
		h.log.Warn("webhook call refused: body unreadable", "err", err, "remote", r.RemoteAddr)
		http.Error(w, "body unreadable", http.StatusBadRequest)
		return
	}
	if len(body) > MaxWebhookBody {
		h.log.Warn("webhook call refused: body too large", "bytes", ">"+fmt.Sprint(MaxWebhookBody), "remote", r.RemoteAddr)
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !validSignature(h.opts.ConsumerSecret, r.Header.Get(SignatureHeader), body) {
		h.log.Warn("webhook call refused: signature missing or wrong", "signed", r.Header.Get(SignatureHeader) != "", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	ev, err := h.opts.Decoder.Decode(body)
	switch {
	case err != nil:
		h.log.Warn("malformed push event skipped", "via", "webhook", "bytes", len(body), "err", err)
	case ev.Kind == KindOperational:
		h.log.Warn("webhook: a message from X", "message", ev.Message)
	default:
		if err := h.handle(ev); err != nil {
			h.log.Warn("webhook event not kept; X delivers it again", "type", ev.Type, "err", err)
			http.Error(w, "not stored; try again", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// WebhookInfo is a webhook registered with the app.
type WebhookInfo struct {
	ID        string
	URL       string
	Valid     bool
	CreatedAt time.Time // zero when X did not say
}

type wireWebhook struct {
	ID        flexID `json:"id"`
	URL       string `json:"url"`
	Valid     bool   `json:"valid"`
	CreatedAt string `json:"created_at"`
}

func (w wireWebhook) parse() WebhookInfo {
	out := WebhookInfo{ID: string(w.ID), URL: w.URL, Valid: w.Valid}
	out.CreatedAt, _ = time.Parse(time.RFC3339, w.CreatedAt)
	return out
}

// ErrNoWebhook: the webhook is not among the app's (deleted at X): the
// caller registers it again.
var ErrNoWebhook = errors.New("push: no such webhook registered")

// Webhooks lists the app's webhooks (GET webhooks, bearer).
func (c *Client) Webhooks(ctx context.Context) ([]WebhookInfo, error) {
	var page struct {
		Data []wireWebhook `json:"data"`
	}
	if _, err := c.call(ctx, EndpointListWebhooks, http.MethodGet, "webhooks", nil, nil, false, &page); err != nil {
		return nil, err
	}
	out := make([]WebhookInfo, 0, len(page.Data))
	for _, w := range page.Data {
		out = append(out, w.parse())
	}
	return out, nil
}

// Register makes sure rawURL is registered as a webhook of the app and
// returns it: one already registered with the same url is reused (GET
// webhooks), else it is registered (POST webhooks, bearer), which X does
// only after a CRC passes: the Webhook must be serving already. A
// webhook reused may be invalid (Valid false): Recheck it.
func (c *Client) Register(ctx context.Context, rawURL string) (WebhookInfo, error) {
	find := func() (WebhookInfo, bool, error) {
		hooks, err := c.Webhooks(ctx)
		if err != nil {
			return WebhookInfo{}, false, err
		}
		for _, h := range hooks {
			if h.URL == rawURL {
				return h, true, nil
			}
		}
		return WebhookInfo{}, false, nil
	}
	if h, ok, err := find(); err != nil || ok {
		return h, err
	}
	var w struct {
		Data *wireWebhook `json:"data"`
	}
	_, err := c.call(ctx, EndpointCreateWebhook, http.MethodPost, "webhooks", nil, map[string]string{"url": rawURL}, false, &w)
	var ae *APIError
	if errors.As(err, &ae) && strings.Contains(ae.Reason, "DuplicateUrlFailed") {
		// Registered meanwhile.
		if h, ok, ferr := find(); ferr != nil || ok {
			return h, ferr
		}
	}
	if err != nil {
		return WebhookInfo{}, err
	}
	if w.Data == nil || w.Data.ID == "" {
		return WebhookInfo{}, &MalformedAnswerError{Endpoint: EndpointCreateWebhook, Status: http.StatusOK, Err: errors.New("no data.id")}
	}
	info := w.Data.parse()
	c.log.Info("webhook registered", "id", info.ID, "url", info.URL, "valid", info.Valid)
	return info, nil
}

// Valid reads whether X holds the webhook id valid (GET webhooks): false
// means X sends it nothing until a CRC passes again (Recheck); the daemon
// counts push unhealthy and logs ALERT alert=webhook_invalid. A webhook
// X does not list is ErrNoWebhook.
func (c *Client) Valid(ctx context.Context, id string) (bool, error) {
	hooks, err := c.Webhooks(ctx)
	if err != nil {
		return false, err
	}
	for _, h := range hooks {
		if h.ID == id {
			return h.Valid, nil
		}
	}
	return false, fmt.Errorf("%w: %s", ErrNoWebhook, id)
}

// Recheck has X run a CRC check of the webhook now (PUT webhooks/{id},
// bearer) and returns whether it passed.
func (c *Client) Recheck(ctx context.Context, id string) (bool, error) {
	var w struct {
		Data *struct {
			Valid bool `json:"valid"`
		} `json:"data"`
	}
	if _, err := c.call(ctx, EndpointValidateWebhook, http.MethodPut, "webhooks/"+url.PathEscape(id), nil, nil, false, &w); err != nil {
		return false, err
	}
	if w.Data == nil {
		return false, &MalformedAnswerError{Endpoint: EndpointValidateWebhook, Status: http.StatusOK, Err: errors.New("no data")}
	}
	return w.Data.Valid, nil
}

// ReplayWindow is how far back X replays.
const ReplayWindow = 24 * time.Hour

// replayLayout is X's yyyymmddhhmm, in UTC.
const replayLayout = "200601021504"

// Replay is a replay job X accepted.
type Replay struct {
	JobID string
	// From and To are the minutes asked for (both included), in UTC.
	From, To time.Time
	// Clamped says the gap reached further back than X replays: only
	// the last 24 hours (less a minute) were asked for, and what came
	// before is for polling to find.
	Clamped bool
}

// Replay asks X to deliver again to the webhook id the events made from
// from to to (POST webhooks/replay, bearer), in whole minutes, UTC. A
// zero or future to is now; a from further back than X replays is
// brought to the oldest minute it does (Replay.Clamped says so).
func (c *Client) Replay(ctx context.Context, id string, from, to time.Time) (Replay, error) {
	now := c.now().UTC()
	if to.IsZero() || to.After(now) {
		to = now
	}
	oldest := now.Add(-ReplayWindow).Truncate(time.Minute).Add(time.Minute)
	r := Replay{From: from.UTC().Truncate(time.Minute), To: to.UTC().Truncate(time.Minute)}
	if r.From.Before(oldest) {
		r.From, r.Clamped = oldest, true
	}
	if r.From.After(r.To) {
		return Replay{}, fmt.Errorf("push: replay from %s after to %s", r.From.Format(replayLayout), r.To.Format(replayLayout))
	}
	body := map[string]string{"webhook_id": id, "from_date": r.From.Format(replayLayout), "to_date": r.To.Format(replayLayout)}
	var w struct {
		Data *struct {
			JobID flexID `json:"job_id"`
		} `json:"data"`
	}
	if _, err := c.call(ctx, EndpointReplay, http.MethodPost, "webhooks/replay", nil, body, false, &w); err != nil {
		return Replay{}, err
	}
	if w.Data != nil {
		r.JobID = string(w.Data.JobID)
	}
	if r.Clamped {
		c.log.Warn("webhook replay asked for the last 24 hours only: the rest of the gap is for polling",
			"from", r.From.Format(replayLayout), "asked_from", from.UTC().Format(replayLayout))
	}
	c.log.Info("webhook replay asked", "webhook_id", id, "from", r.From.Format(replayLayout), "to", r.To.Format(replayLayout), "job_id", r.JobID)
	return r, nil
}
