package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testEnv is the environment the tests load with; the secret values are
// long and distinctive so that a leak shows.
func testEnv() map[string]string {
	return map[string]string{
		"TWITTER_CONSUMER_KEY":    "ck-SECRET-0f9e8d7c",
		"TWITTER_CONSUMER_SECRET": "cs-SECRET-1a2b3c4d",
		"TWITTER_ACCESS_TOKEN":    "at-SECRET-5e6f7a8b",
		"TWITTER_ACCESS_SECRET":   "as-SECRET-9c0d1e2f",
		"ISSUER_API_KEY":          "ik-SECRET-3a4b5c6d",
	}
}

// lookup resolves testEnv plus extra name, value pairs.
func lookup(extra ...string) func(string) (string, bool) {
	env := testEnv()
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// header is lines 1-14 of every test file; "offers:" is line 15, so the
// first offer starts on line 16.
const header = `bot:
  screen_name: AmexOffers
storage:
  path: test.db
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
`

// offer is a valid offer of 7 lines (id, title, buy_hashtag,
// confirm_hashtag, price, currency, merchant) whose hashtags are made from
// name. Each of more ("key: value") replaces the line of that key in place,
// or is added after the others.
func offer(id, name string, more ...string) string {
	lines := []string{
		"id: " + id,
		"title: " + name,
		"buy_hashtag: Buy" + name,
		"confirm_hashtag: Confirm" + name,
		`price: "10.00"`,
		"currency: USD",
		"merchant: mer_test",
	}
next:
	for _, m := range more {
		key, _, _ := strings.Cut(m, ":")
		for i, l := range lines {
			if strings.HasPrefix(l, key+":") {
				lines[i] = m
				continue next
			}
		}
		lines = append(lines, m)
	}
	return "  - " + strings.Join(lines, "\n    ") + "\n"
}

// doc is header, then offers from line 16, then extra top-level keys.
func doc(offers, extra string) string {
	return header + "offers:\n" + offers + extra
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// load writes content to config.yaml in a new temporary directory and
// loads it.
func load(t *testing.T, content string, env func(string) (string, bool)) (*Config, error) {
	t.Helper()
	return Load(writeFile(t, t.TempDir(), "config.yaml", content), env)
}

func mustLoad(t *testing.T, content string) *Config {
	t.Helper()
	c, err := load(t, content, lookup())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

// problemLines returns the problems as "line:column: message", without the
// temporary file name.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not *Problems", err, err)
	}
	var out []string
	for _, p := range ps.List {
		s := p.String()
		out = append(out, s[strings.Index(s, ".yaml:")+len(".yaml:"):])
	}
	return out
}
