package admin

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paybytweet/paybytweet/storage"
)

// InboxRow is one stored mention or DM as listed.
type InboxRow struct {
	ID         int64  `json:"id"` // what `paybytweet inbox retry` takes
	State      string `json:"state"`
	Channel    string `json:"channel"`
	MessageID  string `json:"message_id"`      // a string, as Twitter's id_str
	UserID     string `json:"twitter_user_id"` // a string, as Twitter's id_str
	ScreenName string `json:"screen_name,omitempty"`
	Posted     string `json:"posted"`
	Text       string `json:"text"`
	Action     string `json:"action,omitempty"` // what was decided, once done
	Attempts   int    `json:"attempts"`
	LastError  string `json:"last_error,omitempty"`
}

func inboxRow(m storage.InboxMessage) InboxRow {
	return InboxRow{
		ID: m.ID, State: m.State, Channel: string(m.Channel), MessageID: strconv.FormatInt(m.Inbound.ID, 10),
		UserID: strconv.FormatInt(m.UserID, 10), ScreenName: m.ScreenName, Posted: m.PostedAt.UTC().Format(time.RFC3339),
		Text: m.Text, Action: m.Action, Attempts: m.Attempts, LastError: m.LastError,
	}
}

// WriteInbox writes stored messages as aligned text, or as a JSON array.
func WriteInbox(w io.Writer, msgs []storage.InboxMessage, asJSON bool) error {
	rows := make([]InboxRow, 0, len(msgs))
	for _, m := range msgs {
		rows = append(rows, inboxRow(m))
	}
	if asJSON {
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCHANNEL\tMESSAGE\tUSER\tPOSTED\tATTEMPTS\tTEXT\tACTION OR ERROR")
	for _, r := range rows {
		outcome := r.Action
		if r.LastError != "" && r.State != storage.InboxDone {
			outcome = r.LastError
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.State, r.Channel, r.MessageID, userLabel(r.UserID, r.ScreenName), r.Posted, r.Attempts,
			oneLine(r.Text, 40), oneLine(outcome, 80))
	}
	return tw.Flush()
}

// oneLine keeps a table row on one line and within n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
