package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/messages"
)

// loseDisk stops the daemon, deletes its database and puts backup in
// its place, as a restore from a replica taken then would.
func (r *rig) loseDisk(backup string) {
	r.t.Helper()
	db := r.cfg.Storage.Path
	r.stop()
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	copyDatabase(r.t, backup, db)
}

// backUp copies the database as it is now, stopping the daemon for it.
func (r *rig) backUp() string {
	r.t.Helper()
	backup := filepath.Join(r.t.TempDir(), "backup.db")
	r.stop()
	copyDatabase(r.t, r.cfg.Storage.Path, backup)
	r.start()
	return backup
}

// TestRestoredGuardKnowsARewordedRequest: alice buys and confirms, and is
// charged and given her receipt; then the disk is lost, and the backup
// taken before her buy is restored. Meanwhile the operator reworded the
// confirmation request. The restore guard still knows the old request
// for the one it would post again (it answers her buy and names her
// order), so her old confirmation counts: the charger finds her purchase,
// and nothing is posted again.
func TestRestoredGuardKnowsARewordedRequest(t *testing.T) {
	eachAPI(t, testRestoredGuardKnowsARewordedRequest)
}

func testRestoredGuardKnowsARewordedRequest(t *testing.T, api string) {
	r := newRig(t, api)
	backup := r.backUp()

	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settle()
	req := r.reply(buy.ID)
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
	r.settle()
	receipt := r.reply(confirm.ID)
	mustContain(t, "receipt", receipt.Text, "Done!")
	order := orderIn(t, receipt.Text)

	r.loseDisk(backup)
	r.cfg.Templates = messages.Overrides{messages.ConfirmRequest: `{{.Offer.Title}}, {{.Amount}}, card ending {{.Last4}}: reply {{.Offer.ConfirmHashtag}} within {{.TimeLeft}} to buy it. Order {{.OrderID}}`}
	r.start()
	r.settle()

	if rs := r.repliesTo(buy.ID); len(rs) != 1 || rs[0].ID != req.ID {
		t.Errorf("the buy's replies after the restore: %+v; want only the old request", rs)
	}
	if rs := r.repliesTo(confirm.ID); len(rs) != 1 || rs[0].ID != receipt.ID {
		t.Errorf("the confirmation's replies after the restore: %+v; want only the old receipt", rs)
	}
	if o := r.order(order); o.State != conversations.Paid {
		t.Errorf("after the restore the order is %s, want paid", o.State)
	}
	r.checkRig(map[int64]int64{confirm.ID: alice.ID}, expectations{})
}

// TestChargeARestoreLostIsFoundAtTheIssuer: alice buys and confirms by DM,
// and is charged and given her receipt; then the disk is lost, and the
// backup taken before her buy is restored. While the bot was down, bob
// sent more DMs than the restore guard reads at start, so it cannot see
// the bot's lost DMs to alice: it posts her request again, her old "yes"
// (older than it) counts as too early, and the order expires. The order's
// audit finds her purchase at the issuer (once the issuer answers): the
// order is recorded as paid, with an ALERT, and she is sent the receipt
// again, since the old one cannot be found.
func TestChargeARestoreLostIsFoundAtTheIssuer(t *testing.T) {
	eachAPI(t, testChargeARestoreLostIsFoundAtTheIssuer)
}

