// Package bot runs the pay-by-tweet daemon's work: pollers that store
// mentions and DMs, a processor that decides about each, a charger that
// makes each confirmed charge exactly once, a sender that posts replies
// exactly once, and the scheduled jobs (expiry, announcements). Every step
// reads its work from the database and commits its result there, so a
// crash anywhere leaves rows that say what is left to do.
package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/push"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// Twitter is what the bot needs of Twitter, whichever API serves it:
// twitterapi.Client (v1.1) and twitterapi.V2Client are the real ones.
// Lists are read newest first, a page at a time; a page's token is
// opaque, made and understood by the adapter alone (a v1.1 max_id, a v2
// pagination_token). Failures are *twitterapi.Error, classified by
// twitterapi.Classify.
type Twitter interface {
	VerifyCredentials() (twitterapi.User, error)
	// Mentions returns a page of the mentions newer than sinceID.
	Mentions(sinceID int64, token string) (twitterapi.Page, error)
	// OwnTweets returns a page of the account's own tweets newer than
	// sinceID: where the sender looks for a post it may have made.
	OwnTweets(userID, sinceID int64, token string) (twitterapi.Page, error)
	Post(text string, inReplyTo int64) (int64, error)
	// DMEvents returns a page of the account's DM events, sent and
	// received, and the next page's token, "" at the end.
	DMEvents(token string) ([]twitterapi.DM, string, error)
	SendDM(recipient int64, text string) (int64, error)
	// User looks an account up: its username, age and Automated label.
	User(id int64) (twitterapi.User, error)
	// Limit is what the API last said of a call's budget.
	Limit(call twitterapi.Call) (twitterapi.RateLimit, bool)
}

// Issuer is what the bot needs of the card issuer; *issuer.Client is the
// real one.
type Issuer interface {
	Enrollment(ctx context.Context, twitterUserID int64) (issuer.Enrollment, error)
	CreatePurchase(ctx context.Context, idempotencyKey string, req issuer.PurchaseRequest) (issuer.Purchase, error)
	FindPurchases(ctx context.Context, reference string) ([]issuer.Purchase, error)
}

// Options configure a Bot.
type Options struct {
	Config  *config.Config
	DB      *storage.DB
	Twitter Twitter
	Issuer  Issuer
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger
	// Idle is how long a worker with nothing to do sleeps before it looks
	// again (it is woken sooner when new work is written); default 1s.
	Idle time.Duration
	// MaxAge: messages older than this when processed are not acted on, so
	// that a first start does not answer a month of old DMs; default 24h.
	MaxAge time.Duration
	// ExpiryGrace is how long after a window closes the scheduled expiry
	// waits, so that a confirmation sent in time but polled late still
	// counts; default 1m. A buyer arriving after the window gets the unit
	// at once regardless.
	ExpiryGrace time.Duration
	// ShutdownGrace is how long Close lets work in flight finish before it
	// aborts it; default 5s.
	ShutdownGrace time.Duration
	// PollLag is how long after it is posted a message may still be
	// missing from what Twitter lists (indexing, clocks): the expiry
	// horizon keeps this far behind the polls, and the sender looks for
	// an interrupted post of its own only this long after it was made;
	// default 2s.
	PollLag time.Duration
	// RestoreWait bounds how long a message waits for the restore guard
	// to account for a post of the bot it answers, or for its request
	// (see restoreGuard.holdsUp); default 2m.
	RestoreWait time.Duration
	// LookupCollect is how long a buy whose enrollment look-up is in
	// waits for the other look-ups under way, so that a burst of buyers is
	// decided in one commit; default 50ms. A look-up that hangs holds
	// nobody back longer than that.
	LookupCollect time.Duration
	// Push, when set, brings the mentions and DMs X pushes (twitter.push,
	// v2): the stream or the webhook, as the configuration says.
	Push *push.Client
	// PushDeadAfter is how long the push stream may stay silent before it
	// counts as dead (X sends a keep-alive every 20 s); default 60s.
	// WebhookCheck is how often X is asked whether the webhook is valid;
	// default 1m.
	PushDeadAfter, WebhookCheck time.Duration
	// MessageAttempts is how many times a message whose processing fails
	// is tried, with a growing backoff, before it is set aside as failed
	// for an admin (paybytweet inbox); default 5.
	MessageAttempts int
}

