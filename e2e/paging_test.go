package e2e

// Paging that goes in a circle: a list whose next-page token comes back,
// or whose next page is no older than the one before. The emulator pages
// correctly, so a proxy between it and the daemon breaks the answers on
// the wire, as a faulty API (or one in the middle) would.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// circleProxy forwards every request to the emulator unchanged (the
// OAuth signature covers the Host header, which it keeps). While armed, it
// breaks the paging of the answers whose path ends in path: repeat makes a
// page's next token the token it was asked with; otherwise a request for
// a later page is answered with the first page again.
type circleProxy struct {
	path   string
	repeat bool
	armed  atomic.Bool
	hits   atomic.Int64 // requests to path while armed
	walks  atomic.Int64 // of which first pages: each starts a walk

	mu    sync.Mutex
	first []byte // the last first page, for the replay
}

// install starts the proxy in front of the rig's emulator: a rigOption.
func (p *circleProxy) install(t *testing.T) rigOption {
	return func(c *cfgT) {
		target, err := url.Parse(c.Twitter.APIURL)
		if err != nil {
			t.Fatal(err)
		}
		rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
		director := rp.Director
		rp.Director = func(r *http.Request) {
			director(r)
			r.Header.Del("Accept-Encoding") // bodies are rewritten as plain JSON
		}
		rp.ModifyResponse = p.modify
		srv := httptest.NewServer(rp)
		t.Cleanup(srv.Close)
		c.Twitter.APIURL = srv.URL + target.Path
	}
}

// tokenParams are the query parameters that ask for a later page.
var tokenParams = []string{"cursor", "max_id", "pagination_token"}

func (p *circleProxy) modify(resp *http.Response) error {
	req := resp.Request
	if !strings.HasSuffix(strings.TrimSuffix(req.URL.Path, ".json"), p.path) || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	token := ""
	for _, name := range tokenParams {
		if v := req.URL.Query().Get(name); v != "" {
			token = v
		}
	}
	p.mu.Lock()
	if token == "" {
		p.first = body
	}
	if p.armed.Load() {
		p.hits.Add(1)
		if token == "" {
			p.walks.Add(1)
		}
		switch {
		case p.repeat && token != "":
			body = withNextToken(body, token)
		case !p.repeat && token != "" && p.first != nil:
			body = p.first
		}
	}
	p.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// withNextToken sets the next-page token of a v1.1 DM list answer
// (next_cursor) or of any v2 list answer (meta.next_token).
func withNextToken(body []byte, token string) []byte {
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	if meta, ok := doc["meta"].(map[string]any); ok {
		meta["next_token"] = token
	} else {
		doc["next_cursor"] = token
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// TestPagingInACircleEndsTheWalk: a DM list whose next token comes back,
// and a mentions timeline whose next page is the first again, end that
// walk for this poll with a log line, after a bounded number of requests;
// the pages read are kept; once the API pages properly again, the next
// poll reads the rest, and everything is acted on once.
func TestPagingInACircleEndsTheWalk(t *testing.T) { eachAPI(t, testPagingInACircleEndsTheWalk) }

func testPagingInACircleEndsTheWalk(t *testing.T, api string) {
	lists := []struct {
		name   string
		call   twitterapi.Call
		path   map[string]string
		repeat bool
		page   map[string]int // the adapter's page size on each API
	}{
		{"DM token repeats", twitterapi.CallDMList, map[string]string{config.APIv1: "direct_messages/events/list", config.APIv2: "dm_events"}, true,
			map[string]int{config.APIv1: 50, config.APIv2: 100}},
		{"mentions page replayed", twitterapi.CallMentions, map[string]string{config.APIv1: "statuses/mentions_timeline", config.APIv2: "/mentions"}, false,
			map[string]int{config.APIv1: 200, config.APIv2: 100}},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			p := &circleProxy{path: l.path[api], repeat: l.repeat}
			r := newRig(t, api, p.install(t))
			dm := l.call == twitterapi.CallDMList
			send := func(u twitteremu.User, text string) {
				if dm {
					r.dm(u, text)
				} else {
					r.tweet(u, "@AmexOffers "+text)
				}
			}
			r.settle() // the first polls are done: nothing polls but the test
			// alice's buy is the oldest: on the last page. bob's is the
			// newest: on the first.
			send(alice, "#BuyGiftCard")
			n := l.page[api]*2 + l.page[api]/2
			for i := 0; i < n; i++ {
				send(carol, "note number "+itoa(i))
			}
			send(bob, "#BuyKindleFireHD")
			p.armed.Store(true)
			r.d.Bot.PollNow()
			// The walk stopped at the circle: the first page, the one that
			// went round, and no more. (The processor may start a walk of
			// its own meanwhile, when a message waits for the channel to be
			// read: each walk stops alike.)
			stopped := func() bool { return p.walks.Load() >= 1 && p.hits.Load() == 2*p.walks.Load() }
			for deadline := time.Now().Add(30 * time.Second); !stopped() && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond) // a walk the processor began may be under way
			}
			if !stopped() {
				t.Errorf("%d list requests in %d walks that went in a circle, want 2 a walk", p.hits.Load(), p.walks.Load())
			}
			mustContain(t, "log", r.logs.String(), "paging went in a circle")
			msgs, _ := r.d.DB.Inbox(context.Background(), "")
			if len(msgs) < l.page[api] || len(msgs) >= n+2 {
				t.Fatalf("stored %d messages after the circle, want the first page's (%d) kept and the rest unread", len(msgs), l.page[api])
			}
			// What was read is kept and acted on: bob's message, on the
			// first page, is stored and answered without waiting for the
			// walk to complete (a list may circle for good).
			stored := map[int64]bool{}
			for _, m := range msgs {
				stored[m.UserID] = true
			}
			if !stored[bob.ID] || stored[alice.ID] {
				t.Fatalf("stored bob's message %v, alice's %v; want bob's kept and alice's, behind the circle, unread", stored[bob.ID], stored[alice.ID])
			}
			answered := func(u twitteremu.User) bool {
				if dm {
					return len(r.dmsTo(u)) > 0
				}
				for _, tw := range r.tw.TweetsBy(botUser.ID) {
					if strings.HasPrefix(tw.Text, "@"+u.ScreenName+" ") {
						return true
					}
				}
				return false
			}
			waitFor(t, 60*time.Second, "bob's buy, read before the circle, to be answered", func() bool { return answered(bob) })

			// Paging works again: the next poll walks from the newest and
			// reads the rest.
			p.armed.Store(false)
			r.settle()
			msgs, _ = r.d.DB.Inbox(context.Background(), "")
			if len(msgs) != n+2 {
				t.Errorf("stored %d messages, want %d", len(msgs), n+2)
			}
			for _, u := range []twitteremu.User{alice, bob} {
				if !answered(u) {
					t.Errorf("%s's buy was never answered", u.ScreenName)
				}
			}
			r.checkRig(nil, expectations{})
		})
	}
}

