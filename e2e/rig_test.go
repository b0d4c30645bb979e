// Package e2e runs the daemon against the project's Twitter emulator and
// issuer sandbox, over real HTTP through the real go-twitter client, and
// checks what a cardholder sees: the bot's tweets and DMs, and the
// purchases the issuer made.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/daemon"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

type clock = testkit.Clock

// Cardholders of the rig. Ids cross 2^53 and 18→19 digits on purpose.
var (
	botUser = twitteremu.User{ID: 4294967297, ScreenName: "AmexOffers", Name: "Amex Offers"}
	alice   = twitteremu.User{ID: 783214, ScreenName: "alice", Name: "Alice"}
	bob     = twitteremu.User{ID: 9007199254740993, ScreenName: "bob", Name: "Bob"}
	carol   = twitteremu.User{ID: 1000000000000000001, ScreenName: "carol", Name: "Carol"} // not enrolled
	dave    = twitteremu.User{ID: 42, ScreenName: "dave", Name: "Dave"}                    // suspended
	erin    = twitteremu.User{ID: 43, ScreenName: "erin", Name: "Erin"}                    // card declines
)

type rig struct {
	t     *testing.T
	api   string // config.APIv1 or config.APIv2
	clock *clock
	tw    *twitteremu.Server
	iss   *issuersandbox.Server
	cfg   *config.Config
	d     *daemon.Daemon
	dir   string
	logs  *logBuffer
	bot   []botOption
}

// rigOption changes the daemon's configuration; emuOption changes the
// Twitter emulator's options; issOption the issuer sandbox's; botOption
// the bot's. newRig takes any.
type (
	rigOption func(*config.Config)
	emuOption func(*twitteremu.Options)
	issOption func(*issuersandbox.Options)
	botOption func(*bot.Options)
)

func qty(n int64) *int64 { return &n }

// twitterLimits gives the emulator Twitter's own rate limits.
var twitterLimits = emuOption(func(o *twitteremu.Options) { o.RateLimits = nil })

// apis are the Twitter APIs every end-to-end test runs against.
var apis = []string{config.APIv1, config.APIv2}

// eachAPI runs test once on each API, as subtests named after it: the
// same test, through the real go-twitter client and the real v2 client.
func eachAPI(t *testing.T, test func(t *testing.T, api string)) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) { test(t, api) })
	}
}

// endpoints are the emulator's names of the calls the bot makes, by API.
var endpoints = map[string]map[twitterapi.Call]string{
	config.APIv1: {
		twitterapi.CallVerify: "GET account/verify_credentials", twitterapi.CallMentions: "GET statuses/mentions_timeline",
		twitterapi.CallOwnTweets: "GET statuses/user_timeline", twitterapi.CallPost: "POST statuses/update",
		twitterapi.CallDMList: "GET direct_messages/events/list", twitterapi.CallSendDM: "POST direct_messages/events/new",
		twitterapi.CallUser: "GET users/show",
	},
	config.APIv2: {
		twitterapi.CallVerify: "GET 2/users/me", twitterapi.CallMentions: "GET 2/users/:id/mentions",
		twitterapi.CallOwnTweets: "GET 2/users/:id/tweets", twitterapi.CallPost: "POST 2/tweets",
		twitterapi.CallDMList: "GET 2/dm_events", twitterapi.CallSendDM: "POST 2/dm_conversations/with/:participant_id/messages",
		twitterapi.CallUser: "GET 2/users/:id",
	},
}

// endpoint is how the emulator names the endpoint of call on api. A call
// the map lacks panics: "" would name every endpoint in a fault.
func endpoint(api string, call twitterapi.Call) string {
	e, ok := endpoints[api][call]
	if !ok {
		panic("e2e: no emulator endpoint for " + string(call) + " on " + api)
	}
	return e
}

// ep is how the emulator names the endpoint of call on the rig's API.
func (r *rig) ep(call twitterapi.Call) string { return endpoint(r.api, call) }

