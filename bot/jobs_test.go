package bot

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
)

// jobDeps returns what the scheduled jobs need of r: its settings, its
// clock and its log.
func (r *moneyRig) jobDeps() jobDeps {
	return jobDeps{settings: r.settings, now: r.clock.Now, log: r.logger(), work: context.Background}
}

// requestedOrder records user's buy by DM, the pending order it made and
// its confirmation request, sent now: the order's window closes
// confirmation.window from now. It returns the order as delivered.
func (r *moneyRig) requestedOrder(id string, user int64) conversations.Order {
	r.t.Helper()
	ctx := context.Background()
	now := r.clock.Now()
	o := conversations.Order{ID: id, OfferID: "gift-card", UserID: user, State: conversations.Pending, Channel: conversations.DM,
		Title: "Gift Card", BuyHashtag: "BuyGiftCard", ConfirmHashtag: "ConfirmGiftCard", Amount: 2500, Currency: "USD",
		Merchant: "mer_giftco", Cardholder: r.cardholder(user), CardLast4: "1001", CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	request := conversations.Reply{Channel: conversations.DM, UserID: user, Kind: messages.ConfirmRequest, OrderID: id, Request: true, Text: "Confirm?"}
	r.process(user, "#BuyGiftCard", conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{request}})
	due := r.outbox()
	if len(due) != 1 || !due[0].IsRequest {
		r.t.Fatalf("outbox = %+v; want the request", due)
	}
	if err := r.db.MarkSent(ctx, due[0].ID, storage.Post{ID: 5000, At: now}); err != nil {
		r.t.Fatal(err)
	}
	return r.order(id)
}

// polled records that both channels' last complete polls began at t.
func (r *moneyRig) polled(t time.Time) {
	r.t.Helper()
	for _, name := range []string{cursorMentions, cursorDMs} {
		if err := r.db.SetCursor(context.Background(), name, streamCursor{Stored: 1 << 40, PolledAt: t}); err != nil {
			r.t.Fatal(err)
		}
	}
}

// TestExpirerReleasesOnlyPastTheGraceAndTheHorizon: a delivered request
// whose window closed is released (its order expired, its unit back on
// sale, the auditor woken) only once the window closed more than the
// grace ago and before the expiry horizon, where every message posted
// before it has been read, and its owner has no message from within the
// window unread; or, whatever holds it, once it closed maxPollStall ago.
// Releasing queues no reply: a cardholder who confirms late is told then.
func TestExpirerReleasesOnlyPastTheGraceAndTheHorizon(t *testing.T) {
	const grace = time.Minute
	for _, tt := range []struct {
		name string
		// after: how long after the window closed the job runs; polled:
		// when, after the window closed, the last polls began (nil: never).
		after    time.Duration
		polled   *time.Duration
		unread   bool // the owner's DM posted a minute before the window closed is unprocessed
		released bool
	}{
		{name: "the window still open", after: -time.Minute, polled: ago(0)},
		{name: "closed within the grace", after: 30 * time.Second, polled: ago(0)},
		{name: "past the grace, before the horizon", after: 2 * time.Minute, polled: ago(3 * time.Minute)},
		{name: "past the grace and the horizon", after: 2 * time.Minute, polled: ago(0), released: true},
		{name: "past both, an unread message from within the window", after: 2 * time.Minute, polled: ago(0), unread: true},
		{name: "polls stalled, within maxPollStall", after: maxPollStall - time.Minute, polled: ago(maxPollStall)},
		{name: "never polled, within maxPollStall", after: maxPollStall - time.Minute},
		{name: "polls stalled, past maxPollStall", after: maxPollStall + time.Minute, polled: ago(maxPollStall + 2*time.Minute), released: true},
		{name: "unread message, past maxPollStall", after: maxPollStall + time.Minute, polled: ago(0), unread: true, released: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newMoneyRig(t, "sk_test")
			o := r.requestedOrder("ord_a", 1)
			if tt.unread {
				if _, err := r.db.SavePage(context.Background(), []conversations.Inbound{dmIn(900, 1, "#ConfirmGiftCard", o.ExpiresAt.Add(-time.Minute))}, "c", 0); err != nil {
					t.Fatal(err)
				}
			}
			r.clock.Advance(o.ExpiresAt.Add(tt.after).Sub(r.clock.Now()))
			if tt.polled != nil {
				r.polled(r.clock.Now().Add(-*tt.polled))
			}
			woken := 0
			e := &expirer{jobDeps: r.jobDeps(), store: r.db, progress: pollProgress{store: r.db, pollLag: 2 * time.Second}, grace: grace,
				wakeAuditor: func() { woken++ }}

			e.expire()
			want, reserved, wantWoken := conversations.Pending, int64(1), 0
			if tt.released {
				want, reserved, wantWoken = conversations.Expired, 0, 1
			}
			if got := r.order("ord_a").State; got != want {
				t.Errorf("order %s; want %s", got, want)
			}
			stats, err := r.db.OfferStats(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := stats["gift-card"].Reserved; got != reserved {
				t.Errorf("%d units reserved; want %d", got, reserved)
			}
			if woken != wantWoken {
				t.Errorf("the auditor woken %d times; want %d", woken, wantWoken)
			}
			if due := r.outbox(); len(due) != 0 {
				t.Errorf("replies queued: %+v; want none", due)
			}
		})
	}
}

