package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

func TestAnnounceOnceAcrossRestarts(t *testing.T) { eachAPI(t, testAnnounceOnceAcrossRestarts) }

func testAnnounceOnceAcrossRestarts(t *testing.T, api string) {
	opens := time.Date(2026, 11, 27, 12, 30, 0, 0, time.UTC)
	r := newRig(t, api, rigOption(func(c *cfgT) {
		c.Offers[1].Starts = opens
		c.Offers[1].AnnounceAt = opens
		c.Schedules.Announce = "@every 1s"
	}))
	announcements := func() []twitteremu.Tweet {
		var out []twitteremu.Tweet
		for _, tw := range r.tw.TweetsBy(botUser.ID) {
			if tw.InReplyTo == 0 {
				out = append(out, tw)
			}
		}
		return out
	}
	r.awaitJob("announcements done")
	r.settle()
	if a := announcements(); len(a) != 0 {
		t.Fatalf("announced before the offer opened: %+v", a)
	}
	r.clock.Advance(31 * time.Minute)
	r.awaitJob("announcements done")
	r.settle()
	a := announcements()
	if len(a) != 1 {
		t.Fatalf("announcements = %+v, want 1", a)
	}
	mustContain(t, "announcement", a[0].Text, "Gift Card", "25.00 USD", "#BuyGiftCard")
	for i := 0; i < 2; i++ {
		r.restart()
		r.awaitJob("announcements done")
		r.settle()
	}
	if a := announcements(); len(a) != 1 {
		t.Errorf("announcements after restarts = %d, want 1", len(a))
	}
}

// enrollMany adds n enrolled cardholders to the rig.
func enrollMany(r *rig, n int) []twitteremu.User {
	users := make([]twitteremu.User, n)
	for i := range users {
		users[i] = twitteremu.User{ID: 5000000000 + int64(i), ScreenName: fmt.Sprintf("buyer%d", i)}
		r.tw.AddUser(users[i])
		r.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: id(users[i]), Cardholder: fmt.Sprintf("chd_%d", i), CardLast4: "4242", Status: "active"})
	}
	return users
}

func TestFiftyBuyersForThreeUnits(t *testing.T) { eachAPI(t, testFiftyBuyersForThreeUnits) }

func testFiftyBuyersForThreeUnits(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Offers[0].Quantity = qty(3) }))
	users := enrollMany(r, 50)
	buys := make([]twitteremu.Tweet, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tw, err := r.tw.PostTweet(u.ID, "@AmexOffers #BuyKindleFireHD", twitteremu.TweetOptions{})
			if err != nil {
				t.Error(err)
			}
			buys[i] = tw
		}()
	}
	wg.Wait()
	r.settle()
	var requests []twitteremu.Tweet
	soldOut := 0
	for i, u := range users {
		rep := r.reply(buys[i].ID)
		switch {
		case strings.Contains(rep.Text, "#ConfirmKindleFireHD"):
			requests = append(requests, rep)
		case strings.Contains(rep.Text, "sold out"):
			soldOut++
		default:
			t.Errorf("%s got %q", u.ScreenName, rep.Text)
		}
	}
	if len(requests) != 3 || soldOut != 47 {
		t.Fatalf("%d requests and %d sold-out answers, want 3 and 47", len(requests), soldOut)
	}
	// Everybody confirms at once, the 47 too: three purchases, no more.
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.tw.PostTweet(u.ID, "@AmexOffers #ConfirmKindleFireHD", twitteremu.TweetOptions{InReplyTo: buys[i].ID}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	r.settle()
	approved := 0
	for _, p := range r.iss.Purchases() {
		if p.Status == "approved" {
			approved++
		}
	}
	if approved != 3 || len(r.iss.Purchases()) != 3 {
		t.Errorf("purchases = %d (approved %d), want 3", len(r.iss.Purchases()), approved)
	}
	stats, _ := r.d.DB.OfferStats(context.Background())
	if s := stats["kindle-fire-hd"]; s.Sold != 3 || s.Reserved != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestQuantityLoweredDuringSales(t *testing.T) { eachAPI(t, testQuantityLoweredDuringSales) }

func testQuantityLoweredDuringSales(t *testing.T, api string) {
	r := newRig(t, api)
	r.buyAndConfirm(alice, "#BuyKindleFireHD", "#ConfirmKindleFireHD") // 1 sold
	bobBuy := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")             // 1 reserved
	r.settle()
	bobReq := r.reply(bobBuy.ID)
	// The admin lowers the quantity from 5 to 1, to what is sold: allowed.
	lower := *r.cfg
	lower.Offers = append([]config.Offer(nil), r.cfg.Offers...)
	lower.Offers[0].Quantity = qty(1)
	problems, err := r.d.CheckStock(context.Background(), &lower)
	if err != nil || len(problems) != 0 {
		t.Fatalf("CheckStock(1) = %v, %v", problems, err)
	}
	below := lower
	below.Offers = append([]config.Offer(nil), lower.Offers...)
	below.Offers[0].Quantity = qty(0)
	if problems, _ := r.d.CheckStock(context.Background(), &below); len(problems) != 1 || !strings.Contains(problems[0], "below the 1 units already sold") {
		t.Errorf("CheckStock(0) = %v, want one problem", problems)
	}
	r.d.Bot.SetConfig(&lower)
	// A newcomer finds it sold out; bob's request, made before, still stands.
	carolsTry := r.tweet(frankUser(r), "@AmexOffers #BuyKindleFireHD")
	r.settle()
	mustContain(t, "newcomer's answer", r.reply(carolsTry.ID).Text, "sold out")
	confirm := r.tweet(bob, "@AmexOffers #ConfirmKindleFireHD", bobReq.ID)
	r.settle()
	mustContain(t, "bob's receipt", r.reply(confirm.ID).Text, "Done")
}

// frankUser is one more enrolled cardholder.
func frankUser(r *rig) twitteremu.User {
	return enrollMany(r, 1)[0]
}
