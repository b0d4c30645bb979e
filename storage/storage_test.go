package storage

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "test.db"), func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mention(id int64, user int64, tags ...string) conversations.Inbound {
	return conversations.Inbound{Channel: conversations.Tweet, ID: id, UserID: user, ScreenName: "u", Text: "t", Hashtags: tags, PostedAt: t0}
}

func TestOpenSetsPragmasAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	for i := 0; i < 2; i++ { // a second open must find the schema current
		db, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		var mode string
		var sync, fk int
		if err := db.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		db.db.QueryRow(`PRAGMA synchronous`).Scan(&sync)
		db.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
		if mode != "wal" || sync != 2 || fk != 1 {
			t.Errorf("journal_mode=%s synchronous=%d foreign_keys=%d; want wal, 2 (FULL), 1", mode, sync, fk)
		}
		var versions int
		db.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&versions)
		files, _ := migrations.ReadDir("migrations")
		if versions != len(files) {
			t.Errorf("schema_migrations has %d rows, want one per migration (%d)", versions, len(files))
		}
		if _, err := db.ro.Exec(`INSERT INTO cursors (name, value) VALUES ('x', 'y')`); err == nil {
			t.Errorf("the read pool can write")
		}
		if s, err := db.IntegrityCheck(context.Background()); err != nil || s != "ok" {
			t.Errorf("integrity_check = %q, %v", s, err)
		}
		db.Close()
	}
}

func TestSavePageStoresEachMessageOnceWithItsCursor(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	type cur struct{ SinceID int64 }
	n, err := db.SavePage(ctx, []conversations.Inbound{mention(5, 1, "BuyX"), mention(6, 2)}, "mentions", cur{6})
	if err != nil || n != 2 {
		t.Fatalf("SavePage = %d, %v", n, err)
	}
	// The same page again (a repeated poll, an overlap of pages).
	n, err = db.SavePage(ctx, []conversations.Inbound{mention(6, 2), mention(7, 3)}, "mentions", cur{7})
	if err != nil || n != 1 {
		t.Fatalf("second SavePage = %d, %v; want 1 new", n, err)
	}
	var c cur
	if err := db.Cursor(ctx, "mentions", &c); err != nil || c.SinceID != 7 {
		t.Errorf("cursor = %+v, %v", c, err)
	}
	if err := db.Cursor(ctx, "nothing", &c); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing cursor: %v, want ErrNotFound", err)
	}
	all, _ := db.Inbox(ctx, "")
	if len(all) != 3 || all[0].Hashtags[0] != "BuyX" {
		t.Errorf("inbox = %+v", all)
	}
}

func TestNextInboxOrdersIdsAsNumbersAndRespectsLimits(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	// 999... sorts after 1000... as a string; as a number it comes first.
	big, small := int64(1000000000000000001), int64(999999999999999999)
	if _, err := db.SavePage(ctx, []conversations.Inbound{mention(big, 1), mention(small, 1)}, "c", 0); err != nil {
		t.Fatal(err)
	}
	dmMsg := conversations.Inbound{Channel: conversations.DM, ID: 5, UserID: 1, Text: "yes", PostedAt: t0}
	if _, err := db.SavePage(ctx, []conversations.Inbound{dmMsg}, "d", 0); err != nil {
		t.Fatal(err)
	}
	limits := map[conversations.Channel]int64{conversations.Tweet: big, conversations.DM: 0}
	m, ok, err := db.NextInbox(ctx, limits, nil, time.Time{})
	if err != nil || !ok || m.Inbound.ID != small {
		t.Fatalf("NextInbox = %d, %v, %v; want %d", m.Inbound.ID, ok, err, small)
	}
	// Above the limit: a walk is still in progress.
	limits[conversations.Tweet] = small - 1
	if _, ok, _ := db.NextInbox(ctx, limits, nil, time.Time{}); ok {
		t.Errorf("NextInbox returned a message above every limit")
	}
	limits[conversations.DM] = 5
	if m, ok, _ := db.NextInbox(ctx, limits, nil, time.Time{}); !ok || m.Channel != conversations.DM {
		t.Errorf("NextInbox = %+v, %v; want the DM", m, ok)
	}
	// A waiting cardholder's messages are passed over, all of them.
	if _, err := db.SavePage(ctx, []conversations.Inbound{mention(3, 2)}, "c", 0); err != nil {
		t.Fatal(err)
	}
	if m, ok, _ := db.NextInbox(ctx, limits, []int64{1}, time.Time{}); !ok || m.UserID != 2 {
		t.Errorf("NextInbox skipping user 1 = %+v, %v; want user 2's", m, ok)
	}
	if _, ok, _ := db.NextInbox(ctx, limits, []int64{1, 2}, time.Time{}); ok {
		t.Errorf("NextInbox returned a message of a skipped user")
	}
}