// ago returns d, as the time before now that the polls began.
func ago(d time.Duration) *time.Duration { return &d }

// TestAnnouncerQueuesEachAnnouncementOnce: an offer is announced once its
// announcement time has come, and not after it ended; running the job
// again, or a new process's job on the same database, queues nothing
// more; a reload that gives the offer a new announcement time announces
// it again.
func TestAnnouncerQueuesEachAnnouncementOnce(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	now := r.clock.Now()
	offer := func(id string, announce, ends time.Time) conversations.Offer {
		return conversations.Offer{ID: id, Title: id, BuyHashtag: "Buy" + id, ConfirmHashtag: "Confirm" + id, Price: 100, Currency: "USD",
			Merchant: "mer", AnnounceAt: announce, Ends: ends}
	}
	setOffers := func(offers ...conversations.Offer) {
		r.st = &settings{cfg: r.st.cfg, catalog: conversations.NewCatalog(offers), messages: messages.Defaults()}
	}
	setOffers(
		offer("due", now.Add(-time.Minute), time.Time{}),
		offer("dueAtNow", now, now.Add(time.Hour)),
		offer("later", now.Add(time.Hour), time.Time{}),
		offer("ended", now.Add(-2*time.Hour), now.Add(-time.Minute)),
		offer("never", time.Time{}, time.Time{}),
	)
	woken := 0
	newAnnouncer := func() *announcer {
		return &announcer{jobDeps: r.jobDeps(), store: r.db, wakeSender: func() { woken++ }}
	}
	// The outbox gives one message per recipient at a time: each read is
	// marked sent, and counted, until none is left.
	queued, sent := map[string]int{}, int64(6000)
	announced := func() map[string]int {
		for due := r.outbox(); len(due) > 0; due = r.outbox() {
			for _, m := range due {
				if m.Kind == string(messages.Announce) {
					queued[m.Text]++
				}
				sent++
				if err := r.db.MarkSent(context.Background(), m.ID, storage.Post{ID: sent, At: r.clock.Now()}); err != nil {
					t.Fatal(err)
				}
			}
		}
		return queued
	}
	check := func(step string, wantTexts, wantWoken int) {
		t.Helper()
		got := announced()
		total := 0
		for text, k := range got {
			if k != 1 {
				t.Errorf("%s: %q queued %d times", step, text, k)
			}
			total += k
		}
		if total != wantTexts || woken != wantWoken {
			t.Errorf("%s: %d announcements queued %v, the sender woken %d times; want %d and %d", step, total, got, woken, wantTexts, wantWoken)
		}
	}

	a := newAnnouncer()
	a.announce()
	check("first run", 2, 2)
	a.announce()
	check("second run", 2, 2)
	newAnnouncer().announce()
	check("a new process's run", 2, 2)

	r.clock.Advance(time.Hour)
	a.announce()
	check("once the later offer's time came", 3, 3)

	now = r.clock.Now()
	again := offer("due", now.Add(-time.Minute), time.Time{})
	again.Title = "due, again" // told apart from the first announcement by its text
	setOffers(again)
	a.announce()
	check("after a reload moved the announcement", 4, 4)
}

// TestCompactorPrunesWhatRetentionSays: a processed message's text goes
// once it was processed longer than storage.retention ago (the default
// when none is configured), and stays until then.
func TestCompactorPrunesWhatRetentionSays(t *testing.T) {
	const day = 24 * time.Hour
	for _, tt := range []struct {
		name      string
		retention time.Duration
		age       time.Duration
		pruned    bool
	}{
		{"older than the retention", day, day + time.Hour, true},
		{"younger than the retention", day, day - time.Hour, false},
		{"no retention configured, younger than the default", 0, 30 * day, false},
		{"no retention configured, older than the default", 0, 91 * day, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newMoneyRig(t, "sk_test")
			r.st.cfg.Storage.Retention = tt.retention
			r.process(1, "hello there", conversations.Decision{Action: "ignore"})
			r.clock.Advance(tt.age)
			c := &compactor{jobDeps: r.jobDeps(), store: r.db, stopped: func() bool { return false }}

			c.compact()
			inbox, err := r.db.Inbox(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if len(inbox) != 1 {
				t.Fatalf("inbox = %+v; want the one message", inbox)
			}
			if pruned := inbox[0].Text == ""; pruned != tt.pruned {
				t.Errorf("text %q; want pruned %v", inbox[0].Text, tt.pruned)
			}
		})
	}
}
