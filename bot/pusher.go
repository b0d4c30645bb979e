package bot

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paybytweet/paybytweet/backoff"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/push"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// pusher brings the mentions and DMs X pushes (its Activity API, over the
// stream or to the webhook) into the inbox, as another way in beside the
// pollers: a pushed message is the same row polling would make (the
// post's id, the DM event's id), through the same dedupe, so whichever
// comes first is acted on and the other changes nothing. Nothing past the
// inbox knows how a message came. It keeps pushHealth: healthy once
// connected and polled since, so that the polls slow to push.reconcile.
type pusher struct {
	pusherDeps
	healthyGen atomic.Int64 // the connection a poll made healthy
	conn       atomic.Int64 // counts connections; 0 while disconnected
	// stateMu orders a connection's drop against a poll counting it
	// healthy.
	stateMu sync.Mutex
	// subsMissing: X refused to make dropped subscriptions again.
	subsMissing atomic.Bool
}

// pusherDeps is what a pusher is made of.
type pusherDeps struct {
	client *push.Client
	push   config.Push
	// consumerSecret keys the webhook's signatures and CRC answers.
	consumerSecret string
	store          pushStore
	health         *pushHealth
	// me is the bot's account, once Twitter confirmed the credentials
	// are its own (false before).
	me func() (twitterapi.User, bool)
	// users looks an account up, for a reply pushed without its author.
	users func(id int64) (twitterapi.User, error)
	// pollNow polls both channels at once and returns when both polls
	// are done: after every (re)connect, what push may have missed. It
	// reports whether both walks were complete.
	pollNow       func() bool
	wakeProcessor func()
	now           func() time.Time
	log           *slog.Logger
	maxAge        time.Duration
	// deadAfter is how long without a byte means the stream is dead
	// (Options.PushDeadAfter); webhookCheck how often X is asked whether
	// the webhook is valid (Options.WebhookCheck).
	deadAfter, webhookCheck time.Duration
}

// pushStore is what the pusher needs of storage; *storage.DB is the real
// one.
type pushStore interface {
	SavePushed(ctx context.Context, events []storage.Pushed) (int, error)
	CountPush(ctx context.Context, name, label string) error
	Cursor(ctx context.Context, name string, v any) error
	SetCursor(ctx context.Context, name string, cursor any) error
	Account(ctx context.Context, userID int64) (storage.Account, bool, error)
}

func newPusherOf(d pusherDeps) *pusher {
	d.log = d.log.With("component", "push")
	return &pusher{pusherDeps: d}
}

// Run keeps push going until ctx ends: it waits for the bot's identity,
// makes sure of the subscriptions, then keeps the stream open or serves
// the webhook. X refusing the subscriptions is ALERT push_unavailable,
// and the bot polls at full pace, as without push.
func (p *pusher) Run(ctx context.Context) {
	me, ok := p.waitForIdentity(ctx)
	if !ok {
		return
	}
	dec := push.Decoder{Me: me, Logger: p.log}
	switch p.push.Mode {
	case config.PushWebhook:
		p.runWebhook(ctx, me, dec)
	default:
		if !p.ensure(ctx, me, "") {
			return
		}
		go p.keepSubscriptions(ctx, me)
		events, stored := make(chan push.Event, maxPushBatch), make(chan struct{})
		storing, stopStoring := context.WithCancel(ctx)
		go p.storeQueued(storing, events, stored)
		stream := p.client.NewStream(push.StreamOptions{Decoder: dec, OnState: p.onState(ctx), DeadAfter: p.deadAfter})
		if err := stream.Run(ctx, p.queue(ctx, events)); err != nil && ctx.Err() == nil {
			p.log.Error("push stream stopped", "err", err)
		}
		stopStoring()
		<-stored
	}
	p.health.set(false, "stopped", p.now())
}