func pendingOrder(id string, user int64, expires time.Time) conversations.Order {
	return conversations.Order{ID: id, OfferID: "kindle", UserID: user, ScreenName: "u", State: conversations.Pending, Channel: conversations.Tweet,
		BuyMessageID: 10, Title: "Kindle", BuyHashtag: "BuyKindle", ConfirmHashtag: "ConfirmKindle", Amount: 19900, Currency: "USD",
		Merchant: "mer", Cardholder: "chd", CardLast4: "1005", CreatedAt: t0, ExpiresAt: expires}
}

// processOne stores message m and runs Process with a fixed decision.
func processOne(t *testing.T, db *DB, m conversations.Inbound, d conversations.Decision) (Facts, error) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.SavePage(ctx, []conversations.Inbound{m}, "c", 0); err != nil {
		t.Fatal(err)
	}
	in, ok, err := db.NextInbox(ctx, map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}, nil, time.Time{})
	if err != nil || !ok {
		t.Fatalf("NextInbox: %v %v", ok, err)
	}
	var facts Facts
	_, err = db.Process(ctx, in, conversations.ExpiryBounds{Before: t0}, t0, func(f Facts) conversations.Decision { facts = f; return d })
	return facts, err
}

func TestProcessWritesTheWholeDecisionOrNothing(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	o := pendingOrder("ord_1", 1, t0.Add(15*time.Minute))
	reply := conversations.Reply{Channel: conversations.Tweet, UserID: 1, ScreenName: "u", InReplyTo: 10, Kind: "confirm_request", OrderID: "ord_1", Request: true, Text: "@u confirm?"}
	if _, err := processOne(t, db, mention(10, 1), conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{reply}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Order(ctx, "ord_1")
	if err != nil || got.State != conversations.Pending || got.Amount != 19900 || !got.ExpiresAt.Equal(o.ExpiresAt) {
		t.Fatalf("order = %+v, %v", got, err)
	}
	box, _ := db.Outbox(ctx)
	if len(box) != 1 || box[0].Text != "@u confirm?" || !box[0].IsRequest {
		t.Fatalf("outbox = %+v", box)
	}
	// A transition from a state the order is not in fails, and takes the
	// whole decision with it: no reply, the message still pending.
	bad := conversations.Decision{Action: "confirm", Transitions: []conversations.Transition{{OrderID: "ord_1", From: conversations.Confirmed, To: conversations.Paid}},
		Replies: []conversations.Reply{{Channel: conversations.Tweet, UserID: 1, Kind: "x", Text: "never"}}}
	if _, err := processOne(t, db, mention(11, 1), bad); !errors.Is(err, ErrConflict) {
		t.Fatalf("Process = %v, want ErrConflict", err)
	}
	box, _ = db.Outbox(ctx)
	if len(box) != 1 {
		t.Errorf("a failed decision left %d outbox rows", len(box))
	}
	if n, _ := db.PendingInbox(ctx); n != 1 {
		t.Errorf("pending inbox = %d, want the failed message still pending", n)
	}
}

func TestProcessWaitWritesNothing(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	if _, err := processOne(t, db, mention(10, 1), conversations.Decision{Action: "wait: horizon", Wait: conversations.WaitHorizon}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PendingInbox(ctx); n != 1 {
		t.Errorf("pending = %d, want 1", n)
	}
	// An action merely named like a wait is a decision like any other:
	// only the typed Wait holds a message back.
	if _, err := processOne(t, db, mention(11, 1), conversations.Decision{Action: "wait-for-nothing"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PendingInbox(ctx); n != 1 {
		t.Errorf("pending = %d, want 1: a decision named \"wait-...\" was not recorded", n)
	}
}

// lapsedHeld counts the requests the facts give whose window had closed
// at t, by the conversation's rule.
func lapsedHeld(f Facts, t time.Time) int {
	n := 0
	for _, o := range f.Lapsed {
		if conversations.ExpiredAt(o, t) {
			n++
		}
	}
	return n
}

func TestProcessFactsAndExpiry(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	// Bob's order holds a unit until its window closes at t0-1s.
	bobs := pendingOrder("ord_bob", 2, t0.Add(-time.Second))
	bobs.CreatedAt = t0.Add(-16 * time.Minute)
	bobs.BuyMessageID = 50
	req := conversations.Reply{Channel: conversations.Tweet, UserID: 2, Kind: "confirm_request", OrderID: "ord_bob", Request: true, Text: "confirm?"}
	if _, err := processOne(t, db, mention(50, 2), conversations.Decision{Action: "reserve", NewOrder: &bobs, Replies: []conversations.Reply{req}}); err != nil {
		t.Fatal(err)
	}
	// Its request was never delivered: its window has not started.
	f, err := processOne(t, db, mention(55, 3), conversations.Decision{Action: "ignore"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Taken["kindle"] != 1 || lapsedHeld(f, t0) != 0 {
		t.Errorf("taken = %d, expired but held = %d; want 1 and 0: an undelivered request has not started its window", f.Taken["kindle"], lapsedHeld(f, t0))
	}
	box, _ := db.Outbox(ctx)
	// Delivered long ago (the clock is t0; the window ran from creation).
	db.now = func() time.Time { return bobs.CreatedAt }
	if err := db.MarkSent(ctx, box[0].ID, Post{ID: 51, At: db.now()}); err != nil {
		t.Fatal(err)
	}
	db.now = func() time.Time { return t0 }
	// Bob has a message posted within his window, not processed yet: it
	// may be his confirmation, so his request is not released.
	late := mention(58, 2)
	late.PostedAt = t0.Add(-2 * time.Second)
	if _, err := db.SavePage(ctx, []conversations.Inbound{late}, "c", 0); err != nil {
		t.Fatal(err)
	}
	f, err = processOne(t, db, mention(59, 4), conversations.Decision{Action: "ignore"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Taken["kindle"] != 1 {
		t.Errorf("taken = %d; bob's unread message in time must keep his request", f.Taken["kindle"])
	}
	in, _, _ := db.NextInbox(ctx, map[conversations.Channel]int64{conversations.Tweet: 1 << 62}, nil, time.Time{})
	if _, err := db.Process(ctx, in, conversations.ExpiryBounds{Before: t0}, t0, func(Facts) conversations.Decision { return conversations.Decision{Action: "ignore"} }); err != nil {
		t.Fatal(err)
	}
	// Alice answers Bob's buy tweet: the facts say it is another's, and
	// Bob's request, delivered, read up to, is released first.
	m := mention(60, 1)
	m.InReplyTo = 50
	f, err = processOne(t, db, m, conversations.Decision{Action: "ignore"})
	if err != nil {
		t.Fatal(err)
	}
	if !f.InReplyToOthers {
		t.Errorf("InReplyToOthers = false for a reply to another cardholder's buy tweet")
	}
	if f.Taken["kindle"] != 0 || lapsedHeld(f, t0) != 0 {
		t.Errorf("taken = %d, expired held %d; want 0 after expiry", f.Taken["kindle"], lapsedHeld(f, t0))
	}
	if o, _ := db.Order(ctx, "ord_bob"); o.State != conversations.Expired {
		t.Errorf("bob's order = %s, want expired", o.State)
	}
	stats, _ := db.OfferStats(ctx)
	if stats["kindle"].Reserved != 0 {
		t.Errorf("stats = %+v", stats)
	}
}

func TestStockIsNeverHeldForEver(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	// A request never delivered, from a window that closed long ago.
	o := pendingOrder("ord_1", 1, t0.Add(-time.Hour))
	if _, err := processOne(t, db, mention(10, 1), conversations.Decision{Action: "reserve", NewOrder: &o}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.ExpireDue(ctx, conversations.ExpiryBounds{Before: t0, Hard: t0.Add(-2 * time.Hour)}, t0); n != 0 {
		t.Errorf("released an undelivered request within the hard bound")
	}
	if n, _ := db.ExpireDue(ctx, conversations.ExpiryBounds{Before: t0, Hard: t0.Add(-10 * time.Minute)}, t0); n != 1 {
		t.Errorf("released %d requests past the hard bound, want 1", n)
	}
}

func TestDeliveryStartsTheWindow(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	o := pendingOrder("ord_1", 1, t0.Add(15*time.Minute))
	req := conversations.Reply{Channel: conversations.Tweet, UserID: 1, Kind: "confirm_request", OrderID: "ord_1", Request: true, Text: "confirm?"}
	if _, err := processOne(t, db, mention(10, 1), conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{req}}); err != nil {
		t.Fatal(err)
	}
	// The request waited ten minutes for the posting budget.
	db.now = func() time.Time { return t0.Add(10 * time.Minute) }
	box, _ := db.Outbox(ctx)
	if err := db.MarkSent(ctx, box[0].ID, Post{ID: 11, At: db.now()}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Order(ctx, "ord_1")
	if want := t0.Add(25 * time.Minute); !got.ExpiresAt.Equal(want) {
		t.Errorf("expires at %v, want %v: fifteen minutes from delivery", got.ExpiresAt, want)
	}
}

func TestOutboxKeepsEachRecipientsOrder(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	r := func(user int64, text string) conversations.Reply {
		return conversations.Reply{Channel: conversations.Tweet, UserID: user, Kind: "k", Text: text}
	}
	if err := db.Enqueue(ctx, []conversations.Reply{r(1, "a1"), r(2, "b1"), r(1, "a2")}); err != nil {
		t.Fatal(err)
	}
	next, _ := db.NextOutbox(ctx, t0, 10, nil)
	if len(next) != 2 || next[0].Text != "a1" || next[1].Text != "b1" {
		t.Fatalf("next = %+v; want the head of each queue", next)
	}
	// a1 failing to send and waiting keeps a2 waiting too.
	if err := db.MarkSending(ctx, next[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Reschedule(ctx, next[0].ID, t0.Add(time.Minute), false, "503"); err != nil {
		t.Fatal(err)
	}
	later, _ := db.NextOutbox(ctx, t0, 10, nil)
	if len(later) != 1 || later[0].Text != "b1" {
		t.Fatalf("next = %+v; want only b1", later)
	}
	due, _ := db.NextOutbox(ctx, t0.Add(time.Minute), 10, nil)
	if len(due) != 2 || due[0].State != OutboxSending || due[0].Attempts != 1 {
		t.Fatalf("next after the wait = %+v; want a1 still marked sending", due)
	}
	if err := db.MarkSent(ctx, due[0].ID, Post{ID: 999, At: db.now()}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, due[0].ID, Post{ID: 999, At: db.now()}); !errors.Is(err, ErrConflict) {
		t.Errorf("second MarkSent = %v, want ErrConflict", err)
	}
	after, _ := db.NextOutbox(ctx, t0.Add(time.Minute), 10, nil)
	if len(after) != 2 || after[0].Text != "b1" || after[1].Text != "a2" {
		t.Errorf("next = %+v; want b1 and a2", after)
	}
	if n, _ := db.SentByUserSince(ctx, conversations.Tweet, t0.Add(-time.Hour)); len(n) != 1 || n[1] != 1 {
		t.Errorf("SentByUserSince = %v, want 1 for user 1", n)
	}
	// News about money goes before older messages of other recipients.
	if err := db.Enqueue(ctx, []conversations.Reply{{Channel: conversations.Tweet, UserID: 3, Kind: "receipt", Text: "paid"}}); err != nil {
		t.Fatal(err)
	}
	if first, _ := db.NextOutbox(ctx, t0.Add(time.Minute), 10, []string{"declined", "receipt"}); len(first) != 3 || first[0].Text != "paid" || first[1].Text != "b1" {
		t.Errorf("next = %+v; want the receipt first, then the rest oldest first", first)
	}
}

func TestSentRequestBecomesTheOrdersRequestAndFailedOneReleasesIt(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	for i, id := range []string{"ord_a", "ord_b"} {
		o := pendingOrder(id, int64(i+1), t0.Add(time.Hour))
		req := conversations.Reply{Channel: conversations.Tweet, UserID: int64(i + 1), Kind: "confirm_request", OrderID: id, Request: true, Text: id}
		if _, err := processOne(t, db, mention(int64(10+i), int64(i+1)), conversations.Decision{Action: "reserve", NewOrder: &o, Replies: []conversations.Reply{req}}); err != nil {
			t.Fatal(err)
		}
	}
	box, _ := db.Outbox(ctx)
	if err := db.MarkSent(ctx, box[0].ID, Post{ID: 1460323737035677698, At: db.now()}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkFailed(ctx, box[1].ID, "385"); err != nil {
		t.Fatal(err)
	}
	a, _ := db.Order(ctx, "ord_a")
	b, _ := db.Order(ctx, "ord_b")
	if a.RequestMessageID != 1460323737035677698 || a.State != conversations.Pending {
		t.Errorf("order a = %+v", a)
	}
	if b.State != conversations.Expired {
		t.Errorf("order b = %s; an undeliverable request must release its unit", b.State)
	}
}

func TestChargeLifecycle(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	o := pendingOrder("ord_1", 1, t0.Add(time.Hour))
	if _, err := processOne(t, db, mention(10, 1), conversations.Decision{Action: "reserve", NewOrder: &o}); err != nil {
		t.Fatal(err)
	}
	confirm := conversations.Transition{OrderID: "ord_1", From: conversations.Pending, To: conversations.Confirmed, ConfirmMessageID: 20,
		ConfirmChannel: conversations.Tweet, IdempotencyKey: "pbt-ord_1", At: t0}
	if _, err := processOne(t, db, mention(20, 1), conversations.Decision{Action: "confirm", Transitions: []conversations.Transition{confirm}}); err != nil {
		t.Fatal(err)
	}
	due, err := db.DueCharges(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].IdempotencyKey != "pbt-ord_1" || due[0].Attempts != 0 {
		t.Fatalf("due = %+v, %v", due, err)
	}
	attempt, err := db.StartCharge(ctx, "ord_1", "purchase", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	// Not due again until the retry time: a crash here retries later.
	if due, _ := db.DueCharges(ctx, t0, 10); len(due) != 0 {
		t.Errorf("due during the attempt = %+v", due)
	}
	if err := db.DeferCharge(ctx, "ord_1", attempt, t0.Add(2*time.Second), "unknown", "timeout"); err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueCharges(ctx, t0.Add(2*time.Second), 10)
	if len(due) != 1 || due[0].Attempts != 1 {
		t.Fatalf("due after defer = %+v", due)
	}
	attempt, _ = db.StartCharge(ctx, "ord_1", "lookup", t0.Add(3*time.Second))
	receipt := conversations.Reply{Channel: conversations.Tweet, UserID: 1, InReplyTo: 20, Kind: "receipt", OrderID: "ord_1", Text: "paid"}
	if err := db.SettleCharge(ctx, "ord_1", attempt, conversations.Outcome{State: conversations.Paid, PurchaseID: "pur_1"}, "", []conversations.Reply{receipt}); err != nil {
		t.Fatal(err)
	}
	if err := db.SettleCharge(ctx, "ord_1", attempt, conversations.Outcome{State: conversations.Paid, PurchaseID: "pur_2"}, "", []conversations.Reply{receipt}); !errors.Is(err, ErrConflict) {
		t.Errorf("second settle = %v, want ErrConflict", err)
	}
	got, _ := db.Order(ctx, "ord_1")
	if got.State != conversations.Paid || got.PurchaseID != "pur_1" || got.IdempotencyKey != "pbt-ord_1" {
		t.Errorf("order = %+v", got)
	}
	box, _ := db.Outbox(ctx)
	if len(box) != 1 {
		t.Errorf("outbox has %d receipts, want 1", len(box))
	}
	attempts, _ := db.ChargeAttempts(ctx, "ord_1")
	if len(attempts) != 2 || attempts[0].Outcome != "unknown" || attempts[1].Outcome != "paid" {
		t.Errorf("attempts = %+v", attempts)
	}
	stats, _ := db.OfferStats(ctx)
	if s := stats["kindle"]; s.Sold != 1 || s.Revenue != 19900 {
		t.Errorf("stats = %+v", s)
	}
}

// TestStartPurchase: a look-up that found nothing and the purchase
// attempt after it are one commit; once the order is no longer
// confirmed, the look-up is still recorded and no purchase is begun.
func TestStartPurchase(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	for _, id := range []string{"ord_1", "ord_2"} {
		user := int64(len(id) + int(id[4]))
		o := pendingOrder(id, user, t0.Add(time.Hour))
		if _, err := processOne(t, db, mention(user*10, user), conversations.Decision{Action: "reserve", NewOrder: &o}); err != nil {
			t.Fatal(err)
		}
		confirm := conversations.Transition{OrderID: id, From: conversations.Pending, To: conversations.Confirmed, ConfirmMessageID: user*10 + 1,
			ConfirmChannel: conversations.Tweet, IdempotencyKey: "pbt-" + id, At: t0}
		if _, err := processOne(t, db, mention(user*10+1, user), conversations.Decision{Action: "confirm", Transitions: []conversations.Transition{confirm}}); err != nil {
			t.Fatal(err)
		}
	}
	lookup, err := db.StartCharge(ctx, "ord_1", "lookup", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	purchase, err := db.StartPurchase(ctx, "ord_1", lookup, "none", "no purchase under the reference", t0.Add(5*time.Second))
	if err != nil || purchase == lookup {
		t.Fatalf("StartPurchase = %d, %v; want a new attempt", purchase, err)
	}
	if due, _ := db.DueCharges(ctx, t0.Add(4*time.Second), 10); len(due) != 1 || due[0].ID != "ord_2" {
		t.Errorf("due while the purchase is under way = %+v, want ord_2 only", due)
	}
	attempts, _ := db.ChargeAttempts(ctx, "ord_1")
	if len(attempts) != 2 || attempts[0].Kind != "lookup" || attempts[0].Outcome != "none" || attempts[1].Kind != "purchase" || attempts[1].Outcome != "" {
		t.Errorf("attempts = %+v, want the look-up finished (none) and a purchase begun", attempts)
	}

	// ord_2 is settled by someone else between its look-up and purchase.
	lookup2, err := db.StartCharge(ctx, "ord_2", "lookup", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.StartCharge(ctx, "ord_2", "lookup", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SettleCharge(ctx, "ord_2", other, conversations.Outcome{State: conversations.Paid, PurchaseID: "pur_2"}, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartPurchase(ctx, "ord_2", lookup2, "none", "no purchase under the reference", t0.Add(5*time.Second)); !errors.Is(err, ErrConflict) {
		t.Errorf("StartPurchase of a paid order = %v, want ErrConflict", err)
	}
	attempts, _ = db.ChargeAttempts(ctx, "ord_2")
	if len(attempts) != 2 || attempts[0].Outcome != "none" || attempts[1].Outcome != "paid" {
		t.Errorf("ord_2's attempts = %+v, want its look-up recorded, the other's settlement, and no purchase", attempts)
	}
}

func TestAnnounceOnce(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	r := conversations.Reply{Channel: conversations.Tweet, Kind: "announce", Text: "Now on"}
	for i, want := range []bool{true, false} {
		got, err := db.Announce(ctx, "kindle", t0, r)
		if err != nil || got != want {
			t.Errorf("Announce #%d = %v, %v; want %v", i+1, got, err, want)
		}
	}
	box, _ := db.Outbox(ctx)
	if len(box) != 1 {
		t.Errorf("outbox = %d rows, want 1", len(box))
	}
}
