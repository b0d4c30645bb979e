package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestDeliver: what becomes of an outbox message after a post attempt is
// a function of the message and Twitter's answer, for every kind of
// answer; retries that back off land within the backoff's bounds.
func TestDeliver(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	rules := sendRules{pollLag: 2 * time.Second, tweetWindow: 3 * time.Hour, messages: (&config.Config{}).Messages()}
	twErr := func(k twitterapi.Kind) error { return &twitterapi.Error{Status: 403, Kind: k, Message: k.String()} }
	reply := storage.OutboxMessage{ID: 40, Channel: conversations.Tweet, UserID: 7, ScreenName: "alice", InReplyTo: 500, Kind: "help", Text: "@alice help", Attempts: 1}
	receipt := reply
	receipt.Kind, receipt.OrderID, receipt.Text = string(messages.Receipt), "ord_abc", "@alice Done! a long receipt for order ord_abc"
	minimal, _ := minimalText(receipt, twErr(twitterapi.KindTooLong))
	minimalReceipt := receipt
	minimalReceipt.Text = minimal
	dmReceipt := receipt
	dmReceipt.Channel, dmReceipt.InReplyTo, dmReceipt.Text = conversations.DM, 0, "Done! receipt for ord_abc"
	dmHelp := storage.OutboxMessage{ID: 41, Channel: conversations.DM, UserID: 7, Kind: "help", Text: "help text", Attempts: 1}
	tired := reply
	tired.Attempts = unexpectedTries
	order := conversations.Order{ID: "ord_abc", UserID: 7, ScreenName: "alice", OfferID: "gift-card"}
	post := storage.Post{ID: 900, At: now.Add(-time.Second)}
	reset := now.Add(7 * time.Minute)

	type want struct {
		sent      int64 // the post recorded; 0: none
		failed    bool
		notes     int
		at        time.Time // RetryAt; zero: not put off
		atMax     time.Time // when set, RetryAt is within [at, atMax]
		notPosted bool
		text      string
		unthread  bool
		pause     time.Time
		failedFor string // the bot is told of a failure
		says      string // a log line contains this
	}
	for _, tt := range []struct {
		name string
		m    storage.OutboxMessage
		a    postAnswer
		want want
	}{
		{"posted", reply, postAnswer{post: post}, want{sent: 900}},
		{"duplicate, and it is this reply", reply, postAnswer{err: twErr(twitterapi.KindDuplicate), found: true, foundPost: post}, want{sent: 900}},
		{"duplicate of an older tweet", reply, postAnswer{err: twErr(twitterapi.KindDuplicate)},
			want{at: now, notPosted: true, text: "@alice help ·14", says: "distinguishing suffix"}},
		{"duplicate, the search failed", reply, postAnswer{err: twErr(twitterapi.KindDuplicate), findErr: errors.New("timeout")},
			want{at: now.Add(time.Second), atMax: now.Add(2 * time.Second)}},
		{"reply to a deleted tweet", reply, postAnswer{err: twErr(twitterapi.KindGone)}, want{failed: true}},
		{"receipt replying to a deleted tweet: a mention instead", receipt, postAnswer{err: twErr(twitterapi.KindGone)},
			want{at: now, notPosted: true, unthread: true, says: "sending it as a mention"}},
		{"refused", reply, postAnswer{err: twErr(twitterapi.KindRefused)}, want{failed: true}},
		{"a receipt by DM refused: a public note", dmReceipt, postAnswer{err: twErr(twitterapi.KindRefused), order: order}, want{failed: true, notes: 1}},
		{"a receipt by DM refused, no screen name known", dmReceipt, postAnswer{err: twErr(twitterapi.KindRefused), order: conversations.Order{ID: "ord_abc"}},
			want{failed: true, says: "no screen name"}},
		{"a receipt by DM refused, its order unread", dmReceipt, postAnswer{err: twErr(twitterapi.KindRefused), orderErr: errors.New("disk")},
			want{at: now.Add(time.Minute), notPosted: true, says: "read the order"}},
		{"help by DM refused: no note", dmHelp, postAnswer{err: twErr(twitterapi.KindRefused)}, want{failed: true}},
		{"a receipt too long: its minimal text", receipt, postAnswer{err: twErr(twitterapi.KindTooLong)},
			want{at: now, notPosted: true, text: minimal, says: "minimal text instead"}},
		{"a minimal receipt too long", minimalReceipt, postAnswer{err: twErr(twitterapi.KindTooLong)}, want{failed: true, says: "minimal_text_refused"}},
		{"help too long", reply, postAnswer{err: twErr(twitterapi.KindTooLong)}, want{failed: true}},
		{"unexpected", reply, postAnswer{err: twErr(twitterapi.KindUnexpected)}, want{at: now.Add(time.Minute), notPosted: true, says: "unexpected error"}},
		{"unexpected, tried enough", tired, postAnswer{err: twErr(twitterapi.KindUnexpected)}, want{failed: true}},
		{"account refused", reply, postAnswer{err: twErr(twitterapi.KindAccount)},
			want{at: now.Add(5 * time.Minute), notPosted: true, pause: now.Add(5 * time.Minute), says: "twitter_account_refused"}},
		{"rate limited", reply, postAnswer{err: &twitterapi.Error{Status: 429, Kind: twitterapi.KindRateLimited, ResetAt: reset}},
			want{at: reset.Add(time.Second), notPosted: true, pause: reset.Add(time.Second)}},
		{"rate limited, no reset", reply, postAnswer{err: twErr(twitterapi.KindRateLimited)},
			want{at: now.Add(time.Minute), notPosted: true, pause: now.Add(time.Minute)}},
		{"posting limit", reply, postAnswer{err: twErr(twitterapi.KindPostingLimit), oldestSent: now.Add(-time.Hour)},
			want{at: now.Add(2 * time.Hour), notPosted: true, pause: now.Add(2 * time.Hour)}},
		{"posting limit, nothing sent known", reply, postAnswer{err: twErr(twitterapi.KindPostingLimit)},
			want{at: now.Add(3 * time.Hour), notPosted: true, pause: now.Add(3 * time.Hour)}},
		{"paused", reply, postAnswer{err: twErr(twitterapi.KindPaused)},
			want{at: now.Add(15 * time.Minute), notPosted: true, pause: now.Add(15 * time.Minute), says: "226/326"}},
		{"capped", reply, postAnswer{err: &twitterapi.Error{Status: 429, Kind: twitterapi.KindCapped, ResetAt: reset}},
			want{at: reset, notPosted: true, pause: reset, says: "usage cap"}},
		{"capped, no reset", reply, postAnswer{err: twErr(twitterapi.KindCapped)},
			want{at: now.Add(15 * time.Minute), notPosted: true, pause: now.Add(15 * time.Minute), says: "usage cap"}},
		{"credentials refused", reply, postAnswer{err: twErr(twitterapi.KindAuth)}, want{at: now.Add(5 * time.Second), notPosted: true, failedFor: "post"}},
		{"transient: maybe posted", reply, postAnswer{err: &twitterapi.Error{Status: 503, Kind: twitterapi.KindTransient}},
			want{at: now.Add(2 * time.Second), atMax: now.Add(2 * time.Second)}},
		{"no answer: maybe posted", reply, postAnswer{err: fmt.Errorf("post: %w", errors.New("connection reset"))},
			want{at: now.Add(2 * time.Second), atMax: now.Add(2 * time.Second)}},
		{"transient, not sent", reply, postAnswer{err: &twitterapi.Error{Status: 503, Kind: twitterapi.KindTransient, NotSent: true}},
			want{at: now.Add(time.Second), atMax: now.Add(2 * time.Second), notPosted: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := deliver(tt.m, tt.a, now, rules)
			check(t, d, tt.want.sent, tt.want.failed, tt.want.notes, tt.want.at, tt.want.atMax, tt.want.notPosted)
			if d.store.Text != tt.want.text || d.store.Unthread != tt.want.unthread {
				t.Errorf("text %q, unthread %v; want %q, %v", d.store.Text, d.store.Unthread, tt.want.text, tt.want.unthread)
			}
			if !d.pause.Equal(tt.want.pause) || d.twitterFailed != tt.want.failedFor {
				t.Errorf("pause until %s, bot told of %q; want %s, %q", d.pause, d.twitterFailed, tt.want.pause, tt.want.failedFor)
			}
			if tt.want.says != "" && !saysIt(d, tt.want.says) {
				t.Errorf("logs %+v; want one saying %q", d.logs, tt.want.says)
			}
		})
	}
}

