package e2e

// Each issuer failure the charger must survive, made to happen by the
// sandbox, checked by what the cardholder sees and what the issuer did.

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/issuer"
)

// issuerCalls returns the sandbox's purchase POSTs for order ref, from
// request index from on, and the sequence of those POSTs (P) and of the
// look-ups by its reference (L), in the order the sandbox took them.
func (r *rig) issuerCalls(ref string, from int) (posts []issuersandbox.Request, seq string) {
	all := r.iss.Requests()
	for _, q := range all[min(from, len(all)):] {
		switch {
		case q.Method == "POST" && q.Path == "/v1/purchases" && strings.Contains(string(q.Body), `"`+ref+`"`):
			posts = append(posts, q)
			seq += "P"
		case q.Method == "GET" && q.Path == "/v1/purchases":
			if v, _ := url.ParseQuery(q.Query); v.Get("reference") == ref {
				seq += "L"
			}
		}
	}
	return posts, seq
}

// TestIssuerFaults: whatever the issuer does to the first purchase request
// of an order, alice is charged exactly once, with the order's one key,
// and gets one receipt.
func TestIssuerFaults(t *testing.T) { eachAPI(t, testIssuerFaults) }

func testIssuerFaults(t *testing.T, api string) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name        string
		fault       issuersandbox.Fault
		posts       int           // purchase POSTs for the order; 0: any number
		lookup      bool          // the purchase is looked up by reference before any retry
		minInterval time.Duration // by the bot's clock, between the first two POSTs
	}{
		{"timeout after commit", issuersandbox.Fault{AfterCommit: true, Hang: 10 * timeout}, 1, true, 0},
		{"reset after commit", issuersandbox.Fault{AfterCommit: true, Reset: true}, 0, false, 0},
		{"503 before any work", issuersandbox.Fault{Status: 503}, 2, true, 0},
		{"500 before any work", issuersandbox.Fault{Status: 500}, 2, true, 0},
		{"409 request in progress", issuersandbox.Fault{Status: 409}, 2, true, 0},
		{"429 with Retry-After", issuersandbox.Fault{Status: 429, RetryAfter: 30 * time.Second}, 2, true, 30 * time.Second},
		{"malformed 2xx after commit", issuersandbox.Fault{AfterCommit: true, Malformed: true}, 1, true, 0},
		{"malformed 2xx before any work", issuersandbox.Fault{Malformed: true}, 2, true, 0},
		{"slow: answered after the client gave up", issuersandbox.Fault{Hang: 10 * timeout}, 0, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, rigOption(func(c *cfgT) { c.Issuer.Timeout = timeout }))
			buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
			r.settle()
			req := r.reply(buy.ID)
			ref := orderIn(t, req.Text)
			from := len(r.iss.Requests())
			f := tt.fault
			f.Method, f.Path = "POST", "/v1/purchases"
			r.iss.InjectFault(f)
			confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
			r.settleAdvancing()

			receipt := r.reply(confirm.ID)
			mustContain(t, "receipt", receipt.Text, "Done!", ref)
			ps := r.purchases(alice)
			if len(ps) != 1 || ps[0].Status != issuersandbox.StatusApproved || ps[0].Reference != ref {
				t.Fatalf("purchases = %+v, want one approved for %s", ps, ref)
			}
			mustContain(t, "receipt", receipt.Text, ps[0].ID)
			posts, seq := r.issuerCalls(ref, from)
			if len(posts) == 0 {
				t.Fatal("no purchase request")
			}
			for _, p := range posts {
				if p.IdempotencyKey != conversations.IdempotencyKey(ref) {
					t.Errorf("a purchase request carried key %q", p.IdempotencyKey)
				}
			}
			if tt.posts != 0 && len(posts) != tt.posts {
				t.Errorf("%d purchase requests, want %d", len(posts), tt.posts)
			}
			// Looked up before the first POST (a restore may have lost the
			// record of a charge), and again after the outcome not known.
			if tt.lookup && !strings.HasPrefix(seq, "LPL") {
				t.Errorf("issuer calls %s: the outcome was not settled by looking the reference up first", seq)
			}
			if tt.minInterval > 0 && len(posts) > 1 {
				if got := posts[1].Time.Sub(posts[0].Time); got < tt.minInterval {
					t.Errorf("retried after %s, before the %s the issuer asked for", got, tt.minInterval)
				}
			}
			attempts := readChargeAttempts(t, r.cfg.Storage.Path, ref)
			if len(attempts) < 2 && tt.posts != 0 {
				t.Errorf("charge attempts %+v: the fault left no trace", attempts)
			}
			r.checkRig(map[int64]int64{confirm.ID: alice.ID}, expectations{})
		})
	}
}

