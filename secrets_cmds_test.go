package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/conversations"
)

// noEnv is an environment without a single variable: a machine that
// holds none of the bot's credentials.
func noEnv(string) (string, bool) { return "", false }

// TestReadOnlyCommandsNeedNoSecrets: on a machine without the Twitter and
// issuer credentials, the commands that only read the database work, with
// the credentials' variables unset or their keys left out; a command that
// calls the issuer still says which of its own is missing, and only that.
func TestReadOnlyCommandsNeedNoSecrets(t *testing.T) {
	unset := writeConfig(t, "http://127.0.0.1:1/1.1/", "http://127.0.0.1:1/")
	text := readFile(t, unset)
	for _, key := range []string{"consumer_key", "consumer_secret", "access_token", "access_secret", "api_key"} {
		var kept []string
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), key+":") {
				kept = append(kept, l)
			}
		}
		text = strings.Join(kept, "\n")
	}
	left := filepath.Join(t.TempDir(), "left-out.yaml")
	if err := os.WriteFile(left, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{unset, left} {
		for _, args := range [][]string{
			{"orders", "-config", path}, {"offers", "-config", path}, {"inbox", "-config", path}, {"usage", "-config", path},
		} {
			if code, _, stderr := run(t, noEnv, args...); code != 0 {
				t.Errorf("paybytweet %v without credentials = %d, %q; want 0", args[:1], code, stderr)
			}
		}
	}
	code, _, stderr := run(t, noEnv, "refund", "-config", unset, "ord_nosuchorder")
	if code != 1 || !strings.Contains(stderr, "environment variable ISSUER_API_KEY is not set") || strings.Contains(stderr, "TWITTER_") {
		t.Errorf("refund without credentials = %d, %q; want 1 and ISSUER_API_KEY alone named", code, stderr)
	}
	code, _, stderr = run(t, noEnv, "refund", "-config", left, "ord_nosuchorder")
	if code != 1 || !strings.Contains(stderr, "issuer.api_key is required") {
		t.Errorf("refund with issuer.api_key left out = %d, %q; want 1 and the key named", code, stderr)
	}
	code, _, stderr = run(t, noEnv, "check-config", "-config", unset)
	if code != 1 || strings.Count(stderr, "is not set") != 5 {
		t.Errorf("check-config without credentials = %d, %q; want 1 and all five named", code, stderr)
	}
}

// TestOrdersStateFilterListsTheStates: a -state that is no order state
// says which are, every one of them, from conversations.States.
func TestOrdersStateFilterListsTheStates(t *testing.T) {
	path := writeConfig(t, "http://127.0.0.1:1/1.1/", "http://127.0.0.1:1/")
	code, _, stderr := run(t, env(nil), "orders", "-config", path, "-state", "bogus")
	if code != 1 || !strings.Contains(stderr, `-state "bogus"`) {
		t.Fatalf("orders -state bogus = %d, %q; want 1 and the value named", code, stderr)
	}
	for _, s := range conversations.States {
		if !strings.Contains(stderr, string(s)) {
			t.Errorf("orders -state bogus: %q does not list %q", stderr, s)
		}
	}
	for _, s := range conversations.States {
		if code, _, stderr := run(t, env(nil), "orders", "-config", path, "-state", string(s)); code != 0 {
			t.Errorf("orders -state %s = %d, %q", s, code, stderr)
		}
	}
}