// TestAfterSearch: an interrupted post found on Twitter is recorded as
// sent; a search that failed or has not reached back far enough puts it
// off, still maybe posted; one that found nothing lets it be posted.
func TestAfterSearch(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m := storage.OutboxMessage{ID: 3, Channel: conversations.DM, State: storage.OutboxSending, Attempts: 1}
	post := storage.Post{ID: 77, At: now}
	if d, ok := afterSearch(m, post, true, nil, now); !ok || d.store.Sent == nil || d.store.Sent.ID != 77 {
		t.Errorf("found: %+v, %v", d, ok)
	}
	if _, ok := afterSearch(m, storage.Post{}, false, nil, now); ok {
		t.Error("not found: settled, want posted")
	}
	d, ok := afterSearch(m, storage.Post{}, false, errNotSettled, now)
	if !ok || d.store.NotPosted || d.twitterFailed != "" || !saysIt(d, "still looking") {
		t.Errorf("not settled: %+v, %v", d, ok)
	}
	d, ok = afterSearch(m, storage.Post{}, false, &twitterapi.Error{Status: 503, Kind: twitterapi.KindTransient}, now)
	if !ok || d.store.NotPosted || d.twitterFailed == "" || d.store.RetryAt.Before(now.Add(time.Second)) {
		t.Errorf("search failed: %+v, %v", d, ok)
	}
}

func check(t *testing.T, d delivery, sent int64, failed bool, notes int, at, atMax time.Time, notPosted bool) {
	t.Helper()
	if got := d.store.Sent; (got == nil) != (sent == 0) || got != nil && got.ID != sent {
		t.Errorf("sent as %+v; want %d", got, sent)
	}
	if d.store.Failed != failed || len(d.store.Notes) != notes {
		t.Errorf("failed %v with %d notes; want %v, %d", d.store.Failed, len(d.store.Notes), failed, notes)
	}
	if sent != 0 || failed {
		return
	}
	if atMax.IsZero() {
		atMax = at
	}
	if got := d.store.RetryAt; got.Before(at) || got.After(atMax) || d.store.NotPosted != notPosted {
		t.Errorf("put off until %s, not posted %v; want %s..%s, %v", got, d.store.NotPosted, at, atMax, notPosted)
	}
	if d.store.Why == "" || d.cause == nil {
		t.Error("no cause recorded")
	}
}

func saysIt(d delivery, s string) bool {
	for _, l := range d.logs {
		if strings.Contains(fmt.Sprint(l.msg, l.args), s) {
			return true
		}
	}
	return false
}
