package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Push is the twitter.push section: how mentions and direct messages
// reach the bot besides polling (X's Activity API; v2 only). The daemon
// reads it at start-up: a reload may change Reconcile only, and keeps the
// running values of the rest (see Apply). Printing or logging a Push never
// shows its bearer token.
type Push struct {
	// Mode is PushOff (the default: polling only), PushStream (a
	// persistent connection to X's activity stream) or PushWebhook (X
	// calls the daemon). A Push built by hand with Mode "" is off.
	Mode string
	// BearerToken is the app's bearer token (app-only), which the stream,
	// the subscription list and the webhook calls use. A secret; set
	// whenever Mode is not off (unless the command needs no Twitter
	// credentials: see Secrets).
	BearerToken string
	// Reconcile is the robfig/cron spec on which the pollers run while
	// push is healthy; twitter.poll applies while it is not. Default
	// DefaultPushReconcile.
	Reconcile string
	// Webhook is where X delivers events: set exactly when Mode is
	// PushWebhook, zero otherwise.
	Webhook Webhook
}

// Webhook is twitter.push.webhook: where the daemon serves X's calls.
type Webhook struct {
	Listen string // host:port the daemon listens on, such as "127.0.0.1:8443"
	Path   string // the path X calls, starting with '/', such as "/x/webhook"
	// URL is the public address registered with X: https, or http to a
	// loopback host only (an emulator).
	URL string
}

// The values of twitter.push.mode.
const (
	PushOff     = "off"
	PushStream  = "stream"
	PushWebhook = "webhook"
)

// Defaults of the twitter.push and twitter.oauth2 sections.
const (
	DefaultPushReconcile  = "@every 5m"
	DefaultOAuth2TokenURL = "https://api.x.com/2/oauth2/token"
)

// On reports whether push is on: Mode is stream or webhook. It never
// fails.
func (p Push) On() bool { return p.Mode != "" && p.Mode != PushOff }

// String shows the section without its bearer token, such as "stream,
// reconcile @every 5m" or "webhook https://bot.example/x/webhook served on
// 127.0.0.1:8443/x/webhook, reconcile @every 5m"; "off" when off. It never
// fails.
func (p Push) String() string {
	switch {
	case !p.On():
		return PushOff
	case p.Mode == PushWebhook:
		return fmt.Sprintf("webhook %s served on %s%s, reconcile %s", p.Webhook.URL, p.Webhook.Listen, p.Webhook.Path, p.Reconcile)
	}
	return fmt.Sprintf("%s, reconcile %s", p.Mode, p.Reconcile)
}

// GoString keeps %#v from printing the bearer token. It never fails.
func (p Push) GoString() string { return p.String() }

// LogValue makes slog log a Push as its String. It never fails.
func (p Push) LogValue() slog.Value { return slog.StringValue(p.String()) }

// OAuth2 is the twitter.oauth2 section: the app's OAuth 2.0 client, for
// the bot account's user token (Authorization Code with PKCE, rotating
// refresh tokens; v2 only). Config.Twitter.OAuth2 is nil when the file has
// no such section. The daemon reads it at start-up only. Printing or
// logging an OAuth2 never shows its client secret or refresh token.
type OAuth2 struct {
	ClientID     string // the app's OAuth 2.0 client id (not a secret: it is in the authorize address)
	ClientSecret string // a secret: the app is a confidential client
	// RefreshToken is the first refresh token, a secret; "" when the file
	// has none (x-login then gets the first). Once the database holds a
	// token, the database's wins: each refresh rotates it.
	RefreshToken string
	// TokenURL is X's token endpoint (DefaultOAuth2TokenURL), or an
	// emulator's: https, or http to a loopback host only.
	TokenURL string
	// RedirectURI is the app's registered callback, an absolute http or
	// https URL that X matches exactly; "" when the file has none, which
	// only x-login needs.
	RedirectURI string
}

// String shows the section without its secrets, such as "client
// abc123, token_url https://api.x.com/2/oauth2/token, refresh token set".
// It never fails.
func (o OAuth2) String() string {
	refresh := "none"
	if o.RefreshToken != "" {
		refresh = "set"
	}
	return fmt.Sprintf("client %s, token_url %s, refresh token %s", o.ClientID, o.TokenURL, refresh)
}

// GoString keeps %#v from printing the secrets. It never fails.
func (o OAuth2) GoString() string { return o.String() }