// refusal is the emulator's fault, on the rig's API, that means what
// v1.1's error code means (twitter-api-v2.md maps one onto the other),
// answering a request to call. v2 has neither a posting limit (185) nor a
// locked account (326): the usage cap is what pauses its posting.
func (r *rig) refusal(call twitterapi.Call, code int) twitteremu.Fault {
	f := twitteremu.Fault{Endpoint: r.ep(call), Status: http.StatusForbidden}
	if r.api == config.APIv1 {
		f.Code, f.Message = code, v1Messages[code]
		return f
	}
	switch code {
	case 187:
		f.Message = twitteremu.DetailDuplicate
	case 349:
		f.Message = "You cannot send messages to this user."
	case 433:
		f.Message = "You are not permitted to perform this action."
	case 385:
		f.Message = twitteremu.DetailReplyRefused // the summoned-reply rule
	case 185, 326:
		f = twitteremu.Fault{Endpoint: r.ep(call), UsageCapped: true}
	default:
		r.t.Fatalf("no v2 answer means v1.1's code %d", code)
	}
	return f
}

var v1Messages = map[int]string{
	185: "User is over daily status update limit.",
	187: "Status is a duplicate.",
	326: "To protect our users from spam and other malicious activity, this account is temporarily locked.",
	349: "You cannot send messages to this user.",
	385: "You attempted to reply to a Tweet that is deleted or not visible to you.",
	433: "The original Tweet author restricted who can reply.",
}

// apiURL is the emulator's base URL for api.
func apiURL(tw *twitteremu.Server, api string) string {
	if api == config.APIv2 {
		return tw.URLv2()
	}
	return tw.URL()
}

// newRig starts both emulators, enrolls the cardholders and runs the
// daemon on api with the two test offers: Kindle Fire HD (199.00 USD, 5
// units, one per cardholder) and Gift Card (25.00 USD, unlimited, two
// each).
func newRig(t *testing.T, api string, opts ...any) *rig {
	t.Helper()
	r := &rig{t: t, api: api, clock: testkit.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)), dir: t.TempDir(), logs: &logBuffer{}}
	emu := twitteremu.Options{
		Clock: r.clock.Now, Bot: botUser,
		FirstID: 999999999999999990, // ids cross from 18 to 19 digits within each test
		// settle() polls far more often than the bot's schedules would;
		// the budgets have tests of their own, with Twitter's limits.
		RateLimits: map[string]int{"direct_messages/events/list": 100000, "statuses/mentions_timeline": 100000,
			"2/dm_events": 100000, "2/users/:id/mentions": 100000},
	}
	for _, o := range opts {
		if o, ok := o.(emuOption); ok {
			o(&emu)
		}
	}
	r.tw = twitteremu.New(emu)
	for _, u := range []twitteremu.User{alice, bob, carol, dave, erin} {
		r.tw.AddUser(u)
	}
	if _, err := r.tw.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.tw.Close)
	issOpts := issuersandbox.Options{APIKey: "sk_test", Clock: r.clock.Now}
	for _, o := range opts {
		if o, ok := o.(issOption); ok {
			o(&issOpts)
		}
	}
	r.iss = issuersandbox.New(issOpts)
	issURL, err := r.iss.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.iss.Close)
	r.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(alice), Cardholder: "chd_alice", CardLast4: "1005", CardBrand: "amex", Status: "active"})
	r.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(bob), Cardholder: "chd_bob", CardLast4: "2002", CardBrand: "amex", Status: "active"})
	r.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(dave), Cardholder: "chd_dave", CardLast4: "4004", CardBrand: "amex", Status: "suspended"})
	r.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(erin), Cardholder: "chd_erin", CardLast4: "5005", CardBrand: "amex", Status: "active"})
	r.iss.DeclineCard("chd_erin", "insufficient_funds")

	r.cfg = testConfig(api, apiURL(r.tw, api), issURL, filepath.Join(r.dir, "paybytweet.db"))
	for _, o := range opts {
		switch o := o.(type) {
		case rigOption:
			o(r.cfg)
		case botOption:
			r.bot = append(r.bot, o)
		case emuOption, issOption:
		default:
			t.Fatalf("newRig: option %T is no rigOption, emuOption, issOption or botOption", o)
		}
	}
	r.start()
	return r
}

