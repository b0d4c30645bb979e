package e2e

import (
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// TestPendingApprovalThroughARestore: alice buys by DM over the approval
// threshold and confirms; her purchase waits for her approval at the
// issuer and she is told to approve. Then the disk is lost, and a backup
// from before her buy is restored: the database knows nothing of the
// order. The restored daemon reads her buy and "yes" again, finds its
// lost answers on Twitter, and finds her purchase at the issuer by its
// reference, pending: it follows it by GET, never a second POST. Once
// she approves, she gets one receipt; she was told once to approve.
func TestPendingApprovalThroughARestore(t *testing.T) {
	eachAPI(t, testPendingApprovalThroughARestore)
}

func testPendingApprovalThroughARestore(t *testing.T, api string) {
	r := newRig(t, api, withRisk(func(k *config.Risk) { k.ApprovalOver = usd(20_00) }),
		// The restored guard holds new posts for a settling delay longer
		// than the slower poll (wall clock): keep it to seconds.
		rigOption(func(c *cfgT) { c.Twitter.Poll.Mentions, c.Twitter.Poll.DirectMessages = "@every 2s", "@every 2s" }))
	backup := r.backUp()

	ref := r.askByDM(alice, "#BuyGiftCard")
	r.dm(alice, "yes")
	p := r.pendingApproval(ref)
	r.await("alice told to approve", func() bool { return len(dmsSaying(r, alice, "approve")) > 0 })

	r.loseDisk(backup)
	before := issuerReads(r, ref, p.ID)
	r.start()
	// Found by its reference, then looked at again while pending.
	r.await("the restored daemon to follow the pending purchase of "+ref, func() bool { return issuerReads(r, ref, p.ID) >= before+2 })
	r.approve(p)
	r.await("alice's receipt", func() bool { return len(dmsSaying(r, alice, "Done!")) > 0 })
	r.settle()

	if n := len(dmsSaying(r, alice, "approve")); n != 1 {
		t.Errorf("alice was told %d times to approve, want once", n)
	}
	if n := len(dmsSaying(r, alice, "Done!")); n != 1 {
		t.Errorf("alice got %d receipts, want one", n)
	}
	ps := r.purchases(alice)
	if len(ps) != 1 || ps[0].ID != p.ID || ps[0].Status != issuersandbox.StatusApproved {
		t.Errorf("alice's purchases %+v, want %s alone, approved", ps, p.ID)
	}
	if o := r.order(ref); o.State != conversations.Paid || o.PurchaseID != p.ID {
		t.Errorf("order %s is %s with purchase %q, want paid with %s", ref, o.State, o.PurchaseID, p.ID)
	}
	posts := 0
	for _, q := range r.iss.Requests() {
		if q.Method == "POST" && q.Path == "/v1/purchases" && strings.Contains(string(q.Body), `"`+ref+`"`) {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d POSTs for %s, want one: a pending purchase is settled by GET", posts, ref)
	}
}

// issuerReads counts the issuer's GETs about order ref or its purchase id.
func issuerReads(r *rig, ref, id string) int {
	n := 0
	for _, q := range r.iss.Requests() {
		if q.Method == "GET" && (strings.Contains(q.Query, ref) || strings.HasSuffix(q.Path, "/"+id)) {
			n++
		}
	}
	return n
}

// dmsSaying returns the bot's DMs to u that contain word.
func dmsSaying(r *rig, u twitteremu.User, word string) []twitteremu.DMEvent {
	var out []twitteremu.DMEvent
	for _, e := range r.dmsTo(u) {
		if strings.Contains(e.Text, word) {
			out = append(out, e)
		}
	}
	return out
}
