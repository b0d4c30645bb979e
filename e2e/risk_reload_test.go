package e2e

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
)

// TestRetriedPurchaseKeepsItsRisk: the risk rules' outcome is stored with
// the order when its confirmation is decided and never recomputed. alice
// confirms a gift card over the approval threshold; the issuer holds her
// POST and then answers 503, and meanwhile the admin reloads risk: with a
// threshold the gift card is under. The POST tried again is the same
// body, byte for byte (approval required, the same reasons and signals);
// her next purchase, decided after the reload, needs no approval.
func TestRetriedPurchaseKeepsItsRisk(t *testing.T) { eachAPI(t, testRetriedPurchaseKeepsItsRisk) }

func testRetriedPurchaseKeepsItsRisk(t *testing.T, api string) {
	// The charger must not give the held POST up before the test releases
	// it: a timeout would be retried after a look-up, not the 503.
	r := newRig(t, api, withRisk(func(k *config.Risk) { k.ApprovalOver = usd(20_00) }),
		rigOption(func(c *cfgT) { c.Issuer.Timeout = time.Minute }))
	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release) // before the daemon stops, should the test fail while held
	r.iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Status: 503, Hold: hold})
	req, ref := r.ask(alice, "#BuyGiftCard")
	r.say(alice, "#ConfirmGiftCard", req.ID)
	r.await("alice's POST held at the issuer", func() bool { return r.iss.Held() == 1 })

	reloaded := *r.cfg
	reloaded.Risk.ApprovalOver = usd(1000_00)
	r.d.SetConfig(&reloaded)
	release()

	p := r.pendingApproval(ref)
	r.checkAsked(p, conversations.ReasonAmount)
	posts, _ := r.issuerCalls(ref, 0)
	if len(posts) != 2 {
		t.Fatalf("%d POSTs for %s, want the one the issuer refused and its retry", len(posts), ref)
	}
	if posts[0].Status != 503 {
		t.Errorf("the first POST was answered %d, want the 503 injected", posts[0].Status)
	}
	if !bytes.Equal(posts[0].Body, posts[1].Body) {
		t.Errorf("the retried POST changed its body after the reload:\nfirst %s\nretry %s", posts[0].Body, posts[1].Body)
	}
	r.approve(p)
	r.await("alice's purchase approved", func() bool {
		return len(r.purchases(alice)) == 1 && r.purchases(alice)[0].Status == issuersandbox.StatusApproved
	})

	// Decided after the reload: under the new threshold, no approval.
	next := r.pay(alice, "#BuyGiftCard", "#ConfirmGiftCard")
	r.checkNotAsked(next.Reference)
}