// TestIssuerIdempotencyKeyReused: a 422 (the order's key was used before
// with another body) is a bug somewhere: the order is parked for an
// operator, an ALERT is logged, and nothing is charged, then or later.
func TestIssuerIdempotencyKeyReused(t *testing.T) { eachAPI(t, testIssuerIdempotencyKeyReused) }

func testIssuerIdempotencyKeyReused(t *testing.T, api string) {
	r := newRig(t, api)
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settle()
	req := r.reply(buy.ID)
	ref := orderIn(t, req.Text)
	// Somebody else used the order's key first, for another purchase.
	other := issuer.New(r.iss.URL(), "sk_test", 5*time.Second)
	if _, err := other.CreatePurchase(context.Background(), conversations.IdempotencyKey(ref), issuer.PurchaseRequest{
		Cardholder: "chd_bob", Merchant: "mer_giftco", Amount: 100, Currency: "USD", Description: "something else", Reference: "not-" + ref,
	}); err != nil {
		t.Fatal(err)
	}
	from := len(r.iss.Requests())
	confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
	r.settleAdvancing()
	o, err := r.d.DB.Order(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if o.State != conversations.Parked {
		t.Fatalf("order %s is %s, want parked", ref, o.State)
	}
	if !strings.Contains(r.logs.String(), `level=ERROR msg="ALERT:`) {
		t.Error("no ALERT logged")
	}
	r.noPurchases(alice)
	// Later, nothing more is tried: the order waits for an operator.
	r.clock.Advance(time.Hour)
	r.settleAdvancing()
	posts, _ := r.issuerCalls(ref, from)
	if len(posts) != 1 {
		t.Errorf("%d purchase requests, want the 1 refused", len(posts))
	}
	for _, p := range posts {
		if p.Status != 422 {
			t.Errorf("purchase request answered %d, want 422", p.Status)
		}
	}
	r.noPurchases(alice)
	if rs := r.repliesTo(confirm.ID); len(rs) != 0 {
		t.Errorf("the cardholder was told %+v about a parked order", rs)
	}
}

// TestIssuer422AfterThePurchaseSettlesByReference: the issuer makes
// alice's purchase and answers 422 (as it would to a POST whose body
// changed since, after a restore). A 422 is never an outcome
// (conversation.md): the purchase found under her order's reference
// settles it, she is charged once and gets one receipt, nothing parks.
func TestIssuer422AfterThePurchaseSettlesByReference(t *testing.T) {
	eachAPI(t, func(t *testing.T, api string) {
		r := newRig(t, api)
		buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
		r.settle()
		req := r.reply(buy.ID)
		ref := orderIn(t, req.Text)
		r.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 422, AfterCommit: true})
		confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
		r.settleAdvancing()
		o, err := r.d.DB.Order(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if o.State != conversations.Paid {
			t.Fatalf("order %s is %s, want paid from the purchase found by reference", ref, o.State)
		}
		r.charged(alice, 1)
		if rs := r.repliesTo(confirm.ID); len(rs) != 1 || !strings.Contains(rs[0].Text, "Done!") {
			t.Errorf("alice was answered %+v, want one receipt", rs)
		}
	})
}

// TestIssuerLookupAnswersOtherReferences: the outcome of alice's purchase
// POST is lost (the client times out after the issuer made it, or before
// it made anything), and every look-up by her order's reference answers
// bob's purchase instead, outside the contract. Bob's purchase is not
// hers: an ALERT is logged, it is ignored, and her outcome is settled by
// the POST again with the same key. She is charged exactly once and gets
// one receipt; her order is not parked.
func TestIssuerLookupAnswersOtherReferences(t *testing.T) {
	eachAPI(t, testIssuerLookupAnswersOtherReferences)
}

func testIssuerLookupAnswersOtherReferences(t *testing.T, api string) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name string
		lost issuersandbox.Fault // what happens to the first POST
	}{
		{"timeout after the work", issuersandbox.Fault{AfterCommit: true, Hang: 10 * timeout}},
		{"timeout before any work", issuersandbox.Fault{Hang: 10 * timeout, Status: 503}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, rigOption(func(c *cfgT) { c.Issuer.Timeout = timeout }))
			bobs := r.buyAndConfirm(bob, "#BuyGiftCard", "#ConfirmGiftCard") // someone else's purchase at the issuer
			buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
			r.settle()
			req := r.reply(buy.ID)
			ref := orderIn(t, req.Text)
			from := len(r.iss.Requests())
			lost := tt.lost
			lost.Method, lost.Path = "POST", "/v1/purchases"
			r.iss.InjectFault(lost)
			r.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", OtherReferences: true, Times: 1000})
			confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", req.ID)
			r.settleAdvancing()

			if o := r.order(ref); o.State != conversations.Paid {
				t.Fatalf("order %s is %s, want paid", ref, o.State)
			}
			receipt := r.reply(confirm.ID)
			mustContain(t, "receipt", receipt.Text, "Done!", ref)
			ps := r.purchases(alice)
			if len(ps) != 1 || ps[0].Status != issuersandbox.StatusApproved || ps[0].Reference != ref {
				t.Fatalf("alice's purchases = %+v, want one approved for %s", ps, ref)
			}
			mustContain(t, "receipt", receipt.Text, ps[0].ID)
			posts, seq := r.issuerCalls(ref, from)
			if len(posts) != 2 || !strings.HasPrefix(seq, "LPLP") {
				t.Errorf("issuer calls %s, %d POSTs; want a look-up before each of the two POSTs", seq, len(posts))
			}
			for _, p := range posts {
				if p.IdempotencyKey != conversations.IdempotencyKey(ref) {
					t.Errorf("a purchase request carried key %q", p.IdempotencyKey)
				}
			}
			if !strings.Contains(r.logs.String(), "alert=issuer_other_reference") {
				t.Error("no alert=issuer_other_reference logged")
			}
			r.charged(bob, 1)
			r.checkRig(map[int64]int64{confirm.ID: alice.ID, bobs.InReplyTo: bob.ID}, expectations{})
		})
	}
}