func testChargeARestoreLostIsFoundAtTheIssuer(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Schedules.Expiry = "@every 1s" }))
	backup := r.backUp()

	lostRequest, yes, lostReceipt := r.buyAndConfirmByDM(alice, "#BuyGiftCard")
	order := orderIn(t, lostReceipt.Text)

	r.loseDisk(backup)
	const beyondTheGuardsRead = 5*100 + 10 // 5 pages of the DM list, at v2's 100 a page
	for i := 0; i < beyondTheGuardsRead; i++ {
		if _, err := r.tw.SendDM(bob.ID, botUser.ID, "hello"); err != nil {
			t.Fatal(err)
		}
	}
	r.start()
	r.settle()

	if o := r.order(order); o.State != conversations.Pending {
		t.Fatalf("after the restore the order is %s, want pending (its confirmation came before the request posted again)", o.State)
	}
	mustContain(t, "the answer to the old yes", r.lastDM(alice).Text, order, "Nothing was charged")

	// The window closes: the order expires, and its audit finds the
	// purchase, once the issuer answers.
	r.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", Status: 503, Times: 2})
	r.clock.Advance(17 * time.Minute)
	r.waitFor("the order to be recorded paid", func() bool {
		r.clock.Advance(time.Second) // the audit's retries are due by the daemon's clock
		return r.order(order).State == conversations.Paid
	})
	r.settle()

	o := r.order(order)
	ps := r.purchases(alice)
	if len(ps) != 1 {
		t.Fatalf("alice has %d purchases, want the one made before the loss: %+v", len(ps), ps)
	}
	if o.PurchaseID != ps[0].ID {
		t.Errorf("the order records purchase %q, the issuer made %q", o.PurchaseID, ps[0].ID)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "alert=charge_found_unrecorded") {
		t.Error("no ALERT for the charge found at the issuer")
	}
	if n := strings.Count(logs, "could not ask the issuer whether an order that ended unpaid was charged"); n < 2 {
		t.Errorf("the audit logged %d failed look-ups, want the 2 the issuer refused", n)
	}
	last := r.lastDM(alice)
	mustContain(t, "the receipt sent again", last.Text, "Done!", order, ps[0].ID)
	r.checkRig(map[int64]int64{yes.ID: alice.ID}, expectations{byHand: []int64{lostRequest.ID, lostReceipt.ID}, toldTwice: []string{order}})
}

// buyAndConfirmByDM has u buy by DM with buyTag and confirm with "yes",
// and returns the request, the confirmation and the receipt.
func (r *rig) buyAndConfirmByDM(u twitteremu.User, buyTag string) (request, yes, receipt twitteremu.DMEvent) {
	r.t.Helper()
	r.dm(u, buyTag)
	r.settle()
	request = r.lastDM(u)
	yes = r.dm(u, "yes")
	r.settle()
	receipt = r.lastDM(u)
	mustContain(r.t, "receipt", receipt.Text, "Done!")
	return request, yes, receipt
}

// order reads one order through the running daemon's database.
func (r *rig) order(id string) conversations.Order {
	r.t.Helper()
	o, err := r.d.DB.Order(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return o
}

// TestRefusedBuyAfterARestoreIsAuditedToo: alice buys the Kindle by DM,
// confirms and is charged; then the disk is lost, and the backup taken
// before her buy is restored. Meanwhile the admin stopped the sale (no
// units left), so her buy, read again, is refused and makes no order. It
// is audited all the same, under the order it would have made: the issuer
// has her purchase, so the order is recorded, paid, with an ALERT, and
// her receipt, which the guard finds among the lost DMs, is not sent
// again.
func TestRefusedBuyAfterARestoreIsAuditedToo(t *testing.T) {
	eachAPI(t, testRefusedBuyAfterARestoreIsAuditedToo)
}

func testRefusedBuyAfterARestoreIsAuditedToo(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) {
		// The guard's settling delay follows the polls: short here.
		c.Twitter.Poll.Mentions, c.Twitter.Poll.DirectMessages = "@every 2s", "@every 2s"
	}))
	backup := r.backUp()

	lostRequest, yes, receipt := r.buyAndConfirmByDM(alice, "#BuyKindleFireHD")
	order := orderIn(t, receipt.Text)

	r.loseDisk(backup)
	r.cfg.Offers[0].Quantity = qty(0)
	r.start()
	r.settle()

	mustContain(t, "the answer to the buy read again", r.dmsTo(alice)[2].Text, "sold out")
	o := r.order(order)
	ps := r.purchases(alice)
	if len(ps) != 1 {
		t.Fatalf("alice has %d purchases, want the one made before the loss: %+v", len(ps), ps)
	}
	if o.State != conversations.Paid || o.PurchaseID != ps[0].ID || o.Amount != 19900 {
		t.Errorf("the audited order: %+v; want paid with %s", o, ps[0].ID)
	}
	if !strings.Contains(r.logs.String(), "alert=charge_found_unrecorded") {
		t.Error("no ALERT for the charge found at the issuer")
	}
	r.checkRig(map[int64]int64{yes.ID: alice.ID}, expectations{byHand: []int64{lostRequest.ID}})
}

