package e2e

import (
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/daemon"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/promscrape"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

var withHealth = rigOption(func(c *cfgT) { c.Health.Listen = "127.0.0.1:0" })

func (r *rig) scrape() promscrape.Families {
	r.t.Helper()
	f, err := promscrape.Get("http://" + r.d.HealthAddr() + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	return f
}

// readyz returns /readyz's status and its one line.
func (r *rig) readyz() (int, string) {
	r.t.Helper()
	resp, err := http.Get("http://" + r.d.HealthAddr() + "/readyz")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// want checks one figure of a scrape.
func want(t *testing.T, f promscrape.Families, value float64, name string, labels ...string) {
	t.Helper()
	if got := f.Value(name, labels...); got != value {
		t.Errorf("%s%v = %v, want %v", name, labels, got, value)
	}
}

// TestMetricsFollowAPurchase scrapes /metrics before, during and after a
// purchase by tweet, and checks that each figure moves as the purchase
// goes: messages read and processed, orders by state, replies sent, the
// charge and the issuer's latency, the time to answer, the budget left.
func TestMetricsFollowAPurchase(t *testing.T) { eachAPI(t, testMetricsFollowAPurchase) }

func testMetricsFollowAPurchase(t *testing.T, api string) {
	r := newRig(t, api, withHealth)
	limits := r.cfg.Twitter.Limits
	tweets, dms := float64(limits.TweetsPerWindow), float64(limits.DMsPerDay)
	if w := limits.DMsPerWindow; w > 0 && float64(w) < dms {
		dms = float64(w)
	}
	r.settle()
	f := r.scrape()
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !f.Has(name) {
			t.Errorf("/metrics lacks the standard %s", name)
		}
	}
	want(t, f, 0, "paybytweet_messages_read_total", "channel", "tweet")
	want(t, f, 0, "paybytweet_orders", "state", "pending")
	want(t, f, 0, "paybytweet_replies_sent_total", "channel", "tweet")
	want(t, f, tweets, "paybytweet_posting_budget_remaining", "channel", "tweet")
	want(t, f, 1, "paybytweet_ready")

	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.clock.Advance(3 * time.Second) // the bot answers 4 s after she tweets
	r.settle()
	req := r.reply(buy.ID)
	f = r.scrape()
	want(t, f, 1, "paybytweet_messages_read_total", "channel", "tweet")
	want(t, f, 1, "paybytweet_messages_processed_total", "action", "reserve")
	want(t, f, 1, "paybytweet_orders", "state", "pending")
	want(t, f, 0, "paybytweet_orders", "state", "paid")
	want(t, f, 1, "paybytweet_replies_sent_total", "channel", "tweet")
	want(t, f, 0, "paybytweet_replies_waiting", "channel", "tweet")
	want(t, f, tweets-1, "paybytweet_posting_budget_remaining", "channel", "tweet")
	want(t, f, 1, "paybytweet_answer_latency_seconds", "channel", "tweet")
	for _, m := range f["paybytweet_answer_latency_seconds"].GetMetric() {
		if m.GetLabel()[0].GetValue() == "tweet" && m.GetHistogram().GetSampleSum() != 4 {
			t.Errorf("the answer took %v s by the metrics, want 4", m.GetHistogram().GetSampleSum())
		}
	}
	want(t, f, 1, "paybytweet_issuer_request_duration_seconds", "operation", "enrollment", "outcome", "ok")
	want(t, f, 0, "paybytweet_charges_total", "outcome", "approved")

	confirm := r.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	r.settle()
	mustContain(t, "receipt", r.reply(confirm.ID).Text, "charged")
	f = r.scrape()
	want(t, f, 2, "paybytweet_messages_read_total", "channel", "tweet")
	want(t, f, 1, "paybytweet_messages_processed_total", "action", "confirm")
	want(t, f, 0, "paybytweet_orders", "state", "pending")
	want(t, f, 0, "paybytweet_orders", "state", "confirmed")
	want(t, f, 1, "paybytweet_orders", "state", "paid")
	want(t, f, 1, "paybytweet_charges_total", "outcome", "approved")
	want(t, f, 1, "paybytweet_issuer_request_duration_seconds", "operation", "purchase", "outcome", "ok")
	want(t, f, 2, "paybytweet_replies_sent_total", "channel", "tweet")
	want(t, f, tweets-2, "paybytweet_posting_budget_remaining", "channel", "tweet")
	want(t, f, 2, "paybytweet_answer_latency_seconds", "channel", "tweet")
	want(t, f, 0, "paybytweet_inbox_pending_messages")
	want(t, f, 0, "paybytweet_oldest_uncharged_order_age_seconds")
	if n := f.Value("paybytweet_twitter_requests_total", "endpoint", "post"); n < 2 {
		t.Errorf("twitter post calls = %v, want at least 2", n)
	}

	// By DM, the answer is timed from the DM it answers.
	r.dm(bob, "#BuyGiftCard")
	r.clock.Advance(2 * time.Second)
	r.settle()
	mustContain(t, "bob's DM", r.lastDM(bob).Text, "#ConfirmGiftCard")
	f = r.scrape()
	want(t, f, 1, "paybytweet_messages_read_total", "channel", "dm")
	want(t, f, 1, "paybytweet_replies_sent_total", "channel", "dm")
	want(t, f, dms-1, "paybytweet_posting_budget_remaining", "channel", "dm")
	want(t, f, 1, "paybytweet_answer_latency_seconds", "channel", "dm")
	for _, m := range f["paybytweet_answer_latency_seconds"].GetMetric() {
		if m.GetLabel()[0].GetValue() == "dm" && m.GetHistogram().GetSampleSum() != 3 {
			t.Errorf("the DM answer took %v s by the metrics, want 3", m.GetHistogram().GetSampleSum())
		}
	}

	// The figures are the database's: a restarted daemon starts from them.
	r.restart()
	f = r.scrape()
	want(t, f, 2, "paybytweet_replies_sent_total", "channel", "tweet")
	want(t, f, 1, "paybytweet_orders", "state", "paid")
}

// TestReadyzFollowsTheCredentials: /readyz turns 503, saying why, when
// Twitter refuses the credentials, and 200 again once it accepts them.
func TestReadyzFollowsTheCredentials(t *testing.T) { eachAPI(t, testReadyzFollowsTheCredentials) }

func testReadyzFollowsTheCredentials(t *testing.T, api string) {
	r := newRig(t, api, withHealth)
	r.settle()
	if code, body := r.readyz(); code != 200 {
		t.Fatalf("/readyz = %d %q before anything went wrong, want 200", code, body)
	}
	r.tw.SetCredentials("revoked", "revoked")
	r.d.Bot.PollNow()
	code, body := r.readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "twitter refuses the credentials") || strings.Contains(body, "\n") {
		t.Errorf("/readyz = %d %q with refused credentials, want 503 and one line saying so", code, body)
	}
	f := r.scrape()
	want(t, f, 0, "paybytweet_ready")
	want(t, f, 0, "paybytweet_twitter_credentials_ok")
	if n := f.Value("paybytweet_twitter_errors_total", "status", "401"); n < 1 {
		t.Errorf("401 errors = %v, want at least 1", n)
	}
	want(t, f, 1, "paybytweet_alerts_total", "kind", "twitter_credentials_refused")
	mustContain(t, "log", r.logs.String(), "alert=twitter_credentials_refused")
	if resp, err := http.Get("http://" + r.d.HealthAddr() + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz = %v %v while the credentials are refused, want 200: the process is alive", resp, err)
	}

	r.tw.SetCredentials("access-token", "access-secret")
	r.clock.Advance(16 * time.Second) // refused credentials are tried again every 15 s
	r.waitFor("/readyz to be 200 again", func() bool {
		r.d.Bot.PollNow()
		code, _ := r.readyz()
		return code == 200
	})
	want(t, r.scrape(), 1, "paybytweet_twitter_credentials_ok")
}

// TestReadyzSaysWhenWorkIsStuck: a message that waits longer than
// health.max_inbox_age, and an issuer that has not answered for longer
// than health.max_issuer_outage, each turn /readyz to 503 with its reason.
func TestReadyzSaysWhenWorkIsStuck(t *testing.T) {
	r := newRig(t, config.APIv1, withHealth, rigOption(func(c *cfgT) {
		c.Health.MaxInboxAge = 5 * time.Minute
		c.Health.MaxIssuerOutage = 50 * time.Millisecond
	}))
	r.settle()
	// The issuer cannot say whether bob is enrolled: his buy waits.
	r.iss.InjectFault(issuersandbox.Fault{Method: "GET", Path: "/v1/enrollments/twitter/" + id(bob), Status: 503, Times: 1000})
	r.tweet(bob, "@AmexOffers #BuyGiftCard")
	r.d.Bot.PollNow()
	r.waitFor("the issuer to be tried", func() bool {
		return r.scrape().Value("paybytweet_issuer_request_duration_seconds", "operation", "enrollment", "outcome", "unknown") >= 1
	})
	time.Sleep(100 * time.Millisecond)
	code, body := r.readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "issuer unreachable") {
		t.Errorf("/readyz = %d %q while the issuer answers 503, want 503 saying the issuer is unreachable", code, body)
	}
	f := r.scrape()
	want(t, f, 1, "paybytweet_inbox_pending_messages")
	if s := f.Value("paybytweet_issuer_unreachable_seconds"); s <= 0 {
		t.Errorf("issuer unreachable seconds = %v, want more than 0", s)
	}

	reloaded := *r.cfg
	reloaded.Health.MaxIssuerOutage = time.Hour
	r.d.SetConfig(&reloaded)
	r.clock.Advance(6 * time.Minute)
	code, body = r.readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "inbox backlog") {
		t.Errorf("/readyz = %d %q with a message waiting 6 min, want 503 saying the inbox is backed up", code, body)
	}
	if age := r.scrape().Value("paybytweet_inbox_oldest_pending_age_seconds"); age < 360 {
		t.Errorf("oldest pending age = %v s, want at least 360", age)
	}

	r.iss.ClearFaults()
	r.settle()
	if code, body := r.readyz(); code != 200 {
		t.Errorf("/readyz = %d %q once the issuer answers and the inbox is empty, want 200", code, body)
	}
}