// TestDMPageWhoseCursorRepeats: a DM list whose every later page comes
// back with the cursor it was asked with (for good, not for one poll)
// ends each walk there; a DM on that page, and the DMs that follow it,
// are still answered, each once, without waiting for paging to work again.
func TestDMPageWhoseCursorRepeats(t *testing.T) { eachAPI(t, testDMPageWhoseCursorRepeats) }

func testDMPageWhoseCursorRepeats(t *testing.T, api string) {
	page := map[string]int{config.APIv1: 50, config.APIv2: 100}[api] // the adapter's DM page size
	r := newRig(t, api)
	r.settle()
	// alice's buy is on the second page, the one whose cursor repeats.
	r.dm(alice, "#BuyGiftCard")
	for i := 0; i < page; i++ {
		r.dm(carol, "note number "+itoa(i))
	}
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallDMList), RepeatCursor: true, Times: -1})
	from := strings.Count(r.logs.String(), "paging went in a circle")
	r.d.Bot.PollNow()
	if strings.Count(r.logs.String(), "paging went in a circle") == from {
		t.Fatal("the walk did not end at the repeated cursor")
	}
	r.dmAnswered(alice, 1, "alice's buy, on the page whose cursor repeats")
	ref := orderIn(t, r.lastDM(alice).Text)

	// The DMs that follow: alice confirms, bob buys. The list still
	// repeats its cursors.
	confirm := r.dm(alice, "#ConfirmGiftCard")
	r.dm(bob, "#BuyKindleFireHD")
	r.d.Bot.PollNow()
	r.dmAnswered(bob, 1, "bob's buy, after the circle")
	r.dmAnswered(alice, 2, "alice's confirmation, after the circle")
	r.settle()

	if dms := r.dmsTo(alice); len(dms) != 2 {
		t.Errorf("alice was sent %d DMs, want the request and the receipt: %+v", len(dms), dms)
	} else {
		mustContain(t, "alice's receipt", dms[1].Text, "Done!", ref)
	}
	if dms := r.dmsTo(bob); len(dms) != 1 {
		t.Errorf("bob was sent %d DMs, want the request: %+v", len(dms), dms)
	}
	r.charged(alice, 1)
	r.noPurchases(bob)
	r.checkRig(map[int64]int64{confirm.ID: alice.ID}, expectations{})
}

// dmAnswered waits until the bot has sent u n DMs, and fails the test when
// that takes more than 15 seconds: a poll has read what it answers.
func (r *rig) dmAnswered(u twitteremu.User, n int, what string) {
	r.t.Helper()
	waitFor(r.t, 60*time.Second, what+" to be answered", func() bool { return len(r.dmsTo(u)) >= n })
}
