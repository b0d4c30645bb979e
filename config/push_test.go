package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// contractPush is the twitter.push example of the push contract,
// verbatim but for its indentation under twitter:. It shows the webhook
// block with mode stream, marked "mode: webhook only".
const contractPush = `  push:
    mode: stream                  # off (the default), stream or webhook
    bearer_token: ${TWITTER_BEARER_TOKEN}   # the app's bearer token (app-only)
    reconcile: "@every 5m"        # polling while push is healthy
    webhook:                      # mode: webhook only
      listen: 127.0.0.1:8443      # where the daemon serves X's calls (behind the operator's TLS proxy)
      path: /x/webhook
      url: https://bot.issuer.example/x/webhook   # the public https address registered with X
`

// contractOAuth2 is the twitter.oauth2 block of the configuration
// contract, verbatim.
const contractOAuth2 = `  oauth2:                           # twitter-push.md, OAuth 2.0 user context; v2 only; optional
    client_id: ${TWITTER_CLIENT_ID}
    client_secret: ${TWITTER_CLIENT_SECRET}
    refresh_token: ${TWITTER_REFRESH_TOKEN}   # the first one; the database keeps the rotated ones
    token_url: https://api.x.com/2/oauth2/token   # an emulator's address in tests
    redirect_uri: http://127.0.0.1:8765/callback  # must match the app's registered callback exactly
`

// pushEnv is testEnv with the push and OAuth 2.0 credentials.
func pushEnv(extra ...string) func(string) (string, bool) {
	return lookup(append([]string{
		"TWITTER_BEARER_TOKEN", "bt-SECRET-7d6c5b4a",
		"TWITTER_CLIENT_ID", "client-id-42",
		"TWITTER_CLIENT_SECRET", "cls-SECRET-3e2d1c0b",
		"TWITTER_REFRESH_TOKEN", "rt-SECRET-9a8b7c6d",
	}, extra...)...)
}

// twitterDoc is a valid file speaking api ("v1.1" or "v2") whose
// twitter: section ends with block, which starts on line 12.
func twitterDoc(api, block string) string {
	url := "https://api.twitter.com/1.1/"
	if api == APIv2 {
		url = "https://api.x.com/2/"
	}
	return strings.NewReplacer(
		"  api_url: https://api.twitter.com/1.1/\n", "  api: "+api+"\n  api_url: "+url+"\n",
		"  access_secret: ${TWITTER_ACCESS_SECRET}\n", "  access_secret: ${TWITTER_ACCESS_SECRET}\n"+block,
	).Replace(doc(offer("a", "A"), ""))
}