// TestHealthListenerThatCannotBindFailsTheStart: a taken port is an error
// at start, not a daemon running that no probe can see.
func TestHealthListenerThatCannotBindFailsTheStart(t *testing.T) {
	r := newRig(t, config.APIv1)
	r.stop()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	r.cfg.Health.Listen = taken.Addr().String()
	d, err := daemon.Open(context.Background(), r.cfg, daemon.Options{Now: r.clock.Now})
	if err == nil {
		d.Close()
		t.Fatal("the daemon started although its health port is taken")
	}
	mustContain(t, "error", err.Error(), "health listener", taken.Addr().String())
	// Nothing is left held: with a free port it starts.
	r.cfg.Health.Listen = "127.0.0.1:0"
	r.start()
}

// TestReadyzWaitsForTheCredentialsToBeConfirmed: until Twitter has said
// whose the credentials are, nothing is polled or posted, and /readyz
// says so; once it answers, the bot is ready.
func TestReadyzWaitsForTheCredentialsToBeConfirmed(t *testing.T) {
	r := newRig(t, config.APIv1, withHealth)
	r.stop()
	r.tw.InjectFault(twitteremu.Fault{Endpoint: r.ep(twitterapi.CallVerify), Status: 503, Times: -1})
	r.start()
	code, body := r.readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "not verified yet") {
		t.Errorf("/readyz = %d %q while Twitter cannot say whose the credentials are, want 503 saying so", code, body)
	}
	r.tw.ClearFaults()
	r.waitFor("/readyz to be 200", func() bool {
		r.d.Bot.PollNow()
		code, _ := r.readyz()
		return code == 200
	})
}