// TestAuditIgnoresOtherReferences: as in
// TestRefusedBuyAfterARestoreIsAuditedToo, alice's refused buy, read
// again after a restore, is audited; but the issuer answers the look-ups
// by its order's reference with bob's purchase instead, outside its
// contract. Bob's purchase is not that order's: an ALERT is logged, it
// is neither recorded as her charge nor as a mismatch, and the audit asks
// again; once the issuer answers truly, it finds alice's purchase.
func TestAuditIgnoresOtherReferences(t *testing.T) {
	eachAPI(t, testAuditIgnoresOtherReferences)
}

func testAuditIgnoresOtherReferences(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) {
		c.Twitter.Poll.Mentions, c.Twitter.Poll.DirectMessages = "@every 2s", "@every 2s"
	}))
	bobs := r.buyAndConfirm(bob, "#BuyGiftCard", "#ConfirmGiftCard") // someone else's purchase at the issuer
	backup := r.backUp()

	lostRequest, yes, receipt := r.buyAndConfirmByDM(alice, "#BuyKindleFireHD")
	order := orderIn(t, receipt.Text)

	r.loseDisk(backup)
	r.cfg.Offers[0].Quantity = qty(0)
	r.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", OtherReferences: true, Times: 1000})
	r.start()
	r.settle()
	logs := r.logs.String()
	if !strings.Contains(logs, "alert=issuer_other_reference") || strings.Contains(logs, "alert=issuer_mismatch") {
		t.Fatalf("audit answered with bob's purchase: alert=issuer_other_reference logged %v, alert=issuer_mismatch %v; want only the first",
			strings.Contains(logs, "alert=issuer_other_reference"), strings.Contains(logs, "alert=issuer_mismatch"))
	}
	if o, err := r.d.DB.Order(context.Background(), order); err == nil && o.State == conversations.Paid {
		t.Fatalf("the order was recorded paid from bob's purchase: %+v", o)
	}

	r.iss.ClearFaults()
	r.waitFor("the order to be recorded paid", func() bool {
		r.clock.Advance(time.Second) // the audit's retries are due by the daemon's clock
		o, err := r.d.DB.Order(context.Background(), order)
		return err == nil && o.State == conversations.Paid
	})
	r.settle()
	o := r.order(order)
	ps := r.purchases(alice)
	if len(ps) != 1 || o.PurchaseID != ps[0].ID {
		t.Errorf("the audited order records %q; alice's purchases %+v", o.PurchaseID, ps)
	}
	r.charged(bob, 1)
	r.checkRig(map[int64]int64{yes.ID: alice.ID, bobs.InReplyTo: bob.ID}, expectations{byHand: []int64{lostRequest.ID}})
}

// TestRestoredRequestOnNewTermsIsANewRequest: alice buys the gift card at
// 25.00 and is sent the request; then the disk is lost, with the backup
// taken before her buy, and while the bot is down she confirms and the
// admin raises the price to 35.00. Her buy, read again, makes the order at
// 35.00, whose request is worded like the old one but for the price: it
// is a new request, not the old one, so her confirmation of 25.00 charges
// nothing; she is asked again, and charged 35.00 only when she confirms
// that.
func TestRestoredRequestOnNewTermsIsANewRequest(t *testing.T) {
	eachAPI(t, testRestoredRequestOnNewTermsIsANewRequest)
}

