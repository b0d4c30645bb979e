//go:build crashpoint

package e2e

import (
	"syscall"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestDMCrashAfterPostWhileTheListLags: the daemon is killed right after
// Twitter made a DM, before it recorded it, and restarted at once, while
// Twitter's DM list still leaves that DM out (for less than the bot's
// PollLag, 2s by default). The new daemon must not take the DM list's
// silence for proof: bob gets the request once.
func TestDMCrashAfterPostWhileTheListLags(t *testing.T) {
	eachAPI(t, testDMCrashAfterPostWhileTheListLags)
}

func testDMCrashAfterPostWhileTheListLags(t *testing.T, api string) {
	w := newWorld(t, api)
	p := newDaemonProc(t, t.TempDir(), w.spec())
	w.tw.InjectFault(twitteremu.Fault{Endpoint: w.ep(twitterapi.CallDMList), DMListLag: 1900 * time.Millisecond, Times: -1})
	p.start(crashpoint.AfterPost)
	if _, err := w.tw.SendDM(bob.ID, botUser.ID, "#BuyGiftCard"); err != nil {
		t.Fatal(err)
	}
	if st := p.wait(20 * time.Second); !killedBy(st, syscall.SIGKILL) {
		t.Fatalf("the daemon exited with %v, want killed after its post", st)
	}
	p.start("")
	sent := func() bool {
		for _, m := range readOutbox(t, p.spec.DB) {
			if m.UserID == bob.ID && m.State == storage.OutboxSent {
				return true
			}
		}
		return false
	}
	waitFor(t, 20*time.Second, "the request recorded as sent", sent)
	var dms []twitteremu.DMEvent
	for _, e := range w.tw.DMs() {
		if e.SenderID == botUser.ID && e.RecipientID == bob.ID {
			dms = append(dms, e)
		}
	}
	if len(dms) != 1 {
		t.Errorf("bob got %d DMs, want the request once: %+v", len(dms), dms)
	}
	if _, st := p.term(10 * time.Second); !st.Success() {
		t.Errorf("after SIGTERM the daemon exited with %v", st)
	}
}
