package sandbox

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
)

// exampleYAML is the repository's example configuration, which main
// embeds.
func exampleYAML(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

type syncBuffer = testkit.Buffer

// runOnce runs the sandbox to its end and returns what it printed and the
// sandbox, for a look at the emulators afterwards.
func runOnce(t *testing.T, opt Options) (string, *sandbox) {
	t.Helper()
	out := &syncBuffer{}
	var s *sandbox
	opt.ConfigYAML, opt.Stdout, opt.Once = exampleYAML(t), out, true
	if opt.Listen == "" {
		opt.Listen = "127.0.0.1:0"
	}
	opt.started = func(sb *sandbox) { s = sb }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Run(ctx, opt); err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	if s == nil {
		t.Fatalf("Run returned without starting\noutput:\n%s", out)
	}
	return out.String(), s
}

// TestDemoBuysOnce runs the demo on each API: `paybytweet sandbox` and
// `paybytweet sandbox -api v2`.
func TestDemoBuysOnce(t *testing.T) {
	for _, api := range []string{config.APIv1, config.APIv2} {
		t.Run(api, func(t *testing.T) { testDemoBuysOnce(t, api) })
	}
}

func testDemoBuysOnce(t *testing.T, api string) {
	out, s := runOnce(t, Options{Demo: true, API: api})
	saysAPIFirst(t, out, api)
	// Every call the bot made went to that API's routes.
	v2 := 0
	for _, q := range s.tw.Requests() {
		if strings.HasPrefix(q.Path, "/2/") {
			v2++
		}
	}
	if n := len(s.tw.Requests()); n == 0 || (api == config.APIv2) != (v2 == n) || (api == config.APIv1) != (v2 == 0) {
		t.Errorf("on %s, %d of the bot's %d requests went to v2", api, v2, n)
	}
	// On v2 the emulator pushed alice's tweets to the bot, which says so
	// at start.
	if pushed := len(s.tw.PushEvents()); (api == config.APIv2) != (pushed > 0 && strings.Contains(out, "Push:     stream")) {
		t.Errorf("on %s, %d events pushed; output:\n%s", api, pushed, out)
	}
	ps := s.iss.Purchases()
	if len(ps) != 1 {
		t.Fatalf("the issuer has %d purchases, want exactly one: %+v\noutput:\n%s", len(ps), ps, out)
	}
	p := ps[0]
	o, _ := s.demoOffer()
	if p.Status != issuersandbox.StatusApproved || p.Amount != o.Price || p.Currency != o.Currency || p.Cardholder != "chd_alice" {
		t.Errorf("purchase = %+v", p)
	}
	// The receipt is the bot's line to alice that names the order and the
	// purchase; the issuer's purchase is shown after it.
	receipt := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "@"+s.bot.ScreenName+" → @alice: ") && strings.Contains(line, p.ID) {
			receipt = line
		}
	}
	if receipt == "" || !strings.Contains(receipt, p.Reference) {
		t.Errorf("no receipt with order %s and purchase %s in the output:\n%s", p.Reference, p.ID, out)
	}
	for _, want := range []string{
		"@alice: @" + s.bot.ScreenName + " #" + o.BuyHashtag + "\n",
		"@alice → @" + s.bot.ScreenName + ": ",
		"issuer: purchase " + p.ID + " approved",
		"alice", "bob", "carol", "dave", "erin", s.webURL,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "Demo done") {
		t.Errorf("the demo did not say it finished:\n%s", out)
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary directory %s is left behind (%v)", s.dir, err)
	}
}

