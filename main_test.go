package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
)

// env is the environment the example configuration needs.
func env(extra map[string]string) func(string) (string, bool) {
	vals := map[string]string{
		"TWITTER_CONSUMER_KEY": "consumer-key", "TWITTER_CONSUMER_SECRET": "consumer-secret",
		"TWITTER_ACCESS_TOKEN": "access-token", "TWITTER_ACCESS_SECRET": "access-secret",
		"ISSUER_API_KEY": "sk_live_never_printed",
	}
	for k, v := range extra {
		vals[k] = v
	}
	return func(k string) (string, bool) { v, ok := vals[k]; return v, ok }
}

type syncBuffer = testkit.Buffer

func run(t *testing.T, lookup func(string) (string, bool), args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, LookupEnv: lookup}
	code = m.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

func TestCheckConfigOnTheExample(t *testing.T) {
	code, out, errs := run(t, env(nil), "check-config", "-config", "config.example.yaml")
	if code != 0 || !strings.Contains(out, "OK: 3 offers") || strings.Count(out, "\n") != 1 {
		t.Errorf("check-config = %d, %q, %q; want 0 and a one-line summary", code, out, errs)
	}
	if strings.Contains(out+errs, "sk_live_never_printed") {
		t.Errorf("a secret was printed")
	}
}

func TestCheckConfigReportsEveryProblemWithItsLine(t *testing.T) {
	example, err := os.ReadFile("config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.NewReplacer(
		"    quantity: 500 ", "    quantitty: 500 ",
		`price: "29.99"`, `price: "29.999"`,
		"buy_hashtag: BuyEchoDot", "buy_hashtag: buykindlefirehd",
	).Replace(string(example))
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte(bad), 0o600)
	code, out, errs := run(t, env(nil), "check-config", "-config", path)
	if code != 1 || out != "" {
		t.Fatalf("check-config = %d, stdout %q; want 1 and nothing on stdout", code, out)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 problems, got:\n%s", errs)
	}
	for i, want := range []string{`unknown key "quantitty"`, `is the same hashtag as offer kindle-fire-hd`, `"29.999" has 3 decimals`} {
		line := findLine(bad, []string{"quantitty", "buykindlefirehd", "29.999"}[i])
		prefix := fmt.Sprintf("%s:%d:", path, line)
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) && strings.Contains(strings.ToLower(l), strings.ToLower(want)) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem %q at %s in:\n%s", want, prefix, errs)
		}
	}
	// A missing secret is named, never shown.
	code, _, errs = run(t, env(map[string]string{}), "check-config", "-config", "config.example.yaml")
	if code != 0 {
		t.Errorf("check-config = %d: %s", code, errs)
	}
	code, _, errs = run(t, func(k string) (string, bool) { return "", false }, "check-config", "-config", "config.example.yaml")
	if code != 1 || !strings.Contains(errs, "ISSUER_API_KEY") {
		t.Errorf("check-config without the environment = %d, %q", code, errs)
	}
}

// TestCheckConfigRefusesAMergeLoop: a map merging itself used to crash
// check-config with a stack overflow (exit 2 and a goroutine dump), so
// that systemd's ExecStartPre failed without saying why and the unit
// stayed down. It is exit 1 and the problem with its line.
func TestCheckConfigRefusesAMergeLoop(t *testing.T) {
	bad := strings.Replace(readFile(t, "config.example.yaml"), "\nbot:\n", "\nbot: &b\n  <<: *b\n", 1)
	path := filepath.Join(t.TempDir(), "loop.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, env(nil), "check-config", "-config", path)
	want := fmt.Sprintf("%s:%d:7: << in bot merges *b into itself, which would never end\n", path, findLine(bad, "<<: *b"))
	if code != 1 || out != "" || errs != want {
		t.Errorf("check-config = %d, stdout %q, stderr %q; want 1 and %q", code, out, errs, want)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func findLine(text, needle string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, needle) {
			return i + 1
		}
	}
	return 0
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"check-config"}, {"run"}, {"orders", "-nope"}, {"refund", "-config", "x"}} {
		if code, _, _ := run(t, env(nil), args...); code != 2 {
			t.Errorf("paybytweet %v = %d, want 2", args, code)
		}
	}
	if code, _, _ := run(t, env(nil), "check-config", "-config", "/no/such/file.yaml"); code != 1 {
		t.Errorf("a missing file is bad input, want 1")
	}
}