func mustLoadPush(t *testing.T, content string) *Config {
	t.Helper()
	c, err := load(t, content, pushEnv())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

func TestPushDefaults(t *testing.T) {
	want := Push{Mode: PushOff, Reconcile: "@every 5m"}
	for _, file := range []string{
		doc(offer("a", "A"), ""),
		twitterDoc(APIv2, ""),
		twitterDoc(APIv2, "  push:\n"),
		twitterDoc(APIv2, "  push: {}\n"),
		twitterDoc(APIv1, "  push:\n    mode: off\n"),
		twitterDoc(APIv1, "  push:\n    mode: \"off\"\n    reconcile: \"@every 5m\"\n"),
	} {
		c := mustLoadPush(t, file)
		if !reflect.DeepEqual(c.Twitter.Push, want) || c.Twitter.Push.On() || c.Twitter.OAuth2 != nil {
			t.Errorf("push %+v, oauth2 %v; want %+v and none\n%s", c.Twitter.Push, c.Twitter.OAuth2, want, file)
		}
		if s := c.Summary(); strings.Contains(s, "push") || strings.Contains(s, "OAuth") {
			t.Errorf("Summary() = %q mentions push while it is off", s)
		}
	}
	if (Push{}).On() {
		t.Error("a zero Push is on")
	}
}

func TestPushStreamAndOAuth2OfTheContract(t *testing.T) {
	c := mustLoadPush(t, twitterDoc(APIv2, contractPush[:strings.Index(contractPush, "    webhook:")]+contractOAuth2))
	wantPush := Push{Mode: PushStream, BearerToken: "bt-SECRET-7d6c5b4a", Reconcile: "@every 5m"}
	if !reflect.DeepEqual(c.Twitter.Push, wantPush) || !c.Twitter.Push.On() {
		t.Errorf("push = %+v, want %+v", c.Twitter.Push, wantPush)
	}
	wantOAuth2 := &OAuth2{
		ClientID: "client-id-42", ClientSecret: "cls-SECRET-3e2d1c0b", RefreshToken: "rt-SECRET-9a8b7c6d",
		TokenURL: "https://api.x.com/2/oauth2/token", RedirectURI: "http://127.0.0.1:8765/callback",
	}
	if !reflect.DeepEqual(c.Twitter.OAuth2, wantOAuth2) {
		t.Errorf("oauth2 = %#v, want %#v", c.Twitter.OAuth2, wantOAuth2)
	}
	if s := c.Summary(); !strings.HasSuffix(s, ", push stream, OAuth 2.0") {
		t.Errorf("Summary() = %q", s)
	}
}

func TestPushWebhook(t *testing.T) {
	c := mustLoadPush(t, twitterDoc(APIv2, strings.Replace(contractPush, "mode: stream", "mode: webhook", 1)))
	want := Push{Mode: PushWebhook, BearerToken: "bt-SECRET-7d6c5b4a", Reconcile: "@every 5m",
		Webhook: Webhook{Listen: "127.0.0.1:8443", Path: "/x/webhook", URL: "https://bot.issuer.example/x/webhook"}}
	if !reflect.DeepEqual(c.Twitter.Push, want) {
		t.Errorf("push = %+v, want %+v", c.Twitter.Push, want)
	}
	if s := c.Summary(); !strings.HasSuffix(s, ", push webhook") {
		t.Errorf("Summary() = %q", s)
	}
	// An emulator's plain http address on this machine, a reconcile of
	// its own, and OAuth 2.0 with only what it needs: the token URL is
	// X's, and x-login gets the first refresh token.
	c = mustLoadPush(t, twitterDoc(APIv2, `  push:
    mode: webhook
    bearer_token: literal-bearer
    reconcile: "*/2 * * * *"
    webhook:
      listen: ":8443"
      path: /hook
      url: http://localhost:8443/hook
  oauth2:
    client_id: abc
    client_secret: ${TWITTER_CLIENT_SECRET}
`))
	want = Push{Mode: PushWebhook, BearerToken: "literal-bearer", Reconcile: "*/2 * * * *",
		Webhook: Webhook{Listen: ":8443", Path: "/hook", URL: "http://localhost:8443/hook"}}
	if !reflect.DeepEqual(c.Twitter.Push, want) {
		t.Errorf("push = %+v, want %+v", c.Twitter.Push, want)
	}
	wantOAuth2 := &OAuth2{ClientID: "abc", ClientSecret: "cls-SECRET-3e2d1c0b", TokenURL: DefaultOAuth2TokenURL}
	if !reflect.DeepEqual(c.Twitter.OAuth2, wantOAuth2) {
		t.Errorf("oauth2 = %#v, want %#v", c.Twitter.OAuth2, wantOAuth2)
	}
}

// TestPushProblems: every bad value under twitter.push and twitter.oauth2
// is a problem at its line and column, all at once. The block starts on
// line 12 (push: or oauth2:), its first key on line 13.
func TestPushProblems(t *testing.T) {
	const stream = "  push:\n    mode: stream\n    bearer_token: ${TWITTER_BEARER_TOKEN}\n"
	const webhook = "  push:\n    mode: webhook\n    bearer_token: ${TWITTER_BEARER_TOKEN}\n    webhook:\n"
	const oauth2 = "  oauth2:\n    client_id: abc\n    client_secret: ${TWITTER_CLIENT_SECRET}\n"
	tests := []struct {
		name, api, block string
		want             []string
	}{
		{"unknown mode", APIv2, "  push:\n    mode: poll\n",
			[]string{`13:11: twitter.push.mode must be off or stream or webhook, not "poll"`}},
		{"mode true", APIv2, "  push:\n    mode: true\n",
			[]string{`13:11: twitter.push.mode must be off or stream or webhook, not "true"`}},
		{"stream on v1.1", APIv1, stream,
			[]string{`13:11: twitter.push.mode stream needs twitter.api: v2 (X pushes to v2 apps only); set twitter.api: v2, or mode: off`}},
		{"webhook on v1.1", APIv1, webhook + "      listen: :8443\n      path: /x\n      url: https://bot.example/x\n",
			[]string{`13:11: twitter.push.mode webhook needs twitter.api: v2 (X pushes to v2 apps only); set twitter.api: v2, or mode: off`}},
		{"no bearer token", APIv2, "  push:\n    mode: stream\n",
			[]string{`12:3: twitter.push.bearer_token is required when twitter.push.mode is stream (the app's bearer token, such as ${TWITTER_BEARER_TOKEN})`}},
		{"empty bearer token", APIv2, "  push:\n    mode: stream\n    bearer_token: \"\"\n",
			[]string{`14:19: twitter.push.bearer_token must not be empty`}},
		{"bearer token not set", APIv2, "  push:\n    mode: stream\n    bearer_token: ${NO_SUCH_TOKEN}\n",
			[]string{`14:19: environment variable NO_SUCH_TOKEN is not set`}},
		{"a bearer token not set, push off", APIv2, "  push:\n    bearer_token: ${NO_SUCH_TOKEN}\n",
			[]string{`13:19: environment variable NO_SUCH_TOKEN is not set`}},
		{"reconcile too fast", APIv2, stream + "    reconcile: \"@every 100ms\"\n",
			[]string{`15:16: twitter.push.reconcile "@every 100ms" must be at least "@every 1s"`}},
		{"reconcile not a schedule", APIv2, stream + "    reconcile: 5m\n",
			[]string{`15:16: twitter.push.reconcile "5m" is not a schedule: expected exactly 5 fields, found 1: [5m] (write one such as "@every 15s" or "*/5 * * * *")`}},
		{"webhook without its block", APIv2, "  push:\n    mode: webhook\n    bearer_token: ${TWITTER_BEARER_TOKEN}\n",
			[]string{`12:3: twitter.push.webhook is required when twitter.push.mode is webhook (listen, path and url)`}},
		{"a webhook block with mode stream", APIv2, contractPush,
			[]string{`16:5: twitter.push.webhook is for mode webhook only, and twitter.push.mode is stream: remove it, or set mode: webhook`}},
		{"a webhook block with push off", APIv2, "  push:\n    webhook:\n      listen: :8443\n      path: /x\n      url: https://bot.example/x\n",
			[]string{`13:5: twitter.push.webhook is for mode webhook only, and twitter.push.mode is off: remove it, or set mode: webhook`}},
		{"an empty webhook block", APIv2, webhook,
			[]string{
				`15:5: twitter.push.webhook.listen is required`,
				`15:5: twitter.push.webhook.path is required`,
				`15:5: twitter.push.webhook.url is required`,
			}},
		{"bad webhook values", APIv2, webhook + "      listen: 8443\n      path: x/webhook\n      url: http://bot.example/x/webhook\n",
			[]string{
				`16:15: twitter.push.webhook.listen "8443" is not an address with a port, such as ":8080" or "127.0.0.1:8080"`,
				`17:13: twitter.push.webhook.path "x/webhook" must start with /, such as "/x/webhook"`,
				`18:12: twitter.push.webhook.url "http://bot.example/x/webhook" must be https: X calls webhooks over https only (http is allowed only to a loopback address such as 127.0.0.1, for an emulator)`,
			}},
		{"empty webhook values", APIv2, webhook + "      listen:\n      path: \"\"\n      url: ftp://bot.example/x\n",
			[]string{
				`16:14: twitter.push.webhook.listen must not be empty`,
				`17:13: twitter.push.webhook.path must not be empty`,
				`18:12: twitter.push.webhook.url "ftp://bot.example/x" must be an http or https URL`,
			}},
		{"a webhook path with a query", APIv2, webhook + "      listen: :8443\n      path: /x?a=1\n      url: https://bot.example/x\n",
			[]string{`17:13: twitter.push.webhook.path "/x?a=1" must be a path only, without spaces, ? or #`}},
		{"unknown key in push", APIv2, "  push:\n    mod: stream\n",
			[]string{`13:5: unknown key "mod" in twitter.push (did you mean "mode"?)`}},
		{"unknown key in webhook", APIv2, webhook + "      listen: :8443\n      path: /x\n      url: https://bot.example/x\n      secret: x\n",
			[]string{`19:7: unknown key "secret" in twitter.push.webhook`}},
		{"push not a map", APIv2, "  push: stream\n",
			[]string{`12:9: twitter.push must be a map of keys, not a string`}},
		{"oauth2 on v1.1", APIv1, oauth2,
			[]string{`12:3: twitter.oauth2 needs twitter.api: v2 (OAuth 2.0 user tokens are for the v2 API); set twitter.api: v2, or remove twitter.oauth2`}},
		{"an empty oauth2", APIv2, "  oauth2:\n",
			[]string{`12:3: twitter.oauth2.client_id is required`, `12:3: twitter.oauth2.client_secret is required`}},
		{"oauth2 secrets empty or not set", APIv2, "  oauth2:\n    client_id:\n    client_secret: ${NO_SUCH_SECRET}\n    refresh_token: \"\"\n",
			[]string{
				`13:15: twitter.oauth2.client_id must not be empty`,
				`14:20: environment variable NO_SUCH_SECRET is not set`,
				`15:20: twitter.oauth2.refresh_token must not be empty`,
			}},
		{"a refresh token not set", APIv2, oauth2 + "    refresh_token: ${NO_SUCH_TOKEN}\n",
			[]string{`15:20: environment variable NO_SUCH_TOKEN is not set`}},
		{"a token URL in clear", APIv2, oauth2 + "    token_url: http://x.example/2/oauth2/token\n",
			[]string{`15:16: twitter.oauth2.token_url "http://x.example/2/oauth2/token" must be https: credentials are sent to it (http is allowed only to a loopback address such as 127.0.0.1)`}},
		{"a relative redirect", APIv2, oauth2 + "    redirect_uri: /callback\n",
			[]string{`15:19: twitter.oauth2.redirect_uri "/callback" must be an http or https URL`}},
		{"a redirect with a fragment", APIv2, oauth2 + "    redirect_uri: \"http://127.0.0.1:8765/callback#x\"\n",
			[]string{`15:19: twitter.oauth2.redirect_uri "http://127.0.0.1:8765/callback#x" must not have a #fragment (OAuth 2.0 forbids one)`}},
		{"unknown key in oauth2", APIv2, oauth2 + "    refresh_tokn: x\n",
			[]string{`15:5: unknown key "refresh_tokn" in twitter.oauth2 (did you mean "refresh_token"?)`}},
		{"everything at once", APIv1, "  push:\n    mode: webhook\n    reconcile: often\n  oauth2:\n    token_url: ftp://x\n",
			[]string{
				`12:3: twitter.push.bearer_token is required when twitter.push.mode is webhook (the app's bearer token, such as ${TWITTER_BEARER_TOKEN})`,
				`12:3: twitter.push.webhook is required when twitter.push.mode is webhook (listen, path and url)`,
				`13:11: twitter.push.mode webhook needs twitter.api: v2 (X pushes to v2 apps only); set twitter.api: v2, or mode: off`,
				`14:16: twitter.push.reconcile "often" is not a schedule: expected exactly 5 fields, found 1: [often] (write one such as "@every 15s" or "*/5 * * * *")`,
				`15:3: twitter.oauth2 needs twitter.api: v2 (OAuth 2.0 user tokens are for the v2 API); set twitter.api: v2, or remove twitter.oauth2`,
				`15:3: twitter.oauth2.client_id is required`,
				`15:3: twitter.oauth2.client_secret is required`,
				`16:16: twitter.oauth2.token_url "ftp://x" must be an http or https URL`,
			}},
	}
	for _, tt := range tests {
		_, err := load(t, twitterDoc(tt.api, tt.block), pushEnv())
		if err == nil {
			t.Errorf("%s: accepted; want %q", tt.name, tt.want)
			continue
		}
		if got := problemLines(t, err); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s: problems\n  %s\nwant\n  %s", tt.name, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
		}
	}
}

