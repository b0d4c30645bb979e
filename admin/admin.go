// Package admin holds the commands an admin runs beside the daemon, on
// the same configuration and database: listing orders, the live state of
// offers, and refunds. Output is aligned text, or JSON for scripts.
package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/money"
	"github.com/paybytweet/paybytweet/storage"
)

// OrderRow is one order as listed.
type OrderRow struct {
	ID             string `json:"id"`
	State          string `json:"state"`
	Offer          string `json:"offer"`
	UserID         string `json:"twitter_user_id"` // a string, as Twitter's id_str: ids exceed float64
	ScreenName     string `json:"screen_name"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	RefundedAmount int64  `json:"refunded_amount"`
	Created        string `json:"created"`
	Purchase       string `json:"purchase,omitempty"`
	DeclineCode    string `json:"decline_code,omitempty"`
	Channel        string `json:"channel"`
	// Approval is where the cardholder's approval at the issuer stands
	// (pending, approved, declined, expired); RiskRules the risk rules
	// that applied to the order, a refusing one included.
	Approval        string   `json:"approval,omitempty"`
	ApprovalExpires string   `json:"approval_expires,omitempty"`
	RiskRules       []string `json:"risk_rules,omitempty"`
	Note            string   `json:"note,omitempty"` // why a parked or failed order is so
}

// PendingApproval is how orders shows, and -state selects, a confirmed
// order whose purchase waits for the cardholder's approval.
const PendingApproval = "pending_approval"

func orderRow(o conversations.Order) OrderRow {
	return OrderRow{
		ID: o.ID, State: string(o.State), Offer: o.OfferID, UserID: strconv.FormatInt(o.UserID, 10), ScreenName: o.ScreenName,
		Amount: o.Amount, Currency: o.Currency, RefundedAmount: o.RefundedAmount, Created: o.CreatedAt.UTC().Format(time.RFC3339),
		Purchase: o.PurchaseID, DeclineCode: o.DeclineCode, Channel: string(o.Channel),
		Approval: o.Approval.Status, ApprovalExpires: formatTime(o.Approval.Expires), RiskRules: o.Risk.Rules,
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// WriteOrders writes orders as aligned text, or as a JSON array, with
// each order's note (see OrderNotes) where it has one.
func WriteOrders(w io.Writer, orders []conversations.Order, notes map[string]string, asJSON bool) error {
	rows := make([]OrderRow, 0, len(orders))
	for _, o := range orders {
		r := orderRow(o)
		r.Note = notes[o.ID]
		rows = append(rows, r)
	}
	if asJSON {
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tSTATE\tOFFER\tUSER\tAMOUNT\tREFUNDED\tCREATED\tPURCHASE\tRISK\tNOTE")
	for _, r := range rows {
		refunded := ""
		if r.RefundedAmount > 0 {
			refunded = money.Format(r.RefundedAmount, r.Currency)
		}
		state := r.State
		if r.State == string(conversations.Confirmed) && r.Approval == conversations.ApprovalPending {
			state = PendingApproval
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, state, r.Offer, userLabel(r.UserID, r.ScreenName),
			money.Format(r.Amount, r.Currency), refunded, r.Created, r.Purchase, riskText(r), r.Note)
	}
	return tw.Flush()
}

// OfferRow is one offer's live state.
type OfferRow struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Status   string `json:"status"` // scheduled, active, ended or sold_out
	Price    int64  `json:"price"`
	Currency string `json:"currency"`
	Quantity *int64 `json:"quantity"` // null: unlimited
	Reserved int64  `json:"reserved"`
	Sold     int64  `json:"sold"`
	Revenue  int64  `json:"revenue"`
	Starts   string `json:"starts,omitempty"`
	Ends     string `json:"ends,omitempty"`
}

// OfferRows combines the configured offers with their stock in the
// database, as of now. Offers that are no longer configured but have
// orders are listed too, as "removed".
func OfferRows(cfg *config.Config, stats map[string]storage.OfferStats, now time.Time) []OfferRow {
	var rows []OfferRow
	seen := map[string]bool{}
	for _, o := range cfg.Offers {
		seen[o.ID] = true
		s := stats[o.ID]
		status := conversations.Availability(o, s.Reserved+s.Sold, now)
		switch status {
		case "":
			status = "active"
		case "not_started":
			status = "scheduled"
		}
		r := OfferRow{ID: o.ID, Title: o.Title, Status: status, Price: o.Price, Currency: o.Currency, Quantity: o.Quantity,
			Reserved: s.Reserved, Sold: s.Sold, Revenue: s.Revenue}
		if !o.Starts.IsZero() {
			r.Starts = o.Starts.UTC().Format(time.RFC3339)
		}
		if !o.Ends.IsZero() {
			r.Ends = o.Ends.UTC().Format(time.RFC3339)
		}
		rows = append(rows, r)
	}
	for id, s := range stats {
		if !seen[id] {
			rows = append(rows, OfferRow{ID: id, Status: "removed", Currency: s.Currency, Reserved: s.Reserved, Sold: s.Sold, Revenue: s.Revenue})
		}
	}
	return rows
}

// WriteOffers writes offer rows as aligned text, or as a JSON array.
func WriteOffers(w io.Writer, rows []OfferRow, asJSON bool) error {
	if asJSON {
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OFFER\tSTATUS\tPRICE\tQUANTITY\tRESERVED\tSOLD\tREVENUE\tSTARTS\tENDS")
	for _, r := range rows {
		q := "unlimited"
		if r.Quantity != nil {
			q = strconv.FormatInt(*r.Quantity, 10)
		}
		price := ""
		if r.Status != "removed" {
			price = money.Format(r.Price, r.Currency)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.ID, r.Status, price, q, r.Reserved, r.Sold,
			money.Format(r.Revenue, r.Currency), dash(r.Starts), dash(r.Ends))
	}
	return tw.Flush()
}

// userLabel is how a table shows a cardholder: the numeric id, which is
// who they are, with the handle after it where the bot knows one. A
// cardholder who only ever wrote by direct message has none: their DMs
// carry no screen name.
func userLabel(id, screenName string) string {
	if screenName == "" {
		return id
	}
	return id + " (@" + screenName + ")"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// riskText is the RISK column: the rules that applied, and how the
// cardholder's approval went.
func riskText(r OrderRow) string {
	parts := append([]string(nil), r.RiskRules...)
	// An approval still pending is news only while the order waits for
	// it: a parked order waits for an admin instead.
	if r.Approval != "" && (r.Approval != "pending" || r.State == string(conversations.Confirmed)) {
		parts = append(parts, "approval "+r.Approval)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}