// waitForIdentity returns the bot's account once Twitter confirmed it,
// or false when ctx ended first.
func (p *pusher) waitForIdentity(ctx context.Context) (twitterapi.User, bool) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if me, ok := p.me(); ok {
			return me, true
		}
		select {
		case <-ctx.Done():
			return twitterapi.User{}, false
		case <-t.C:
		}
	}
}

// ensure makes sure of the three subscriptions, retrying a failure with
// backoff; it returns false when X refused them (the bot polls instead)
// or ctx ended.
func (p *pusher) ensure(ctx context.Context, me twitterapi.User, webhookID string) bool {
	for n := 1; ; n++ {
		got, err := p.client.Ensure(ctx, me.ID, webhookID)
		if err == nil {
			p.log.Info("push subscriptions in place", "existing", len(got.Existing), "created", len(got.Created))
			return true
		}
		if errors.Is(err, push.ErrRefused) {
			p.log.Error("ALERT: X refuses the push subscriptions; polling at twitter.poll instead", "alert", "push_unavailable", "err", err)
			p.health.set(false, "X refused the subscriptions", p.now())
			return false
		}
		wait := backoff.Wait(n)
		p.log.Warn("could not make sure of the push subscriptions; trying again", "retry_in", wait.String(), "err", err)
		if !sleepCtx(ctx, wait) {
			return false
		}
	}
}

// keepSubscriptions checks the stream's subscriptions every
// webhookCheck until ctx ends: X may drop them (those made with an
// authorization since revoked), and the stream then stays open with
// nothing on it. Missing ones are made again, and what was said
// meanwhile is polled before push counts as healthy again; while they
// cannot be made, push is not healthy (the polls run at twitter.poll).
func (p *pusher) keepSubscriptions(ctx context.Context, me twitterapi.User) {
	for sleepCtx(ctx, p.webhookCheck) {
		held, made := p.checkSubscriptions(ctx, me, "")
		if held && !made {
			continue
		}
		p.stateMu.Lock()
		gen := p.conn.Load()
		p.health.set(false, "the push subscriptions are missing", p.now())
		p.stateMu.Unlock()
		if held && gen != 0 {
			go p.pollThenHealthy(ctx, gen)
		}
	}
}

// checkSubscriptions makes sure of the subscriptions again. held: all
// are there now (a failure to ask counts as held: the next check asks
// again); made: some had to be made again, so events were missed. A
// subscription X refuses to make again is ALERT push_unavailable, once
// until they are all there again.
func (p *pusher) checkSubscriptions(ctx context.Context, me twitterapi.User, webhookID string) (held, made bool) {
	got, err := p.client.Ensure(ctx, me.ID, webhookID)
	switch {
	case err == nil:
		if len(got.Created) > 0 {
			p.log.Warn("X had dropped push subscriptions; made again, and polling what was said meanwhile", "created", len(got.Created))
		}
		made = len(got.Created) > 0 || p.subsMissing.Load()
		p.subsMissing.Store(false)
		return true, made
	case errors.Is(err, push.ErrRefused):
		if !p.subsMissing.Swap(true) {
			p.log.Error("ALERT: X dropped push subscriptions and refuses to make them again; polling at twitter.poll", "alert", "push_unavailable", "err", err)
		}
		return false, false
	case got.Listed: // some are missing, and making them failed
		p.subsMissing.Store(true)
		p.log.Warn("push subscriptions are missing and could not be made again; polling at twitter.poll, trying again later", "err", err)
		return false, false
	default:
		if ctx.Err() == nil {
			p.log.Warn("could not check the push subscriptions; checking again later", "err", err)
		}
		return true, false
	}
}

