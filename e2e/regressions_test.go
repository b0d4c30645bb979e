package e2e

import (
	"strings"
	"testing"
)

// An order asked for by DM and confirmed by a public tweet is answered in
// public, in reply to the confirmation, addressed to its author.
func TestDMBuyConfirmedInPublic(t *testing.T) {
	r := newRig(t)
	r.dm(alice, "#BuyKindleFireHD")
	r.settle()
	orderID := orderIn(t, r.lastDM(alice).Text)
	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD")
	r.settle()
	receipt := r.reply(confirm.ID)
	if !strings.HasPrefix(receipt.Text, "@alice ") {
		t.Errorf("receipt %q does not start with @alice", receipt.Text)
	}
	mustContain(t, "receipt", receipt.Text, orderID, "Done")
	if n := len(r.purchases(alice)); n != 1 {
		t.Errorf("purchases = %d", n)
	}
}

// A cardholder with an old order of their own who answers another's
// request with the confirm hashtag confirms nothing and is not answered.
func TestConfirmationBySomeoneElseWithAnOldOrder(t *testing.T) {
	r := newRig(t)
	r.dm(bob, "#BuyKindleFireHD")
	r.settle()
	r.dm(bob, "cancel")
	r.settle()
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.settle()
	req := r.reply(buy.ID)
	hijack := r.tweet(bob, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	r.settle()
	if rs := r.repliesTo(hijack.ID); len(rs) != 0 {
		t.Errorf("bob was answered: %+v", rs)
	}
	r.noPurchases(bob)
	r.noPurchases(alice)
}
