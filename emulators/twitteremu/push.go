package twitteremu

// The X Activity API (XAA) half of the emulator: subscriptions
// (push_subscriptions.go), the persistent stream (push_stream.go), webhooks
// with their CRC, signatures, retries and replay (push_webhook.go), and
// the events made when a post mentions or replies to a subscribed account
// or a DM reaches it (push_events.go). The subset is the one of the
// project's contract (twitter-push.md); X's pages (docs.x.com, X Activity
// API, Webhooks) are the authority.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Default values used for zero fields of PushOptions.
const (
	DefaultPushBearerToken   = "bearer-token"
	DefaultPushKeepAlive     = 20 * time.Second
	DefaultWebhookTimeout    = 10 * time.Second
	DefaultWebhookRetries    = 3
	DefaultWebhookRetryDelay = time.Second
	// PushBackfillMax is X's maximum backfill_minutes.
	PushBackfillMax = 5
	// PushReplayWindow is how far back POST 2/webhooks/replay reaches.
	PushReplayWindow = 24 * time.Hour
)

// Names of the push routes, as Request.Endpoint and Fault.Endpoint give
// them ("GET 2/activity/stream", "POST 2/activity/subscriptions", ...).
const (
	v2ActivitySubs   = "2/activity/subscriptions"
	v2ActivitySub    = "2/activity/subscriptions/:subscription_id"
	v2ActivityStream = "2/activity/stream"
	v2Webhooks       = "2/webhooks"
	v2Webhook        = "2/webhooks/:webhook_id"
	v2WebhooksReplay = "2/webhooks/replay"
)

// pushRateLimits are X's limits per 15 minutes of the push endpoints
// (docs.x.com, rate limits). GET and POST of one path share a window, as
// the emulator keys windows by path.
func pushRateLimits() map[string]int {
	return map[string]int{
		v2ActivityStream: 450,
		v2ActivitySubs:   500,
		v2ActivitySub:    500,
		v2Webhooks:       450,
		v2Webhook:        450,
		v2WebhooksReplay: 100,
	}
}

// PushOptions configures the X Activity API half. Every zero field takes
// a default.
type PushOptions struct {
	// BearerToken is the app's bearer token (app-only), which the stream,
	// the subscription list and the webhook endpoints take; default
	// DefaultPushBearerToken. SetBearerToken changes it.
	BearerToken string
	// KeepAlive is the longest silence of the stream: a "\r\n" is sent
	// when no event was for that long; default 20 s, as on X.
	KeepAlive time.Duration
	// NoBackfill ignores backfill_minutes (accepted, nothing sent back),
	// as X does for an app below Enterprise.
	NoBackfill bool
	// MaxStreams answers a stream connection past that many open ones 429
	// (X allows 2); 0 means no limit.
	MaxStreams int
	// SubscriptionInData answers POST 2/activity/subscriptions with the
	// subscription as data itself, as X's quickstart shows, instead of
	// data.subscription, as X's OpenAPI file has it.
	SubscriptionInData bool
	// SubscriptionsResultCount counts the subscription list with
	// meta.result_count instead of meta.total_subscriptions (X's
	// quickstart).
	SubscriptionsResultCount bool
	// ReplyIncludesEmpty sends post.reply.create events with "includes":
	// {}, as X's sample does, instead of the author and the post replied
	// to.
	ReplyIncludesEmpty bool
	// RefuseSubscriptions, 401 or 403, refuses every POST
	// 2/activity/subscriptions, as X does an app without access to the
	// Activity API; SetRefuseSubscriptions changes it.
	RefuseSubscriptions int
	// WebhookTimeout bounds a webhook call (delivery or CRC); default
	// 10 s, as on X.
	WebhookTimeout time.Duration
	// WebhookRetries is how many times a delivery answered with other than
	// 2xx (or not at all) is tried again; default 3, negative for none.
	WebhookRetries int
	// WebhookRetryDelay is the wait before the first retry, doubled before
	// each next one; default 1 s.
	WebhookRetryDelay time.Duration
}

