package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/messages"
)

// TestChargeARestoreLostIsFoundAtTheIssuer: alice buys and confirms, and
// is charged and given her receipt; then the disk is lost, and the backup
// taken before her buy is restored. Meanwhile the operator reworded the
// confirmation request, so the restore guard cannot know the old request
// for the one it would post again: it posts the new one, her old
// confirmation (older than it) counts as too early, and the order
// expires. The order's audit finds her purchase at the issuer: the order
// is recorded as paid, with an ALERT, and her receipt, which is on
// Twitter already, is not posted again.
func TestChargeARestoreLostIsFoundAtTheIssuer(t *testing.T) {
	eachAPI(t, testChargeARestoreLostIsFoundAtTheIssuer)
}

func testChargeARestoreLostIsFoundAtTheIssuer(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) {
		c.Schedules.Expiry = "@every 1s"
		// The guard's settling delay follows the polls: short here, so
		// that the held confirmation is decided within seconds.
		c.Twitter.Poll.Mentions, c.Twitter.Poll.DirectMessages = "@every 2s", "@every 2s"
	}))
	db := r.cfg.Storage.Path
	backup := filepath.Join(t.TempDir(), "backup.db")
	r.stop()
	copyDatabase(t, db, backup)
	r.start()

	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settle()
	req := r.reply(buy.ID)
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
	r.settle()
	receipt := r.reply(confirm.ID)
	mustContain(t, "receipt", receipt.Text, "Done!")
	order := orderIn(t, receipt.Text)

	r.stop()
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	copyDatabase(t, backup, db)
	r.cfg.Templates = messages.Overrides{messages.ConfirmRequest: `{{.Offer.Title}}, {{.Amount}}, card ending {{.Last4}}: reply {{.Offer.ConfirmHashtag}} within {{.TimeLeft}} to buy it. Order {{.OrderID}}`}
	r.start()
	r.settle()

	var again []string
	for _, tw := range r.repliesTo(buy.ID) {
		again = append(again, tw.Text)
	}
	if len(again) != 2 || !strings.Contains(again[1], "to buy it") {
		t.Fatalf("the buy's replies after the restore: %q; want the old request and the reworded one", again)
	}
	if rs := r.repliesTo(confirm.ID); len(rs) != 2 {
		t.Fatalf("the old confirmation has %d replies, want the receipt and a too-early answer: %+v", len(rs), rs)
	}
	if o := r.order(order); o.State != conversations.Pending {
		t.Fatalf("after the restore the order is %s, want pending (its confirmation came before the request posted again)", o.State)
	}

	// The window closes: the order expires, and its audit finds the
	// purchase, once the issuer answers.
	r.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", Status: 503, Times: 2})
	r.clock.Advance(17 * time.Minute)
	r.waitFor("the order to be recorded paid", func() bool {
		r.clock.Advance(time.Second) // the audit's retries are due by the daemon's clock
		return r.order(order).State == conversations.Paid
	})
	if n := strings.Count(r.logs.String(), "could not ask the issuer whether an order that ended unpaid was charged"); n < 2 {
		t.Errorf("the audit logged %d failed look-ups, want the 2 the issuer refused", n)
	}
	r.settle()

	o := r.order(order)
	ps := r.purchases(alice)
	if len(ps) != 1 {
		t.Fatalf("alice has %d purchases, want the one made before the loss: %+v", len(ps), ps)
	}
	if o.PurchaseID != ps[0].ID {
		t.Errorf("the order records purchase %q, the issuer made %q", o.PurchaseID, ps[0].ID)
	}
	if !strings.Contains(r.logs.String(), "alert=charge_found_unrecorded") {
		t.Error("no ALERT for the charge found at the issuer")
	}
	receipts := 0
	for _, tw := range r.tw.TweetsBy(botUser.ID) {
		if strings.Contains(tw.Text, "Done!") && strings.Contains(tw.Text, order) {
			receipts++
		}
	}
	if receipts != 1 {
		t.Errorf("alice's receipt is on Twitter %d times, want once", receipts)
	}
	// What the restore could not avoid: the old request, which no outbox
	// message records, beside the reworded one; and the old
	// confirmation's receipt beside its too-early answer.
	r.checkRig(map[int64]int64{confirm.ID: alice.ID}, expectations{byHand: []int64{req.ID}, answeredTwice: []int64{buy.ID, confirm.ID}})
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
