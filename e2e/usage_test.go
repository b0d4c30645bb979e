package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestUsageCountsWhatAPurchaseCosts: a purchase by tweet and one by DM,
// counted read by read and post by post, priced at X's pay-per-use
// rates: per offer, and per paid purchase. The account a v1.1 DM buy
// looked up is kept: a later DM buy by the same cardholder, also a day
// later after a restart, looks nothing up.
func TestUsageCountsWhatAPurchaseCosts(t *testing.T) { eachAPI(t, testUsageCountsWhatAPurchaseCosts) }

func testUsageCountsWhatAPurchaseCosts(t *testing.T, api string) {
	r := newRig(t, api)
	// alice buys a gift card by tweet: her buy and confirmation are read
	// (0.001 each), the request and receipt are replies to posts that
	// mentioned the bot (0.010 each).
	mustContain(t, "receipt", r.buyAndConfirm(alice, "#BuyGiftCard", "#ConfirmGiftCard").Text, "Done!")
	// bob buys the Kindle by DM: his two DMs and the bot's two, which the
	// DM list returns too, are read (0.010 each); the bot's two are sent
	// (0.015 each).
	r.dm(bob, "#BuyKindleFireHD")
	r.settle()
	r.dm(bob, "yes")
	r.settle()
	mustContain(t, "receipt", r.lastDM(bob).Text, "Done!")

	counts, paid, err := r.d.DB.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]admin.UsageRow{}
	for _, row := range admin.UsageRows(counts, paid) {
		if row.Day != "2026-11-27" {
			t.Errorf("a row for %s, the rig's clock says 2026-11-27: %+v", row.Day, row)
		}
		rows[row.Offer] = row
	}
	want := map[string]struct {
		counts      map[string]int64
		cost        string
		paid        int64
		costPerPaid string
	}{
		"gift-card":      {map[string]int64{"mention_read": 2, "reply": 2}, "0.022", 1, "0.022"},
		"kindle-fire-hd": {map[string]int64{"dm_read": 4, "dm_sent": 2}, "0.070", 1, "0.070"},
		"":               {map[string]int64{"mention_read": 2, "reply": 2, "dm_read": 4, "dm_sent": 2}, "0.092", 2, "0.046"},
	}
	if api == config.APIv1 {
		// A v1.1 DM carries no account age: bob's buy looks his account
		// up once (0.010), for the risk rules; v2 gives it with the DM.
		w := want[""]
		w.counts = map[string]int64{"mention_read": 2, "reply": 2, "dm_read": 4, "dm_sent": 2, "user_read": 1}
		w.cost, w.costPerPaid = "0.102", "0.051"
		want[""] = w
	}
	for offer, w := range want {
		got, ok := rows[offer]
		if !ok {
			t.Errorf("no usage row for offer %q: %+v", offer, rows)
			continue
		}
		if len(got.Counts) != len(w.counts) || got.Cost != w.cost || got.Paid != w.paid || got.CostPerPaid != w.costPerPaid {
			t.Errorf("offer %q: %+v; want counts %v, cost %s, %d paid, %s each", offer, got, w.counts, w.cost, w.paid, w.costPerPaid)
		}
		for k, n := range w.counts {
			if got.Counts[k] != n {
				t.Errorf("offer %q: %d %s, want %d", offer, got.Counts[k], k, n)
			}
		}
	}

	// bob buys again by DM: at once, then a day later (when a look-up
	// would be paid for again: X counts a resource once a day) from a
	// restarted daemon. The account his first buy looked up is kept, so
	// neither looks it up again (contract: "looks the user up once ... and
	// keeps the answer").
	lookedUp := int64(0)
	if api == config.APIv1 {
		lookedUp = 1
	}
	checkLookups := func(when string) {
		t.Helper()
		if n := countRequests(r.tw.Requests(), r.ep(twitterapi.CallUser), 0); int64(n) != lookedUp {
			t.Errorf("%s: %d requests to %s, want %d: bob's account is looked up once and kept", when, n, r.ep(twitterapi.CallUser), lookedUp)
		}
		counts, paid, err := r.d.DB.Usage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		read := int64(0)
		for _, row := range admin.UsageRows(counts, paid) {
			if row.Offer == "" {
				read += row.Counts["user_read"]
			}
		}
		if read != lookedUp {
			t.Errorf("%s: %d user_read counted over the days, want %d", when, read, lookedUp)
		}
	}
	checkLookups("after bob's first buy")
	for _, later := range []bool{false, true} {
		when := "after bob's second DM buy"
		if later {
			r.clock.Advance(25 * time.Hour)
			r.restart()
			when = "after bob's DM buy a day later, to a restarted daemon"
		}
		r.askByDM(bob, "#BuyGiftCard")
		r.settle()
		checkLookups(when)
	}
}