const scenarioConfig = `bot:
  screen_name: AmexOffers
storage:
  path: {{DB}}
twitter:
  api_url: {{TWITTER}}
  consumer_key: ${TWITTER_CONSUMER_KEY}
  consumer_secret: ${TWITTER_CONSUMER_SECRET}
  access_token: ${TWITTER_ACCESS_TOKEN}
  access_secret: ${TWITTER_ACCESS_SECRET}
  poll:
    mentions: "@every 1s"
    direct_messages: "@every 1s"
issuer:
  url: {{ISSUER}}
  api_key: ${ISSUER_API_KEY}
  enroll_url: https://issuer.example/link-twitter
  timeout: 5s
offers:
  - id: kindle-fire-hd
    title: Kindle Fire HD
    buy_hashtag: BuyKindleFireHD
    confirm_hashtag: ConfirmKindleFireHD
    price: "{{PRICE}}"
    currency: USD
    merchant: mer_amazon
    quantity: {{QUANTITY}}
`

// scenario is a running `paybytweet run` against the emulators.
type scenario struct {
	t      *testing.T
	tw     *twitteremu.Server
	iss    *issuersandbox.Server
	dir    string
	config string
	log    *syncBuffer
	hup    chan os.Signal
	cancel context.CancelFunc
	done   chan int
	values map[string]string // what the configuration was last written with
}

var (
	botAccount = twitteremu.User{ID: 4294967297, ScreenName: "AmexOffers"}
	alice      = twitteremu.User{ID: 783214, ScreenName: "alice"}
	bob        = twitteremu.User{ID: 9007199254740993, ScreenName: "bob"}
	frank      = twitteremu.User{ID: 1000000000000000001, ScreenName: "frank"}
)

func startScenario(t *testing.T) *scenario {
	s := &scenario{t: t, dir: t.TempDir(), log: &syncBuffer{}, hup: make(chan os.Signal, 1), done: make(chan int, 1)}
	s.tw = twitteremu.New(twitteremu.Options{Bot: botAccount, RateLimits: map[string]int{"direct_messages/events/list": 100000, "statuses/mentions_timeline": 100000}})
	for _, u := range []twitteremu.User{alice, bob, frank} {
		s.tw.AddUser(u)
	}
	twURL, err := s.tw.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.tw.Close)
	s.iss = issuersandbox.New(issuersandbox.Options{APIKey: "sk_live_never_printed"})
	issURL, err := s.iss.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.iss.Close)
	for i, u := range []twitteremu.User{alice, bob, frank} {
		s.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: fmt.Sprint(u.ID), Cardholder: "chd_" + u.ScreenName, CardLast4: fmt.Sprintf("%d00%d", i+1, i+1), Status: "active"})
	}
	s.config = filepath.Join(s.dir, "paybytweet.yaml")
	s.write(map[string]string{"{{TWITTER}}": twURL, "{{ISSUER}}": issURL, "{{PRICE}}": "199.00", "{{QUANTITY}}": "3"})
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	m := &Main{Stdin: strings.NewReader(""), Stdout: s.log, Stderr: s.log, LookupEnv: env(nil), Hangup: s.hup}
	go func() { s.done <- m.Run(ctx, []string{"run", "-config", s.config}) }()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

// write writes the configuration with the given values, keeping earlier
// ones for what is not given.
func (s *scenario) write(values map[string]string) {
	if s.values == nil {
		s.values = map[string]string{"{{DB}}": filepath.Join(s.dir, "paybytweet.db")}
	}
	for k, v := range values {
		s.values[k] = v
	}
	text := scenarioConfig
	for k, v := range s.values {
		text = strings.ReplaceAll(text, k, v)
	}
	s.writeRaw(text)
}

func (s *scenario) writeRaw(text string) {
	// Written to the side and renamed into place, as editors do.
	tmp := s.config + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, s.config); err != nil {
		s.t.Fatal(err)
	}
}

func (s *scenario) waitFor(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("waited 20s for %s; log:\n%s", what, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *scenario) tweet(u twitteremu.User, text string, inReplyTo int64) twitteremu.Tweet {
	s.t.Helper()
	tw, err := s.tw.PostTweet(u.ID, text, twitteremu.TweetOptions{InReplyTo: inReplyTo})
	if err != nil {
		s.t.Fatal(err)
	}
	return tw
}

// replies returns the bot's replies to tweet id.
func (s *scenario) replies(id int64) []twitteremu.Tweet {
	var out []twitteremu.Tweet
	for _, tw := range s.tw.TweetsBy(botAccount.ID) {
		if tw.InReplyTo == id {
			out = append(out, tw)
		}
	}
	return out
}

func (s *scenario) reply(id int64) twitteremu.Tweet {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("the bot's reply to %d", id), func() bool { return len(s.replies(id)) > 0 })
	return s.replies(id)[0]
}

func (s *scenario) purchases() []issuersandbox.Purchase { return s.iss.Purchases() }

