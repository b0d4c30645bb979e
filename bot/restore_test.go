package bot

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// TestRestoreGuardMatch: a reply made again after a restore is matched to
// the post made before it by the tweet it answers (or its DM's recipient),
// its order and its text, allowing only for what a later decision changes
// (digits, such as a time; the suffix of a duplicate); anything else is
// another message, to be posted.
func TestRestoreGuardMatch(t *testing.T) {
	const text = "@alice Buy Gift Card for 25.00 USD on your card ending 1005? Reply #ConfirmGiftCard by 12:15 UTC to confirm. Order ord_4fz8q2m1k0c3v7xw"
	posts := []twitterPost{
		{ch: conversations.Tweet, id: 10, inReplyTo: 5, text: "@alice Buy Gift Card for 25.00 USD on your card ending 1005? Reply #ConfirmGiftCard by 12:14 UTC to confirm. Order ord_4fz8q2m1k0c3v7xw ·1x"},
		{ch: conversations.DM, id: 11, recipient: 783214, text: "Done! Gift Card for 25.00 USD is charged to your card ending 1005. Order ord_4fz8q2m1k0c3v7xw, receipt pur_1."},
		{ch: conversations.DM, id: 12, recipient: 783214, text: "Sorry, I did not understand that. Send &quot;help&quot; to see what I can do."},
	}
	tweet := func(inReplyTo int64, order, text string) storage.OutboxMessage {
		return storage.OutboxMessage{Channel: conversations.Tweet, InReplyTo: inReplyTo, OrderID: order, Text: text}
	}
	dm := func(to int64, order, text string) storage.OutboxMessage {
		return storage.OutboxMessage{Channel: conversations.DM, UserID: to, OrderID: order, Text: text}
	}
	request := func(inReplyTo int64, text string) storage.OutboxMessage {
		m := tweet(inReplyTo, "ord_4fz8q2m1k0c3v7xw", text)
		m.IsRequest = true
		return m
	}
	terms := []string{"25.00 USD", "1005"}
	for _, tt := range []struct {
		name  string
		m     storage.OutboxMessage
		terms []string
		want  int64 // 0: no match
	}{
		{"the request again, by its terms", request(5, text), terms, 10},
		{"the request reworded since: its order, hashtag and terms", request(5, "@alice Gift Card, 25.00 USD, card ending 1005: reply #ConfirmGiftCard by 12:15 UTC. Order ord_4fz8q2m1k0c3v7xw"), terms, 10},
		{"the request at a new price, worded alike", request(5, "@alice Buy Gift Card for 35.00 USD on your card ending 1005? Reply #ConfirmGiftCard by 12:15 UTC to confirm. Order ord_4fz8q2m1k0c3v7xw"),
			[]string{"35.00 USD", "1005"}, 0},
		{"the request on a new card, reworded", request(5, "@alice Gift Card, 25.00 USD, card ending 2002: reply #ConfirmGiftCard by 12:15 UTC. Order ord_4fz8q2m1k0c3v7xw"),
			[]string{"25.00 USD", "2002"}, 0},
		{"the request reworded without its hashtag", request(5, "@alice Gift Card, 25.00 USD, card ending 1005: reply #YesGiftCard. Order ord_4fz8q2m1k0c3v7xw"), terms, 0},
		{"the request again, another time of day, no duplicate suffix", tweet(5, "ord_4fz8q2m1k0c3v7xw", text), nil, 10},
		{"the request, answering another tweet", tweet(6, "ord_4fz8q2m1k0c3v7xw", text), nil, 0},
		{"another order's request", tweet(5, "ord_000000000000000x", "@alice Buy Gift Card for 25.00 USD on your card ending 1005? Reply #ConfirmGiftCard by 12:15 UTC to confirm. Order ord_000000000000000x"), nil, 0},
		{"another kind about the same order", tweet(5, "ord_4fz8q2m1k0c3v7xw", "@alice Order ord_4fz8q2m1k0c3v7xw for Gift Card is already confirmed; nothing more will be charged."), nil, 0},
		{"the receipt by DM", dm(783214, "ord_4fz8q2m1k0c3v7xw", "Done! Gift Card for 25.00 USD is charged to your card ending 1005. Order ord_4fz8q2m1k0c3v7xw, receipt pur_1."), nil, 11},
		{"the receipt by DM to somebody else", dm(42, "ord_4fz8q2m1k0c3v7xw", "Done! Gift Card for 25.00 USD is charged to your card ending 1005. Order ord_4fz8q2m1k0c3v7xw, receipt pur_1."), nil, 0},
		{"a DM about no order, HTML-escaped by Twitter", dm(783214, "", `Sorry, I did not understand that. Send "help" to see what I can do.`), nil, 12},
		{"another DM about no order", dm(783214, "", "You have no request waiting for confirmation, so there is nothing to cancel."), nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &restoreHolds{posts: posts}
			p, ok := h.match(tt.m, tt.terms)
			switch {
			case tt.want == 0 && ok:
				t.Errorf("matched post %d %q", p.id, p.text)
			case tt.want != 0 && (!ok || p.id != tt.want):
				t.Errorf("matched %d (%v), want post %d", p.id, ok, tt.want)
			}
		})
	}
}