// TestPushNeedsOnlyTheCredentialsACommandUses: a command that needs no
// Twitter credentials is not refused for the bearer token or the OAuth 2.0
// ones; x-login (OAuth2Secrets) needs the client's, not the refresh token
// it is run to get.
func TestPushNeedsOnlyTheCredentialsACommandUses(t *testing.T) {
	file := twitterDoc(APIv2, "  push:\n    mode: stream\n"+contractOAuth2)
	unset := func(string) (string, bool) { return "", false }
	c, err := ParseFor([]byte(file), "config.yaml", unset, NoSecrets)
	if err != nil {
		t.Fatalf("NoSecrets: %v", err)
	}
	if c.Twitter.Push.Mode != PushStream || c.Twitter.Push.BearerToken != "" || c.Twitter.OAuth2 == nil || c.Twitter.OAuth2.ClientSecret != "" {
		t.Errorf("NoSecrets: push %+v, oauth2 %v", c.Twitter.Push, c.Twitter.OAuth2)
	}

	xlogin := func(k string) (string, bool) {
		v, ok := map[string]string{"TWITTER_CLIENT_ID": "client-id-42", "TWITTER_CLIENT_SECRET": "cls-SECRET-3e2d1c0b"}[k]
		return v, ok
	}
	c, err = ParseFor([]byte(file), "config.yaml", xlogin, OAuth2Secrets)
	if err != nil {
		t.Fatalf("OAuth2Secrets: %v", err)
	}
	if o := c.Twitter.OAuth2; o.ClientID != "client-id-42" || o.ClientSecret != "cls-SECRET-3e2d1c0b" || o.RefreshToken != "" || o.RedirectURI != "http://127.0.0.1:8765/callback" {
		t.Errorf("OAuth2Secrets: oauth2 %#v", *o)
	}
	_, err = ParseFor([]byte(file), "config.yaml", unset, OAuth2Secrets)
	if got := problemLines(t, err); strings.Join(got, "\n") != "15:16: environment variable TWITTER_CLIENT_ID is not set\n16:20: environment variable TWITTER_CLIENT_SECRET is not set" {
		t.Errorf("OAuth2Secrets without the client's: %q", got)
	}

	// The daemon needs them all.
	_, err = ParseFor([]byte(file), "config.yaml", lookup(), AllSecrets)
	if got := problemLines(t, err); len(got) != 4 || !strings.HasPrefix(got[0], "12:3: twitter.push.bearer_token is required") {
		t.Errorf("AllSecrets: %q", got)
	}
}