// testConfig is the daemon's configuration on api, with that API's
// default posting budgets.
func testConfig(api, twURL, issURL, dbPath string) *config.Config {
	cfg := &config.Config{Path: "test.yaml", Privacy: config.PrivacyPublic, Risk: config.DefaultRisk()}
	cfg.Bot.ScreenName = botUser.ScreenName
	cfg.Storage.Path = dbPath
	cfg.Twitter.API, cfg.Twitter.APIURL = api, twURL
	cfg.Twitter.ConsumerKey, cfg.Twitter.ConsumerSecret = "consumer-key", "consumer-secret"
	cfg.Twitter.AccessToken, cfg.Twitter.AccessSecret = "access-token", "access-secret"
	// Polls are driven by the test (PollNow); the schedules are slow so
	// that they do not race it.
	cfg.Twitter.Poll.Mentions, cfg.Twitter.Poll.DirectMessages = "@every 1h", "@every 1h"
	cfg.Twitter.Limits = config.APILimits(api)
	cfg.Issuer.URL, cfg.Issuer.APIKey, cfg.Issuer.EnrollURL, cfg.Issuer.Timeout = issURL, "sk_test", "https://issuer.example/link-twitter", 2*time.Second
	cfg.Confirmation.Window = 15 * time.Minute
	cfg.Schedules.Expiry, cfg.Schedules.Announce = "@every 1h", "@every 1h"
	cfg.Offers = []config.Offer{
		{ID: "kindle-fire-hd", Title: "Kindle Fire HD", BuyHashtag: "BuyKindleFireHD", ConfirmHashtag: "ConfirmKindleFireHD",
			Price: 19900, Currency: "USD", Merchant: "mer_amazon", Quantity: qty(5), PerUserLimit: 1},
		{ID: "gift-card", Title: "Gift Card", BuyHashtag: "BuyGiftCard", ConfirmHashtag: "ConfirmGiftCard",
			Price: 2500, Currency: "USD", Merchant: "mer_giftco", PerUserLimit: 2},
	}
	return cfg
}

