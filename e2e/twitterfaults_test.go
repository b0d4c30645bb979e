package e2e

// Each Twitter error the bot must handle, made to happen by the emulator,
// checked by what the cardholder sees and what the bot recorded.

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
	"github.com/paybytweet/paybytweet/twittertext"
)

// idleNow reports whether the daemon has nothing left to do, without
// polling.
func (r *rig) idleNow() bool {
	r.t.Helper()
	q, err := r.d.Bot.Idle(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return q
}

// settleAdvancing is settle for a daemon that is waiting for its clock (a
// backoff, a Retry-After, a rate-limit reset, a posting pause): whenever
// nothing is due now, or what is due has not moved for a while (the
// sender's pause of a channel is not in the database), the fake clock
// jumps to when the next postponed piece of work is due. It polls only
// when the daemon looks idle, so that it spends little of the endpoints'
// budgets.
func (r *rig) settleAdvancing() {
	r.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	r.d.Bot.PollNow()
	stalled := 0
	for {
		if r.idleNow() {
			r.d.Bot.PollNow()
			if r.idleNow() {
				return
			}
		}
		next, dueNow := r.postponed()
		if dueNow {
			stalled++
		}
		if !next.IsZero() && (!dueNow || stalled > 50) {
			r.clock.Advance(next.Sub(r.clock.Now()) + time.Second)
			stalled = 0
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the daemon did not settle in 45s; outbox: %+v", readOutbox(r.t, r.cfg.Storage.Path))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// postponed returns when the earliest postponed work (a charge, a message)
// is due, zero if none is, and whether some work is due now.
func (r *rig) postponed() (next time.Time, dueNow bool) {
	ctx := context.Background()
	now := r.clock.Now()
	if pending, err := r.d.DB.Inbox(ctx, storage.InboxPending); err != nil || len(pending) > 0 {
		dueNow = true
	}
	later := func(at time.Time) {
		if !at.After(now) {
			dueNow = true
		} else if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	if at, ok, err := r.d.DB.NextChargeAt(ctx); err == nil && ok {
		later(at)
	}
	for _, m := range readOutbox(r.t, r.cfg.Storage.Path) {
		if m.State == storage.OutboxPending || m.State == storage.OutboxSending {
			later(m.NextAttemptAt)
		}
	}
	return next, dueNow
}

// requests returns the Twitter emulator's requests to endpoint from index
// from on.
func (r *rig) requests(endpoint string, from int) []twitteremu.Request {
	var out []twitteremu.Request
	all := r.tw.Requests()
	for _, q := range all[min(from, len(all)):] {
		if q.Endpoint == endpoint {
			out = append(out, q)
		}
	}
	return out
}

// waitFaulted waits until the emulator has answered a request to endpoint
// with an injected fault, after request index from.
func (r *rig) waitFaulted(endpoint string, from int) {
	r.t.Helper()
	waitFor(r.t, 10*time.Second, "a faulted "+endpoint, func() bool {
		for _, q := range r.requests(endpoint, from) {
			if q.Fault {
				return true
			}
		}
		return false
	})
}

// outboxOf returns the outbox messages to user.
func (r *rig) outboxOf(u twitteremu.User) []storage.OutboxMessage {
	r.t.Helper()
	var out []storage.OutboxMessage
	for _, m := range readOutbox(r.t, r.cfg.Storage.Path) {
		if m.UserID == u.ID {
			out = append(out, m)
		}
	}
	return out
}

// checkRig runs the invariant checks on a rig, with confirmed the
// confirmations the test sent.
func (r *rig) checkRig(confirmed map[int64]int64, exp expectations) {
	r.t.Helper()
	exp.confirmed = confirmed
	checkInvariants(r.t, r.tw, r.iss, r.d.DB, r.cfg.Storage.Path, exp)
}

// markerDM has bob ask for help by DM and waits until the answer is out:
// the sender then went past every older message in its queue.
func (r *rig) markerDM() {
	r.t.Helper()
	before := len(r.dmsTo(bob))
	r.dm(bob, "help")
	deadline := time.Now().Add(10 * time.Second)
	for len(r.dmsTo(bob)) == before {
		r.d.Bot.PollNow()
		waitFor(r.t, 2*time.Second, "bob's help DM to be processed", func() bool {
			pending, _ := r.d.DB.Inbox(context.Background(), storage.InboxPending)
			return len(pending) == 0
		})
		if time.Now().After(deadline) {
			r.t.Fatal("bob's help was never answered")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwitterRateLimitedMentions: a 429 from the mentions timeline (with
// Twitter's code 88 body, and with an empty body, which go-twitter returns
// as no error at all) stores nothing and stops polling until the
// x-rate-limit-reset Twitter gave, and not a moment longer.
func TestTwitterRateLimitedMentions(t *testing.T) { eachAPI(t, testTwitterRateLimitedMentions) }

func testTwitterRateLimitedMentions(t *testing.T, api string) {
	for _, empty := range []bool{false, true} {
		t.Run("empty body "+strconv.FormatBool(empty), func(t *testing.T) {
			r := newRig(t, api)
			ep := r.ep(twitterapi.CallMentions)
			from := len(r.tw.Requests())
			r.tw.InjectFault(twitteremu.Fault{Endpoint: ep, Status: http.StatusTooManyRequests, EmptyBody: empty, Times: -1})
			buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
			r.d.Bot.PollNow()
			r.waitFaulted(ep, from)
			if msgs, _ := r.d.DB.Inbox(context.Background(), ""); len(msgs) != 0 {
				t.Errorf("a rate-limited poll stored %+v", msgs)
			}
			limit, ok := r.d.Twitter.Limit(twitterapi.CallMentions)
			if !ok || limit.Remaining != 0 || !limit.Reset.After(r.clock.Now()) {
				t.Fatalf("the client did not take the reset from the 429: %+v %v", limit, ok)
			}
			// Before the reset, no request goes out.
			n := len(r.requests(ep, 0))
			r.clock.Advance(limit.Reset.Sub(r.clock.Now()) - 5*time.Second)
			r.d.Bot.PollNow()
			r.d.Bot.PollNow()
			if got := len(r.requests(ep, 0)); got != n {
				t.Errorf("%d mentions requests before x-rate-limit-reset", got-n)
			}
			if !strings.Contains(r.logs.String(), "rate limit") {
				t.Error("the rate limit was not logged")
			}
			// After it, polling resumes and the mention is answered once.
			r.tw.ClearFaults()
			r.clock.Advance(10 * time.Second)
			r.settle()
			mustContain(t, "answer", r.reply(buy.ID).Text, "#ConfirmGiftCard")
			if got := len(r.requests(ep, 0)); got == n {
				t.Error("no mentions request after the reset")
			}
		})
	}
}

// TestTwitterRateLimitedPost: a post answered with a 429, empty-bodied or
// not, is known not to be on Twitter: it is neither recorded as sent nor
// looked for, the tweet channel waits, and the reply goes out once later.
func TestTwitterRateLimitedPost(t *testing.T) { eachAPI(t, testTwitterRateLimitedPost) }

func testTwitterRateLimitedPost(t *testing.T, api string) {
	for _, empty := range []bool{false, true} {
		t.Run("empty body "+strconv.FormatBool(empty), func(t *testing.T) {
			r := newRig(t, api)
			ep := r.ep(twitterapi.CallPost)
			// The sender reads the bot's own posts once at start (what a
			// restore may have lost); that read is not a search for a post.
			r.waitFor("the sender's first read of the bot's own posts", func() bool {
				return len(r.requests(r.ep(twitterapi.CallDMList), 0)) > 0 && len(r.requests(r.ep(twitterapi.CallOwnTweets), 0)) > 0
			})
			from := len(r.tw.Requests())
			r.tw.InjectFault(twitteremu.Fault{Endpoint: ep, Status: http.StatusTooManyRequests, EmptyBody: empty})
			buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
			r.d.Bot.PollNow()
			r.waitFaulted(ep, from)
			later := r.tweet(erin, "@AmexOffers #BuyGiftCard")
			r.markerDM() // the sender went past erin's reply while the channel waits
			if rs := r.repliesTo(buy.ID); len(rs) != 0 {
				t.Fatalf("a 429 was taken for a post: %+v", rs)
			}
			if rs := r.repliesTo(later.ID); len(rs) != 0 {
				t.Errorf("posted while rate limited: %+v", rs)
			}
			for _, m := range r.outboxOf(alice) {
				if m.State != storage.OutboxPending || !m.NextAttemptAt.After(r.clock.Now()) {
					t.Errorf("after a 429 the reply is %s, due %s (now %s)", m.State, m.NextAttemptAt, r.clock.Now())
				}
			}
			if n := len(r.requests(r.ep(twitterapi.CallOwnTweets), from)); n != 0 {
				t.Errorf("the bot looked for a post that a 429 refused (%d timeline requests)", n)
			}
			r.settleAdvancing()
			r.reply(buy.ID)
			r.reply(later.ID)
			r.checkRig(nil, expectations{})
		})
	}
}

// TestTwitterPostingLimit: error 185 (on v2, the usage cap: a 429 of type
// usage-capped) pauses public posting until the posting window has
// passed; DMs still go; then every queued reply is posted once.
func TestTwitterPostingLimit(t *testing.T) { eachAPI(t, testTwitterPostingLimit) }

func testTwitterPostingLimit(t *testing.T, api string) {
	r := newRig(t, api)
	ep := r.ep(twitterapi.CallPost)
	from := len(r.tw.Requests())
	r.tw.InjectFault(r.refusal(twitterapi.CallPost, 185))
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFaulted(ep, from)
	later := r.tweet(erin, "@AmexOffers #BuyGiftCard")
	r.markerDM()
	if rs := append(r.repliesTo(buy.ID), r.repliesTo(later.ID)...); len(rs) != 0 {
		t.Fatalf("posted while over the posting limit: %+v", rs)
	}
	window := r.cfg.Twitter.Limits.TweetWindow
	for _, m := range r.outboxOf(alice) {
		if m.NextAttemptAt.Before(r.clock.Now().Add(window - time.Minute)) {
			t.Errorf("after the refusal the reply is due %s, before the posting window (%s) has passed", m.NextAttemptAt, window)
		}
	}
	if n := len(r.requests(ep, from)); n != 1 {
		t.Errorf("%d posts while over the posting limit, want the 1 refused", n)
	}
	mustContain(t, "log", r.logs.String(), "posting paused")
	if api == config.APIv2 {
		mustContain(t, "log", r.logs.String(), "level=ERROR msg=\"ALERT: the API's usage cap or pay-per-use credits are used up")
	}
	r.settleAdvancing()
	r.reply(buy.ID)
	r.reply(later.ID)
	r.checkRig(nil, expectations{})
}

// TestTwitterServerErrorsOnPost: 130, 131 and other 5xx answers, with the
// post made or not made before them, a dropped connection after the post
// and a malformed answer to a post: the bot backs off, looks for the post,
// and the reply is visible once.
func TestTwitterServerErrorsOnPost(t *testing.T) { eachAPI(t, testTwitterServerErrorsOnPost) }

func testTwitterServerErrorsOnPost(t *testing.T, api string) {
	tests := []struct {
		name      string
		fault     twitteremu.Fault
		dm        bool
		wantPosts int // requests to the post endpoint for the one reply
	}{
		{"130 over capacity", twitteremu.Fault{Status: 503, Code: 130}, false, 2},
		{"131 internal error", twitteremu.Fault{Status: 500, Code: 131}, false, 2},
		{"502 without a body", twitteremu.Fault{Status: 502, EmptyBody: true}, false, 2},
		{"posted, then 503", twitteremu.Fault{Status: 503, AfterWork: true}, false, 1},
		{"posted, then 131", twitteremu.Fault{Status: 500, Code: 131, AfterWork: true}, false, 1},
		{"posted, then the connection dropped", twitteremu.Fault{Drop: true, AfterWork: true}, false, 1},
		{"posted, then a malformed answer", twitteremu.Fault{Malformed: true, AfterWork: true}, false, 1},
		{"DM sent, then 503", twitteremu.Fault{Status: 503, AfterWork: true}, true, 1},
		{"DM not sent, 503", twitteremu.Fault{Status: 503}, true, 2},
		{"DM sent, then the connection dropped", twitteremu.Fault{Drop: true, AfterWork: true}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api)
			ep := r.ep(twitterapi.CallPost)
			if tt.dm {
				ep = r.ep(twitterapi.CallSendDM)
			}
			f := tt.fault
			f.Endpoint = ep
			from := len(r.tw.Requests())
			r.tw.InjectFault(f)
			confirmed := map[int64]int64{}
			if tt.dm {
				r.dm(bob, "#BuyGiftCard")
				r.settleAdvancing()
				dms := r.dmsTo(bob)
				if len(dms) != 1 {
					t.Fatalf("bob got %d DMs, want the one request: %+v", len(dms), dms)
				}
				mustContain(t, "request", dms[0].Text, "#ConfirmGiftCard")
				yes := r.dm(bob, "yes")
				confirmed[yes.ID] = bob.ID
				r.settleAdvancing()
				mustContain(t, "receipt", r.lastDM(bob).Text, "Done!")
			} else {
				buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
				r.settleAdvancing()
				req := r.reply(buy.ID)
				confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
				confirmed[confirm.ID] = alice.ID
				r.settleAdvancing()
				mustContain(t, "receipt", r.reply(confirm.ID).Text, "Done!")
			}
			posts := r.requests(ep, from)
			if len(posts) == 0 || !posts[0].Fault {
				t.Fatalf("the fault did not hit the first post: %+v", posts)
			}
			// The request took wantPosts requests; the receipt one more.
			if got := len(posts); got != tt.wantPosts+1 {
				t.Errorf("%d post requests, want %d for the request and 1 for the receipt", got, tt.wantPosts)
			}
			r.checkRig(confirmed, expectations{})
		})
	}
}

// TestTwitterCredentialsRefused: 32, 89 and a bare 401 stop polling and
// posting, loudly; nothing is lost or dropped meanwhile; when the
// credentials work again, everything queued goes out once.
func TestTwitterCredentialsRefused(t *testing.T) { eachAPI(t, testTwitterCredentialsRefused) }

func testTwitterCredentialsRefused(t *testing.T, api string) {
	tests := []struct {
		name  string
		fault twitteremu.Fault
	}{
		{"32 could not authenticate", twitteremu.Fault{Status: 401, Code: 32}},
		{"89 invalid or expired token", twitteremu.Fault{Status: 401, Code: 89}},
		{"401 without a body", twitteremu.Fault{Status: 401, EmptyBody: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api)
			buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
			r.settle()
			req := r.reply(buy.ID)
			// Every post is refused from now on; once the refusal is seen,
			// the token is revoked for good.
			f := tt.fault
			f.Endpoint, f.Times = r.ep(twitterapi.CallPost), -1
			from := len(r.tw.Requests())
			r.tw.InjectFault(f)
			confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
			r.d.Bot.PollNow()
			r.waitFaulted(r.ep(twitterapi.CallPost), from)
			r.tw.SetCredentials("revoked-token", "revoked-secret")
			r.tw.ClearFaults()
			later := r.tweet(bob, "@AmexOffers #BuyGiftCard")

			// While the credentials are refused the bot only checks them.
			verifies := func(from int) int {
				n := 0
				for _, q := range r.requests(r.ep(twitterapi.CallVerify), from) {
					if q.Status == http.StatusUnauthorized {
						n++
					}
				}
				return n
			}
			mark := len(r.tw.Requests())
			// It checks them every 15 seconds, not at every chance.
			r.d.Bot.PollNow()
			r.d.Bot.PollNow()
			if n := verifies(mark); n > 1 {
				t.Errorf("checked refused credentials %d times within a moment", n)
			}
			recheck := func() bool { r.clock.Advance(16 * time.Second); r.d.Bot.PollNow(); return verifies(mark) >= 3 }
			waitFor(t, 10*time.Second, "the bot to check its credentials", recheck)
			mark = len(r.tw.Requests())
			waitFor(t, 10*time.Second, "the bot to check its credentials again", recheck)
			for _, q := range r.tw.Requests()[mark:] {
				if q.Endpoint != r.ep(twitterapi.CallVerify) {
					t.Errorf("with refused credentials the bot called %s", q.Endpoint)
				}
			}
			if !strings.Contains(r.logs.String(), "level=ERROR msg=\"TWITTER CREDENTIALS REFUSED") {
				t.Error("refused credentials were not logged as an error")
			}
			receipt := r.outboxOf(alice)
			if last := receipt[len(receipt)-1]; last.Kind != "receipt" || last.State != storage.OutboxPending {
				t.Errorf("the receipt is %s %s, want a pending receipt", last.Kind, last.State)
			}
			if rs := r.repliesTo(confirm.ID); len(rs) != 0 {
				t.Errorf("posted with refused credentials: %+v", rs)
			}

			r.tw.SetCredentials("access-token", "access-secret")
			r.clock.Advance(16 * time.Second) // the next check of the credentials is due
			r.settleAdvancing()
			mustContain(t, "receipt", r.reply(confirm.ID).Text, "Done!")
			mustContain(t, "answer to bob", r.reply(later.ID).Text, "#ConfirmGiftCard")
			mustContain(t, "log", r.logs.String(), "credentials work again")
			r.checkRig(map[int64]int64{confirm.ID: alice.ID}, expectations{})
		})
	}
}

// TestTwitterReplyToDeletedTweet: a confirmation request to a buy tweet
// deleted before the reply could go (385) is recorded as failed, its unit
// goes back to the offer, and the bot moves on.
func TestTwitterReplyToDeletedTweet(t *testing.T) { eachAPI(t, testTwitterReplyToDeletedTweet) }

func testTwitterReplyToDeletedTweet(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(1) }))
	ep := r.ep(twitterapi.CallPost)
	from := len(r.tw.Requests())
	// The first post is held off (429), and meanwhile alice deletes her
	// tweet.
	r.tw.InjectFault(twitteremu.Fault{Endpoint: ep, Status: http.StatusTooManyRequests})
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.d.Bot.PollNow()
	r.waitFaulted(ep, from)
	if err := r.tw.DeleteTweet(buy.ID); err != nil {
		t.Fatal(err)
	}
	r.settleAdvancing()
	box := r.outboxOf(alice)
	if len(box) != 1 || box[0].State != storage.OutboxFailed || !strings.Contains(box[0].LastError, "reply_target_gone") {
		t.Fatalf("alice's request: %+v, want failed as reply_target_gone", box)
	}
	orders, _ := r.d.DB.Orders(context.Background(), storage.OrderFilter{UserID: alice.ID})
	if len(orders) != 1 || orders[0].State != "expired" {
		t.Errorf("alice's order: %+v, want it released", orders)
	}
	mustContain(t, "log", r.logs.String(), "refuses this message for good")
	// The unit is back: bob can have it.
	bobs := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	mustContain(t, "answer to bob", r.reply(bobs.ID).Text, "#ConfirmKindleFireHD", "2002")
	r.checkRig(nil, expectations{failedOK: true})
}

// TestTwitterAutomatedOrLocked: what pauses public posting, loudly: on
// v1.1, 226 and 326; on v2, used-up credits (402) and an app refused
// (403 client-forbidden). DMs still go; after the pause every reply is
// posted once.
func TestTwitterAutomatedOrLocked(t *testing.T) { eachAPI(t, testTwitterAutomatedOrLocked) }

func testTwitterAutomatedOrLocked(t *testing.T, api string) {
	tests := map[string][]struct {
		name  string
		fault twitteremu.Fault
		log   string
	}{
		config.APIv1: {
			{"226", twitteremu.Fault{Status: http.StatusForbidden, Code: 226}, "level=ERROR msg=\"Twitter asks the account to pause"},
			{"326", twitteremu.Fault{Status: http.StatusForbidden, Code: 326}, "level=ERROR msg=\"Twitter asks the account to pause"},
		},
		config.APIv2: {
			{"402 credits used up", twitteremu.Fault{Status: http.StatusPaymentRequired}, "level=ERROR msg=\"ALERT: the API's usage cap or pay-per-use credits are used up"},
			{"403 client-forbidden", twitteremu.Fault{Status: http.StatusForbidden, ProblemType: "https://api.x.com/2/problems/client-forbidden",
				Message: "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project."},
				"level=ERROR msg=\"TWITTER REFUSES THE ACCOUNT THIS"},
		},
	}
	for _, tt := range tests[api] {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api)
			ep := r.ep(twitterapi.CallPost)
			from := len(r.tw.Requests())
			f := tt.fault
			f.Endpoint = ep
			r.tw.InjectFault(f)
			buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
			r.d.Bot.PollNow()
			r.waitFaulted(ep, from)
			later := r.tweet(erin, "@AmexOffers #BuyGiftCard")
			r.markerDM()
			if rs := append(r.repliesTo(buy.ID), r.repliesTo(later.ID)...); len(rs) != 0 {
				t.Fatalf("posted while Twitter asked for a pause: %+v", rs)
			}
			if n := len(r.requests(ep, from)); n != 1 {
				t.Errorf("%d posts during the pause, want the 1 refused", n)
			}
			if !strings.Contains(r.logs.String(), tt.log) {
				t.Errorf("the pause was not logged as an error (%s)", tt.log)
			}
			r.settleAdvancing()
			r.reply(buy.ID)
			r.reply(later.ID)
			r.checkRig(nil, expectations{})
		})
	}
}

