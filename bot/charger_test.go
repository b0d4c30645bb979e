package bot

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// TestChargerChargesEachConfirmedOrderOnce: two cardholders' confirmed
// orders are charged in one step, each looked up by its reference first
// and then bought under its own key; both are recorded paid with their
// receipts queued, and the sender is woken. A second step finds nothing.
func TestChargerChargesEachConfirmedOrderOnce(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	r.confirmedOrder("ord_a", 1)
	r.confirmedOrder("ord_b", 2)
	ch := r.charger()

	r.step(ch.stepIn, true)
	for _, id := range []string{"ord_a", "ord_b"} {
		o := r.order(id)
		if o.State != conversations.Paid || o.PurchaseID == "" {
			t.Errorf("%s: %s, purchase %q; want paid", id, o.State, o.PurchaseID)
		}
		if got := r.purchasesOf(id); len(got) != 1 || got[0].ID != o.PurchaseID || got[0].IdempotencyKey != conversations.IdempotencyKey(id) {
			t.Errorf("%s: the issuer holds %+v; want the one purchase recorded, under the order's key", id, got)
		}
		if got := r.calls(id); got != "GET POST" {
			t.Errorf("%s: calls %q; want the look-up, then the purchase", id, got)
		}
	}
	if n := len(r.outbox()); n != 2 {
		t.Errorf("%d replies queued; want the two receipts", n)
	}
	r.woken(true)
	r.step(ch.stepIn, false)
}

// TestChargerSettlesALostAnswerByLookingItUp: the issuer makes the
// purchase but its answer is lost (a 503 after the commit). The order
// waits, and the next attempt's look-up finds the purchase: it is
// recorded paid, and no second POST is made.
func TestChargerSettlesALostAnswerByLookingItUp(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	r.confirmedOrder("ord_a", 1)
	r.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", AfterCommit: true, Status: 503})
	ch := r.charger()

	r.step(ch.stepIn, true)
	if o := r.order("ord_a"); o.State != conversations.Confirmed {
		t.Fatalf("after the lost answer: %s; want still confirmed", o.State)
	}
	if !strings.Contains(r.logs.String(), "charge outcome not known yet") {
		t.Errorf("the wait is not logged:\n%s", r.logs)
	}
	r.woken(false)
	r.step(ch.stepIn, false) // not due yet
	r.clock.Advance(2 * time.Minute)
	r.step(ch.stepIn, true)
	o := r.order("ord_a")
	got := r.purchasesOf("ord_a")
	if o.State != conversations.Paid || len(got) != 1 || got[0].ID != o.PurchaseID {
		t.Fatalf("order %s (purchase %q), issuer holds %+v; want paid with the one purchase", o.State, o.PurchaseID, got)
	}
	if calls := r.calls("ord_a"); calls != "GET POST GET" {
		t.Errorf("calls %q; want a look-up, the purchase, and the look-up that found it", calls)
	}
}

// TestChargerRecordsADecline: the card declines; the order is recorded
// declined with the issuer's code and purchase, and the cardholder is told.
func TestChargerRecordsADecline(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	r.confirmedOrder("ord_a", 1)
	r.sb.DeclineCard(r.cardholder(1), "insufficient_funds")
	r.step(r.charger().stepIn, true)
	o := r.order("ord_a")
	if o.State != conversations.Declined || o.DeclineCode != "insufficient_funds" || o.PurchaseID == "" {
		t.Fatalf("order %s (%q, purchase %q); want declined, insufficient_funds, with the declined purchase", o.State, o.DeclineCode, o.PurchaseID)
	}
	if n := len(r.outbox()); n != 1 {
		t.Errorf("%d replies queued; want the decline's", n)
	}
}