// settings is what a configuration reload swaps, as one value.
type settings struct {
	cfg      *config.Config
	catalog  *conversations.Catalog
	messages *messages.Set
	risk     conversations.RiskRules
}

// Bot is the daemon's engine.
type Bot struct {
	opt Options
	db  *storage.DB
	tw  Twitter
	iss Issuer
	now func() time.Time
	log *slog.Logger

	current atomic.Pointer[settings]
	botID   atomic.Int64
	// verified is true once Twitter confirmed that the credentials are the
	// bot's own account; nothing polls or posts before.
	verified atomic.Bool

	authBroken    atomic.Bool  // Twitter rejects the credentials: no polls, no posts
	lastAuthCheck atomic.Int64 // when they were last tried again, Unix ms

	wakeProcessor, wakeCharger, wakeSender, wakeAuditor chan struct{}

	// inheritedBefore: a message posted before it may have been decided
	// by a daemon before this one (see conversations.Situation.Inherited).
	inheritedBefore time.Time

	processor     *processor
	charger       *charger
	auditor       *auditor
	sender        *sender
	holds         *restoreHolds // the restore guard's, which the processor asks
	push          *pushHealth   // the push receiver's, which the scheduler asks
	pusher        *pusher       // nil without push
	progress      pollProgress  // how far the polls have read: the processor's and the expiry job's
	mentions, dms *poller

	expirer   *expirer
	announcer *announcer
	compactor *compactor
	scheduler *scheduler

	ctx    context.Context // cancelled when the bot stops taking work
	stop   context.CancelFunc
	work   context.Context // cancelled when work in flight must be abandoned
	abort  context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
}

// DefaultShutdownGrace is Options.ShutdownGrace when it is not set.
const DefaultShutdownGrace = 5 * time.Second

// New returns a bot that has not started.
func New(opt Options) *Bot {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Idle <= 0 {
		opt.Idle = time.Second
	}
	if opt.MaxAge <= 0 {
		opt.MaxAge = 24 * time.Hour
	}
	if opt.ExpiryGrace <= 0 {
		opt.ExpiryGrace = time.Minute
	}
	if opt.ShutdownGrace <= 0 {
		opt.ShutdownGrace = DefaultShutdownGrace
	}
	if opt.PollLag <= 0 {
		opt.PollLag = 2 * time.Second
	}
	if opt.RestoreWait <= 0 {
		opt.RestoreWait = 2 * time.Minute
	}
	if opt.LookupCollect <= 0 {
		opt.LookupCollect = lookupCollect
	}
	if opt.MessageAttempts <= 0 {
		opt.MessageAttempts = 5
	}
	if opt.WebhookCheck <= 0 {
		opt.WebhookCheck = time.Minute
	}
	b := &Bot{
		opt: opt, db: opt.DB, iss: opt.Issuer, now: opt.Now, log: opt.Logger,
		tw:            newMeteredTwitter(opt.Twitter, opt.DB, opt.Now, opt.Logger.With("component", "usage")),
		wakeProcessor: make(chan struct{}, 1), wakeCharger: make(chan struct{}, 1), wakeSender: make(chan struct{}, 1),
		wakeAuditor: make(chan struct{}, 1),
	}
	b.holds = newRestoreHolds(opt.Logger.With("component", "sender"), opt.RestoreWait)
	b.progress = pollProgress{store: opt.DB, pollLag: opt.PollLag}
	// The pollers first: the processor and the scheduler start polls.
	b.mentions, b.dms = newPollers(b)
	b.processor, b.charger, b.sender, b.auditor = newProcessor(b), newCharger(b), newSender(b), newAuditor(b)
	b.expirer, b.announcer, b.compactor = newJobs(b)
	b.push = &pushHealth{on: opt.Push != nil && opt.Config.Twitter.Push.On(), why: "not connected yet"}
	if b.push.on {
		b.pusher = newPusher(b)
	}
	b.scheduler = newBotScheduler(b)
	b.push.changed = func() {
		if err := b.scheduler.retime(); err != nil {
			b.log.Error("reschedule the polls for push", "err", err)
		}
	}
	b.current.Store(newSettings(opt.Config))
	return b
}

