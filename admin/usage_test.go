package admin

import (
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

func TestUsageRows(t *testing.T) {
	counts := []storage.UsageCount{
		{Day: "2026-11-27", Kind: "mention_read", Count: 300},
		{Day: "2026-11-27", Kind: "reply", Count: 4},
		{Day: "2026-11-27", Kind: "post_with_url", Count: 1},
		{Day: "2026-11-27", Offer: "gift-card", Kind: "mention_read", Count: 4},
		{Day: "2026-11-27", Offer: "gift-card", Kind: "reply", Count: 4},
		{Day: "2026-11-28", Kind: "dm_read", Count: 100},
	}
	paid := []storage.PaidCount{{Day: "2026-11-27", Offer: "gift-card", Count: 2}}
	rows := UsageRows(counts, paid)
	want := []struct {
		day, offer, cost, perPaid string
		paid                      int64
	}{
		// 300 reads at 0.001, 4 replies at 0.010, a post with a URL at 0.20.
		{"2026-11-27", "", "0.540", "0.270", 2},
		{"2026-11-27", "gift-card", "0.044", "0.022", 2},
		// The first poll of a day reads a page of DMs again: 1.00.
		{"2026-11-28", "", "1.000", "", 0},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v", rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Day != w.day || r.Offer != w.offer || r.Cost != w.cost || r.CostPerPaid != w.perPaid || r.Paid != w.paid {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	var out strings.Builder
	if err := WriteUsage(&out, rows, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.HasPrefix(lines[0], "DAY") || !strings.Contains(lines[0], "MENTION_READ") || !strings.Contains(lines[0], "COST/PAID") {
		t.Errorf("header = %q", lines[0])
	}
	// DAY, OFFER, a count per usage kind, COST USD, PAID, COST/PAID.
	cols, cost := len(twitterapi.Usages)+5, len(twitterapi.Usages)+2
	if f := strings.Fields(lines[1]); len(f) != cols || f[1] != "(all)" || f[2] != "300" || f[cost] != "0.540" || f[cols-1] != "0.270" {
		t.Errorf("first row = %q", lines[1])
	}
	if f := strings.Fields(lines[3]); len(f) != cols || f[cols-1] != "-" {
		t.Errorf("a day without purchases = %q", lines[3])
	}
}

// TestEveryUsageHasAPrice: a kind the bot counts but the report does not
// price would make its estimate too low without a word.
func TestEveryUsageHasAPrice(t *testing.T) {
	for _, u := range twitterapi.Usages {
		if prices[u] <= 0 {
			t.Errorf("usage %q has no price", u)
		}
	}
	if len(prices) != len(twitterapi.Usages) {
		t.Errorf("%d prices for %d usage kinds", len(prices), len(twitterapi.Usages))
	}
}
