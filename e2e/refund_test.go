package e2e

// Refunds whose answer was lost, settled after the issuer forgot their
// idempotency key (it replays one for 24 hours only).

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/storage"
)

// TestRefundSettledAfterKeyForgotten: alice is refunded 50.00 of her
// Kindle, but the answer is lost (the refund was made, or not). The admin
// runs the command again 25 hours later, when the issuer no longer knows
// the key: she is refunded 50.00 once in all, and told once.
func TestRefundSettledAfterKeyForgotten(t *testing.T) { eachAPI(t, testRefundSettledAfterKeyForgotten) }

func testRefundSettledAfterKeyForgotten(t *testing.T, api string) {
	for _, tt := range []struct {
		name  string
		fault issuersandbox.Fault
		made  bool // the lost request made the refund
	}{
		{"made, answer lost", issuersandbox.Fault{AfterCommit: true, Reset: true}, true},
		{"not made, connection dropped", issuersandbox.Fault{Reset: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api)
			ctx := context.Background()
			receipt := r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD")
			ref := orderIn(t, receipt.Text)
			iss := issuer.New(r.cfg.Issuer.URL, r.cfg.Issuer.APIKey, r.cfg.Issuer.Timeout)
			req := admin.RefundRequest{OrderID: ref, Amount: "50.00"}

			f := tt.fault
			f.Method, f.Path = "POST", "/v1/purchases/"
			r.iss.InjectFault(f)
			if _, err := admin.Refund(ctx, r.d.DB, iss, r.cfg, req); !errors.Is(err, admin.ErrUnknown) {
				t.Fatalf("refund with its answer lost: %v, want ErrUnknown", err)
			}
			if got := r.refunded(alice); tt.made != (got == 5000) || got > 5000 {
				t.Fatalf("the issuer refunded %d after the lost request", got)
			}

			r.clock.Advance(25 * time.Hour) // the issuer forgets the key
			res, err := admin.Refund(ctx, r.d.DB, iss, r.cfg, req)
			if err != nil {
				t.Fatalf("refund run again after 25h: %v", err)
			}
			if res.Refund.State != storage.RefundSucceeded || res.Refund.Refunded != 5000 || res.Order.RefundedAmount != 5000 {
				t.Errorf("result = %+v, want 50.00 succeeded", res)
			}
			if got := r.refunded(alice); got != 5000 {
				t.Errorf("the issuer refunded %d in all, want 5000 once", got)
			}
			if n := len(r.purchases(alice)[0].Refunds); n != 1 {
				t.Errorf("the issuer made %d refunds, want 1", n)
			}
			// A third run does nothing more.
			if res, err := admin.Refund(ctx, r.d.DB, iss, r.cfg, req); err != nil || !res.Already {
				t.Errorf("third run = %+v, %v; want already refunded", res, err)
			}
			r.settle()
			notices := 0
			for _, tw := range r.repliesTo(receipt.InReplyTo) {
				if tw.ID != receipt.ID {
					mustContain(t, "refund notice", tw.Text, "50.00")
					notices++
				}
			}
			if notices != 1 {
				t.Errorf("alice got %d refund notices, want 1", notices)
			}
		})
	}
}

// TestRefundUnexplainedAmountAsksNothing: when the issuer's refunded amount
// is neither what the bot recorded nor that plus the pending refund (the
// purchase was refunded elsewhere), nothing is POSTed and the admin is
// told to check by hand.
func TestRefundUnexplainedAmountAsksNothing(t *testing.T) {
	eachAPI(t, testRefundUnexplainedAmountAsksNothing)
}

func testRefundUnexplainedAmountAsksNothing(t *testing.T, api string) {
	r := newRig(t, api)
	ctx := context.Background()
	receipt := r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD")
	ref := orderIn(t, receipt.Text)
	iss := issuer.New(r.cfg.Issuer.URL, r.cfg.Issuer.APIKey, r.cfg.Issuer.Timeout)
	r.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases/", Reset: true})
	if _, err := admin.Refund(ctx, r.d.DB, iss, r.cfg, admin.RefundRequest{OrderID: ref, Amount: "50.00"}); !errors.Is(err, admin.ErrUnknown) {
		t.Fatalf("first run: %v, want ErrUnknown", err)
	}
	// Someone refunds 10.00 at the issuer, outside the bot.
	p := r.purchases(alice)[0]
	if _, err := iss.CreateRefund(ctx, "by-hand", p.ID, 1000, ""); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(25 * time.Hour)
	posts := len(r.iss.Requests())
	_, err := admin.Refund(ctx, r.d.DB, iss, r.cfg, admin.RefundRequest{OrderID: ref, Amount: "50.00"})
	if !errors.Is(err, admin.ErrUnexplained) {
		t.Fatalf("second run: %v, want ErrUnexplained", err)
	}
	for _, q := range r.iss.Requests()[posts:] {
		if q.Method == "POST" {
			t.Errorf("a refund was POSTed: %s %s", q.Method, q.Path)
		}
	}
	if got := r.refunded(alice); got != 1000 {
		t.Errorf("the issuer refunded %d, want only the 1000 made by hand", got)
	}
}