// notEnrolledReply is the bot's default answer to a buy tweet of the
// Kindle from a cardholder without a card.
func notEnrolledReply(t *testing.T, screenName string, tweetID int64) string {
	t.Helper()
	text, err := messages.Defaults().Render(messages.NotEnrolled, "kindle-fire-hd", messages.Enroll{
		ScreenName: screenName, Offer: messages.Offer{ID: "kindle-fire-hd", Title: "Kindle Fire HD", BuyHashtag: "#BuyKindleFireHD", ConfirmHashtag: "#ConfirmKindleFireHD", Price: "199.00 USD"},
		EnrollURL: "https://issuer.example/link-twitter", Ref: strconv.FormatInt(tweetID%2176782336, 36),
	})
	if err != nil {
		t.Fatal(err)
	}
	return messages.Fit(messages.ReplyText(screenName, text), twittertext.MaxTweetLength)
}

// TestTwitterDuplicateStatus: error 187 is proof of nothing by itself.
// When the account's older tweet with the same text is not this reply
// (someone tweeted it by hand), or no such tweet exists, the reply is still
// posted, once; when it is this reply (posted, then answered 187), it is
// recorded as sent without posting again.
func TestTwitterDuplicateStatus(t *testing.T) { eachAPI(t, testTwitterDuplicateStatus) }

