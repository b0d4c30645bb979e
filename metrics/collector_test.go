package metrics

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/internal/promscrape"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type noLimits struct{}

func (noLimits) Limit(twitterapi.Call) (twitterapi.RateLimit, bool) {
	return twitterapi.RateLimit{}, false
}

// watched returns a database, a connection of its own to write what the
// bot would, and the URL of a registry that reads the database.
func watched(t *testing.T) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := storage.Open(path, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	m := New()
	m.WatchDatabase(Source{
		DB: db, Config: func() *config.Config { return &config.Config{} }, Now: func() time.Time { return now },
		Twitter: noLimits{}, Ready: func(context.Context) (bool, string) { return true, "" }, Credentials: func() bool { return true },
	})
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	return raw, srv.URL
}

func scrape(t *testing.T, url string) promscrape.Families {
	t.Helper()
	f, err := promscrape.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func want(t *testing.T, f promscrape.Families, value float64, name string, labels ...string) {
	t.Helper()
	if got := f.Value(name, labels...); got != value {
		t.Errorf("%s%v = %v, want %v", name, labels, got, value)
	}
}

// TestApprovalsAndRefusalsAreScraped: every approval outcome and every
// refusing rule is served at 0 before the first, so that the alerts have
// a series; the counts the bot keeps come as they are; the oldest pending
// approval's age and how far past its expires the most overdue one is
// are served, 0 when none; an order awaiting approval is not an
// uncharged one.
func TestApprovalsAndRefusalsAreScraped(t *testing.T) {
	raw, url := watched(t)
	f := scrape(t, url)
	for _, o := range []string{"asked", "approved", "declined", "expired", "unsupported"} {
		want(t, f, 0, "paybytweet_approvals_total", "outcome", o)
	}
	for _, r := range []string{"daily_limit", "hourly_purchases", "automated", "approvals_per_day", "decline_hold"} {
		want(t, f, 0, "paybytweet_risk_refusals_total", "rule", r)
	}
	for _, r := range []string{"approval_over", "handle_change_hold", "min_account_age"} {
		want(t, f, -1, "paybytweet_risk_refusals_total", "rule", r) // they ask for approval; they never refuse
	}
	want(t, f, 0, "paybytweet_approval_oldest_pending_age_seconds")
	want(t, f, 0, "paybytweet_approval_overdue_seconds")

	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO metric_counts (name, label, value) VALUES ('approvals', 'asked', 7), ('approvals', 'approved', 3),
			('approvals', 'declined', 2), ('approvals', 'unsupported', 1),
			('risk_refused', 'daily_limit', 4), ('risk_refused', 'decline_hold', 1)`, nil},
		// Three confirmed orders: one being charged, two awaiting approval,
		// one of them 90 s past its expires.
		{`INSERT INTO orders (id, offer_id, user_id, screen_name, state, channel, buy_message_id, title, buy_hashtag, confirm_hashtag,
			amount, currency, merchant, cardholder, card_last4, created_at, expires_at, updated_at, confirmed_at, approval_status, approval_expires)
			VALUES ('ord_a', 'o', 7, 'u', 'confirmed', 'tweet', 1, 'T', 'B', 'C', 100, 'USD', 'm', 'c', '1234', 0, 0, 0, ?, '', 0),
			       ('ord_b', 'o', 8, 'u', 'confirmed', 'tweet', 2, 'T', 'B', 'C', 100, 'USD', 'm', 'c', '1234', 0, 0, 0, ?, 'pending', ?),
			       ('ord_c', 'o', 9, 'u', 'confirmed', 'tweet', 3, 'T', 'B', 'C', 100, 'USD', 'm', 'c', '1234', 0, 0, 0, ?, 'pending', ?)`,
			[]any{ms(-time.Minute), ms(-16 * time.Minute), ms(-90 * time.Second), ms(-5 * time.Minute), ms(10 * time.Minute)}},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	f = scrape(t, url)
	for o, v := range map[string]float64{"asked": 7, "approved": 3, "declined": 2, "expired": 0, "unsupported": 1} {
		want(t, f, v, "paybytweet_approvals_total", "outcome", o)
	}
	for r, v := range map[string]float64{"daily_limit": 4, "hourly_purchases": 0, "automated": 0, "approvals_per_day": 0, "decline_hold": 1} {
		want(t, f, v, "paybytweet_risk_refusals_total", "rule", r)
	}
	want(t, f, 16*60, "paybytweet_approval_oldest_pending_age_seconds")
	want(t, f, 90, "paybytweet_approval_overdue_seconds")
	want(t, f, 60, "paybytweet_oldest_uncharged_order_age_seconds")

	// Both settled: nothing waits, nothing is overdue.
	if _, err := raw.Exec(`UPDATE orders SET state = 'declined', approval_status = 'expired' WHERE approval_status = 'pending'`); err != nil {
		t.Fatal(err)
	}
	f = scrape(t, url)
	want(t, f, 0, "paybytweet_approval_oldest_pending_age_seconds")
	want(t, f, 0, "paybytweet_approval_overdue_seconds")
}