func newSettings(cfg *config.Config) *settings {
	return &settings{cfg: cfg, catalog: conversations.NewCatalog(cfg.Offers), messages: cfg.Messages(), risk: cfg.Risk.Checks()}
}

func (b *Bot) settings() *settings { return b.current.Load() }

// loopFor returns the loop that runs the named worker, woken on wake.
func (b *Bot) loopFor(name string, wake <-chan struct{}) loop {
	return loop{log: b.log.With("component", name), idle: b.opt.Idle, wake: wake, writesFailing: b.db.WritesFailing}
}

// newProcessor wires a processor to the bot's parts.
func newProcessor(b *Bot) *processor {
	return newProcessorOf(processorDeps{store: b.db, iss: b.iss, progress: b.progress, holds: b.holds, settings: b.settings,
		now: b.now, log: b.log, work: func() context.Context { return b.work },
		stopped: func() bool { return b.ctx != nil && b.ctx.Err() != nil }, wg: &b.wg, botID: b.botID.Load,
		inheritedBefore: func() time.Time { return b.inheritedBefore },
		limit:           b.tw.Limit, pollMentions: func() { b.mentions.poll() }, pollDMs: func() { b.dms.poll() },
		users: b.tw.User, accounts: b.db,
		loop: b.loopFor("processor", b.wakeProcessor),
		wake: processorWakes{
			processor: func() { poke(b.wakeProcessor) }, sender: func() { poke(b.wakeSender) },
			charger: func() { poke(b.wakeCharger) }, auditor: func() { poke(b.wakeAuditor) },
		},
		maxAge: b.opt.MaxAge, messageAttempts: b.opt.MessageAttempts, lookupCollect: b.opt.LookupCollect})
}

// newPollers wires the mentions' and the DMs' pollers to the bot's parts.
func newPollers(b *Bot) (mentions, dms *poller) {
	d := pollerDeps{store: b.db, twitter: b.tw, now: b.now, log: b.log, maxAge: b.opt.MaxAge,
		access:        twitterAccess{botID: b.botID.Load, ready: b.checkAuth, broken: b.authBroken.Load, failed: b.twitterFailed},
		stopped:       func() bool { return b.ctx.Err() != nil },
		work:          func() context.Context { return b.work },
		wakeProcessor: func() { poke(b.wakeProcessor) }}
	return newMentionsPoller(d), newDMsPoller(d)
}

// newJobs wires the scheduled jobs to the bot's parts.
func newJobs(b *Bot) (*expirer, *announcer, *compactor) {
	d := jobDeps{settings: b.settings, now: b.now, log: b.log, work: func() context.Context { return b.work }}
	return &expirer{jobDeps: d, store: b.db, progress: b.progress, grace: b.opt.ExpiryGrace, wakeAuditor: func() { poke(b.wakeAuditor) }},
		&announcer{jobDeps: d, store: b.db, wakeSender: func() { poke(b.wakeSender) }},
		&compactor{jobDeps: d, store: b.db, stopped: func() bool { return b.ctx.Err() != nil }}
}