func (s *scenario) admin(args ...string) (int, string, string) {
	s.t.Helper()
	return run(s.t, env(nil), append([]string{args[0], "-config", s.config}, args[1:]...)...)
}

// TestRunAsAnOperatorWould drives `paybytweet run` through a live
// campaign: purchases, reloads good and bad while a request is in flight,
// the admin commands, refunds, and SIGTERM.
func TestRunAsAnOperatorWould(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon in real time for several seconds")
	}
	s := startScenario(t)

	// A whole purchase.
	buy := s.tweet(alice, "@AmexOffers #BuyKindleFireHD", 0)
	req := s.reply(buy.ID)
	confirm := s.tweet(alice, "@AmexOffers #ConfirmKindleFireHD", req.ID)
	receipt := s.reply(confirm.ID)
	if !strings.Contains(receipt.Text, "Done") || len(s.purchases()) != 1 {
		t.Fatalf("receipt %q, purchases %+v", receipt.Text, s.purchases())
	}
	aliceOrder := s.purchases()[0].Reference
	// What it cost in API calls, at X's pay-per-use prices.
	checkUsage(t, s)

	// Bob's request is in flight when the admin lowers the price.
	bobBuy := s.tweet(bob, "@AmexOffers #BuyKindleFireHD", 0)
	bobReq := s.reply(bobBuy.ID)
	if !strings.Contains(bobReq.Text, "199.00 USD") {
		t.Fatalf("bob's request %q", bobReq.Text)
	}
	s.write(map[string]string{"{{PRICE}}": "179.00"})
	s.hup <- os.Interrupt // any value: it stands for SIGHUP
	s.waitFor("the reload", func() bool { return strings.Contains(s.log.String(), "configuration reloaded") })
	if !strings.Contains(s.log.String(), "199.00 USD -> 179.00 USD") {
		t.Errorf("the log does not say what changed:\n%s", s.log.String())
	}
	bobConfirm := s.tweet(bob, "@AmexOffers #ConfirmKindleFireHD", bobReq.ID)
	s.reply(bobConfirm.ID)
	frankBuy := s.tweet(frank, "@AmexOffers #BuyKindleFireHD", 0)
	if text := s.reply(frankBuy.ID).Text; !strings.Contains(text, "179.00 USD") {
		t.Errorf("a request after the reload says %q, want the new price", text)
	}
	for _, p := range s.purchases() {
		if p.Metadata["twitter_user_id"] == fmt.Sprint(bob.ID) && p.Amount != 19900 {
			t.Errorf("bob was charged %d; his request was made at 199.00", p.Amount)
		}
	}

	// A typo is refused and the running configuration stays.
	s.write(nil)
	s.writeRaw(strings.Replace(readFile(t, s.config), "quantity:", "quantitty:", 1))
	s.hup <- os.Interrupt
	s.waitFor("the refusal", func() bool { return strings.Contains(s.log.String(), `unknown key \"quantitty\"`) })
	// Lowering the quantity below what is sold (2) is refused too.
	s.write(map[string]string{"{{QUANTITY}}": "1"})
	s.hup <- os.Interrupt
	s.waitFor("the refusal", func() bool { return strings.Contains(s.log.String(), "below the 2 units already sold") })
	// Frank's pending request still holds the third unit: the offer is
	// sold out for a newcomer, and the running quantity is still 3.
	code, out, errs := s.admin("offers")
	if code != 0 || !strings.Contains(out, "kindle-fire-hd") || !strings.Contains(out, "sold_out") || !strings.Contains(out, "398.00 USD") {
		t.Errorf("offers = %d, %q, %q", code, out, errs)
	}

	// orders, in text and JSON, filtered.
	code, out, _ = s.admin("orders")
	if code != 0 || !strings.Contains(out, aliceOrder) || strings.Count(out, "\n") != 4 {
		t.Errorf("orders = %d:\n%s", code, out)
	}
	code, out, _ = s.admin("orders", "-state", "paid", "-json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 2 {
		t.Errorf("orders -state paid -json = %d, %v: %s", code, err, out)
	}
	code, out, _ = s.admin("orders", "-user", fmt.Sprint(frank.ID), "-json")
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 1 || rows[0]["twitter_user_id"] != fmt.Sprint(frank.ID) {
		t.Errorf("orders -user = %d, %v: %s", code, err, out)
	}
	if code, _, _ := s.admin("orders", "-user", "@frank"); code != 1 {
		t.Errorf("a screen name for -user is bad input, got %d", code)
	}

	// Refunds: partial, repeated (nothing twice), too much, the rest.
	code, out, errs = s.admin("refund", "-amount", "50.00", aliceOrder)
	if code != 0 || !strings.Contains(out, "refunded 50.00 USD") {
		t.Fatalf("refund = %d, %q, %q", code, out, errs)
	}
	code, out, _ = s.admin("refund", aliceOrder, "-amount", "50.00")
	if code != 0 || !strings.Contains(out, "already refunded") {
		t.Errorf("repeated refund = %d, %q", code, out)
	}
	code, _, errs = s.admin("refund", "-amount", "150.00", aliceOrder)
	if code != 1 || !strings.Contains(errs, "more than is left") {
		t.Errorf("refund of too much = %d, %q", code, errs)
	}
	code, out, _ = s.admin("refund", aliceOrder)
	if code != 0 || !strings.Contains(out, "refunded 149.00 USD") {
		t.Errorf("refund of the rest = %d, %q", code, out)
	}
	code, out, _ = s.admin("refund", aliceOrder)
	if code != 0 || !strings.Contains(out, "is fully refunded") || !strings.Contains(out, "nothing is left to refund") || strings.Contains(out, "-again") {
		t.Errorf("refund when all is refunded = %d, %q; want it fully refunded, with nothing left, and no -again", code, out)
	}
	code, _, errs = s.admin("refund", "-again", "-amount", "50.00", aliceOrder)
	if code != 1 || !strings.Contains(errs, "fully refunded: nothing is left to refund") {
		t.Errorf("refund -again when all is refunded = %d, %q", code, errs)
	}
	if code, _, errs := s.admin("refund", "ord_nosuchorder"); code != 1 || !strings.Contains(errs, "no order") {
		t.Errorf("refund of an unknown order = %d, %q", code, errs)
	}
	var refunded int64
	refunds := 0
	for _, p := range s.purchases() {
		if p.Reference == aliceOrder {
			refunded, refunds = p.RefundedAmount, len(p.Refunds)
		}
	}
	if refunded != 19900 || refunds != 2 {
		t.Errorf("the issuer refunded %d in %d refunds, want 19900 in 2", refunded, refunds)
	}
	// The running bot tells alice, in reply to her confirmation.
	s.waitFor("the refund notices", func() bool { return len(s.replies(confirm.ID)) == 3 })

	// SIGTERM: a clean stop, exit 0, within 10 seconds.
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		if code != 0 {
			t.Errorf("run exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop within 10 seconds")
	}
	if strings.Contains(s.log.String(), "sk_live_never_printed") {
		t.Errorf("the issuer API key is in the log")
	}
}