func testRestoredRequestOnNewTermsIsANewRequest(t *testing.T, api string) {
	r := newRig(t, api,
		rigOption(func(c *cfgT) { c.Twitter.Poll.Mentions, c.Twitter.Poll.DirectMessages = "@every 2s", "@every 2s" }),
		botOption(func(o *bot.Options) { o.RestoreWait = 3 * time.Second }))
	backup := r.backUp()

	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settle()
	old := r.reply(buy.ID)
	mustContain(t, "the request", old.Text, "25.00 USD")

	r.loseDisk(backup)
	oldConfirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", old.ID)
	r.cfg.Offers[1].Price = 3500
	r.start()
	r.settle()

	rs := r.repliesTo(buy.ID)
	if len(rs) != 2 || !strings.Contains(rs[1].Text, "35.00 USD") {
		t.Fatalf("the buy's replies after the restore: %+v; want the old request and one at 35.00", rs)
	}
	if ps := r.purchases(alice); len(ps) != 0 {
		t.Fatalf("alice's confirmation of 25.00 charged %+v", ps)
	}
	mustContain(t, "the answer to the old confirmation", r.reply(oldConfirm.ID).Text, "Nothing was charged")

	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard at 35.00", rs[1].ID)
	r.settle()
	mustContain(t, "receipt", r.reply(confirm.ID).Text, "Done!", "35.00 USD")
	if ps := r.purchases(alice); len(ps) != 1 || ps[0].Amount != 3500 {
		t.Errorf("alice's purchases: %+v; want one of 35.00", ps)
	}
	r.checkRig(map[int64]int64{confirm.ID: alice.ID}, expectations{byHand: []int64{old.ID}, answeredTwice: []int64{buy.ID}})
}

// TestRestoredRepeatBuyIsAudited: alice buys two gift cards by DM, one
// after the other, and is charged for both; then the disk is lost, the
// backup taken before her first buy is restored, and she had sent bob's
// flood of DMs beyond what the guard reads at start. Her first order is
// made again, and its old "yes" is too early; her second buy, read while
// the first is pending, gets the first order's request again and makes no
// order. Both orders are audited: the first when it expires, the second
// at once, and both purchases are recorded.
func TestRestoredRepeatBuyIsAudited(t *testing.T) {
	eachAPI(t, testRestoredRepeatBuyIsAudited)
}

func testRestoredRepeatBuyIsAudited(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Schedules.Expiry = "@every 1s" }))
	backup := r.backUp()

	req1, yes1, receipt1 := r.buyAndConfirmByDM(alice, "#BuyGiftCard")
	req2, yes2, receipt2 := r.buyAndConfirmByDM(alice, "#BuyGiftCard")
	first, second := orderIn(t, receipt1.Text), orderIn(t, receipt2.Text)
	if first == second {
		t.Fatalf("both buys made order %s", first)
	}

	r.loseDisk(backup)
	for i := 0; i < 5*100+10; i++ { // beyond the guard's first read of the DM list
		if _, err := r.tw.SendDM(bob.ID, botUser.ID, "hello"); err != nil {
			t.Fatal(err)
		}
	}
	r.start()
	r.settle()
	if o := r.order(second); o.State != conversations.Paid {
		t.Errorf("the second order, audited at once, is %s; want paid", o.State)
	}

	r.clock.Advance(17 * time.Minute)
	r.waitFor("the first order to be recorded paid", func() bool {
		r.d.Bot.PollNow() // the expiry horizon follows the polls
		return r.order(first).State == conversations.Paid
	})
	r.settle()
	ps := r.purchases(alice)
	if len(ps) != 2 {
		t.Fatalf("alice has %d purchases, want the 2 made before the loss: %+v", len(ps), ps)
	}
	for _, id := range []string{first, second} {
		o := r.order(id)
		if !slices.ContainsFunc(ps, func(p issuersandbox.Purchase) bool { return p.ID == o.PurchaseID && p.Reference == id }) {
			t.Errorf("order %s records purchase %q, not one of %+v", id, o.PurchaseID, ps)
		}
	}
	r.checkRig(map[int64]int64{yes1.ID: alice.ID, yes2.ID: alice.ID},
		expectations{byHand: []int64{req1.ID, req2.ID, receipt1.ID, receipt2.ID}, toldTwice: []string{first, second}})
}