// onState follows the stream's connections: after each connect the
// pollers run at once, and push counts as healthy only once that poll
// is done and the connection still stands.
func (p *pusher) onState(ctx context.Context) func(push.State) {
	return func(s push.State) {
		switch s.Kind {
		case push.StateConnected:
			gen := p.conn.Add(1)
			if s.Reconnect {
				p.count(ctx, "push", "reconnect")
			}
			if s.Backfill > 0 {
				p.count(ctx, "push", "backfill")
			}
			go p.pollThenHealthy(ctx, gen)
		case push.StateDisconnected:
			// Under stateMu: a poll that ends meanwhile must not count the
			// dropped connection healthy (pollThenHealthy).
			p.stateMu.Lock()
			defer p.stateMu.Unlock()
			p.conn.Store(0)
			why := "disconnected"
			if s.Err != nil {
				why = s.Err.Error()
			}
			if errors.Is(s.Err, push.ErrRefused) {
				p.log.Error("ALERT: X refuses the push stream; polling at twitter.poll meanwhile", "alert", "push_unavailable", "err", s.Err)
			} else if ctx.Err() == nil {
				p.log.Warn("push stream down; polling at twitter.poll meanwhile", "retry_in", s.Wait.String(), "err", s.Err)
			}
			p.health.set(false, why, p.now())
		}
	}
}

// pollThenHealthy polls both channels until a poll is complete (a DM
// list at its rate limit fails it: tried again with backoff), then
// counts push healthy if connection gen still stands. It gives up when
// the connection drops or ctx ends.
func (p *pusher) pollThenHealthy(ctx context.Context, gen int64) {
	for n := 1; !p.pollNow(); n++ {
		wait := backoff.Wait(n)
		p.log.Warn("the poll after push connected was not complete; push counts as healthy once one is", "retry_in", wait.String())
		if !sleepCtx(ctx, wait) || p.conn.Load() != gen {
			return
		}
	}
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	if p.conn.Load() == gen {
		p.healthyGen.Store(gen)
		p.health.set(true, "", p.now())
	}
}

