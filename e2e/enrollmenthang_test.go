package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// TestConfirmationWhileEnrollmentLookupsHang: alice has a pending request
// when the issuer's enrollment endpoint starts to hang past the client's
// timeout; 80 other buyers' buy tweets are read before her confirmation,
// which she posts inside her window. The outage outlasts the window. A
// confirmation needs no enrollment look-up, so it is decided as soon as
// it is read (contracts/conversation.md, "Expiry"): she is charged once
// and gets her receipt while the look-ups still hang and no other buyer
// has been answered.
func TestConfirmationWhileEnrollmentLookupsHang(t *testing.T) {
	eachAPI(t, testConfirmationWhileEnrollmentLookupsHang)
}

func testConfirmationWhileEnrollmentLookupsHang(t *testing.T, api string) {
	const (
		window  = 5 * time.Second
		buyers  = 80
		timeout = time.Second // each look-up waits this long before it fails
	)
	r := newRig(t, api, rigOption(func(c *cfgT) {
		c.Confirmation.Window = window
		c.Issuer.Timeout = timeout
	}))
	buy := r.tweet(alice, "@AmexOffers #BuyGiftCard")
	r.settle()
	req := r.reply(buy.ID)
	ref := orderIn(t, req.Text)

	// The outage begins, and lasts beyond the end of the test. The other
	// buyers tweet without moving the clock: alice's window is short.
	r.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/enrollments", Hang: time.Hour, Status: 503, Times: 1 << 30})
	from := len(r.iss.Requests())
	others := r.otherBuyers(buyers)
	confirm, err := r.tw.PostTweet(alice.ID, "@AmexOffers #ConfirmGiftCard", twitteremu.TweetOptions{InReplyTo: req.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !confirm.CreatedAt.Before(req.CreatedAt.Add(window)) {
		t.Fatalf("the test needs the confirmation (%s) inside the window of the request (%s)", confirm.CreatedAt, req.CreatedAt)
	}
	r.d.Bot.PollNow()

	// The look-ups hang; then the outage outlasts alice's window.
	waitFor(t, 30*time.Second, "the enrollment look-ups to hang", func() bool { return r.enrollmentLookups(from, 0) > 0 })
	r.clock.Advance(2 * window)

	waitFor(t, 60*time.Second, "alice's receipt", func() bool { return len(r.repliesTo(confirm.ID)) > 0 })
	for _, o := range others {
		if rs := r.repliesTo(o.ID); len(rs) > 0 {
			t.Fatalf("buyer %d was answered %+v although every enrollment look-up hangs", o.AuthorID, rs)
		}
	}
	receipt := r.reply(confirm.ID)
	mustContain(t, "receipt", receipt.Text, "Done!", ref)
	ps := r.purchases(alice)
	if len(ps) != 1 || ps[0].Status != issuersandbox.StatusApproved || ps[0].Reference != ref {
		t.Fatalf("alice's purchases = %+v, want one approved for %s", ps, ref)
	}
	mustContain(t, "receipt", receipt.Text, ps[0].ID)
	if n := r.enrollmentLookups(from, 200); n > 0 {
		t.Errorf("%d enrollment look-ups were answered during the outage", n)
	}
}

// otherBuyers has n new cardholders tweet the gift card's buy hashtag,
// without moving the clock, and returns their tweets.
func (r *rig) otherBuyers(n int) []twitteremu.Tweet {
	r.t.Helper()
	var tweets []twitteremu.Tweet
	for i := range n {
		u := twitteremu.User{ID: 7000000 + int64(i), ScreenName: fmt.Sprintf("buyer%d", i), Name: fmt.Sprintf("Buyer %d", i)}
		r.tw.AddUser(u)
		tw, err := r.tw.PostTweet(u.ID, "@AmexOffers #BuyGiftCard", twitteremu.TweetOptions{})
		if err != nil {
			r.t.Fatal(err)
		}
		tweets = append(tweets, tw)
	}
	return tweets
}

// enrollmentLookups counts the issuer's enrollment requests since the
// from-th request that were answered with status (0: not answered yet).
func (r *rig) enrollmentLookups(from, status int) int {
	n := 0
	for _, q := range r.iss.Requests()[from:] {
		if strings.HasPrefix(q.Path, "/v1/enrollments") && q.Status == status {
			n++
		}
	}
	return n
}
