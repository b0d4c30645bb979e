package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
)

// setPaused is `paybytweet pause` (or resume): it throws the switch in the
// database beside the running daemon, as the command does, and lets a few
// seconds pass on the daemon's clock ("within seconds").
func (r *rig) setPaused(paused bool) {
	r.t.Helper()
	db, err := storage.Open(r.cfg.Storage.Path, r.clock.Now)
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SetPaused(context.Background(), paused, r.clock.Now()); err != nil {
		r.t.Fatal(err)
	}
	r.clock.Advance(5 * time.Second)
}

// pausedAnswer checks that msg was answered once, in reply, that
// purchases are paused.
func (r *rig) pausedAnswer(msg twitteremu.Tweet) {
	r.t.Helper()
	rep := r.reply(msg.ID)
	if k := r.kindOf(conversations.Tweet, rep.ID); k != string(messages.Paused) {
		r.t.Errorf("%q was answered %s %q, want %s", msg.Text, k, rep.Text, messages.Paused)
	}
	mustContain(r.t, "paused answer", rep.Text, "paused")
}

// TestPauseStopsAllCharging: while paused, a buy is answered that
// purchases are paused and reserves nothing; a confirmation is answered
// alike and charges nothing; the switch survives a restart; after resume
// a new confirmation of the same request is charged.
func TestPauseStopsAllCharging(t *testing.T) { eachAPI(t, testPauseStopsAllCharging) }

func testPauseStopsAllCharging(t *testing.T, api string) {
	r := newRig(t, api, withRisk(nil))
	req, ref := r.ask(alice, "#BuyGiftCard") // asked before the pause
	r.setPaused(true)

	buy := r.say(bob, "#BuyKindleFireHD")
	r.answer(buy)
	r.settle()
	r.pausedAnswer(buy)
	if n := r.reserved("kindle-fire-hd"); n != 0 {
		t.Errorf("a buy while paused reserved %d units", n)
	}

	confirm := r.say(alice, "#ConfirmGiftCard", req.ID)
	r.answer(confirm)
	r.settle()
	r.pausedAnswer(confirm)
	r.noPurchases(alice)
	if posts := r.purchasePosts(ref); len(posts) != 0 {
		t.Errorf("a confirmation while paused went to the issuer: %+v", posts)
	}

	r.restart()
	again := r.say(bob, "#BuyGiftCard")
	r.answer(again)
	r.settle()
	r.pausedAnswer(again)

	r.setPaused(false)
	receipt := r.answer(r.say(alice, "#ConfirmGiftCard", req.ID))
	mustContain(t, "receipt after resume", receipt.Text, "Done!", ref)
	r.settle()
	r.charged(alice, 1)
	r.ask(bob, "#BuyKindleFireHD")
}

// TestPauseSettlesOrdersAlreadySent: a purchase that went to the issuer
// before the pause (here, waiting for approval) is settled as usual.
func TestPauseSettlesOrdersAlreadySent(t *testing.T) { eachAPI(t, testPauseSettlesOrdersAlreadySent) }

func testPauseSettlesOrdersAlreadySent(t *testing.T, api string) {
	r := newRig(t, api, withRisk(func(k *config.Risk) { k.ApprovalOver = usd(100_00) }))
	req, ref := r.ask(alice, "#BuyKindleFireHD")
	r.say(alice, "#ConfirmKindleFireHD", req.ID)
	p := r.pendingApproval(ref)
	r.awaitTold(alice, messages.ApprovalPending, ref)
	r.setPaused(true)
	r.approve(p)
	_, text := r.awaitTold(alice, messages.Receipt, ref)
	mustContain(t, "receipt", text, "Done!", p.ID)
	r.settle()
	r.charged(alice, 1)
}