// LogValue makes slog log an OAuth2 as its String. It never fails.
func (o OAuth2) LogValue() slog.Value { return slog.StringValue(o.String()) }

// pushNodes are where the push and oauth2 sections were written, for the
// checks made once the whole file is read (twitter.api may come after
// them).
type pushNodes struct {
	push, mode, bearer, webhook *yaml.Node // keys, or the mode's value; nil when absent
	oauth2                      *yaml.Node // the "oauth2" key, nil when absent
}

// pushSection decodes twitter.push.
func (p *parser) pushSection(key, n *yaml.Node, c *Config) {
	t := &c.Twitter.Push
	p.pushAt.push = key
	p.section(key, n, "twitter.push", []field{
		{name: "mode", decode: func(_, n *yaml.Node) {
			p.pushAt.mode = n
			p.oneOf("twitter.push.mode", n, &t.Mode, PushOff, PushStream, PushWebhook)
		}},
		{name: "bearer_token", decode: func(key, n *yaml.Node) {
			p.pushAt.bearer = key
			p.secret("twitter.push.bearer_token", TwitterSecrets, n, &t.BearerToken)
		}},
		{name: "reconcile", decode: func(_, n *yaml.Node) {
			p.schedule("twitter.push.reconcile", n, &t.Reconcile)
		}},
		{name: "webhook", decode: func(key, n *yaml.Node) {
			p.pushAt.webhook = key
			p.section(key, n, "twitter.push.webhook", p.webhookFields(&t.Webhook))
		}},
	})
}

func (p *parser) webhookFields(w *Webhook) []field {
	return []field{
		{name: "listen", required: true, decode: func(_, n *yaml.Node) {
			const path = "twitter.push.webhook.listen"
			var v string
			if _, ok := p.text(path, n, &v, true); ok {
				p.address(path, n, &w.Listen)
			}
		}},
		{name: "path", required: true, decode: func(_, n *yaml.Node) {
			const path = "twitter.push.webhook.path"
			var v string
			s, ok := p.text(path, n, &v, true)
			switch {
			case !ok:
			case !strings.HasPrefix(v, "/"):
				p.add(n, "%s %s must start with /, such as \"/x/webhook\"", path, s.show())
			case strings.ContainsAny(v, "?# \t"):
				p.add(n, "%s %s must be a path only, without spaces, ? or #", path, s.show())
			default:
				w.Path = v
			}
		}},
		{name: "url", required: true, decode: func(_, n *yaml.Node) {
			const path = "twitter.push.webhook.url"
			var raw string
			p.url(path, n, &raw)
			if raw == "" {
				return
			}
			if u, err := url.Parse(raw); err == nil && u.Scheme == "http" && !loopback(u.Hostname()) {
				s, _ := p.scalar(path, n, "a URL")
				p.add(n, "%s %s must be https: X calls webhooks over https only (http is allowed only to a loopback address such as 127.0.0.1, for an emulator)", path, s.show())
				return
			}
			w.URL = raw
		}},
	}
}

// oauth2Section decodes twitter.oauth2.
func (p *parser) oauth2Section(key, n *yaml.Node, c *Config) {
	p.pushAt.oauth2 = key
	o := &OAuth2{TokenURL: DefaultOAuth2TokenURL}
	client := TwitterSecrets | OAuth2Secrets
	p.section(key, n, "twitter.oauth2", []field{
		{name: "client_id", required: p.needs&client != 0, decode: func(_, n *yaml.Node) {
			p.credential("twitter.oauth2.client_id", client, n, &o.ClientID)
		}},
		{name: "client_secret", required: p.needs&client != 0, decode: func(_, n *yaml.Node) {
			p.secret("twitter.oauth2.client_secret", client, n, &o.ClientSecret)
		}},
		{name: "refresh_token", decode: func(_, n *yaml.Node) {
			// Optional: x-login gets the first one. Left empty, it is
			// left out.
			if !isNull(n) {
				p.secret("twitter.oauth2.refresh_token", TwitterSecrets, n, &o.RefreshToken)
			}
		}},
		{name: "token_url", decode: func(_, n *yaml.Node) {
			if !isNull(n) {
				p.secretURL("twitter.oauth2.token_url", n, &o.TokenURL)
			}
		}},
		{name: "redirect_uri", decode: func(_, n *yaml.Node) {
			const path = "twitter.oauth2.redirect_uri"
			if isNull(n) {
				return
			}
			var raw string
			p.url(path, n, &raw)
			if u, err := url.Parse(raw); raw != "" && err == nil && u.Fragment != "" {
				s, _ := p.scalar(path, n, "a URL")
				p.add(n, "%s %s must not have a #fragment (OAuth 2.0 forbids one)", path, s.show())
				return
			}
			o.RedirectURI = raw
		}},
	})
	c.Twitter.OAuth2 = o
}

