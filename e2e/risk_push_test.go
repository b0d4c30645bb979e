package e2e

import (
	"context"
	"testing"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// xLabels is the emulator as X is: an Automated account's label comes in
// the Activity API's pushed events, and not in the v2 user objects the
// bot's polls ask for (user.fields=username,created_at).
var xLabels = emuOption(func(o *twitteremu.Options) { o.AffiliationOnlyWhenAsked = true })

// TestRiskAutomatedPushed: on v2 with push, the Automated label X gives
// only in pushed events refuses a labelled account's purchase, whichever
// copy of a message the bot reads first (docs/conversation.md, "A
// hijacked account").
func TestRiskAutomatedPushed(t *testing.T) {
	push := mode{api: config.APIv2, push: true}

	// The buy pushed, while the mention polls hang: the pushed copy, with
	// the label, is the one decided, and the buy is refused.
	t.Run("pushed first", func(t *testing.T) {
		r := push.newRig(t, xLabels)
		if err := r.tw.SetAutomated(alice.ID, true); err != nil {
			t.Fatal(err)
		}
		hold := make(chan struct{})
		r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallMentions), Hold: hold, Times: -1})
		buy := r.say(alice, "#BuyGiftCard")
		r.answer(buy)
		close(hold)
		r.tw.ClearFaults()
		r.refused(buy)
		if n := r.reserved("gift-card"); n != 0 {
			t.Errorf("a refused buy reserved %d units", n)
		}
		r.noPurchases(alice)
	})

	// The buy polled while the stream is stalled: its polled copy carries
	// no label, so it is answered with a confirmation request. The stream
	// comes back and its backfill brings the buy's pushed copy, a
	// duplicate whose label the bot records on the account; the
	// confirmation is refused and the unit goes back.
	t.Run("polled first", func(t *testing.T) {
		r := push.newRig(t, xLabels)
		if err := r.tw.SetAutomated(alice.ID, true); err != nil {
			t.Fatal(err)
		}
		if n := r.tw.StallStreams(); n == 0 {
			t.Fatal("no stream open to stall")
		}
		req, _ := r.ask(alice, "#BuyGiftCard")
		if labelled(t, r, alice.ID) {
			t.Fatal("the account is labelled before any pushed copy came: the test did not test the polled copy first")
		}
		r.tw.DropStreams()
		r.await("the pushed copy's Automated label on alice's account", func() bool { return labelled(t, r, alice.ID) })
		confirm := r.say(alice, "#ConfirmGiftCard", req.ID)
		r.answer(confirm)
		r.refused(confirm)
		if n := r.reserved("gift-card"); n != 0 {
			t.Errorf("a refused confirmation left %d units reserved", n)
		}
		r.noPurchases(alice)
		// bob, not labelled, still buys.
		r.pay(bob, "#BuyGiftCard", "#ConfirmGiftCard")
	})
}

// labelled says whether the daemon's database holds X's Automated label
// for the account.
func labelled(t *testing.T, r *rig, userID int64) bool {
	t.Helper()
	a, known, err := r.d.DB.Account(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return known && a.Automated != nil && *a.Automated
}
