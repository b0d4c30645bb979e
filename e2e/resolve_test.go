package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// TestResolveParkedOrders: two charges are parked (the issuer makes bob's
// purchase and answers it with another amount; it answers alice's POST
// 422 without making anything, and nothing is found under her order's
// reference either). An
// operator lists them and resolves each from what the issuer has under
// its reference: bob's is paid and he gets his receipt, alice's is
// failed and she is told nothing was charged; nothing is charged anew.
func TestResolveParkedOrders(t *testing.T) {
	r := newRig(t, config.APIv1, withHealth)
	confirmParked := func(u twitteremu.User, fault issuersandbox.Fault) twitteremu.Tweet {
		t.Helper()
		r.iss.InjectFault(fault)
		buy := r.tweet(u, "@AmexOffers #BuyKindleFireHD")
		r.settle()
		confirm := r.tweet(u, "@AmexOffers #ConfirmKindleFireHD", r.reply(buy.ID).ID)
		r.settle()
		if rs := r.repliesTo(confirm.ID); len(rs) != 0 {
			t.Fatalf("%s was answered although the order is parked: %+v", u.ScreenName, rs)
		}
		return confirm
	}
	bobConfirm := confirmParked(bob, issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Alter: map[string]any{"amount": 100}})
	aliceConfirm := confirmParked(alice, issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 422})

	ctx := context.Background()
	db, err := storage.Open(r.cfg.Storage.Path, r.clock.Now) // as the command does, beside the daemon
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	parked, err := db.Orders(ctx, storage.OrderFilter{State: conversations.Parked})
	if err != nil || len(parked) != 2 {
		t.Fatalf("parked orders: %d, %v; want 2", len(parked), err)
	}
	f := r.scrape()
	want(t, f, 2, "paybytweet_orders", "state", "parked")
	want(t, f, 1, "paybytweet_charges_total", "outcome", "conflict")
	want(t, f, 1, "paybytweet_alerts_total", "kind", "charge_parked")
	want(t, f, 1, "paybytweet_alerts_total", "kind", "issuer_mismatch")
	orderOf := map[int64]string{}
	for _, o := range parked {
		orderOf[o.UserID] = o.ID
	}

	iss := issuer.New(r.cfg.Issuer.URL, r.cfg.Issuer.APIKey, r.cfg.Issuer.Timeout)
	res, err := admin.Resolve(ctx, db, iss, r.cfg, orderOf[bob.ID])
	if err != nil || res.Found != "paid" || res.Order.State != conversations.Paid {
		t.Fatalf("resolve bob's order: %+v, %v; want paid", res, err)
	}
	res, err = admin.Resolve(ctx, db, iss, r.cfg, orderOf[alice.ID])
	if err != nil || res.Found != "none" || res.Order.State != conversations.Failed {
		t.Fatalf("resolve alice's order: %+v, %v; want none found, failed", res, err)
	}
	r.settle()
	mustContain(t, "bob's receipt", r.reply(bobConfirm.ID).Text, "charged", orderOf[bob.ID])
	mustContain(t, "alice's answer", r.reply(aliceConfirm.ID).Text, orderOf[alice.ID])
	mustContain(t, "alice's answer", r.reply(aliceConfirm.ID).Text, "Nothing was charged")
	r.charged(bob, 1)
	r.noPurchases(alice)

	if _, err := admin.Resolve(ctx, db, iss, r.cfg, orderOf[bob.ID]); !errors.Is(err, admin.ErrNotParked) {
		t.Errorf("resolving a paid order: %v, want ErrNotParked", err)
	}
	if _, err := admin.Resolve(ctx, db, iss, r.cfg, "ord_nosuchorder"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("resolving an unknown order: %v, want ErrNotFound", err)
	}
	f = r.scrape()
	want(t, f, 0, "paybytweet_orders", "state", "parked")
	want(t, f, 1, "paybytweet_orders", "state", "paid")
	want(t, f, 1, "paybytweet_orders", "state", "failed")
}