func testTwitterDuplicateStatus(t *testing.T, api string) {
	t.Run("an older tweet with the same text", func(t *testing.T) {
		r := newRig(t, api)
		buy := r.tweet(carol, "@AmexOffers #BuyKindleFireHD")
		text := notEnrolledReply(t, "carol", buy.ID)
		older, err := r.tw.PostTweet(botUser.ID, text, twitteremu.TweetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		from := len(r.tw.Requests())
		r.settleAdvancing()
		refused := false
		for _, q := range r.requests(r.ep(twitterapi.CallPost), from) {
			refused = refused || q.Status == http.StatusForbidden
		}
		if !refused {
			t.Fatalf("the bot's reply was not refused as a duplicate of %q: the test did not test anything", text)
		}
		rep := r.reply(buy.ID)
		if rep.ID == older.ID || !strings.HasPrefix(rep.Text, text) || rep.Text == text {
			t.Errorf("reply %d %q; the older tweet is %d %q", rep.ID, rep.Text, older.ID, older.Text)
		}
		box := r.outboxOf(carol)
		if len(box) != 1 || box[0].SentID != rep.ID {
			t.Errorf("recorded as sent: %+v, want sent as %d", box, rep.ID)
		}
		r.checkRig(nil, expectations{byHand: []int64{older.ID}})
	})
	t.Run("187 without a tweet", func(t *testing.T) {
		r := newRig(t, api)
		from := len(r.tw.Requests())
		r.tw.InjectFault(r.refusal(twitterapi.CallPost, 187))
		buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
		r.settleAdvancing()
		r.waitFaulted(r.ep(twitterapi.CallPost), from)
		rep := r.reply(buy.ID)
		if box := r.outboxOf(alice); len(box) != 1 || box[0].SentID != rep.ID {
			t.Errorf("recorded as sent: %+v, want sent as %d", box, rep.ID)
		}
		r.checkRig(nil, expectations{})
	})
	t.Run("posted, then answered 187", func(t *testing.T) {
		r := newRig(t, api)
		from := len(r.tw.Requests())
		r.tw.InjectFault(withAfterWork(r.refusal(twitterapi.CallPost, 187)))
		buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
		r.settleAdvancing()
		r.waitFaulted(r.ep(twitterapi.CallPost), from)
		rep := r.reply(buy.ID)
		if box := r.outboxOf(alice); len(box) != 1 || box[0].SentID != rep.ID {
			t.Errorf("recorded as sent: %+v, want sent as %d", box, rep.ID)
		}
		if n := len(r.requests(r.ep(twitterapi.CallPost), from)); n != 1 {
			t.Errorf("%d posts, want 1", n)
		}
		r.checkRig(nil, expectations{})
	})
}

// TestTwitterDuplicateDMText: the bot may send one cardholder the same
// text twice (the help text, say). When the second send's outcome is
// unknown, the first DM must not be taken for it.
func TestTwitterDuplicateDMText(t *testing.T) { eachAPI(t, testTwitterDuplicateDMText) }

func testTwitterDuplicateDMText(t *testing.T, api string) {
	r := newRig(t, api)
	r.dm(bob, "help")
	r.settleAdvancing()
	if n := len(r.dmsTo(bob)); n != 1 {
		t.Fatalf("bob has %d DMs, want the help text", n)
	}
	from := len(r.tw.Requests())
	// The second answer is lost on the way: not sent, outcome unknown.
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallSendDM), Drop: true})
	r.dm(bob, "help")
	r.settleAdvancing()
	r.waitFaulted(r.ep(twitterapi.CallSendDM), from)
	dms := r.dmsTo(bob)
	if len(dms) != 2 || dms[0].Text != dms[1].Text {
		t.Fatalf("bob has %d DMs, want the help text twice: %+v", len(dms), dms)
	}
	r.checkRig(nil, expectations{})
}

