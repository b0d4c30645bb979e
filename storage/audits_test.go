package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestOnlyInheritedOrdersThatEndUnpaidAreAudited: with the daemon started
// at t0, an order made before the start, and one made after it from a buy
// posted before it, are audited when they expire or are cancelled; an
// order of a buy posted after the start, and an order confirmed, are not.
func TestOnlyInheritedOrdersThatEndUnpaidAreAudited(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	before, after := t0.Add(-time.Minute), t0.Add(time.Minute)
	buy := func(id int64, posted time.Time) conversations.Inbound {
		m := mention(id, id, "BuyKindle")
		m.PostedAt = posted
		return m
	}
	// made before the start (by the daemon before this one)
	old := pendingOrder("ord_old", 1, t0.Add(time.Hour))
	old.BuyMessageID, old.CreatedAt = 1, before
	if _, err := processOne(t, db, buy(1, before), conversations.Decision{NewOrder: &old}); err != nil {
		t.Fatal(err)
	}
	db.AuditOrdersBefore(t0)
	made := func(id string, msg int64, posted time.Time) {
		t.Helper()
		o := pendingOrder(id, msg, t0.Add(time.Hour))
		o.BuyMessageID, o.CreatedAt = msg, after
		if _, err := processOne(t, db, buy(msg, posted), conversations.Decision{NewOrder: &o}); err != nil {
			t.Fatal(err)
		}
	}
	made("ord_reread", 2, before) // a buy read again after a restore
	made("ord_fresh", 3, after)   // a buy posted after the start
	made("ord_confirmed", 4, before)
	made("ord_cancelled", 5, before)

	move := func(id string, to conversations.State) {
		t.Helper()
		err := db.update(ctx, func(tx *Tx) error {
			return tx.transition(conversations.Transition{OrderID: id, From: conversations.Pending, To: to, At: t0, IdempotencyKey: "k_" + id})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	move("ord_old", conversations.Expired)
	move("ord_reread", conversations.Expired)
	move("ord_fresh", conversations.Expired)
	move("ord_confirmed", conversations.Confirmed)
	move("ord_cancelled", conversations.Cancelled)

	due, err := db.DueAudits(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]conversations.State{}
	for _, a := range due {
		got[a.ID] = a.State
	}
	want := map[string]conversations.State{"ord_old": conversations.Expired, "ord_reread": conversations.Expired, "ord_cancelled": conversations.Cancelled}
	if len(got) != len(want) {
		t.Fatalf("audits due: %v, want %v", got, want)
	}
	for id, s := range want {
		if got[id] != s {
			t.Errorf("audit of %s: order %q, want %q (all due: %v)", id, got[id], s, got)
		}
	}
	if quiet, err := db.Quiet(ctx); err != nil || quiet {
		t.Errorf("Quiet = %v, %v with audits due; want false", quiet, err)
	}

	// The issuer could not say: the audit waits.
	if err := db.DeferAudit(ctx, "ord_cancelled", t0.Add(time.Minute), "timeout"); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueAudits(ctx, t0, 10); len(due) != 2 {
		t.Errorf("after deferring one, %d audits due, want 2", len(due))
	}
	if at, ok, err := db.NextAuditAt(ctx); err != nil || !ok || !at.Equal(t0) {
		t.Errorf("NextAuditAt = %v, %v, %v; want %v", at, ok, err, t0)
	}
	if due, _ := db.DueAudits(ctx, t0.Add(time.Minute), 10); len(due) != 3 || due[2].Attempts != 1 {
		t.Errorf("a minute later, audits due: %+v; want 3, the deferred one with 1 attempt", due)
	}

	// Found: the order is paid, its receipt queued, the stock counted sold.
	receipt := conversations.Reply{Channel: conversations.Tweet, UserID: 1, ScreenName: "u", Kind: "receipt", OrderID: "ord_old", Text: "Done! ord_old"}
	oldAudit := Audit{Order: old, EndedAs: conversations.Expired}
	if err := db.RecordFoundPurchase(ctx, oldAudit, "pur_1", "found", []conversations.Reply{receipt}); err != nil {
		t.Fatal(err)
	}
	if o, _ := db.Order(ctx, "ord_old"); o.State != conversations.Paid || o.PurchaseID != "pur_1" {
		t.Errorf("found order is %s with purchase %q, want paid with pur_1", o.State, o.PurchaseID)
	}
	checkCounters(t, db, "a found purchase")
	if stats, _ := db.OfferStats(ctx); stats["kindle"].Sold != 1 {
		t.Errorf("offer stats after a found purchase: %+v, want 1 sold", stats["kindle"])
	}
	if err := db.RecordFoundPurchase(ctx, oldAudit, "pur_1", "found", nil); !errors.Is(err, ErrConflict) {
		t.Errorf("recording it twice: %v, want ErrConflict", err)
	}
	if err := db.ClearAudit(ctx, "ord_reread", "none"); err != nil {
		t.Fatal(err)
	}
	if err := db.MismatchAudit(ctx, "ord_cancelled", "amount"); err != nil {
		t.Fatal(err)
	}
	if err := db.ClearAudit(ctx, "ord_reread", "again"); !errors.Is(err, ErrConflict) {
		t.Errorf("clearing a finished audit: %v, want ErrConflict", err)
	}
	if due, _ := db.DueAudits(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("audits still due: %+v", due)
	}
	var outbox int
	db.db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE order_id = 'ord_old' AND kind = 'receipt'`).Scan(&outbox)
	if outbox != 1 {
		t.Errorf("%d receipts queued for the found purchase, want 1", outbox)
	}
}

// TestRefusedBuyIsAuditedUnderTheOrderItWouldHaveMade: a decision that
// refuses a buy with an Audit records the order it would have made, and
// no order; a purchase found for it makes the order, paid, counted sold.
func TestRefusedBuyIsAuditedUnderTheOrderItWouldHaveMade(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	would := pendingOrder("ord_would", 7, t0.Add(15*time.Minute))
	would.BuyMessageID = 70
	if _, err := processOne(t, db, mention(70, 7, "BuyKindle"), conversations.Decision{Action: "sold-out", Audit: &would}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Order(ctx, "ord_would"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused buy made an order: %v", err)
	}
	due, err := db.DueAudits(ctx, t0, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("audits due: %+v, %v; want the refused buy's", due, err)
	}
	a := due[0]
	if a.EndedAs != Refused || a.ID != "ord_would" || a.Amount != would.Amount || a.Cardholder != would.Cardholder || a.UserID != 7 {
		t.Errorf("audit of the refused buy: %+v", a)
	}
	if err := db.RecordFoundPurchase(ctx, a, "pur_7", "found", nil); err != nil {
		t.Fatal(err)
	}
	o, err := db.Order(ctx, "ord_would")
	if err != nil || o.State != conversations.Paid || o.PurchaseID != "pur_7" || o.BuyMessageID != 70 {
		t.Errorf("the found order: %+v, %v; want paid with pur_7", o, err)
	}
	checkCounters(t, db, "a refused buy's purchase found")
	if due, _ := db.DueAudits(ctx, t0, 10); len(due) != 0 {
		t.Errorf("audits still due: %+v", due)
	}
}