// newBotScheduler wires the scheduler to the pollers and the jobs, on the
// schedules of the configuration in force.
func newBotScheduler(b *Bot) *scheduler {
	return newScheduler(schedulerDeps{
		config: func() *config.Config { return b.settings().cfg }, log: b.log,
		jobs: []scheduledJob{
			{"poll mentions", func(c *config.Config) string { return b.push.pollSpec(c, c.Twitter.Poll.Mentions) }, func() { b.mentions.poll() }},
			{"poll direct messages", func(c *config.Config) string { return b.push.pollSpec(c, c.Twitter.Poll.DirectMessages) }, func() { b.dms.poll() }},
			{"expiry", func(c *config.Config) string { return c.Schedules.Expiry }, b.expirer.expire},
			{"announce", func(c *config.Config) string { return c.Schedules.Announce }, b.announcer.announce},
			{"retention", func(*config.Config) string { return compactSchedule }, b.compactor.compact},
		},
		catchUp: func() {
			b.announcer.announce()
			b.mentions.poll()
			b.dms.poll()
		},
	})
}

// newPusher wires the push receiver to the bot's parts.
func newPusher(b *Bot) *pusher {
	cfg := b.opt.Config
	return newPusherOf(pusherDeps{client: b.opt.Push, push: cfg.Twitter.Push, consumerSecret: cfg.Twitter.ConsumerSecret,
		store: b.db, health: b.push, users: b.tw.User, pollNow: b.pollBoth, wakeProcessor: func() { poke(b.wakeProcessor) },
		now: b.now, log: b.log, maxAge: b.opt.MaxAge, deadAfter: b.opt.PushDeadAfter, webhookCheck: b.opt.WebhookCheck,
		me: func() (twitterapi.User, bool) {
			id := b.botID.Load()
			return twitterapi.User{ID: id, ScreenName: b.settings().cfg.Bot.ScreenName}, id != 0 && b.verified.Load()
		}})
}

// newCharger wires a charger to the bot's parts.
func newCharger(b *Bot) *charger {
	return newChargerOf(chargerDeps{store: b.db, iss: b.iss, now: b.now, log: b.log, settings: b.settings,
		work: func() context.Context { return b.work }, wakeSender: b.wakeSender, loop: b.loopFor("charger", b.wakeCharger)})
}

// newAuditor wires an auditor to the bot's parts.
func newAuditor(b *Bot) *auditor {
	return newAuditorOf(auditorDeps{store: b.db, iss: b.iss, now: b.now, log: b.log, settings: b.settings,
		work: func() context.Context { return b.work }, wakeSender: b.wakeSender, loop: b.loopFor("auditor", b.wakeAuditor)})
}

// SetConfig puts a new configuration in force: offers, templates, windows
// and schedules. Orders already made keep their own copy of their terms.
func (b *Bot) SetConfig(cfg *config.Config) {
	old := b.current.Swap(newSettings(cfg))
	if old.cfg.Twitter.Poll != cfg.Twitter.Poll || old.cfg.Schedules != cfg.Schedules || old.cfg.Twitter.Push.Reconcile != cfg.Twitter.Push.Reconcile {
		if err := b.scheduler.reschedule(); err != nil {
			b.log.Error("reschedule after reload", "err", err)
		}
	}
	poke(b.wakeProcessor)
	poke(b.wakeSender)
}

// Open starts the bot's workers and schedules. It returns an error when a
// schedule does not parse.
func (b *Bot) Open(ctx context.Context) error {
	if err := b.scheduler.check(); err != nil {
		return err
	}
	b.ctx, b.stop = context.WithCancel(ctx)
	b.work, b.abort = context.WithCancel(context.WithoutCancel(ctx))
	b.loadBotID()
	// Orders a daemon before this one may have charged are audited at
	// the issuer if they end unpaid: after a restore, its record is lost.
	// The margin covers a Twitter clock behind this machine's.
	b.inheritedBefore = b.now().Add(time.Minute)
	b.db.AuditOrdersBefore(b.inheritedBefore)
	runs := []func(context.Context){b.scheduler.Run, b.processor.Run, b.charger.Run, b.sender.Run, b.auditor.Run}
	if b.pusher != nil {
		runs = append(runs, b.pusher.Run)
	}
	for _, run := range runs {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			run(b.ctx)
		}()
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.ensureIdentity()
	}()
	return nil
}