// TestMetricsCountAFailedMessage: a message set aside after failing is
// shown on /metrics, with its ALERT by kind, until it is put back.
func TestMetricsCountAFailedMessage(t *testing.T) {
	r := newRig(t, config.APIv1, withHealth)
	buy := r.tweet(bob, "@AmexOffers #BuyKindleFireHD")
	remove := r.plantFault(buy.ID)
	r.d.Bot.PollNow()
	waitFor(t, 30*time.Second, "bob's message set aside", func() bool {
		return r.scrape().Value("paybytweet_inbox_failed_messages") == 1
	})
	f := r.scrape()
	want(t, f, 1, "paybytweet_alerts_total", "kind", "inbox_failed")
	want(t, f, 0, "paybytweet_inbox_pending_messages")

	remove()
	failed, err := r.d.DB.Inbox(context.Background(), storage.InboxFailed)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed messages: %v, %v", failed, err)
	}
	if err := r.d.DB.RetryInbox(context.Background(), failed[0].ID); err != nil {
		t.Fatal(err)
	}
	r.settle()
	f = r.scrape()
	want(t, f, 0, "paybytweet_inbox_failed_messages")
	want(t, f, 1, "paybytweet_messages_processed_total", "action", "reserve")
}

// TestReadyzWritesNothing: probes and scrapes of a ready daemon commit
// nothing: /readyz is open to anyone who reaches the port, and a commit
// per probe was an fsync on the one writer connection. Seen from another
// connection, PRAGMA data_version changes with every commit by anyone
// else, and the write-ahead log grows with every commit.
func TestReadyzWritesNothing(t *testing.T) {
	r := newRig(t, config.APIv1, withHealth)
	r.settle()
	other, err := sql.Open("sqlite3", "file:"+r.cfg.Storage.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dataVersion := func() (v int64) {
		if err := conn.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	walSize := func() int64 {
		fi, err := os.Stat(r.cfg.Storage.Path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	version, wal := dataVersion(), walSize()
	for i := range 50 {
		if code, body := r.readyz(); code != 200 {
			t.Fatalf("probe %d: /readyz = %d %q, want 200", i, code, body)
		}
	}
	want(t, r.scrape(), 1, "paybytweet_ready")
	if v, w := dataVersion(), walSize(); v != version || w != wal {
		t.Errorf("50 probes and a scrape changed the database: data_version %d -> %d, WAL %d -> %d bytes; want no commit", version, v, wal, w)
	}
}
