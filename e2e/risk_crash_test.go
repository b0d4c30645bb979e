//go:build crashpoint

package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// TestApprovalCrashWhilePending: the daemon dies by SIGKILL while a
// purchase waits for the cardholder's approval (right after the issuer's
// 202, before the bot recorded it; or once the cardholder was told to
// approve), and a new one starts on the same database. The cardholder is
// told once to approve; once they approve at the issuer, they get one
// receipt; the issuer made one purchase from one POST: a pending purchase
// is settled by GET, never by a second POST.
func TestApprovalCrashWhilePending(t *testing.T) { eachAPI(t, testApprovalCrashWhilePending) }

func testApprovalCrashWhilePending(t *testing.T, api string) {
	tests := []struct{ name, crashAt string }{
		{"after the 202, before it is recorded", crashpoint.AfterChargeResponse},
		{"after the cardholder was told", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, api)
			// The issuer's own rule: the child daemon runs the rig's
			// configuration, which has no risk: section.
			w.iss.RequireApproval("chd_alice", true)
			p := newDaemonProc(t, t.TempDir(), w.spec())
			dms := func(word string) []twitteremu.DMEvent {
				var out []twitteremu.DMEvent
				for _, e := range w.tw.DMs() {
					if e.SenderID == botUser.ID && e.RecipientID == alice.ID && strings.Contains(e.Text, word) {
						out = append(out, e)
					}
				}
				return out
			}
			send := func(text string) {
				if _, err := w.tw.SendDM(alice.ID, botUser.ID, text); err != nil {
					t.Fatal(err)
				}
			}
			told := func(word string) func() bool { return func() bool { return len(dms(word)) > 0 } }

			p.start(tt.crashAt)
			send("#BuyGiftCard")
			waitFor(t, 20*time.Second, "alice's confirmation request", told("#ConfirmGiftCard"))
			ref := orderIDIn(dms("#ConfirmGiftCard")[0].Text)
			send("yes")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			pending, err := w.iss.WaitPending(ctx, 1)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			pur := pending[0]
			if pur.Reference != ref {
				t.Fatalf("pending purchase for %s, want %s", pur.Reference, ref)
			}
			if tt.crashAt != "" {
				if st := p.wait(20 * time.Second); !killedBy(st, syscall.SIGKILL) {
					t.Fatalf("the daemon exited with %v, want killed at %s", st, tt.crashAt)
				}
			} else {
				waitFor(t, 20*time.Second, "alice told to approve", told("approve"))
				p.kill()
			}
			p.start("")
			waitFor(t, 20*time.Second, "alice told to approve", told("approve"))
			if _, err := w.iss.Approve(pur.ID); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 20*time.Second, "alice's receipt", told("Done!"))
			mark := time.Now()
			waitFor(t, 20*time.Second, "the daemon to have nothing left to do", func() bool { return p.idleSince(mark) })
			if _, st := p.term(10 * time.Second); !st.Success() {
				t.Errorf("after SIGTERM the daemon exited with %v", st)
			}

			if n := len(dms("approve")); n != 1 {
				t.Errorf("alice was told %d times to approve, want once", n)
			}
			if n := len(dms("Done!")); n != 1 {
				t.Errorf("alice got %d receipts, want one", n)
			}
			var mine []issuersandbox.Purchase
			for _, q := range w.iss.Purchases() {
				if q.Cardholder == "chd_alice" {
					mine = append(mine, q)
				}
			}
			if len(mine) != 1 || mine[0].Status != issuersandbox.StatusApproved || mine[0].ID != pur.ID {
				t.Errorf("alice's purchases %+v, want %s alone, approved", mine, pur.ID)
			}
			posts := 0
			for _, q := range w.iss.Requests() {
				if q.Method == "POST" && q.Path == "/v1/purchases" && strings.Contains(string(q.Body), `"`+ref+`"`) {
					posts++
				}
			}
			if posts != 1 {
				t.Errorf("%d POSTs for %s, want one: a pending purchase is settled by GET", posts, ref)
			}
		})
	}
}