// TestRestoreGuardKeepsAPostUntilItsClaimIsRecorded: while the record of a
// claim waits for the database (another writer holds it), the post stays
// among the unclaimed ones, so that the processor still holds up a reply
// to it; it leaves them once the record is committed. Were it dropped
// first, a message answering it would meanwhile be decided as answering
// nothing the database knows.
func TestRestoreGuardKeepsAPostUntilItsClaimIsRecorded(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	pr, db, _ := lookupProcessor(t, now, time.Second, []conversations.Inbound{dmIn(1, 7, "help", now)})
	runSteps(t, pr)
	due, err := db.NextOutbox(context.Background(), now.Add(time.Minute), 20, nil)
	if err != nil || len(due) != 1 {
		t.Fatalf("outbox = %+v, %v; want the answer to help", due, err)
	}
	m := due[0]
	// The guard shares its holds with the processor; the sender records
	// the claim.
	h, log, clock := pr.holds, pr.log, func() time.Time { return now }
	g := newRestoreGuard(guardDeps{store: db, settings: pr.settings, now: clock, log: log, maxAge: time.Hour}, h)
	snd := newSenderOf(senderDeps{store: db, guard: g, settings: pr.settings, now: clock, log: log, pollLag: 2 * time.Second, wakeProcessor: func() {}})
	p := twitterPost{ch: conversations.DM, id: 900, recipient: 7, text: m.Text}
	h.mu.Lock()
	h.posts, h.read = []twitterPost{p}, true
	h.mu.Unlock()
	unclaimed := func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return slices.ContainsFunc(h.posts, func(q twitterPost) bool { return q.id == p.id })
	}

	// Another writer holds the database while the claim is made.
	other, err := sql.Open("sqlite3", "file:"+db.Path()+"?_txlock=immediate&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	claimed := make(chan error, 1)
	go func() { claimed <- g.claim(context.Background(), m, p, snd.markSent) }()
	for i := 0; i < 50; i++ { // while the record waits for the lock
		if !unclaimed() {
			tx.Rollback()
			t.Fatal("the post left the unclaimed ones before its claim was recorded")
		}
		time.Sleep(2 * time.Millisecond)
	}
	tx.Rollback()
	if err := <-claimed; err != nil {
		t.Fatalf("claim: %v", err)
	}
	if unclaimed() {
		t.Error("the post is still unclaimed after its claim was recorded")
	}
	if left, _ := db.NextOutbox(context.Background(), now.Add(time.Minute), 20, nil); len(left) != 0 {
		t.Errorf("the claimed message is still due: %+v", left)
	}
}

// TestRestoreGuardClaimsWhatTwitterHolds: the bot's DM on Twitter that
// the database does not record (it was restored) is found by the guard's
// first read, and the message queued again that it is is recorded as
// sent as that DM, not posted twice; the guard is careful from then on.
func TestRestoreGuardClaimsWhatTwitterHolds(t *testing.T) {
	r := newSenderRig(t)
	lost, err := r.tw.SendDM(senderBot.ID, senderAlice.ID, "how to buy")
	if err != nil {
		t.Fatal(err)
	}
	r.queue(t, conversations.Reply{Channel: conversations.DM, UserID: senderAlice.ID, Kind: "help", Text: "how to buy"})
	r.step(t)
	if dms := r.tw.DMs(); len(dms) != 1 || !r.recorded(t, conversations.DM, lost.ID) {
		t.Fatalf("DMs %+v; want only the lost one, recorded as the queued message", dms)
	}
	if !r.s.guard.holds.isCareful() {
		// The lost DM was explained by nothing sending: careful for
		// carefulRounds settling delays.
		t.Error("the guard is not careful after finding a post it did not know")
	}
	if due := r.due(t); len(due) != 0 {
		t.Errorf("still due: %+v", due)
	}
}
