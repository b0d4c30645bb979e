package admin

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// UsageRow is one day's use of the Twitter API, in all (Offer "") or for
// one offer, with what it would cost on X's pay-per-use API.
type UsageRow struct {
	Day    string           `json:"day"`
	Offer  string           `json:"offer"` // "" for the day in all
	Counts map[string]int64 `json:"counts"`
	// CostMillis is the estimated cost in thousandths of a US dollar;
	// Cost the same as a decimal string, such as "0.022".
	CostMillis int64  `json:"cost_usd_millis"`
	Cost       string `json:"cost_usd"`
	Paid       int64  `json:"paid_purchases"`
	// CostPerPaid is Cost divided by Paid, "" when nothing was paid.
	CostPerPaid string `json:"cost_per_paid_purchase_usd,omitempty"`
}

// prices is what X's pay-per-use API charges for one resource of each
// kind, in thousandths of a US dollar (twitter-api-v2.md, 2026 prices;
// for estimates only): reading the bot's own mentions or posts 0.001, a
// DM event 0.010, a user looked up 0.010 (docs.x.com's pricing page,
// "User: Read", per resource), creating a post 0.015 (a reply to a post
// that mentioned the bot 0.010, a post with a URL 0.20), a DM 0.015; a
// pushed post event 0.005 and DM event 0.010 (twitter-push.md). A kind
// not listed costs nothing.
var prices = map[twitterapi.Usage]int64{
	twitterapi.UsageMentionRead: 1, twitterapi.UsageOwnTweetRead: 1,
	twitterapi.UsageDMRead: 10, twitterapi.UsageUserRead: 10, twitterapi.UsageReply: 10,
	twitterapi.UsagePost: 15, twitterapi.UsageDMSent: 15,
	twitterapi.UsagePostWithURL: 200,
	twitterapi.UsagePushPost:    5, twitterapi.UsagePushDM: 10,
}

// UsageRows turns the stored counts into rows, each day's total first,
// then its offers in order.
func UsageRows(counts []storage.UsageCount, paid []storage.PaidCount) []UsageRow {
	type key struct{ day, offer string }
	rows := map[key]*UsageRow{}
	row := func(day, offer string) *UsageRow {
		k := key{day, offer}
		if rows[k] == nil {
			rows[k] = &UsageRow{Day: day, Offer: offer, Counts: map[string]int64{}}
		}
		return rows[k]
	}
	for _, c := range counts {
		r := row(c.Day, c.Offer)
		r.Counts[c.Kind] += c.Count
		r.CostMillis += c.Count * prices[twitterapi.Usage(c.Kind)]
	}
	for _, p := range paid {
		row(p.Day, p.Offer).Paid += p.Count
		row(p.Day, "").Paid += p.Count
	}
	out := make([]UsageRow, 0, len(rows))
	for _, r := range rows {
		r.Cost = millis(r.CostMillis)
		if r.Paid > 0 {
			r.CostPerPaid = millis((r.CostMillis + r.Paid/2) / r.Paid)
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Day != out[j].Day {
			return out[i].Day < out[j].Day
		}
		return out[i].Offer < out[j].Offer
	})
	return out
}

func millis(v int64) string { return fmt.Sprintf("%d.%03d", v/1000, v%1000) }

// WriteUsage writes usage rows as aligned text, or as a JSON array.
func WriteUsage(w io.Writer, rows []UsageRow, asJSON bool) error {
	if asJSON {
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"DAY", "OFFER"}
	for _, u := range twitterapi.Usages {
		head = append(head, strings.ToUpper(string(u)))
	}
	fmt.Fprintln(tw, strings.Join(append(head, "COST USD", "PAID", "COST/PAID"), "\t"))
	for _, r := range rows {
		offer := r.Offer
		if offer == "" {
			offer = "(all)"
		}
		cells := []string{r.Day, offer}
		for _, u := range twitterapi.Usages {
			cells = append(cells, fmt.Sprint(r.Counts[string(u)]))
		}
		cells = append(cells, r.Cost, fmt.Sprint(r.Paid), dash(r.CostPerPaid))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	fmt.Fprintln(tw, "Estimated at X's pay-per-use prices (docs/operations.md, \"What a purchase costs on X\"): an offer's rows count only what belongs to its orders.")
	return tw.Flush()
}