// TestTwitterMalformedMentions: an unreadable mentions timeline is logged
// and nothing is written: no message, no cursor move.
func TestTwitterMalformedMentions(t *testing.T) { eachAPI(t, testTwitterMalformedMentions) }

func testTwitterMalformedMentions(t *testing.T, api string) {
	r := newRig(t, api)
	ep := r.ep(twitterapi.CallMentions)
	r.settle()
	var before any
	errBefore := r.d.DB.Cursor(context.Background(), "mentions", &before)
	from := len(r.tw.Requests())
	r.tw.InjectFault(twitteremu.Fault{Endpoint: ep, Malformed: true, Times: -1})
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFaulted(ep, from)
	if msgs, _ := r.d.DB.Inbox(context.Background(), ""); len(msgs) != 0 {
		t.Errorf("an unreadable timeline stored %+v", msgs)
	}
	var after any
	errAfter := r.d.DB.Cursor(context.Background(), "mentions", &after)
	if (errBefore == nil) != (errAfter == nil) || !equalJSON(before, after) {
		t.Errorf("the mentions cursor moved: %v (%v) -> %v (%v)", before, errBefore, after, errAfter)
	}
	mustContain(t, "log", r.logs.String(), "poll mentions")
	r.tw.ClearFaults()
	r.settle()
	r.reply(buy.ID)
}

