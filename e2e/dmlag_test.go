package e2e

// A direct message whose post's answer was lost must reach the cardholder
// once, although Twitter's DM list shows it only some time after it was
// made: direct messages have no duplicate check (187) to fall back on.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/daemon"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// dmListLag is how long after it is made the rig's bot expects Twitter's
// lists may still leave a message out (bot.Options.PollLag): longer than
// the sender's first backoffs, so that a sender that looked sooner would
// be caught.
const dmListLag = 10 * time.Second

// restartWithPollLag restarts the rig's daemon on the same database with
// bot.Options.PollLag set to lag.
func (r *rig) restartWithPollLag(lag time.Duration) {
	r.t.Helper()
	r.stop()
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(r.logs, testWriter{r.t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := daemon.Open(context.Background(), r.cfg, daemon.Options{Logger: logger, Now: r.clock.Now, Bot: func(o *bot.Options) {
		o.Idle = 20 * time.Millisecond
		o.ShutdownGrace = 2 * time.Second
		o.PollLag = lag
	}})
	if err != nil {
		r.t.Fatal(err)
	}
	r.d = d
}

// sendAdvancing waits until the daemon has nothing left to do, moving the
// fake clock to the next postponed piece of work whenever nothing is due
// now. It never polls, so that the test's faults on the DM list meet only
// the sender's searches.
func (r *rig) sendAdvancing() {
	r.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !r.idleNow() {
		if next, dueNow := r.postponed(); !dueNow && !next.IsZero() {
			r.clock.Advance(next.Sub(r.clock.Now()) + time.Second)
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the daemon did not finish in 45s; outbox: %+v", readOutbox(r.t, r.cfg.Storage.Path))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// onlyRequest checks that bob got exactly one DM, the confirmation
// request, recorded as sent as that very DM, and returns it.
func (r *rig) onlyRequest() twitteremu.DMEvent {
	r.t.Helper()
	dms := r.dmsTo(bob)
	if len(dms) != 1 {
		r.t.Fatalf("bob got %d DMs, want the confirmation request once: %+v", len(dms), dms)
	}
	mustContain(r.t, "request", dms[0].Text, "#ConfirmGiftCard")
	if box := r.outboxOf(bob); len(box) != 1 || box[0].State != storage.OutboxSent || box[0].SentID != dms[0].ID {
		r.t.Errorf("outbox = %+v, want the request recorded as sent as DM %d", box, dms[0].ID)
	}
	return dms[0]
}

// TestDMAnswerLostWhileTheListLags: Twitter makes the DM but its answer is
// lost, and its DM list leaves the DM out for as long as the bot allows
// for such lags. The bot looks for it only once the list must show it,
// finds it, and never sends it again.
func TestDMAnswerLostWhileTheListLags(t *testing.T) { eachAPI(t, testDMAnswerLostWhileTheListLags) }

func testDMAnswerLostWhileTheListLags(t *testing.T, api string) {
	r := newRig(t, api)
	r.restartWithPollLag(dmListLag)
	from := len(r.tw.Requests())
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallSendDM), Drop: true, AfterWork: true})
	r.dm(bob, "#BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFaulted(r.ep(twitterapi.CallSendDM), from)
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallDMList), DMListLag: dmListLag, Times: -1})
	r.sendAdvancing()
	r.onlyRequest()
	if n := len(r.requests(r.ep(twitterapi.CallSendDM), from)); n != 1 {
		t.Errorf("%d posts of the request, want 1", n)
	}

	r.tw.ClearFaults()
	yes := r.dm(bob, "yes")
	r.settleAdvancing()
	mustContain(t, "receipt", r.lastDM(bob).Text, "Done!")
	r.charged(bob, 1)
	r.checkRig(map[int64]int64{yes.ID: bob.ID}, expectations{})
}

// TestDMSecondPostLostToo: the first post's answer is lost; Twitter then
// refuses the search for a while (a rate limit), and when it answers its
// list still lags, longer than the bot allows for, so that a second post
// is made, minutes after the first, and lost before Twitter made it. The
// search after it must still reach back to the first post, find it, and
// not post a third time; the request's window counts from that first
// post, which is when bob could read it.
func TestDMSecondPostLostToo(t *testing.T) { eachAPI(t, testDMSecondPostLostToo) }

func testDMSecondPostLostToo(t *testing.T, api string) {
	r := newRig(t, api)
	r.restartWithPollLag(dmListLag)
	from := len(r.tw.Requests())
	send, list := r.ep(twitterapi.CallSendDM), r.ep(twitterapi.CallDMList)
	r.tw.InjectFault(twitteremu.Fault{Endpoint: send, Drop: true, AfterWork: true})
	r.dm(bob, "#BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFaulted(send, from)
	r.tw.InjectFault(twitteremu.Fault{Endpoint: list, Status: http.StatusTooManyRequests})
	r.tw.InjectFault(twitteremu.Fault{Endpoint: list, DMListLag: time.Hour})
	r.tw.InjectFault(twitteremu.Fault{Endpoint: send, Drop: true})
	r.sendAdvancing()

	posts := r.requests(send, from)
	if len(posts) < 2 {
		t.Fatalf("%d posts of the request; the test needs a second one, made while the list lagged: %+v", len(posts), posts)
	}
	if gap := posts[1].Time.Sub(posts[0].Time); gap <= 2*time.Minute {
		t.Fatalf("the second post came %s after the first; the test needs minutes between them", gap)
	}
	req := r.onlyRequest()
	if len(posts) != 2 {
		t.Errorf("%d posts of the request, want 2", len(posts))
	}
	box := r.outboxOf(bob)
	o, err := r.d.DB.Order(context.Background(), box[0].OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if want := req.CreatedAt.Add(r.cfg.Confirmation.Window).Truncate(time.Millisecond); !o.ExpiresAt.Equal(want) {
		t.Errorf("the request expires at %s, want %s: its window from the DM bob got", o.ExpiresAt, want)
	}
}