// TestOtherReferencesOnceTheKeyMayBeForgotten: as above, but a day passes
// after alice's lost POST, so the issuer may have forgotten her order's
// key (the contract keeps keys 24 hours). A look-up that answers only
// other orders' purchases then proves nothing, and a POST could make a
// second purchase: the order waits, asking again, and no purchase is
// asked for until a look-up answers for her reference. Then she is
// charged exactly once.
func TestOtherReferencesOnceTheKeyMayBeForgotten(t *testing.T) {
	eachAPI(t, testOtherReferencesOnceTheKeyMayBeForgotten)
}

// putOffLine is what the charger logs when it puts an order off until a
// later attempt.
const putOffLine = "charge outcome not known yet; will settle it with the same key"

func testOtherReferencesOnceTheKeyMayBeForgotten(t *testing.T, api string) {
	const timeout = 300 * time.Millisecond
	for _, tt := range []struct {
		name string
		lost issuersandbox.Fault
	}{
		{"timeout after the work", issuersandbox.Fault{AfterCommit: true, Hang: 10 * timeout}},
		{"timeout before any work", issuersandbox.Fault{Hang: 10 * timeout, Status: 503}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, api, rigOption(func(c *cfgT) { c.Issuer.Timeout = timeout }))
			bobs := r.buyAndConfirm(bob, "#BuyGiftCard", "#ConfirmGiftCard")
			buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
			r.settle()
			ref := orderIn(t, r.reply(buy.ID).Text)
			from := len(r.iss.Requests())
			lost := tt.lost
			lost.Method, lost.Path = "POST", "/v1/purchases"
			r.iss.InjectFault(lost)
			r.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/purchases", OtherReferences: true, Times: 1000})
			confirm := r.tweet(alice, "@AmexOffers #ConfirmGiftCard", r.reply(buy.ID).ID)
			r.d.Bot.PollNow()
			waitFor(t, 60*time.Second, "alice's first purchase request to be lost", func() bool {
				return strings.Contains(r.logs.String(), putOffLine)
			})

			r.clock.Advance(25 * time.Hour)
			for range 3 {
				_, seq := r.issuerCalls(ref, from)
				putOff := strings.Count(r.logs.String(), putOffLine)
				r.clock.Advance(2 * time.Minute)
				// A look-up, and the order put off again after it, before
				// the clock moves on: the charger counts its wait from the
				// clock it reads once the answer is in.
				waitFor(t, 60*time.Second, "another look-up by alice's reference, and the order put off after it", func() bool {
					_, now := r.issuerCalls(ref, from)
					return strings.Count(now, "L") > strings.Count(seq, "L") && strings.Count(r.logs.String(), putOffLine) > putOff
				})
			}
			if posts, seq := r.issuerCalls(ref, from); len(posts) != 1 {
				t.Fatalf("issuer calls %s: %d purchase requests once the key may be forgotten, want only the lost first one", seq, len(posts))
			}
			if o := r.order(ref); o.State != conversations.Confirmed {
				t.Fatalf("order %s is %s while the issuer cannot say, want confirmed", ref, o.State)
			}

			r.iss.ClearFaults() // the issuer answers truly again
			r.settleAdvancing()
			if o := r.order(ref); o.State != conversations.Paid {
				t.Fatalf("order %s is %s, want paid", ref, o.State)
			}
			if ps := r.purchases(alice); len(ps) != 1 || ps[0].Reference != ref {
				t.Fatalf("alice's purchases = %+v, want exactly one, for %s", ps, ref)
			}
			mustContain(t, "receipt", r.reply(confirm.ID).Text, "Done!", ref)
			r.checkRig(map[int64]int64{confirm.ID: alice.ID, bobs.InReplyTo: bob.ID}, expectations{})
		})
	}
}