// runWebhook serves X's calls on push.webhook.listen, registers the url,
// makes sure of the subscriptions, asks X to replay what it may have
// sent while the bot was down, and checks the webhook is valid on every
// reconcile.
func (p *pusher) runWebhook(ctx context.Context, me twitterapi.User, dec push.Decoder) {
	w := p.push.Webhook
	h, err := push.NewWebhook(push.WebhookOptions{Path: w.Path, ConsumerSecret: p.consumerSecret, Decoder: dec, Logger: p.log}, p.handle(ctx))
	if err != nil {
		p.log.Error("ALERT: push webhook not served; polling at twitter.poll", "alert", "push_unavailable", "err", err)
		return
	}
	ln, err := net.Listen("tcp", w.Listen)
	if err != nil {
		p.log.Error("ALERT: push webhook not served; polling at twitter.poll", "alert", "push_unavailable", "listen", w.Listen, "err", err)
		return
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	id, ok := p.register(ctx, me)
	if !ok {
		return
	}
	for ctx.Err() == nil {
		switch valid, err := p.webhookValid(ctx, id); {
		case errors.Is(err, push.ErrNoWebhook):
			// Deleted at X: registered again, with its subscriptions.
			p.health.set(false, "the webhook is gone at X", p.now())
			if id, ok = p.register(ctx, me); !ok {
				return
			}
			continue
		case err != nil:
			p.log.Warn("could not ask X whether the webhook is valid", "err", err)
			p.health.set(false, "X cannot say whether the webhook is valid", p.now())
		case valid:
			held, made := p.checkSubscriptions(ctx, me, id)
			if !held || made {
				p.health.set(false, "the push subscriptions are missing", p.now())
			}
			if held {
				p.caughtUp(ctx, id)
			}
		}
		if !sleepCtx(ctx, p.webhookCheck) {
			return
		}
	}
}

// register registers the webhook's url (reusing one X has) and makes sure
// of the subscriptions pointing at it; false when X refused them or ctx
// ended.
func (p *pusher) register(ctx context.Context, me twitterapi.User) (string, bool) {
	for n := 1; ; n++ {
		info, err := p.client.Register(ctx, p.push.Webhook.URL)
		if err == nil {
			return info.ID, p.ensure(ctx, me, info.ID)
		}
		if errors.Is(err, push.ErrRefused) {
			p.log.Error("ALERT: X refuses the push webhook; polling at twitter.poll", "alert", "push_unavailable", "err", err)
			p.health.set(false, "X refused the webhook", p.now())
			return "", false
		}
		if !sleepCtx(ctx, backoff.Wait(n)) {
			return "", false
		}
	}
}

// caughtUp runs once the webhook is valid: when push was not healthy,
// it asks X to replay what it sent since push last was (none at a first
// start: nothing was missed), polls at once, and counts push healthy;
// while it is, it records that moment, from which a later replay starts.
func (p *pusher) caughtUp(ctx context.Context, id string) {
	if _, healthy, _, _ := p.health.state(); !healthy {
		var since time.Time
		if err := p.store.Cursor(ctx, cursorPushHealthy, &since); err == nil && !since.IsZero() {
			if r, err := p.client.Replay(ctx, id, since, time.Time{}); err != nil {
				p.log.Warn("push replay not asked; the poll covers the gap", "err", err)
			} else if r.Clamped {
				p.log.Warn("push replay covers the last 24 hours only; the poll covers the rest")
			}
		}
		if !p.pollNow() {
			// Not healthy yet: the next check replays from the same
			// moment and polls again.
			p.log.Warn("the poll after the webhook came back was not complete; push counts as healthy once one is")
			return
		}
		p.health.set(true, "", p.now())
	}
	if err := p.store.SetCursor(ctx, cursorPushHealthy, p.now()); err != nil {
		p.log.Warn("could not record when push was last healthy", "err", err)
	}
}

// cursorPushHealthy names, among the cursors, when the webhook was last
// known to bring everything: a replay after a gap starts there.
const cursorPushHealthy = "push_healthy"

// webhookValid asks X whether the webhook passes its CRC, and when it
// does not, has X check it again and says what X then answered.
func (p *pusher) webhookValid(ctx context.Context, id string) (bool, error) {
	ok, err := p.client.Valid(ctx, id)
	if err != nil || ok {
		return ok, err
	}
	p.log.Error("ALERT: X says the push webhook is invalid; polling at twitter.poll until it passes the CRC again", "alert", "webhook_invalid")
	p.health.set(false, "the webhook is invalid", p.now())
	return p.client.Recheck(ctx, id)
}

// handle stores what one event brings, as polling would have: the same
// messages, filtered alike. It only stores: the webhook's 200 waits for
// it, and a failure is X's 503, so that X delivers the event again.
func (p *pusher) handle(ctx context.Context) func(push.Event) error {
	return func(ev push.Event) error {
		return p.save(ctx, []storage.Pushed{p.pushed(ctx, ev)})
	}
}

// queue hands the stream's events to storeQueued, which stores whatever
// has arrived meanwhile in one commit: a burst of buyers is not stored
// one commit at a time, and the stream is read on while a reply's
// author is looked up. An event lost to a crash before its commit is
// read again by the poll at the next start.
func (p *pusher) queue(ctx context.Context, events chan<- push.Event) func(push.Event) {
	return func(ev push.Event) {
		select {
		case events <- ev:
		case <-ctx.Done():
		}
	}
}

// storeQueued stores the queued events until ctx ends, then what is
// left; done is closed when it returns.
func (p *pusher) storeQueued(ctx context.Context, events <-chan push.Event, done chan<- struct{}) {
	defer close(done)
	work := context.WithoutCancel(ctx)
	for {
		var batch []storage.Pushed
		took := 0
		add := func(ev push.Event) {
			took++
			batch = append(batch, p.pushed(work, ev))
		}
		select {
		case ev := <-events:
			add(ev)
		case <-ctx.Done():
		}
	drain:
		for took < maxPushBatch {
			select {
			case ev := <-events:
				add(ev)
			default:
				break drain
			}
		}
		if len(batch) > 0 {
			p.save(work, batch)
		}
		if ctx.Err() != nil && took == 0 {
			return
		}
	}
}

// maxPushBatch bounds the events stored in one commit.
const maxPushBatch = 500

// pushed is what event ev brings to store: the messages the bot acts
// on, none for an event it ignores (counted as ignored all the same).
func (p *pusher) pushed(ctx context.Context, ev push.Event) storage.Pushed {
	pe := storage.Pushed{Type: ev.Type, Usage: string(twitterapi.UsagePushPost), IDs: ev.MessageIDs(), At: p.now()}
	switch ev.Kind {
	case push.KindTweet:
		if in, ok := p.tweet(ctx, ev.Tweet); ok {
			pe.Msgs = append(pe.Msgs, in)
		}
	case push.KindDM:
		pe.Usage = string(twitterapi.UsagePushDM)
		pe.Msgs = p.dms(ev.DMs)
	}
	return pe
}

// save stores events, and wakes the processor for what is new. It
// returns the database's failure, which it has logged.
func (p *pusher) save(ctx context.Context, events []storage.Pushed) error {
	added, err := p.store.SavePushed(ctx, events)
	if err != nil {
		// Lost to the database: X's retry (webhook) or polling reads
		// them again.
		p.log.Error("could not store pushed events; they are read again", "events", len(events), "err", err)
		return err
	}
	p.log.Debug("pushed events stored", "events", len(events), "new", added)
	if added > 0 {
		p.wakeProcessor()
	}
	return nil
}

// tweet is the inbox row of a pushed post, filtered as the mentions
// poller filters what it reads; a reply pushed without its author (X's
// sample sends none) takes the username the bot knows for the account.
func (p *pusher) tweet(ctx context.Context, t twitterapi.Tweet) (conversations.Inbound, bool) {
	me, _ := p.me()
	switch {
	case t.IsRetweet, t.UserID == me.ID, !t.Mentions(me.ID), t.CreatedAt.Before(p.now().Add(-p.maxAge)):
		return conversations.Inbound{}, false
	}
	if t.ScreenName == "" {
		name, ok := p.username(ctx, t.UserID)
		if !ok {
			return conversations.Inbound{}, false // polling brings it with its author
		}
		t.ScreenName = name
	}
	return inboundTweet(t), true
}

// username is the account's username as the bot last saw it, else as
// Twitter says.
func (p *pusher) username(ctx context.Context, id int64) (string, bool) {
	if a, ok, err := p.store.Account(ctx, id); err == nil && ok && a.Username != "" {
		return a.Username, true
	}
	type answer struct {
		u   twitterapi.User
		err error
	}
	got := make(chan answer, 1)
	go func() {
		u, err := p.users(id)
		got <- answer{u, err}
	}()
	t := time.NewTimer(authorLookupWait)
	defer t.Stop()
	select {
	case a := <-got:
		if a.err == nil && a.u.ScreenName != "" {
			return a.u.ScreenName, true
		}
	case <-t.C:
		p.log.Warn("X did not say who wrote a pushed reply in time; polling brings it with its author", "user_id", id)
	case <-ctx.Done():
	}
	return "", false
}

// authorLookupWait bounds the look-up of a pushed reply's author: the
// webhook's answer waits for it, and X gives a webhook 10 s.
const authorLookupWait = 3 * time.Second

// dms are the inbox rows of pushed DM events, filtered as the DM poller
// filters what it reads.
func (p *pusher) dms(events []twitterapi.DM) []conversations.Inbound {
	me, _ := p.me()
	oldest := p.now().Add(-p.maxAge)
	var out []conversations.Inbound
	for _, e := range events {
		if e.SenderID == me.ID || e.RecipientID != me.ID || e.CreatedAt.Before(oldest) {
			continue
		}
		out = append(out, inboundDM(e))
	}
	return out
}

func (p *pusher) count(ctx context.Context, name, label string) {
	if err := p.store.CountPush(ctx, name, label); err != nil {
		p.log.Warn("count push", "what", name, "label", label, "err", err)
	}
}

// sleepCtx waits for d, and returns false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
