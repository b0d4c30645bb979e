package e2e

import (
	"context"
	"testing"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/config"
)

// TestUsageCountsWhatAPurchaseCosts: a purchase by tweet and one by DM,
// counted read by read and post by post, priced at X's pay-per-use
// rates: per offer, and per paid purchase.
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
}