func equalJSON(a, b any) bool {
	return strings.TrimSpace(sprintJSON(a)) == strings.TrimSpace(sprintJSON(b))
}

// TestConfirmingSomebodyElsesUnrecordedRequest: alice's request was posted
// but Twitter answered 503, so its id is not recorded yet; mallory
// confirms it in reply. That is somebody else's request: mallory must not
// be answered nor charged, then or later.
func TestConfirmingSomebodyElsesUnrecordedRequest(t *testing.T) {
	eachAPI(t, testConfirmingSomebodyElsesUnrecordedRequest)
}

func testConfirmingSomebodyElsesUnrecordedRequest(t *testing.T, api string) {
	r := newRig(t, api)
	from := len(r.tw.Requests())
	r.tw.AddUser(mallory)
	r.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(mallory), Cardholder: "chd_mallory", CardLast4: "6006", CardBrand: "amex", Status: "active"})
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallPost), Status: 503, AfterWork: true})
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFaulted(r.ep(twitterapi.CallPost), from)
	req := r.reply(buy.ID) // visible, though the bot does not know its id
	hijack := r.tweet(mallory, "@AmexOffers #ConfirmGiftCard", req.ID)
	r.d.Bot.PollNow()
	r.settleAdvancing()
	if rs := r.repliesTo(hijack.ID); len(rs) != 0 {
		t.Errorf("the bot answered mallory's confirmation of alice's request: %+v", rs)
	}
	r.noPurchases(mallory)
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
	r.settleAdvancing()
	mustContain(t, "receipt", r.reply(confirm.ID).Text, "Done!")
	r.checkRig(map[int64]int64{confirm.ID: alice.ID}, expectations{unanswered: []int64{hijack.ID}})
}