// checkPush makes the checks of twitter.push and twitter.oauth2 that
// depend on other keys: both need twitter.api v2, a push that is on needs
// the bearer token, and the webhook block goes with mode webhook only.
func (p *parser) checkPush(c *Config) {
	t := c.Twitter
	at := p.pushAt
	if t.Push.On() {
		if t.API != APIv2 {
			p.add(at.mode, "twitter.push.mode %s needs twitter.api: v2 (X pushes to v2 apps only); set twitter.api: v2, or mode: off", t.Push.Mode)
		}
		if at.bearer == nil && p.needs&TwitterSecrets != 0 {
			p.add(at.push, "twitter.push.bearer_token is required when twitter.push.mode is %s (the app's bearer token, such as ${TWITTER_BEARER_TOKEN})", t.Push.Mode)
		}
	}
	switch {
	case t.Push.Mode == PushWebhook && at.webhook == nil:
		p.add(at.push, "twitter.push.webhook is required when twitter.push.mode is webhook (listen, path and url)")
	case t.Push.Mode != PushWebhook && at.webhook != nil:
		p.add(at.webhook, "twitter.push.webhook is for mode webhook only, and twitter.push.mode is %s: remove it, or set mode: webhook", t.Push.Mode)
	}
	if at.oauth2 != nil && t.API != APIv2 {
		p.add(at.oauth2, "twitter.oauth2 needs twitter.api: v2 (OAuth 2.0 user tokens are for the v2 API); set twitter.api: v2, or remove twitter.oauth2")
	}
}

// applyPush is Apply's part about push and OAuth 2.0: the running values
// stay, but for the reconcile schedule.
func applyPush(next, running, loaded *Config) {
	next.Twitter.Push = running.Twitter.Push
	next.Twitter.Push.Reconcile = loaded.Twitter.Push.Reconcile
	next.Twitter.OAuth2 = running.Twitter.OAuth2
}

// pushSettings are the twitter.push and twitter.oauth2 keys as Diff
// compares them. Only reconcile takes effect on reload.
func pushSettings() []setting {
	oauth2 := func(get func(o *OAuth2) string) func(*Config) string {
		return func(c *Config) string {
			if c.Twitter.OAuth2 == nil {
				return ""
			}
			return get(c.Twitter.OAuth2)
		}
	}
	mode := func(c *Config) string {
		if !c.Twitter.Push.On() {
			return PushOff
		}
		return c.Twitter.Push.Mode
	}
	return []setting{
		{"twitter.push.mode", mode, true, false},
		{"twitter.push.bearer_token", func(c *Config) string { return c.Twitter.Push.BearerToken }, true, true},
		{"twitter.push.reconcile", func(c *Config) string { return c.Twitter.Push.Reconcile }, false, false},
		{"twitter.push.webhook.listen", func(c *Config) string { return c.Twitter.Push.Webhook.Listen }, true, false},
		{"twitter.push.webhook.path", func(c *Config) string { return c.Twitter.Push.Webhook.Path }, true, false},
		{"twitter.push.webhook.url", func(c *Config) string { return c.Twitter.Push.Webhook.URL }, true, false},
		{"twitter.oauth2.client_id", oauth2(func(o *OAuth2) string { return o.ClientID }), true, false},
		{"twitter.oauth2.client_secret", oauth2(func(o *OAuth2) string { return o.ClientSecret }), true, true},
		{"twitter.oauth2.refresh_token", oauth2(func(o *OAuth2) string { return o.RefreshToken }), true, true},
		{"twitter.oauth2.token_url", oauth2(func(o *OAuth2) string { return o.TokenURL }), true, false},
		{"twitter.oauth2.redirect_uri", oauth2(func(o *OAuth2) string { return o.RedirectURI }), true, false},
	}
}

// pushSummary is the part of Summary about push and OAuth 2.0, such as
// ", push stream, OAuth 2.0"; "" when neither is on.
func (c *Config) pushSummary() string {
	var s string
	if c.Twitter.Push.On() {
		s += ", push " + c.Twitter.Push.Mode
	}
	if c.Twitter.OAuth2 != nil {
		s += ", OAuth 2.0"
	}
	return s
}
