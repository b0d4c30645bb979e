package bot

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

var (
	senderBot   = twitteremu.User{ID: 4294967297, ScreenName: "AmexOffers"}
	senderAlice = twitteremu.User{ID: 783214, ScreenName: "alice"}
)

// senderRig is a sender on a new database, posting to the Twitter
// emulator over HTTP with the real v1.1 client; its clock is the wall
// clock moved on by skip.
type senderRig struct {
	s      *sender
	db     *storage.DB
	tw     *twitteremu.Server
	skip   atomic.Int64 // nanoseconds
	queued atomic.Int64
	log    *testkit.Buffer
}

func newSenderRig(t *testing.T) *senderRig {
	t.Helper()
	r := &senderRig{log: &testkit.Buffer{}}
	now := func() time.Time { return time.Now().Add(time.Duration(r.skip.Load())) }
	r.tw = twitteremu.New(twitteremu.Options{Bot: senderBot})
	r.tw.AddUser(senderAlice)
	url, err := r.tw.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.tw.Close)
	client, err := twitterapi.New(twitterapi.Config{APIURL: url, ConsumerKey: "consumer-key", ConsumerSecret: "consumer-secret", AccessToken: "access-token", AccessSecret: "access-secret", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r.db, err = storage.Open(filepath.Join(t.TempDir(), "s.db"), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	st := newSettings(&config.Config{})
	log := slog.New(slog.NewTextHandler(r.log, nil))
	access := twitterAccess{
		botID:  func() int64 { return senderBot.ID },
		ready:  func() bool { return true },
		broken: func() bool { return false },
		failed: func(what string, err error) { log.Warn("twitter failed", "during", what, "err", err) },
	}
	settings := func() *settings { return st }
	guard := newRestoreGuard(guardDeps{store: r.db, twitter: client, access: access, settings: settings, now: now, log: log, maxAge: time.Hour},
		newRestoreHolds(log, time.Minute))
	r.s = newSenderOf(senderDeps{store: r.db, twitter: client, access: access, guard: guard, settings: settings, now: now, log: log,
		pollLag: 2 * time.Second, wakeProcessor: func() {}})
	return r
}

// queue puts r in the outbox, as a decision would.
func (r *senderRig) queue(t *testing.T, reply conversations.Reply) {
	t.Helper()
	// Each its own announcement: one a second, as Announce keeps one per
	// offer and time.
	at := time.Unix(r.queued.Add(1), 0)
	if queued, err := r.db.Announce(context.Background(), "test", at, reply); err != nil || !queued {
		t.Fatalf("queue: %v, %v", queued, err)
	}
}

// step runs one sender step.
func (r *senderRig) step(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := r.s.step(ctx, ctx); err != nil {
		t.Fatal(err)
	}
}

// due returns the outbox messages due by an hour from now.
func (r *senderRig) due(t *testing.T) []storage.OutboxMessage {
	t.Helper()
	due, err := r.db.NextOutbox(context.Background(), time.Now().Add(time.Hour), 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	return due
}

// recorded reports whether Twitter's post id is recorded as an outbox
// message's.
func (r *senderRig) recorded(t *testing.T, ch conversations.Channel, id int64) bool {
	t.Helper()
	ok, err := r.db.SentIDRecorded(context.Background(), ch, id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestSenderPostsAndRecords: a DM and a tweet are posted once each and
// recorded as the posts Twitter made.
func TestSenderPostsAndRecords(t *testing.T) {
	r := newSenderRig(t)
	r.queue(t, conversations.Reply{Channel: conversations.DM, UserID: senderAlice.ID, Kind: "help", Text: "how to buy"})
	r.queue(t, conversations.Reply{Channel: conversations.Tweet, Kind: "announce", Text: "Gift cards today #BuyGiftCard"})
	r.step(t)
	r.step(t)
	dms, tweets := r.tw.DMs(), r.tw.TweetsBy(senderBot.ID)
	if len(dms) != 1 || dms[0].Text != "how to buy" || !r.recorded(t, conversations.DM, dms[0].ID) {
		t.Errorf("DMs %+v: want the one, recorded", dms)
	}
	if len(tweets) != 1 || !r.recorded(t, conversations.Tweet, tweets[0].ID) {
		t.Errorf("tweets %+v: want the one, recorded\n%s", tweets, r.log)
	}
	if due := r.due(t); len(due) != 0 {
		t.Errorf("still due: %+v", due)
	}
}

// TestSenderGivesADuplicateTextASuffix: Twitter calls a tweet a duplicate
// (187) of an older one that is not it; the search says so, and it is
// posted with a suffix that tells it apart.
func TestSenderGivesADuplicateTextASuffix(t *testing.T) {
	r := newSenderRig(t)
	asked, err := r.tw.PostTweet(senderAlice.ID, "@AmexOffers help", twitteremu.TweetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// An older tweet with the text, answering nothing: not this reply.
	old, err := r.tw.PostTweet(senderBot.ID, "@alice how to buy", twitteremu.TweetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.queue(t, conversations.Reply{Channel: conversations.Tweet, UserID: senderAlice.ID, ScreenName: "alice", InReplyTo: asked.ID, Kind: "help", Text: "@alice how to buy"})
	r.step(t)
	due := r.due(t)
	if len(due) != 1 || due[0].Text == old.Text || due[0].State != storage.OutboxPending {
		t.Fatalf("after the duplicate: due %+v; want it pending with a new text", due)
	}
	r.step(t)
	tweets := r.tw.TweetsBy(senderBot.ID)
	if len(tweets) != 2 || tweets[1].Text != due[0].Text || tweets[1].InReplyTo != asked.ID || !r.recorded(t, conversations.Tweet, tweets[1].ID) || r.recorded(t, conversations.Tweet, old.ID) {
		t.Errorf("tweets %+v; want the old one and %q, recorded", tweets, due[0].Text)
	}
}

// TestSenderFindsAnInterruptedPost: Twitter posts a DM and answers 503;
// the sender does not post it again, but looks for it once Twitter may
// list it, finds it and records it.
func TestSenderFindsAnInterruptedPost(t *testing.T) {
	r := newSenderRig(t)
	r.tw.InjectFault(twitteremu.Fault{Endpoint: "POST direct_messages/events/new", Status: 503, AfterWork: true})
	r.queue(t, conversations.Reply{Channel: conversations.DM, UserID: senderAlice.ID, Kind: "help", Text: "how to buy"})
	r.step(t)
	if due := r.due(t); len(due) != 1 || due[0].State != storage.OutboxSending || !due[0].NextAttemptAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("after the 503: due %+v; want it sending, put off past the poll lag", due)
	}
	r.skip.Store(int64(time.Minute))
	r.step(t)
	dms := r.tw.DMs()
	if len(dms) != 1 || !r.recorded(t, conversations.DM, dms[0].ID) {
		t.Errorf("DMs %+v; want the one, found and recorded", dms)
	}
	if due := r.due(t); len(due) != 0 {
		t.Errorf("still due: %+v", due)
	}
}

// TestSenderPausesAChannelWhenRateLimited: a 429 puts the message back,
// known not posted, and pauses its channel; the other channel posts on.
func TestSenderPausesAChannelWhenRateLimited(t *testing.T) {
	r := newSenderRig(t)
	r.tw.InjectFault(twitteremu.Fault{Endpoint: "POST statuses/update", Status: 429})
	r.queue(t, conversations.Reply{Channel: conversations.Tweet, Kind: "announce", Text: "Gift cards today #BuyGiftCard"})
	r.step(t)
	if _, paused := r.s.pausedUntil(conversations.Tweet, time.Now()); !paused {
		t.Error("tweets not paused after a 429")
	}
	if due := r.due(t); len(due) != 1 || due[0].State != storage.OutboxPending {
		t.Errorf("due %+v; want the tweet pending", due)
	}
	r.queue(t, conversations.Reply{Channel: conversations.DM, UserID: senderAlice.ID, Kind: "help", Text: "how to buy"})
	r.step(t)
	if dms := r.tw.DMs(); len(dms) != 1 {
		t.Errorf("DMs %+v; want the DM posted while tweets pause", dms)
	}
	if n := len(r.tw.TweetsBy(senderBot.ID)); n != 0 {
		t.Errorf("%d tweets posted while paused", n)
	}
}