// minimalYAML is a one-offer configuration for the demo's edge cases.
func minimalYAML(privacy string, quantity int) []byte {
	return []byte(`bot:
  screen_name: AmexOffers
storage:
  path: x.db
twitter:
  api_url: https://api.twitter.com/1.1/
  consumer_key: ${TWITTER_CONSUMER_KEY}
  consumer_secret: ${TWITTER_CONSUMER_SECRET}
  access_token: ${TWITTER_ACCESS_TOKEN}
  access_secret: ${TWITTER_ACCESS_SECRET}
issuer:
  url: https://issuer.example/
  api_key: ${ISSUER_API_KEY}
  enroll_url: https://issuer.example/link-twitter
privacy: ` + privacy + `
offers:
  - id: kindle-fire-hd
    title: Kindle Fire HD
    buy_hashtag: BuyKindleFireHD
    confirm_hashtag: ConfirmKindleFireHD
    price: "199.00"
    currency: USD
    merchant: mer_amazon
    quantity: ` + strconv.Itoa(quantity) + `
    starts: 2020-01-01T00:00:00Z
    ends: 2021-01-01T00:00:00Z
`)
}

// TestAPIFromTheFile: without -api the sandbox speaks the API the file
// names, at that API's address of the emulator; the file's push (a
// webhook at its public address) and OAuth 2.0 (X's token endpoint) give
// way to the emulator's stream, in the file left for the admin commands
// too.
func TestAPIFromTheFile(t *testing.T) {
	yaml := strings.Replace(string(minimalYAML("public", 5)), "  api_url: https://api.twitter.com/1.1/\n", `  api: v2
  api_url: https://api.x.com/2/
  push:
    mode: webhook
    bearer_token: ${TWITTER_BEARER_TOKEN}
    webhook:
      listen: 127.0.0.1:8443
      path: /x/webhook
      url: https://bot.issuer.example/x/webhook
  oauth2:
    client_id: abc
    client_secret: ${TWITTER_CLIENT_SECRET}
`, 1)
	out := &syncBuffer{}
	var s *sandbox
	err := Run(context.Background(), Options{ConfigYAML: []byte(yaml), Listen: "127.0.0.1:0", Stdout: out, Demo: true, Once: true,
		started: func(sb *sandbox) { s = sb }})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	if s.cfg.Twitter.API != config.APIv2 || s.cfg.Twitter.APIURL != s.tw.URLv2() {
		t.Errorf("the sandbox runs %s at %s; want v2 at %s", s.cfg.Twitter.API, s.cfg.Twitter.APIURL, s.tw.URLv2())
	}
	if p := s.cfg.Twitter.Push; p.Mode != config.PushStream || s.cfg.Twitter.OAuth2 != nil || len(s.tw.Subscriptions()) != 3 {
		t.Errorf("push %v, OAuth 2.0 %v, %d subscriptions; want the emulator's stream", p, s.cfg.Twitter.OAuth2, len(s.tw.Subscriptions()))
	}
	if s.adminConfigErr != nil {
		t.Errorf("no configuration for the admin commands: %v", s.adminConfigErr)
	}
	saysAPIFirst(t, out.String(), config.APIv2)
}

// saysAPIFirst checks that the first thing the sandbox says is which API
// it runs on.
func saysAPIFirst(t *testing.T, out, api string) {
	t.Helper()
	if first, _, _ := strings.Cut(out, "\n"); !strings.Contains(first, "Twitter API "+api) {
		t.Errorf("the output starts %q; want it to say it runs on the Twitter API %s", first, api)
	}
}

