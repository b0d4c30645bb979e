package sandbox

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// pushEvents is the bot's count of pushed events by "type/outcome".
func pushEvents(t *testing.T, s *sandbox) map[string]int64 {
	t.Helper()
	f, err := s.d.DB.Figures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f.Counts["push_events"]
}

// TestPushAnswers: on v2 push is up by the time the sandbox says what
// runs, and says so; a tweet is answered from its pushed event with no
// poll asked by anyone (not the test, not the sandbox), and so are a DM
// and a form of the page, which waits for the answer by push, not by
// polling.
func TestPushAnswers(t *testing.T) {
	s, out := startServingWith(t, Options{API: config.APIv2})
	if on, healthy, why := s.d.Bot.PushState(); !on || !healthy {
		t.Fatalf("push on %v, healthy %v (%s); want it healthy once the sandbox runs", on, healthy, why)
	}
	if !strings.Contains(out.String(), "Push:     stream") {
		t.Errorf("the intro does not say push is on:\n%s", out)
	}
	polls := s.polls.Load()
	bob, alice := s.people[1], s.people[0]
	o := s.cfg.Offers[len(s.cfg.Offers)-1] // under the approval threshold

	// A tweet, and nothing but push to bring it: the bot's schedule polls
	// only every 30 s while push is healthy.
	start := time.Now()
	buy, _, err := s.tweet(bob, "#"+o.BuyHashtag)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return s.botSaidAfter(bob, buy.ID, "#"+o.ConfirmHashtag) }, "the bot's answer to bob's pushed tweet")
	t.Logf("bob's tweet answered in %v", time.Since(start))
	if pe := pushEvents(t, s); pe["post.mention.create/new"] != 1 {
		t.Errorf("push events %v; want bob's mention stored by push, before any poll", pe)
	}

	// A DM, waited for as the prompt waits.
	asked := s.newestID()
	if err := s.dm(bob, "orders"); err != nil {
		t.Fatal(err)
	}
	if !s.settle(s.ctx, 10*time.Second) || !s.botSaidAfter(bob, asked, "") {
		t.Fatalf("the bot did not answer bob's DM")
	}

	// The page's form comes back with the answer.
	page := post(t, s.webURL+"/send", url.Values{"as": {"alice"}, "mode": {"tweet"}, "text": {"#" + o.BuyHashtag}})
	req, ok := s.lastBotTweetTo(alice)
	if id := orderIn(req.Text); !ok || id == "" || !strings.Contains(page, id) {
		t.Errorf("the page does not show the bot's request to alice %q", req.Text)
	}

	if n := s.polls.Load() - polls; n != 0 {
		t.Errorf("the sandbox had the bot poll %d times; push brings every message", n)
	}
	if pe := pushEvents(t, s); pe["post.mention.create/new"] != 2 || pe["dm.received/new"] != 1 {
		t.Errorf("push events %v; want two mentions and a DM stored by push", pe)
	}
}

// TestPushDownPolls: when push does not bring a message (a stalled
// stream, which still looks connected) or is down (the stream refused),
// the sandbox has the bot poll, and the answer still comes.
func TestPushDownPolls(t *testing.T) {
	s, _ := startServingWith(t, Options{API: config.APIv2})
	bob := s.people[1]
	o := s.cfg.Offers[len(s.cfg.Offers)-1]
	polls := s.polls.Load()

	s.tw.StallStreams()
	start := time.Now()
	buy, _, err := s.tweet(bob, "#"+o.BuyHashtag)
	if err != nil {
		t.Fatal(err)
	}
	if !s.waitUntil(s.ctx, 10*time.Second, func() bool { return s.botSaidAfter(bob, buy.ID, "") }) {
		t.Fatal("the bot did not answer bob's tweet while the stream stalled")
	}
	if took := time.Since(start); s.polls.Load() == polls || took < pushGrace {
		t.Errorf("answered in %v with %d polls; want a poll once push was late by %v", took, s.polls.Load()-polls, pushGrace)
	}

	if err := s.tw.InjectPushFault(twitteremu.PushFault{ConnectStatus: 503, Times: -1}); err != nil {
		t.Fatal(err)
	}
	s.tw.DropStreams()
	waitFor(t, func() bool { _, healthy, _ := s.d.Bot.PushState(); return !healthy }, "push to be down")
	polls = s.polls.Load()
	asked := s.newestID()
	if err := s.dm(bob, "orders"); err != nil {
		t.Fatal(err)
	}
	if !s.settle(s.ctx, 10*time.Second) || !s.botSaidAfter(bob, asked, "") {
		t.Fatal("the bot did not answer bob's DM while push was down")
	}
	if s.polls.Load() == polls {
		t.Error("push was down, and the sandbox did not have the bot poll")
	}
}