func (o PushOptions) withDefaults() PushOptions {
	o.BearerToken = cmp.Or(o.BearerToken, DefaultPushBearerToken)
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultPushKeepAlive
	}
	if o.WebhookTimeout <= 0 {
		o.WebhookTimeout = DefaultWebhookTimeout
	}
	switch {
	case o.WebhookRetries == 0:
		o.WebhookRetries = DefaultWebhookRetries
	case o.WebhookRetries < 0:
		o.WebhookRetries = 0
	}
	if o.WebhookRetryDelay <= 0 {
		o.WebhookRetryDelay = DefaultWebhookRetryDelay
	}
	return o
}

// setPushDefaults fills o.Push and the push endpoints' rate limits that
// o.RateLimits does not set.
func (o *Options) setPushDefaults() {
	o.Push = o.Push.withDefaults()
	if o.RateLimits == nil {
		o.RateLimits = map[string]int{}
	}
	for k, v := range pushRateLimits() {
		if o.RateLimits[k] <= 0 {
			o.RateLimits[k] = v
		}
	}
}

// pushState is the push half's state, guarded by Server.mu. Its zero
// value is ready: what needs making is made on first use.
type pushState struct {
	bearer      string // SetBearerToken; "" is Options.Push.BearerToken
	refuse      int    // SetRefuseSubscriptions; -1 is none
	refuseSet   bool
	nextSub     int64
	subs        []*subscription
	webhooks    []*webhook
	nextWebhook int64
	webhookDown bool
	streams     []*pushStream
	nextStream  int
	log         []PushEvent // ascending time
	uuidSeq     uint64
	delivered   []PushedEvent
	faults      []*PushFault
	crcSeq      uint64
	jobSeq      int64
	ctx         context.Context // ends with the server, for webhook calls
	client      *http.Client
}

// PushFault is a failure of push delivery, queued with InjectPushFault.
// Exactly one of Drop, Stall, ConnectStatus, Duplicate and BadSignature
// is set. A stream connection may also be refused with InjectFault
// (Endpoint "GET 2/activity/stream"), whose 429 carries the reset of the
// endpoint's 15-minute window.
type PushFault struct {
	// Drop closes a stream's connection abruptly (no end of the chunked
	// body) once it has sent After more events. A stream open when the
	// fault is injected takes it (any one, if several are), else the next
	// one to connect.
	Drop bool
	// Stall makes a stream stop sending anything, keep-alives included,
	// once it has sent After more events, until the client goes away.
	// Which stream takes it is as for Drop.
	Stall bool
	// After is how many events a stream sends before a Drop or Stall.
	After int
	// ConnectStatus refuses the next stream connections with that status
	// (a 429 with x-rate-limit-reset ResetIn from now, by Options.Clock,
	// rounded up to the second).
	ConnectStatus int
	ResetIn       time.Duration
	// Duplicate delivers the next events twice, on the stream and to the
	// webhook, the same bytes (the same event_uuid).
	Duplicate bool
	// BadSignature signs the next webhook calls (delivery attempts) with a
	// wrong key; one answered with other than 2xx is tried again.
	BadSignature bool
	// Times is how many connections, events or calls the fault applies
	// to: 0 means once, a negative value until ClearPushFaults.
	Times int
}

func (f *PushFault) kinds() int {
	n := 0
	for _, b := range []bool{f.Drop, f.Stall, f.ConnectStatus != 0, f.Duplicate, f.BadSignature} {
		if b {
			n++
		}
	}
	return n
}

// InjectPushFault queues f. It fails when f sets no fault or more than
// one.
func (s *Server) InjectPushFault(f PushFault) error {
	if f.kinds() != 1 {
		return errors.New("twitteremu: a PushFault sets exactly one of Drop, Stall, ConnectStatus, Duplicate and BadSignature")
	}
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push.faults = append(s.push.faults, &f)
	if f.Drop || f.Stall {
		for _, st := range s.push.streams {
			st.signal()
		}
	}
	s.log.Info("push fault injected", "drop", f.Drop, "stall", f.Stall, "after", f.After,
		"connect_status", f.ConnectStatus, "duplicate", f.Duplicate, "bad_signature", f.BadSignature, "times", f.Times)
	return nil
}

// ClearPushFaults removes every queued push fault (streams already
// stalled stay so). It cannot fail.
func (s *Server) ClearPushFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push.faults = nil
}