// TestAdminConfigIsTheRunningOne: the configuration the sandbox leaves in
// its directory validates with nothing in the environment and says what
// the sandbox runs: its database, API, address, credentials, budgets and
// the offers as opened.
func TestAdminConfigIsTheRunningOne(t *testing.T) {
	dir := t.TempDir()
	_, s := runOnce(t, Options{API: config.APIv2, Dir: dir})
	got, err := config.Load(filepath.Join(dir, "sandbox.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	want := s.cfg
	if got.Storage.Path != filepath.Join(dir, "sandbox.db") || got.Twitter.API != config.APIv2 || got.Twitter.APIURL != want.Twitter.APIURL ||
		got.Twitter.ConsumerKey != sandboxConsumerKey || got.Issuer.APIKey != sandboxIssuerKey || got.Issuer.URL != want.Issuer.URL ||
		got.Twitter.Limits != config.APILimits(config.APIv2) || got.Health.Listen != "" || got.Twitter.Push != want.Twitter.Push {
		t.Errorf("the file's configuration:\n%+v\nwant the running one:\n%+v", got, want)
	}
	sameDates(t, got.Offers, want.Offers)
}

// sameDates checks that the file's offers are the running ones, with the
// same dates.
func sameDates(t *testing.T, got, want []config.Offer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("the file has %d offers, the sandbox %d", len(got), len(want))
	}
	for i, o := range got {
		w := want[i]
		if o.ID != w.ID || !o.Starts.Equal(w.Starts) || !o.Ends.Equal(w.Ends) || !o.AnnounceAt.Equal(w.AnnounceAt) {
			t.Errorf("offer %s in the file: %v to %v, announced %v; the sandbox runs it %v to %v, announced %v",
				o.ID, o.Starts, o.Ends, o.AnnounceAt, w.Starts, w.Ends, w.AnnounceAt)
		}
	}
}

// TestDemoPrivacyDM runs the demo where the request and receipt go by DM
// (and the example's dates are long past, so the sandbox must open the
// offer).
func TestDemoPrivacyDM(t *testing.T) {
	out := &syncBuffer{}
	var s *sandbox
	err := Run(context.Background(), Options{ConfigYAML: minimalYAML("dm", 5), Listen: "127.0.0.1:0", Stdout: out, Demo: true, Once: true,
		started: func(sb *sandbox) { s = sb }})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	ps := s.iss.Purchases()
	if len(ps) != 1 || ps[0].Status != issuersandbox.StatusApproved {
		t.Fatalf("purchases = %+v\noutput:\n%s", ps, out)
	}
	if !strings.Contains(out.String(), "DM @AmexOffers → @alice: ") || !strings.Contains(out.String(), ps[0].Reference) {
		t.Errorf("no DM receipt in the output:\n%s", out)
	}
}

// TestDemoFailsFast: a demo that cannot buy says why at once, and Run
// returns an error, so that `sandbox -once` in CI fails.
func TestDemoFailsFast(t *testing.T) {
	out := &syncBuffer{}
	start := time.Now()
	err := Run(context.Background(), Options{ConfigYAML: minimalYAML("public", 0), Listen: "127.0.0.1:0", Stdout: out, Demo: true, Once: true})
	if err == nil || !strings.Contains(err.Error(), "did not ask alice to confirm") {
		t.Fatalf("Run = %v, want the demo's failure\noutput:\n%s", err, out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the failing demo took %s", d)
	}
	if !strings.Contains(out.String(), "sold out") {
		t.Errorf("the bot's answer is not shown:\n%s", out)
	}
}

// TestOwnFileDemoFailsAndGoesOn: with the person's own file, whose offer
// may be sold out on purpose, a demo that cannot buy is said and the
// sandbox goes on to the commands, rather than ending.
func TestOwnFileDemoFailsAndGoesOn(t *testing.T) {
	out := &syncBuffer{}
	err := Run(context.Background(), Options{ConfigYAML: minimalYAML("public", 0), ConfigFile: "mine.yaml", Listen: "127.0.0.1:0",
		Stdout: out, Demo: true, Stdin: strings.NewReader("bob: #BuyKindleFireHD\nquit\n")})
	if err != nil {
		t.Fatalf("Run = %v, want the sandbox to go on after the demo\noutput:\n%s", err, out)
	}
	for _, want := range []string{"did not ask alice to confirm", "the sandbox goes on", "Offers from mine.yaml", "@bob: @AmexOffers #BuyKindleFireHD"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
}

// TestBadExample: a broken example file is refused with its problem, and
// nothing is left running or on disk.
func TestBadExample(t *testing.T) {
	dir := t.TempDir()
	out := &syncBuffer{}
	err := Run(context.Background(), Options{ConfigYAML: []byte("bot:\n  screen_nam: X\n"), Listen: "127.0.0.1:0", Stdout: out, Demo: true, Once: true, Dir: dir + "/sb"})
	if err == nil || !strings.Contains(err.Error(), "screen_nam") {
		t.Fatalf("Run = %v, want the file's problem", err)
	}
	if entries, _ := os.ReadDir(dir + "/sb"); len(entries) != 1 || entries[0].Name() != "paybytweet.log" {
		t.Errorf("left in Dir: %v, want only the log", entries)
	}
	if err := Run(context.Background(), Options{Stdout: out}); err == nil {
		t.Errorf("Run without a configuration did not fail")
	}
}

func TestPromptHelpDM(t *testing.T) {
	out, s := runOnce(t, Options{Stdin: strings.NewReader("dm alice: help\n")})
	mark := "DM @" + s.bot.ScreenName + " → @alice: "
	i := strings.Index(out, mark)
	if i < 0 || !strings.Contains(out, "DM @alice → @"+s.bot.ScreenName+": help\n") {
		t.Fatalf("no help DM exchange in the output:\n%s", out)
	}
	answer := out[i:]
	for _, o := range s.cfg.Offers {
		if !strings.Contains(answer, "#"+o.BuyHashtag) {
			t.Errorf("the help DM does not list #%s:\n%s", o.BuyHashtag, answer)
		}
	}
	if len(s.iss.Purchases()) != 0 {
		t.Errorf("help charged something: %+v", s.iss.Purchases())
	}
}

// exampleConfig is the example configuration as the sandbox parses it.
func exampleConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse(exampleYAML(t), "config.example.yaml", sandboxEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestPromptCommands runs the prompt's commands on each API: on v2 push
// brings the messages, on v1.1 the polls.
func TestPromptCommands(t *testing.T) {
	for _, api := range []string{config.APIv1, config.APIv2} {
		t.Run(api, func(t *testing.T) { testPromptCommands(t, api) })
	}
}

func testPromptCommands(t *testing.T, api string) {
	cfg := exampleConfig(t)
	bot := "@" + cfg.Bot.ScreenName
	first, last := cfg.Offers[0], cfg.Offers[len(cfg.Offers)-1]
	script := strings.Join([]string{
		"bob: #" + first.BuyHashtag, // the mention is added
		"confirm bob",
		"approve bob", // over the sandbox's approval threshold
		"carol: " + bot + " #" + first.BuyHashtag,
		"link carol",
		"erin> #" + last.BuyHashtag,
		"erin> yes",
		"frank: hi",
		"what now",
		"purchases",
		"quit",
		"bob: never read after quit",
	}, "\n")
	out, s := runOnce(t, Options{Stdin: strings.NewReader(script), API: api})
	for _, want := range []string{
		"@bob: " + bot + " #" + first.BuyHashtag + "\n",
		"(added " + bot,
		"@bob → " + bot + ": " + bot + " #" + first.ConfirmHashtag + "\n",
		bot + " → @carol: @carol ", s.webURL + "/link-card",
		"issuer: @carol's card ending 3003 is now linked",
		"DM " + bot + " → @erin: ",
		`there is no cardholder "frank"`,
		`I did not understand "what now"`,
		"The issuer's purchases",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "never read") {
		t.Errorf("a command after quit ran:\n%s", out)
	}
	var bob, erin []issuersandbox.Purchase
	for _, p := range s.iss.Purchases() {
		switch p.Cardholder {
		case "chd_bob":
			bob = append(bob, p)
		case "chd_erin":
			erin = append(erin, p)
		}
	}
	if len(bob) != 1 || bob[0].Status != issuersandbox.StatusApproved {
		t.Errorf("bob's purchases = %+v, want one approved", bob)
	}
	if len(erin) != 1 || erin[0].Status != issuersandbox.StatusDeclined {
		t.Errorf("erin's purchases = %+v, want one declined", erin)
	}
}

// startServing runs the sandbox until the test ends, for the web page.
func startServing(t *testing.T) (*sandbox, *syncBuffer) {
	t.Helper()
	return startServingWith(t, Options{})
}

// startServingWith is startServing with opt (its configuration, address,
// output and started are startServing's).
func startServingWith(t *testing.T, opt Options) (*sandbox, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	started := make(chan *sandbox, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opt.ConfigYAML, opt.Listen, opt.Stdout = exampleYAML(t), "127.0.0.1:0", out
	opt.started = func(s *sandbox) { started <- s }
	go func() {
		done <- Run(ctx, opt)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case s := <-started:
		return s, out
	case err := <-done:
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	case <-time.After(30 * time.Second):
		t.Fatalf("the sandbox did not start\noutput:\n%s", out)
	}
	return nil, nil
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, body)
	}
	return string(body)
}

// post submits a form as the page's own form does in a browser, with the
// page's Origin, and returns the page it leads to.
func post(t *testing.T, u string, form url.Values) string {
	t.Helper()
	to, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", to.Scheme+"://"+to.Host)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Request.Method != http.MethodGet {
		t.Fatalf("POST %s: %s (ended at %s %s)\n%s", u, resp.Status, resp.Request.Method, resp.Request.URL, body)
	}
	return string(body)
}

// TestWebPage drives the page on each API: each form comes back with the
// bot's answer.
func TestWebPage(t *testing.T) {
	for _, api := range []string{config.APIv1, config.APIv2} {
		t.Run(api, func(t *testing.T) { testWebPage(t, api) })
	}
}

func testWebPage(t *testing.T, api string) {
	s, out := startServingWith(t, Options{API: api})
	bob := s.people[1]
	page := get(t, s.webURL+"/")
	for _, want := range []string{"paybytweet sandbox", "@bob", "Timeline", "Issuer purchases", "Direct messages", `action="/send"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the empty page lacks %q", want)
		}
	}

	// bob tweets the last offer's buy hashtag through the form; the page he
	// is sent back to shows the bot's answer and a one-click confirmation.
	o := s.cfg.Offers[len(s.cfg.Offers)-1]
	page = post(t, s.webURL+"/send", url.Values{"as": {"bob"}, "mode": {"tweet"}, "text": {"#" + o.BuyHashtag}})
	req, ok := s.lastBotTweetTo(bob)
	if !ok {
		t.Fatalf("the bot did not answer bob's tweet\npage:\n%s", page)
	}
	orderID := orderIn(req.Text)
	if orderID == "" || !strings.Contains(page, orderID) {
		t.Errorf("the page does not show the bot's request %q", req.Text)
	}
	if !strings.Contains(page, "Confirm as @bob") || !strings.Contains(page, `value="`+strconv.FormatInt(req.ID, 10)+`"`) {
		t.Errorf("the page has no confirm button for bob's request")
	}
	page = post(t, s.webURL+"/confirm", url.Values{"as": {"bob"}, "tweet": {strconv.FormatInt(req.ID, 10)}})
	ps := s.iss.Purchases()
	if len(ps) != 1 || ps[0].Reference != orderID || ps[0].Status != issuersandbox.StatusApproved {
		t.Fatalf("purchases after the confirm button = %+v", ps)
	}
	if !strings.Contains(page, ps[0].ID) || strings.Contains(page, "Confirm as @bob") {
		t.Errorf("the page does not show purchase %s, or still offers to confirm", ps[0].ID)
	}
	// The terminal shows what happened on the page, too.
	waitFor(t, func() bool { return strings.Contains(out.String(), "issuer: purchase "+ps[0].ID) }, "the terminal to show the purchase:\n"+out.String())

	// A DM from the page, and the reply mode without anything to reply to.
	page = post(t, s.webURL+"/send", url.Values{"as": {"alice"}, "mode": {"dm"}, "text": {"orders"}})
	if !strings.Contains(page, "bubble bot") {
		t.Errorf("the page shows no DM from the bot after alice's DM")
	}
	page = post(t, s.webURL+"/send", url.Values{"as": {"carol"}, "mode": {"reply"}, "text": {"hi"}})
	if !strings.Contains(page, "flash err") || !strings.Contains(page, "@carol has no tweet") {
		t.Errorf("replying without a bot tweet shows no error")
	}

	// Whatever a cardholder writes is shown as text, never as markup.
	page = post(t, s.webURL+"/send", url.Values{"as": {"bob"}, "mode": {"tweet"}, "text": {`<script>alert("x")</script> <b>hi</b>`}})
	if strings.Contains(page, `<script>alert`) || strings.Contains(page, "<b>hi</b>") || !strings.Contains(page, html.EscapeString("<b>hi</b>")) {
		t.Errorf("a tweet's markup is not escaped")
	}

	// The enrollment link the bot sends leads to a page that links a card.
	if !strings.Contains(get(t, s.webURL+"/link-card"), "Link a card") {
		t.Errorf("the link-card page offers no link")
	}
	post(t, s.webURL+"/link-card", url.Values{"as": {"carol"}})
	s.mu.Lock()
	status := s.people[2].Status
	s.mu.Unlock()
	if status != issuersandbox.StatusActive {
		t.Errorf("carol's enrollment = %q after linking", status)
	}
}

// TestWebRefusesOtherSites: another web page open in the same browser
// must not drive the sandbox (a form or fetch POSTed across sites), nor
// read it through DNS rebinding (a name of the attacker's that resolves to
// 127.0.0.1, so the request carries the attacker's Host). Each is refused
// with 403 and changes nothing; the page's own requests still work.
func TestWebRefusesOtherSites(t *testing.T) {
	s, _ := startServing(t)
	u, err := url.Parse(s.webURL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	send := url.Values{"as": {"bob"}, "mode": {"tweet"}, "text": {"#BuyKindleFireHD"}}
	tests := []struct {
		name, method, path string
		form               url.Values
		header             map[string]string
		host               string // "" keeps the address's own
	}{
		{"a foreign Origin", "POST", "/send", send, map[string]string{"Origin": "http://evil.example"}, ""},
		{"the page's port on another host", "POST", "/send", send, map[string]string{"Origin": "http://evil.example:" + port}, ""},
		{"an opaque Origin", "POST", "/send", send, map[string]string{"Origin": "null"}, ""},
		{"no Origin, cross-site", "POST", "/send", send, map[string]string{"Sec-Fetch-Site": "cross-site"}, ""},
		{"no Origin, same-site", "POST", "/send", send, map[string]string{"Sec-Fetch-Site": "same-site"}, ""},
		{"no Origin nor Sec-Fetch-Site", "POST", "/send", send, nil, ""},
		{"confirm from a foreign Origin", "POST", "/confirm", url.Values{"as": {"bob"}}, map[string]string{"Origin": "http://evil.example"}, ""},
		{"link a card from a foreign Origin", "POST", "/link-card", url.Values{"as": {"carol"}}, map[string]string{"Origin": "http://evil.example"}, ""},
		{"a rebound name, matching Origin", "POST", "/send", send, map[string]string{"Origin": "http://evil.example:" + port}, "evil.example:" + port},
		{"GET the page by a rebound name", "GET", "/", nil, nil, "evil.example:" + port},
		{"GET the version by a rebound name", "GET", "/version", nil, nil, "evil.example:" + port},
		{"GET the link page by a rebound name", "GET", "/link-card", nil, nil, "evil.example:" + port},
		{"GET by localhost on another port", "GET", "/", nil, nil, "localhost:1"},
	}
	for _, tt := range tests {
		if got := status(t, tt.method, s.webURL+tt.path, tt.host, tt.form, tt.header); got != http.StatusForbidden {
			t.Errorf("%s: %s %s = %d, want 403 Forbidden", tt.name, tt.method, tt.path, got)
		}
	}
	// Nothing was posted as a cardholder, and carol's card is not linked.
	for _, m := range s.messages() {
		if m.From != s.bot.ID {
			t.Errorf("a refused request posted %+v", m)
		}
	}
	s.mu.Lock()
	linked := s.people[2].Status == issuersandbox.StatusActive
	s.mu.Unlock()
	if linked {
		t.Errorf("a refused request linked carol's card")
	}

	// The page's own names and requests are served: the address it
	// listens on, localhost and [::1] with its port, and a POST from the
	// page (Origin, or else Sec-Fetch-Site: same-origin).
	for _, host := range []string{u.Host, "localhost:" + port, "[::1]:" + port} {
		if got := status(t, "GET", s.webURL+"/version", host, nil, nil); got != http.StatusOK {
			t.Errorf("GET /version with Host %s = %d, want 200", host, got)
		}
	}
	dm := url.Values{"as": {"alice"}, "mode": {"dm"}, "text": {"help"}}
	for _, header := range []map[string]string{{"Origin": s.webURL}, {"Sec-Fetch-Site": "same-origin"}} {
		if got := status(t, "POST", s.webURL+"/send", "", dm, header); got != http.StatusSeeOther {
			t.Errorf("POST /send with %v = %d, want 303 back to the page", header, got)
		}
	}
}

// status sends a request (with the Host header host unless it is "", and
// form as its body unless it is nil) and returns its answer's status,
// redirects not followed.
func status(t *testing.T, method, u, host string, form url.Values, header map[string]string) int {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// noRedirects is a client that shows the first answer as it is.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestListenBusyFallsBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, s := runOnce(t, Options{Listen: ln.Addr().String()})
	if s.webURL == "http://"+ln.Addr().String() || !strings.Contains(out, " is busy, so the web page is at "+s.webURL) {
		t.Errorf("no fallback from the busy %s (page at %s):\n%s", ln.Addr(), s.webURL, out)
	}
}

func TestSandboxConfig(t *testing.T) {
	// The real environment must not leak into the sandbox.
	t.Setenv("TWITTER_CONSUMER_KEY", "real-key")
	t.Setenv("ISSUER_API_KEY", "sk_live_real")
	yaml := string(exampleYAML(t))
	cfg, err := config.Parse([]byte(yaml), "example.yaml", sandboxEnv)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)
	future, past := now.Add(48*time.Hour), now.Add(-48*time.Hour)
	cfg.Offers = append(cfg.Offers,
		config.Offer{ID: "later", Starts: future, Ends: future.Add(time.Hour), AnnounceAt: future},
		config.Offer{ID: "over", Starts: past.Add(-time.Hour), Ends: past},
		config.Offer{ID: "open", Starts: past, Ends: future})
	s := &sandbox{cfg: cfg, tw: twitteremu.New(twitteremu.Options{}), iss: issuersandbox.New(issuersandbox.Options{}),
		bot: twitteremu.User{ScreenName: "AmexOffers"}, dbPath: "/tmp/x/sandbox.db", webURL: "http://127.0.0.1:1"}
	s.sandboxConfig(now)
	c := s.cfg
	if c.Twitter.ConsumerKey != sandboxConsumerKey || c.Issuer.APIKey != sandboxIssuerKey {
		t.Errorf("credentials = %q, %q; want the sandbox's", c.Twitter.ConsumerKey, c.Issuer.APIKey)
	}
	if c.Storage.Path != "/tmp/x/sandbox.db" || c.Twitter.Poll.Mentions != "@every 1s" || c.Twitter.Poll.DirectMessages != "@every 1s" ||
		c.Health.Listen != "" || c.Issuer.EnrollURL != "http://127.0.0.1:1/link-card" {
		t.Errorf("overrides not applied: %+v", c)
	}
	if c.Twitter.Push.On() {
		t.Errorf("push on v1.1: %v", c.Twitter.Push)
	}
	s.opt.API = config.APIv2
	s.sandboxConfig(now)
	if p := s.cfg.Twitter.Push; p.Mode != config.PushStream || p.BearerToken != sandboxBearerToken || p.Reconcile != sandboxReconcile || s.cfg.Twitter.OAuth2 != nil {
		t.Errorf("push on v2: %v, OAuth 2.0 %v; want the emulator's stream, reconciled %s, and no OAuth 2.0", p, s.cfg.Twitter.OAuth2, sandboxReconcile)
	}
	byID := map[string]config.Offer{}
	for _, o := range c.Offers {
		byID[o.ID] = o
	}
	if o := byID["later"]; !o.Starts.IsZero() || !o.Ends.Equal(future.Add(time.Hour)) || !o.AnnounceAt.Equal(now) {
		t.Errorf("an offer starting later: %+v, want open now", o)
	}
	if o := byID["over"]; !o.Ends.IsZero() {
		t.Errorf("an ended offer: %+v, want it never to end", o)
	}
	if o := byID["open"]; !o.Starts.Equal(past) || !o.Ends.Equal(future) {
		t.Errorf("an open offer was changed: %+v", o)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line string
		want command
		err  bool
	}{
		{"", command{}, false},
		{"alice: @AmexOffers #BuyKindleFireHD", command{verb: "tweet", who: "alice", text: "@AmexOffers #BuyKindleFireHD"}, false},
		{"  @Alice :  hi  ", command{verb: "tweet", who: "@Alice", text: "hi"}, false},
		{"bob> yes", command{verb: "dm", who: "bob", text: "yes"}, false},
		{"bob>yes", command{verb: "dm", who: "bob", text: "yes"}, false},
		{"dm alice: help", command{verb: "dm", who: "alice", text: "help"}, false},
		{"DM alice help", command{verb: "dm", who: "alice", text: "help"}, false},
		{"reply alice: #ConfirmKindleFireHD", command{verb: "reply", who: "alice", text: "#ConfirmKindleFireHD"}, false},
		{"tweet bob: hello", command{verb: "tweet", who: "bob", text: "hello"}, false},
		{"confirm bob", command{verb: "confirm", who: "bob"}, false},
		{"link carol", command{verb: "link", who: "carol"}, false},
		{"timeline", command{verb: "timeline"}, false},
		{"dms", command{verb: "dms"}, false},
		{"dms alice", command{verb: "dms", who: "alice"}, false},
		{"purchases", command{verb: "purchases"}, false},
		{"approvals", command{verb: "approvals"}, false},
		{"approve", command{verb: "approve"}, false},
		{"approve @bob", command{verb: "approve", text: "@bob"}, false},
		{"Decline pur_AB", command{verb: "decline", text: "pur_AB"}, false},
		{"deny ab", command{verb: "decline", text: "ab"}, false},
		{"approve bob now", command{}, true},
		{"help", command{verb: "help"}, false},
		{"quit", command{verb: "quit"}, false},
		{"dm alice", command{}, true},
		{"reply", command{}, true},
		{"hello there", command{}, true},
	}
	for _, tt := range tests {
		got, err := parseCommand(tt.line)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseCommand(%q) = %+v, %v; want %+v, error %v", tt.line, got, err, tt.want, tt.err)
		}
	}
}

func TestParts(t *testing.T) {
	got := parts("@bob link at http://x.test/a then #Buy it")
	want := []part{{Text: "@bob", Tag: true}, {Text: " link at "}, {Text: "http://x.test/a", URL: "http://x.test/a"}, {Text: " then "}, {Text: "#Buy", Tag: true}, {Text: " it"}}
	if len(got) != len(want) {
		t.Fatalf("parts = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// orderIn returns the first order id in text, or "".
func orderIn(text string) string {
	i := strings.Index(text, "ord_")
	if i < 0 {
		return ""
	}
	j := i + len("ord_")
	for j < len(text) && (text[j] >= '0' && text[j] <= '9' || text[j] >= 'a' && text[j] <= 'z') {
		j++
	}
	return text[i:j]
}

// waitFor waits for something the sandbox does on its own schedule (the
// terminal watcher), failing after a deadline.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