// TestChargerParksAPurchaseThatIsNotTheOrders: the issuer answers the
// purchase with another amount. The order is parked for an operator,
// with an ALERT, and the cardholder is told nothing.
func TestChargerParksAPurchaseThatIsNotTheOrders(t *testing.T) {
	r := newMoneyRig(t, "sk_test")
	r.confirmedOrder("ord_a", 1)
	r.sb.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Alter: map[string]any{"amount": 100}})
	r.step(r.charger().stepIn, true)
	if o := r.order("ord_a"); o.State != conversations.Parked {
		t.Fatalf("order %s; want parked", o.State)
	}
	if n := len(r.outbox()); n != 0 {
		t.Errorf("%d replies queued; want none", n)
	}
	if !strings.Contains(r.logs.String(), "alert=issuer_mismatch") {
		t.Errorf("no ALERT logged:\n%s", r.logs)
	}
}

// TestChargerWaitsWhileTheIssuerRefusesTheKey: with an API key the issuer
// refuses, the order waits, confirmed, with an ALERT; nothing is charged.
func TestChargerWaitsWhileTheIssuerRefusesTheKey(t *testing.T) {
	r := newMoneyRig(t, "sk_wrong")
	r.confirmedOrder("ord_a", 1)
	r.step(r.charger().stepIn, true)
	if o := r.order("ord_a"); o.State != conversations.Confirmed {
		t.Fatalf("order %s; want still confirmed", o.State)
	}
	if !strings.Contains(r.logs.String(), "alert=issuer_key_refused") {
		t.Errorf("no ALERT logged:\n%s", r.logs)
	}
	if n := len(r.sb.Purchases()); n != 0 {
		t.Errorf("%d purchases made; want none", n)
	}
}

// moneyRig is a charger's or an auditor's world: a real database in
// t.TempDir() on a clock the test moves, and the issuer sandbox over HTTP.
type moneyRig struct {
	t     *testing.T
	clock *testkit.Clock
	db    *storage.DB
	sb    *issuersandbox.Server
	iss   *issuer.Client
	st    *settings
	wake  chan struct{} // the sender's
	logs  *testkit.Buffer
	msg   int64 // the last inbox message id used
}

// newMoneyRig returns a rig whose issuer client uses apiKey; the sandbox
// accepts "sk_test".
func newMoneyRig(t *testing.T, apiKey string) *moneyRig {
	t.Helper()
	clock := testkit.NewClock(time.Now().UTC().Truncate(time.Millisecond))
	sb := issuersandbox.New(issuersandbox.Options{APIKey: "sk_test"})
	url, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := &config.Config{Privacy: config.PrivacyDM}
	cfg.Confirmation.Window = 15 * time.Minute
	cfg.Issuer.Timeout = 5 * time.Second
	cfg.Offers = []config.Offer{{ID: "gift-card", Title: "Gift Card", BuyHashtag: "BuyGiftCard", ConfirmHashtag: "ConfirmGiftCard",
		Price: 2500, Currency: "USD", Merchant: "mer_giftco", PerUserLimit: 2}}
	return &moneyRig{t: t, clock: clock, db: db, sb: sb, iss: issuer.New(url, apiKey, cfg.Issuer.Timeout), st: newSettings(cfg),
		wake: make(chan struct{}, 1), logs: &testkit.Buffer{}, msg: 100}
}

func (r *moneyRig) logger() *slog.Logger { return slog.New(slog.NewTextHandler(r.logs, nil)) }

func (r *moneyRig) settings() *settings { return r.st }

func (r *moneyRig) charger() *charger {
	return newChargerOf(chargerDeps{store: r.db, iss: r.iss, now: r.clock.Now, log: r.logger(), settings: r.settings,
		work: context.Background, wakeSender: r.wake})
}

func (r *moneyRig) cardholder(user int64) string { return "chd_" + string(rune('0'+user)) }