// TestRunSurvivesAMergeLoop: a reload of a file whose map merges itself
// used to end the running daemon with a stack overflow. It is refused and
// logged with its line, and the daemon goes on with the configuration it
// had.
func TestRunSurvivesAMergeLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon in real time for a few seconds")
	}
	s := startScenario(t)
	// The daemon is up and has the file in force once it answers.
	s.reply(s.tweet(alice, "@AmexOffers #BuyKindleFireHD", 0).ID)

	s.write(map[string]string{"{{PRICE}}": "179.00"})
	s.writeRaw(strings.Replace(readFile(t, s.config), "bot:\n", "bot: &b\n  <<: *b\n", 1))
	s.hup <- os.Interrupt // any value: it stands for SIGHUP
	s.waitFor("the refusal", func() bool {
		return strings.Contains(s.log.String(), s.config+":2:7: << in bot merges *b into itself, which would never end")
	})
	select {
	case code := <-s.done:
		s.done <- code
		t.Fatalf("run exited %d on a reload of a looping file", code)
	default:
	}
	if text := s.reply(s.tweet(bob, "@AmexOffers #BuyKindleFireHD", 0).ID).Text; !strings.Contains(text, "199.00 USD") {
		t.Errorf("a request after the refused reload says %q, want the running price 199.00 USD", text)
	}
}

// checkUsage runs `paybytweet usage -json` after alice's purchase of the
// Kindle: her two tweets read and two replies made.
func checkUsage(t *testing.T, s *scenario) {
	t.Helper()
	code, out, errs := s.admin("usage", "-json")
	var usage []admin.UsageRow
	if err := json.Unmarshal([]byte(out), &usage); code != 0 || err != nil {
		t.Fatalf("usage -json = %d, %v, %q", code, err, errs)
	}
	for _, u := range usage {
		if u.Offer == "kindle-fire-hd" && u.Counts["mention_read"] == 2 && u.Counts["reply"] == 2 && u.Paid == 1 && u.CostPerPaid == "0.022" {
			return
		}
	}
	t.Errorf("usage -json = %s, want the Kindle's two reads and two replies, 0.022 for its one purchase", out)
}