// takePushFault returns the first queued fault that match accepts, using
// one of its Times, or nil; the caller holds s.mu.
func (s *Server) takePushFault(match func(*PushFault) bool) *PushFault {
	for i, f := range s.push.faults {
		if !match(f) {
			continue
		}
		cp := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.push.faults = append(s.push.faults[:i], s.push.faults[i+1:]...)
			}
		}
		return &cp
	}
	return nil
}

// Ways an event reaches the bot, as PushedEvent.Via says.
const (
	PushViaStream  = "stream"
	PushViaWebhook = "webhook"
)

// PushEvent is an event the emulator made for a subscription.
type PushEvent struct {
	// UUID is the envelope's event_uuid: it names the delivery, not the
	// message, and is a signed 64-bit decimal, as in X's samples.
	UUID           string
	EventType      string
	Tag            string
	SubscriptionID string
	// UserID is the subscription's filter.user_id.
	UserID int64
	// MessageID is the post's id or the DM event's id.
	MessageID int64
	// WebhookID is the subscription's webhook, "" for the stream only.
	WebhookID string
	// Time is when the event was made, by Options.Clock.
	Time time.Time
	// Body is the event as delivered: one JSON object, without the line
	// end.
	Body []byte
}

// PushedEvent is one delivery of an event: a line written on a stream, or
// a call to a webhook (each attempt is one).
type PushedEvent struct {
	PushEvent
	// Via is PushViaStream or PushViaWebhook.
	Via string
	// Stream numbers a stream connection (1 for the first), 0 for a
	// webhook.
	Stream int
	// Backfill marks an event sent again for backfill_minutes, Replay one
	// sent again for a replay job, Duplicate the second copy of a
	// Duplicate fault.
	Backfill, Replay, Duplicate bool
	// Attempt counts a webhook delivery's calls, 1 for the first.
	Attempt int
	// Status is the webhook's answer, 0 when there was none.
	Status int
	// Err is why a webhook call got no answer (timeout, refused).
	Err string
	// BadSignature marks a call signed with a wrong key (the fault).
	BadSignature bool
	// Skipped says why a webhook delivery was not attempted at all
	// ("webhook down", "webhook invalid", "webhook deleted"): the event
	// is lost but for a replay.
	Skipped string
	// At is when it was delivered, by Options.Clock.
	At time.Time
}

// Delivered reports a stream line written or a webhook call answered
// 2xx.
func (p PushedEvent) Delivered() bool {
	return p.Via == PushViaStream || p.Status >= 200 && p.Status < 300
}

// PushEventLog returns every event made so far (within the last 25
// hours), oldest first. It never fails.
func (s *Server) PushEventLog() []PushEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PushEvent, len(s.push.log))
	for i, ev := range s.push.log {
		ev.Body = append([]byte(nil), ev.Body...)
		out[i] = ev
	}
	return out
}

// PushEvents returns every delivery so far, stream lines and webhook
// calls, in the order they happened. It never fails.
func (s *Server) PushEvents() []PushedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PushedEvent, len(s.push.delivered))
	for i, p := range s.push.delivered {
		p.Body = append([]byte(nil), p.Body...)
		out[i] = p
	}
	return out
}