// Close stops polling and taking work, lets work in flight finish for up
// to ShutdownGrace, then abandons it (a charge or a post whose outcome is
// then unknown is settled at the next start), and returns.
func (b *Bot) Close() error {
	if b.stop == nil || b.closed.Swap(true) {
		return nil
	}
	b.stop() // the workers' and the scheduler's Run return once their work in flight is done
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(b.opt.ShutdownGrace):
		b.log.Warn("shutdown: abandoning work in flight; it resumes at the next start")
		b.abort()
		if c, ok := b.tw.(interface{ Close() }); ok {
			c.Close() // go-twitter takes no context: this aborts its requests
		}
		<-done
	}
	b.abort()
	return nil
}

// ensureIdentity asks Twitter whose the credentials are, retrying until
// it knows: until then, and for good when they are not the account this
// configuration and database are for, pollers and the sender wait.
func (b *Bot) ensureIdentity() {
	wait := time.Second
	for !b.verified.Load() && b.ctx.Err() == nil {
		ok, err := b.verifyIdentity()
		if ok {
			poke(b.wakeSender)
			b.mentions.poll()
			b.dms.poll()
			return
		}
		if err == nil {
			return // the wrong account: verifyIdentity said so, loudly
		}
		b.twitterFailed("verify credentials", err)
		select {
		case <-b.ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}

// verifyIdentity checks that the credentials are the bot's own account:
// the configured screen name, and the user id this database was made for.
// Polling under another account would store nothing (no mention would
// name "us") while the cursors moved on, losing every message for good.
// It returns true when they are; false and nil when they are another
// account's; false and the error when Twitter could not say.
func (b *Bot) verifyIdentity() (bool, error) {
	if b.verified.Load() {
		return true, nil
	}
	u, err := b.tw.VerifyCredentials()
	if err != nil {
		return false, err
	}
	want := b.settings().cfg.Bot.ScreenName
	if want != "" && !strings.EqualFold(u.ScreenName, want) {
		b.log.Error("TWITTER CREDENTIALS ARE ANOTHER ACCOUNT'S: polling and posting stay off; fix the credentials or bot.screen_name and restart",
			"credentials_for", u.ScreenName, "user_id", u.ID, "configured", want, "alert", "twitter_wrong_account")
		return false, nil
	}
	if stored := b.botID.Load(); stored != 0 && stored != u.ID {
		b.log.Error("TWITTER CREDENTIALS ARE ANOTHER ACCOUNT'S than this database was made for: polling and posting stay off",
			"credentials_for", u.ScreenName, "user_id", u.ID, "database_user_id", stored, "alert", "twitter_wrong_account")
		return false, nil
	}
	if b.botID.Load() == 0 {
		if err := b.db.SetCursor(context.WithoutCancel(b.work), cursorBotUser, u); err != nil {
			return false, fmt.Errorf("save bot identity: %w", err)
		}
		b.botID.Store(u.ID)
	}
	b.verified.Store(true)
	b.authBroken.Store(false)
	b.log.Info("twitter credentials work", "user_id", u.ID, "screen_name", u.ScreenName)
	return true, nil
}

const cursorBotUser = "bot_user"

// authRecheck is how often refused credentials are tried again.
const authRecheck = 15 * time.Second

// loadBotID reads the bot's user id from the database, so that its own
// messages are recognised even before Twitter answers.
func (b *Bot) loadBotID() {
	var u twitterapi.User
	if err := b.db.Cursor(context.Background(), cursorBotUser, &u); err == nil && u.ID != 0 {
		b.botID.Store(u.ID)
	}
}

// twitterFailed logs a Twitter failure at the level it deserves, and
// stops polling and posting when the credentials are refused.
func (b *Bot) twitterFailed(what string, err error) {
	switch twitterapi.Classify(err) {
	case twitterapi.KindAuth:
		if !b.authBroken.Swap(true) {
			b.log.Error("TWITTER CREDENTIALS REFUSED: polling and posting stop until they work; every reply stays queued", "during", what, "err", err, "alert", "twitter_credentials_refused")
		}
	case twitterapi.KindRateLimited:
		b.log.Info("twitter rate limit reached; waiting for its reset", "during", what, "err", err)
	case twitterapi.KindCapped:
		if !twitterapi.NotSent(err) {
			b.log.Error("ALERT: the API's usage cap or pay-per-use credits are used up: this call pauses, everything stays queued; an operator must raise the cap or add credits", "during", what, "err", err)
		}
	default:
		b.log.Warn("twitter call failed", "during", what, "err", err)
	}
}

// checkAuth, when the credentials were refused, tries them again and
// reports whether Twitter may be called.
func (b *Bot) checkAuth() bool {
	if !b.verified.Load() {
		return false
	}
	if !b.authBroken.Load() {
		return true
	}
	// verify_credentials has a budget of its own (75 per 15 minutes):
	// while the credentials are refused, ask at most every 15 seconds.
	now := b.now()
	if last := b.lastAuthCheck.Load(); last != 0 && now.Sub(time.UnixMilli(last)) < authRecheck {
		return false
	}
	b.lastAuthCheck.Store(now.UnixMilli())
	if _, err := b.tw.VerifyCredentials(); err != nil {
		return false
	}
	b.authBroken.Store(false)
	b.log.Info("twitter credentials work again; polling and posting resume")
	poke(b.wakeSender)
	return true
}

// Idle reports whether nothing is left to do: no message unprocessed, no
// charge unsettled, no reply unsent. Tests and the sandbox use it.
func (b *Bot) Idle(ctx context.Context) (bool, error) {
	return b.db.Quiet(ctx)
}

// PollNow polls mentions and DMs at once and waits for both polls to
// finish, instead of waiting for their schedules; a poll already running
// is waited for. Tests and the sandbox use it.
func (b *Bot) PollNow() { b.pollBoth() }

// pollBoth polls both channels, each after a poll of it already running,
// and reports whether both walks were complete: then nothing said before
// the poll began is missing from the inbox.
func (b *Bot) pollBoth() bool {
	b.verifyIdentity()
	mentions := b.mentions.pollAfterRunning()
	dms := b.dms.pollAfterRunning()
	return mentions && dms
}

// CompactNow runs retention at once, instead of waiting for its schedule.
func (b *Bot) CompactNow() { b.compactor.compact() }

// newSender wires the sender and its restore guard to the bot's parts.
func newSender(b *Bot) *sender {
	log := b.log.With("component", "sender")
	access := twitterAccess{
		botID:  b.botID.Load,
		ready:  func() bool { return b.botID.Load() != 0 && b.checkAuth() },
		broken: b.authBroken.Load,
		failed: b.twitterFailed,
	}
	guard := newRestoreGuard(guardDeps{store: b.db, twitter: b.tw, access: access, settings: b.settings, now: b.now, log: log, maxAge: b.opt.MaxAge}, b.holds)
	return newSenderOf(senderDeps{store: b.db, twitter: b.tw, access: access, guard: guard, settings: b.settings, now: b.now, log: log,
		pollLag: b.opt.PollLag, wakeProcessor: func() { poke(b.wakeProcessor) },
		work: func() context.Context { return b.work }, loop: b.loopFor("sender", b.wakeSender)})
}

// PushState says whether push is configured, and whether it brings the
// mentions and DMs now (else why not: polling on twitter.poll covers
// them meanwhile).
func (b *Bot) PushState() (on, healthy bool, why string) {
	on, healthy, _, why = b.push.state()
	return on, healthy, why
}

// TwitterState reports whether Twitter has confirmed that the credentials
// are the bot's own account (nothing is polled or posted before), and
// whether Twitter refuses them now; the daemon's readiness check reads it.
func (b *Bot) TwitterState() (verified, refused bool) {
	return b.verified.Load(), b.authBroken.Load()
}
