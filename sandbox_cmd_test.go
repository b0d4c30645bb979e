package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runSandbox runs `paybytweet sandbox -once` with args and the commands
// on stdin, its page on a free port.
func runSandbox(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, LookupEnv: noEnv}
	code = m.Run(context.Background(), append([]string{"sandbox", "-once", "-listen", "127.0.0.1:0"}, args...))
	return code, out.String(), errb.String()
}

// TestSandboxDirLeavesAdminConfig: after `sandbox -dir DIR` the admin
// commands work with the configuration it leaves there, as it is, and
// with no secrets in the environment: they see the demo's order.
func TestSandboxDirLeavesAdminConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sb")
	code, out, errs := runSandbox(t, "", "-dir", dir)
	if code != 0 {
		t.Fatalf("sandbox -dir = %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	order := regexp.MustCompile(`for order (ord_[a-z0-9]+)`).FindStringSubmatch(out)
	if order == nil {
		t.Fatalf("the demo names no order:\n%s", out)
	}
	cfg := filepath.Join(dir, "sandbox.yaml")
	if !strings.Contains(out, cfg) {
		t.Errorf("the sandbox does not say where its configuration is (%s):\n%s", cfg, out)
	}
	for _, args := range [][]string{
		{"orders", "-config", cfg},
		{"offers", "-config", cfg},
		{"inbox", "-config", cfg},
		{"check-config", "-config", cfg},
	} {
		code, got, errs := run(t, noEnv, args...)
		if code != 0 {
			t.Errorf("%s = %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, got, errs)
			continue
		}
		if args[0] == "orders" && (!strings.Contains(got, order[1]) || !strings.Contains(got, "paid")) {
			t.Errorf("orders does not list the demo's paid order %s:\n%s", order[1], got)
		}
		if args[0] == "offers" && !strings.Contains(got, "kindle-fire-hd") {
			t.Errorf("offers does not list the sandbox's offers:\n%s", got)
		}
	}
}

// ownOffers is a configuration of the person's own for the sandbox: an
// offer that sells, one sold out, and one that has ended.
const ownOffers = `bot:
  screen_name: MyShop
storage:
  path: shop.db
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
offers:
  - id: mug
    title: Mug
    buy_hashtag: BuyMug
    confirm_hashtag: ConfirmMug
    price: "12.00"
    currency: USD
    merchant: mer_mugs
  - id: gone
    title: Last Year's Hat
    buy_hashtag: BuyHat
    confirm_hashtag: ConfirmHat
    price: "20.00"
    currency: USD
    merchant: mer_hats
    quantity: 0
  - id: over
    title: Summer Sale
    buy_hashtag: BuySummer
    confirm_hashtag: ConfirmSummer
    price: "5.00"
    currency: USD
    merchant: mer_sale
    starts: 2020-06-01T00:00:00Z
    ends: 2020-09-01T00:00:00Z
`

// TestSandboxOwnConfig: `sandbox -config FILE` runs the person's own
// offers as written (a sold-out one is sold out, an ended one has ended),
// with the sandbox's credentials for the file's ${NAME}s, never the
// environment's.
func TestSandboxOwnConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.yaml")
	if err := os.WriteFile(path, []byte(ownOffers), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runSandbox(t, "bob: #BuyHat\nerin: #BuySummer\n", "-config", path)
	if code != 0 {
		t.Fatalf("sandbox -config = %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{
		"@MyShop",                         // the file's bot
		"Demo done",                       // alice bought the first offer
		"Last Year's Hat is sold out",     // as written: none for sale
		"the Summer Sale offer has ended", // as written: not opened by the sandbox
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, path) {
		t.Errorf("the output does not name the file %s:\n%s", path, out)
	}
}

// TestSandboxOwnConfigProblems: a file that does not validate is refused
// as check-config refuses it: exit 1 and each problem at its line.
func TestSandboxOwnConfigProblems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.yaml")
	bad := strings.Replace(strings.Replace(ownOffers, "    merchant: mer_hats\n", "    merchnt: mer_hats\n", 1), `price: "5.00"`, `price: "5.001"`, 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runSandbox(t, "", "-config", path)
	if code != 1 {
		t.Fatalf("sandbox -config with a bad file = %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{"merchnt", "5.001"} {
		line := findLine(bad, want)
		if prefix := path + ":" + strconv.Itoa(line) + ":"; !strings.Contains(errs, prefix) || !strings.Contains(errs, want) {
			t.Errorf("the problem with %s is not reported at %s:\n%s", want, prefix, errs)
		}
	}
	if code, _, errs := runSandbox(t, "", "-config", path+".missing"); code != 1 || !strings.Contains(errs, "shop.yaml.missing") {
		t.Errorf("sandbox -config with a missing file = %d, %q; want 1 and its name", code, errs)
	}
}