// pushSecrets are the values of pushEnv's credentials, and the literal
// ones the tests write in files.
func pushSecrets() []string {
	return []string{"bt-SECRET-7d6c5b4a", "cls-SECRET-3e2d1c0b", "rt-SECRET-9a8b7c6d", "bt-SECRET-rotated", "cls-SECRET-literal", "rt-SECRET-rotated"}
}

func assertNoPushSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range pushSecrets() {
		if strings.Contains(text, s) {
			t.Errorf("%s shows secret %q:\n%s", what, s, text)
		}
	}
}

func TestPushSecretsNeverShown(t *testing.T) {
	file := twitterDoc(APIv2, strings.Replace(contractPush, "mode: stream", "mode: webhook", 1)+
		strings.Replace(contractOAuth2, "${TWITTER_CLIENT_SECRET}", "cls-SECRET-literal", 1))
	c := mustLoadPush(t, file)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "push", c.Twitter.Push, "oauth2", c.Twitter.OAuth2, "oauth2value", *c.Twitter.OAuth2)
	for what, text := range map[string]string{
		"Summary": c.Summary(), "%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", *c), "%#v": fmt.Sprintf("%#v", c),
		"push %+v":   fmt.Sprintf("%+v", c.Twitter.Push),
		"push %#v":   fmt.Sprintf("%#v", c.Twitter.Push),
		"oauth2 %+v": fmt.Sprintf("%+v %+v", c.Twitter.OAuth2, *c.Twitter.OAuth2),
		"oauth2 %#v": fmt.Sprintf("%#v %#v", c.Twitter.OAuth2, *c.Twitter.OAuth2),
		"slog":       logged.String(),
	} {
		assertNoPushSecret(t, what, text)
	}
	if s := c.Twitter.Push.String(); s != "webhook https://bot.issuer.example/x/webhook served on 127.0.0.1:8443/x/webhook, reconcile @every 5m" {
		t.Errorf("Push.String() = %q", s)
	}
	if s := c.Twitter.OAuth2.String(); s != "client client-id-42, token_url https://api.x.com/2/oauth2/token, refresh token set" {
		t.Errorf("OAuth2.String() = %q", s)
	}

	// A file with a problem beside literal credentials: the problem
	// never quotes them.
	bad := strings.NewReplacer("${TWITTER_BEARER_TOKEN}", "bt-SECRET-rotated", "/x/webhook\n", "bt-SECRET-rotated\n").Replace(file)
	_, err := load(t, bad, pushEnv())
	if err == nil || !strings.Contains(err.Error(), `twitter.push.webhook.path "***" must start with /`) {
		t.Errorf("load = %v", err)
	} else {
		assertNoPushSecret(t, "Error()", err.Error())
	}

	// Rotated credentials: the diff says only that they changed, and that
	// they need a restart.
	rotated := strings.NewReplacer("${TWITTER_BEARER_TOKEN}", "bt-SECRET-rotated", "cls-SECRET-literal", "${TWITTER_CLIENT_SECRET}").Replace(file)
	c2, err := load(t, rotated, pushEnv("TWITTER_REFRESH_TOKEN", "rt-SECRET-rotated"))
	if err != nil {
		t.Fatal(err)
	}
	lines := Diff(c, c2).Lines()
	assertNoPushSecret(t, "Diff lines", strings.Join(lines, "\n"))
	want := []string{
		"twitter.push.bearer_token changed (needs a restart to take effect)",
		"twitter.oauth2.client_secret changed (needs a restart to take effect)",
		"twitter.oauth2.refresh_token changed (needs a restart to take effect)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Diff lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestPushReloadRefusesAModeChange: a reload that changes push.mode, the
// webhook or a credential keeps the running values and logs that they
// need a restart; the reconcile schedule takes effect.
func TestPushReloadRefusesAModeChange(t *testing.T) {
	dir := t.TempDir()
	streamFile := twitterDoc(APIv2, "  push:\n    mode: stream\n    bearer_token: ${TWITTER_BEARER_TOKEN}\n"+contractOAuth2)
	path := writeFile(t, dir, "config.yaml", streamFile)
	logs := &logBuffer{}
	w, err := NewWatcher(path, time.Hour, pushEnv("ROTATED", "bt-SECRET-rotated"), slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	running := w.Current()
	var results []string
	w.OnReload(func(r string) { results = append(results, r) })

	// The mode alone: nothing changes for the running bot.
	writeFile(t, dir, "config.yaml", strings.Replace(streamFile, "mode: stream", "mode: \"off\"", 1))
	ch, err := w.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if w.Current() != running || ch.Applied() || strings.Join(ch.Lines(), "\n") != "twitter.push.mode stream -> off (needs a restart to take effect)" {
		t.Errorf("mode off: current changed %v, lines %q", w.Current() != running, ch.Lines())
	}
	waitLog(t, logs, `msg="configuration change needs a restart to take effect; the running value stays until then" component=config setting=twitter.push.mode change="twitter.push.mode stream -> off"`)

	// To webhook, with a new bearer token and reconcile: only reconcile
	// is put in force.
	writeFile(t, dir, "config.yaml", strings.NewReplacer(
		"mode: stream", "mode: webhook\n    reconcile: \"@every 1m\"\n    webhook:\n      listen: 127.0.0.1:8443\n      path: /x/webhook\n      url: https://bot.example/x/webhook",
		"${TWITTER_BEARER_TOKEN}", "${ROTATED}",
		"token_url: https://api.x.com/2/oauth2/token", "token_url: http://127.0.0.1:9/2/oauth2/token",
	).Replace(streamFile))
	ch, err = w.Reload()
	if err != nil {
		t.Fatal(err)
	}
	got := w.Current().Twitter
	want := Push{Mode: PushStream, BearerToken: "bt-SECRET-7d6c5b4a", Reconcile: "@every 1m"}
	if !reflect.DeepEqual(got.Push, want) || got.OAuth2 != running.Twitter.OAuth2 {
		t.Errorf("after reload: push %+v (want %+v), oauth2 %v", got.Push, want, got.OAuth2)
	}
	wantLines := []string{
		"twitter.push.reconcile @every 5m -> @every 1m",
		"twitter.push.mode stream -> webhook (needs a restart to take effect)",
		"twitter.push.bearer_token changed (needs a restart to take effect)",
		`twitter.push.webhook.listen "" -> 127.0.0.1:8443 (needs a restart to take effect)`,
		`twitter.push.webhook.path "" -> /x/webhook (needs a restart to take effect)`,
		`twitter.push.webhook.url "" -> https://bot.example/x/webhook (needs a restart to take effect)`,
		"twitter.oauth2.token_url https://api.x.com/2/oauth2/token -> http://127.0.0.1:9/2/oauth2/token (needs a restart to take effect)",
	}
	if strings.Join(ch.Lines(), "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("Lines():\n%s\nwant:\n%s", strings.Join(ch.Lines(), "\n"), strings.Join(wantLines, "\n"))
	}
	waitLog(t, logs, "change=\"twitter.push.reconcile @every 5m -> @every 1m\"")
	waitLog(t, logs, "setting=twitter.push.mode change=\"twitter.push.mode stream -> webhook\"")
	assertNoPushSecret(t, "the log", logs.String())
	// Apply and Diff agree: against what runs, only the restart-only keys
	// differ.
	if d := Diff(w.Current(), loadNow(t, w)); d.Applied() || len(d.Restart) != 6 {
		t.Errorf("Diff(current, file) = %q", d.Lines())
	}
	if strings.Join(results, ",") != "unchanged,applied" {
		t.Errorf("reload results %q", results)
	}

	// A push the file cannot have is refused whole: twitter.api v1.1 with
	// push on.
	writeFile(t, dir, "config.yaml", strings.Replace(strings.Replace(streamFile, "api: v2\n  api_url: https://api.x.com/2/", "api: v1.1\n  api_url: https://api.twitter.com/1.1/", 1), contractOAuth2, "", 1))
	before := w.Current()
	if _, err := w.Reload(); err == nil || !strings.Contains(err.Error(), ":13:11: twitter.push.mode stream needs twitter.api: v2") {
		t.Errorf("reload to v1.1 with push on: %v", err)
	}
	if w.Current() != before {
		t.Error("a refused file replaced the running configuration")
	}
}

// loadNow loads the watcher's file as it is now.
func loadNow(t *testing.T, w *Watcher) *Config {
	t.Helper()
	c, err := Load(w.path, w.lookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestApplyKeepsPushButReconcile(t *testing.T) {
	running := mustLoadPush(t, twitterDoc(APIv2, "  push:\n    mode: stream\n    bearer_token: ${TWITTER_BEARER_TOKEN}\n"))
	loaded := mustLoadPush(t, twitterDoc(APIv2, "  push:\n    reconcile: \"@every 10m\"\n"+contractOAuth2))
	next := Apply(running, loaded)
	want := Push{Mode: PushStream, BearerToken: "bt-SECRET-7d6c5b4a", Reconcile: "@every 10m"}
	if !reflect.DeepEqual(next.Twitter.Push, want) || next.Twitter.OAuth2 != nil {
		t.Errorf("Apply: push %+v (want %+v), oauth2 %v (want none)", next.Twitter.Push, want, next.Twitter.OAuth2)
	}
	if running.Twitter.Push.Reconcile != "@every 5m" || loaded.Twitter.Push.Mode != PushOff {
		t.Error("Apply modified its arguments")
	}
}