// WaitPushEvents waits until match (nil: any) accepts at least n
// deliveries and returns those, or fails when ctx ends first.
func (s *Server) WaitPushEvents(ctx context.Context, n int, match func(PushedEvent) bool) ([]PushedEvent, error) {
	for {
		var got []PushedEvent
		for _, p := range s.PushEvents() {
			if match == nil || match(p) {
				got = append(got, p)
			}
		}
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("twitteremu: %d of %d push deliveries: %w", len(got), n, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// recordPush appends a delivery; the caller holds s.mu.
func (s *Server) recordPush(p PushedEvent) {
	p.At = s.now()
	s.push.delivered = append(s.push.delivered, p)
}

// SetBearerToken replaces the app's bearer token, e.g. to simulate one
// that was invalidated: calls with the old one then get 401. It cannot
// fail.
func (s *Server) SetBearerToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push.bearer = token
}

func (s *Server) bearerToken() string {
	return cmp.Or(s.push.bearer, s.opts.Push.BearerToken)
}

// SetRefuseSubscriptions makes every POST 2/activity/subscriptions answer
// status (401 or 403) from now on; 0 accepts them again (see
// PushOptions.RefuseSubscriptions). It cannot fail.
func (s *Server) SetRefuseSubscriptions(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push.refuse, s.push.refuseSet = status, true
}

func (s *Server) refuseSubscriptions() int {
	if s.push.refuseSet {
		return s.push.refuse
	}
	return s.opts.Push.RefuseSubscriptions
}

// pushContext is a context that ends when the server closes; the caller
// holds s.mu.
func (s *Server) pushContext() context.Context {
	if s.push.ctx == nil {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-s.closed
			cancel()
		}()
		s.push.ctx = ctx
		s.push.client = &http.Client{
			Timeout: s.opts.Push.WebhookTimeout,
			// X follows no redirect: a 3xx answer is a failure.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return s.push.ctx
}

// pushHandlers are the push routes served outside the buffered path of
// process: they take the app's bearer token, and the stream and the CRC
// checks cannot run under s.mu. Each answers by itself.
var pushHandlers = map[string]func(*Server, http.ResponseWriter, *call, Request){
	"GET " + v2ActivitySubs:    (*Server).serveListSubscriptions,
	"DELETE " + v2ActivitySub:  (*Server).serveDeleteSubscription,
	"GET " + v2ActivityStream:  (*Server).serveStream,
	"POST " + v2Webhooks:       (*Server).serveCreateWebhook,
	"GET " + v2Webhooks:        (*Server).serveListWebhooks,
	"PUT " + v2Webhook:         (*Server).serveValidateWebhook,
	"DELETE " + v2Webhook:      (*Server).serveDeleteWebhook,
	"POST " + v2WebhooksReplay: (*Server).serveReplay,
}

// handlePushServed is the route table's handler of the push routes that
// servePush serves; process never reaches it.
func (s *Server) handlePushServed(c *call) {
	c.problem(problemFor(http.StatusInternalServerError, "twitteremu: push route served by the buffered path"))
}

// servePush serves the push routes that take the app's bearer token,
// reporting false for every other request, which takes the usual path.
// It applies an injected Fault (its delay, drop or answer), then
// authenticates, counts the rate limit and checks the query, as process
// does.
func (s *Server) servePush(w http.ResponseWriter, c *call, rec Request) bool {
	h := pushHandlers[c.route.endpoint()]
	if h == nil {
		if c.route.endpoint() == "POST "+v2ActivitySubs && s.isAppBearer(c) {
			// The private events need the account's own authorization.
			c.problem(unsupportedAuthProblem())
			s.answer(w, c, rec)
			return true
		}
		return false
	}
	if f := s.takeFault(c.route); f != nil {
		rec.Fault = true
		if f.Delay > 0 && !s.sleep(c.r.Context(), f.Delay) {
			s.drop(w, rec)
			return true
		}
		switch {
		case f.Drop:
			s.drop(w, rec)
			return true
		case f.answers():
			s.faultResponse(c, f, nil)
			s.answer(w, c, rec)
			return true
		}
	}
	s.mu.Lock()
	ok := s.checkBearer(c) && s.takeRate(c) && checkV2Query(c, s.postFields)
	s.mu.Unlock()
	if !ok {
		s.answer(w, c, rec)
		return true
	}
	h(s, w, c, rec)
	return true
}

// bearerOf returns the token of an "Authorization: Bearer" header.
func bearerOf(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func (s *Server) isAppBearer(c *call) bool {
	tok, ok := bearerOf(c.r)
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok && tok != "" && tok == s.bearerToken()
}

// checkBearer answers 401 (false) unless c carries the app's bearer
// token; the caller holds s.mu.
func (s *Server) checkBearer(c *call) bool {
	tok, ok := bearerOf(c.r)
	if ok && tok != "" && tok == s.bearerToken() {
		return true
	}
	c.problem(problemFor(http.StatusUnauthorized, ""))
	return false
}

// unsupportedAuthProblem is X's 403 for an app-only token where the
// endpoint needs a user's.
func unsupportedAuthProblem() problemJSON {
	return problemJSON{
		Type:   "https://api.twitter.com/2/problems/unsupported-authentication",
		Title:  "Unsupported Authentication",
		Status: http.StatusForbidden,
		Detail: "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
	}
}