// TestConcurrentRefundsOfTheSameAmount: two admins refund 50.00 of
// alice's Kindle at the same moment (the issuer is slow to answer the
// first refund it gets). The issuer refunds 50.00 once; one run says so,
// and the other is told that the refund stands or is under way, having
// done nothing.
func TestConcurrentRefundsOfTheSameAmount(t *testing.T) {
	r := newRig(t, config.APIv1)
	receipt := r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD")
	ref := orderIn(t, receipt.Text)
	r.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases/", Hang: 500 * time.Millisecond})
	type outcome struct {
		res admin.RefundResult
		err error
	}
	start := make(chan struct{})
	outcomes := make(chan outcome, 2)
	for range 2 {
		go func() {
			iss := issuer.New(r.cfg.Issuer.URL, r.cfg.Issuer.APIKey, r.cfg.Issuer.Timeout)
			<-start
			res, err := admin.Refund(context.Background(), r.d.DB, iss, r.cfg, admin.RefundRequest{OrderID: ref, Amount: "50.00"})
			outcomes <- outcome{res, err}
		}()
	}
	close(start)
	made, told := 0, 0
	for range 2 {
		o := <-outcomes
		switch {
		case o.err == nil && !o.res.Already && o.res.Refund.State == storage.RefundSucceeded && o.res.Refund.Refunded == 5000:
			made++
		case o.err == nil && o.res.Already, errors.Is(o.err, admin.ErrUnderWay):
			told++
			t.Logf("the other run: already=%v, %v", o.res.Already, o.err)
		default:
			t.Errorf("a run: %+v, %v; want the refund made, or told it stands or is under way", o.res, o.err)
		}
	}
	if made != 1 || told != 1 {
		t.Errorf("%d runs refunded and %d were told, want one of each", made, told)
	}
	if got, n := r.refunded(alice), len(r.purchases(alice)[0].Refunds); got != 5000 || n != 1 {
		t.Errorf("the issuer refunded %d in %d refunds, want 5000 in one", got, n)
	}
	refunds, err := r.d.DB.Refunds(context.Background(), ref)
	if err != nil || len(refunds) != 1 {
		t.Errorf("refunds recorded: %+v, %v; want one", refunds, err)
	}
}

// TestRefundWithAWrongIssuerKey: the issuer refuses the key (401). The
// admin is told so, that the key is issuer.api_key and that nothing was
// refunded, not that the answer is unknown; with the right key the
// refund then goes through at once.
func TestRefundWithAWrongIssuerKey(t *testing.T) {
	r := newRig(t, config.APIv1)
	ctx := context.Background()
	receipt := r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD")
	ref := orderIn(t, receipt.Text)
	req := admin.RefundRequest{OrderID: ref, Amount: "50.00"}
	wrong := issuer.New(r.cfg.Issuer.URL, "sk_wrong", r.cfg.Issuer.Timeout)
	_, err := admin.Refund(ctx, r.d.DB, wrong, r.cfg, req)
	if !errors.Is(err, admin.ErrKeyRefused) || errors.Is(err, admin.ErrUnknown) {
		t.Fatalf("refund with a wrong key: %v, want ErrKeyRefused", err)
	}
	mustContain(t, "the error", err.Error(), "refused the API key", "issuer.api_key", "nothing was refunded")
	if got := r.refunded(alice); got != 0 {
		t.Fatalf("the issuer refunded %d", got)
	}
	right := issuer.New(r.cfg.Issuer.URL, r.cfg.Issuer.APIKey, r.cfg.Issuer.Timeout)
	res, err := admin.Refund(ctx, r.d.DB, right, r.cfg, req)
	if err != nil || res.Already || res.Refund.Refunded != 5000 {
		t.Fatalf("refund with the right key: %+v, %v; want 50.00 refunded", res, err)
	}
	if got := r.refunded(alice); got != 5000 {
		t.Errorf("the issuer refunded %d in all, want 5000", got)
	}
}

// refunded returns what the issuer refunded of u's purchases in all.
func (r *rig) refunded(u twitteremu.User) int64 {
	var n int64
	for _, p := range r.purchases(u) {
		n += p.RefundedAmount
	}
	return n
}