func (r *rig) start() {
	r.t.Helper()
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(r.logs, testWriter{r.t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := daemon.Open(context.Background(), r.cfg, daemon.Options{Logger: logger, Now: r.clock.Now, Bot: func(o *bot.Options) {
		o.Idle = 20 * time.Millisecond
		o.ShutdownGrace = 2 * time.Second
		for _, set := range r.bot {
			set(o)
		}
	}})
	if err != nil {
		r.t.Fatal(err)
	}
	r.d = d
	r.t.Cleanup(r.stop)
}

func (r *rig) stop() {
	if r.d != nil {
		r.d.Close()
		r.d = nil
	}
}

// restart stops the daemon and starts a new one on the same database.
func (r *rig) restart() {
	r.stop()
	r.start()
}

// tweet posts text as user, as a reply to inReplyTo when it is not 0.
func (r *rig) tweet(u twitteremu.User, text string, inReplyTo ...int64) twitteremu.Tweet {
	r.t.Helper()
	opt := twitteremu.TweetOptions{}
	if len(inReplyTo) > 0 {
		opt.InReplyTo = inReplyTo[0]
	}
	tw, err := r.tw.PostTweet(u.ID, text, opt)
	if err != nil {
		r.t.Fatalf("%s tweets %q: %v", u.ScreenName, text, err)
	}
	r.clock.Advance(time.Second)
	return tw
}

// dm sends text to the bot as user.
func (r *rig) dm(u twitteremu.User, text string) twitteremu.DMEvent {
	r.t.Helper()
	ev, err := r.tw.SendDM(u.ID, botUser.ID, text)
	if err != nil {
		r.t.Fatalf("%s DMs %q: %v", u.ScreenName, text, err)
	}
	r.clock.Advance(time.Second)
	return ev
}

// settle polls and waits until the daemon has nothing left to do: every
// message processed, every charge settled, every reply sent.
func (r *rig) settle() {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.d.Bot.PollNow()
		quiet, err := r.d.Bot.Idle(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		if quiet {
			// A poll after quiet finds nothing new: truly settled.
			r.d.Bot.PollNow()
			if quiet, _ = r.d.Bot.Idle(context.Background()); quiet {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the daemon did not settle in 30s; outbox: %+v", readOutbox(r.t, r.cfg.Storage.Path))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// botTweets returns the bot's tweets that reply to tweet id.
func (r *rig) repliesTo(id int64) []twitteremu.Tweet {
	var out []twitteremu.Tweet
	for _, t := range r.tw.TweetsBy(botUser.ID) {
		if t.InReplyTo == id {
			out = append(out, t)
		}
	}
	return out
}

// reply returns the bot's one reply to tweet id, failing unless there is
// exactly one.
func (r *rig) reply(id int64) twitteremu.Tweet {
	r.t.Helper()
	rs := r.repliesTo(id)
	if len(rs) != 1 {
		r.t.Fatalf("the bot replied %d times to tweet %d, want once: %+v", len(rs), id, rs)
	}
	return rs[0]
}

// dmsTo returns the bot's DMs to user, oldest first.
func (r *rig) dmsTo(u twitteremu.User) []twitteremu.DMEvent {
	var out []twitteremu.DMEvent
	for _, e := range r.tw.DMs() {
		if e.SenderID == botUser.ID && e.RecipientID == u.ID {
			out = append(out, e)
		}
	}
	return out
}

// lastDM returns the bot's newest DM to user.
func (r *rig) lastDM(u twitteremu.User) twitteremu.DMEvent {
	r.t.Helper()
	dms := r.dmsTo(u)
	if len(dms) == 0 {
		r.t.Fatalf("the bot sent no DM to %s", u.ScreenName)
	}
	return dms[len(dms)-1]
}

// purchases returns the issuer's purchases for user.
func (r *rig) purchases(u twitteremu.User) []issuersandbox.Purchase {
	var out []issuersandbox.Purchase
	for _, p := range r.iss.Purchases() {
		if p.Metadata["twitter_user_id"] == id(u) {
			out = append(out, p)
		}
	}
	return out
}

// charged checks that the issuer made exactly n purchases for u, every
// one approved, and reports whether it did.
func (r *rig) charged(u twitteremu.User, n int) bool {
	r.t.Helper()
	ps := r.purchases(u)
	approved := 0
	for _, p := range ps {
		if p.Status == "approved" {
			approved++
		}
	}
	if len(ps) != n || approved != n {
		r.t.Errorf("%s has %d purchases, %d approved; want %d approved", u.ScreenName, len(ps), approved, n)
		return false
	}
	return true
}

func (r *rig) noPurchases(u twitteremu.User) {
	r.t.Helper()
	if ps := r.purchases(u); len(ps) > 0 {
		r.t.Errorf("%s was charged: %+v", u.ScreenName, ps)
	}
}

// buyAndConfirm runs a whole purchase by tweet and returns the receipt.
func (r *rig) buyAndConfirm(u twitteremu.User, buyTag, confirmTag string) twitteremu.Tweet {
	r.t.Helper()
	buy := r.tweet(u, "@AmexOffers "+buyTag)
	r.settle()
	req := r.reply(buy.ID)
	confirm := r.tweet(u, "@AmexOffers "+confirmTag, req.ID)
	r.settle()
	return r.reply(confirm.ID)
}

func id(u twitteremu.User) string { return strconv.FormatInt(u.ID, 10) }

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s %q does not contain %q", what, text, w)
		}
	}
}

func mustNotContain(t *testing.T, what, text string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(text, b) {
			t.Errorf("%s %q contains %q", what, text, b)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if os.Getenv("E2E_LOGS") != "" {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

type logBuffer = testkit.Buffer

type cfgT = config.Config

func id2s(v int64) string { return strconv.FormatInt(v, 10) }

func itoa(i int) string { return strconv.Itoa(i) }

func storageFilter() storage.OrderFilter { return storage.OrderFilter{} }

// orderIn finds the order id in a text.
func orderIn(t *testing.T, text string) string {
	t.Helper()
	i := strings.Index(text, "ord_")
	if i < 0 {
		t.Fatalf("no order id in %q", text)
	}
	j := i
	for j < len(text) && (text[j] == '_' || text[j] >= '0' && text[j] <= '9' || text[j] >= 'a' && text[j] <= 'z') {
		j++
	}
	return text[i:j]
}

// waitFor waits, with a deadline, until cond holds; the daemon works on
// its own meanwhile.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openDB opens the rig's database while the daemon is stopped.
func openDB(t *testing.T, r *rig) *storage.DB {
	t.Helper()
	db, err := storage.Open(r.cfg.Storage.Path, r.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func withTimes(f twitteremu.Fault, n int) twitteremu.Fault { f.Times = n; return f }

func withAfterWork(f twitteremu.Fault) twitteremu.Fault { f.AfterWork = true; return f }