// pendingOrder records user's buy by DM and the pending order it made.
func (r *moneyRig) pendingOrder(id string, user int64) conversations.Order {
	r.t.Helper()
	r.sb.Enroll(issuersandbox.Enrollment{TwitterUserID: string(rune('0' + user)), Cardholder: r.cardholder(user), CardLast4: "1001", CardBrand: "amex", Status: "active"})
	now := r.clock.Now()
	o := conversations.Order{ID: id, OfferID: "gift-card", UserID: user, State: conversations.Pending, Channel: conversations.DM,
		Title: "Gift Card", BuyHashtag: "BuyGiftCard", ConfirmHashtag: "ConfirmGiftCard", Amount: 2500, Currency: "USD",
		Merchant: "mer_giftco", Cardholder: r.cardholder(user), CardLast4: "1001", CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	o.BuyMessageID = r.process(user, "#BuyGiftCard", conversations.Decision{Action: "reserve", NewOrder: &o})
	return o
}

// confirmedOrder records user's buy and its confirmation, by DM.
func (r *moneyRig) confirmedOrder(id string, user int64) {
	r.t.Helper()
	r.pendingOrder(id, user)
	r.transition(id, user, "#ConfirmGiftCard", conversations.Confirmed)
}

// transition records a message of user's that moves pending order id to
// state to.
func (r *moneyRig) transition(id string, user int64, text string, to conversations.State) {
	r.t.Helper()
	tr := conversations.Transition{OrderID: id, From: conversations.Pending, To: to, At: r.clock.Now()}
	if to == conversations.Confirmed {
		tr.ConfirmMessageID, tr.ConfirmChannel, tr.IdempotencyKey = r.msg+1, conversations.DM, conversations.IdempotencyKey(id)
	}
	r.process(user, text, conversations.Decision{Action: string(to), Transitions: []conversations.Transition{tr}})
}

// process stores a DM of user's and records decision d about it; it
// returns the message's id.
func (r *moneyRig) process(user int64, text string, d conversations.Decision) int64 {
	r.t.Helper()
	ctx := context.Background()
	r.msg++
	if _, err := r.db.SavePage(ctx, []conversations.Inbound{dmIn(r.msg, user, text, r.clock.Now())}, "c", 0); err != nil {
		r.t.Fatal(err)
	}
	in, ok, err := r.db.NextInbox(ctx, map[conversations.Channel]int64{conversations.Tweet: 1 << 62, conversations.DM: 1 << 62}, nil, time.Time{})
	if err != nil || !ok {
		r.t.Fatalf("NextInbox: %v %v", ok, err)
	}
	if _, err := r.db.Process(ctx, in, conversations.ExpiryBounds{}, r.clock.Now(), func(conversations.History) conversations.Decision { return d }); err != nil {
		r.t.Fatal(err)
	}
	return r.msg
}

// step runs a worker's step once and checks whether it was busy.
func (r *moneyRig) step(step func(context.Context) (bool, time.Duration, error), busy bool) {
	r.t.Helper()
	got, _, err := step(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	if got != busy {
		r.t.Fatalf("step busy = %v; want %v", got, busy)
	}
}

func (r *moneyRig) order(id string) conversations.Order {
	r.t.Helper()
	o, err := r.db.Order(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return o
}

func (r *moneyRig) outbox() []storage.OutboxMessage {
	r.t.Helper()
	out, err := r.db.NextOutbox(context.Background(), r.clock.Now().Add(time.Hour), 100, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// purchasesOf returns the sandbox's purchases under reference ref.
func (r *moneyRig) purchasesOf(ref string) []issuersandbox.Purchase {
	var out []issuersandbox.Purchase
	for _, p := range r.sb.Purchases() {
		if p.Reference == ref {
			out = append(out, p)
		}
	}
	return out
}

// calls lists the methods of the purchase requests made for reference
// ref (a look-up by it, or a purchase under its key), in order.
func (r *moneyRig) calls(ref string) string {
	var m []string
	for _, q := range r.sb.Requests() {
		if !strings.HasPrefix(q.Path, "/v1/purchases") {
			continue
		}
		if strings.Contains(q.Query, "reference="+ref) || q.IdempotencyKey == conversations.IdempotencyKey(ref) {
			m = append(m, q.Method)
		}
	}
	return strings.Join(m, " ")
}

// woken checks whether the sender was woken, and clears it.
func (r *moneyRig) woken(want bool) {
	r.t.Helper()
	select {
	case <-r.wake:
		if !want {
			r.t.Error("the sender was woken")
		}
	default:
		if want {
			r.t.Error("the sender was not woken")
		}
	}
}
