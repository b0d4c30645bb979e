package config

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/paybytweet/paybytweet/conversations"
)

// Defaults of the optional settings (the contract's keys and the
// keys this project adds; see Reference).
const (
	DefaultPollMentions       = "@every 15s"
	DefaultPollDirectMessages = "@every 1m"
	DefaultIssuerTimeout      = 10 * time.Second
	DefaultWindow             = 15 * time.Minute
	DefaultExpirySchedule     = "@every 5s"
	DefaultAnnounceSchedule   = "@every 30s"
	DefaultRetention          = 90 * 24 * time.Hour
	DefaultMaxInboxAge        = 5 * time.Minute
	DefaultMaxIssuerOutage    = 2 * time.Minute
	// MinRetention keeps a day of text at least: what the bot said and
	// read yesterday is what an operator asked about today looks up.
	MinRetention = 24 * time.Hour
)

// withDefaults is a Config holding every default, which the file then
// overrides key by key.
func withDefaults(path string) *Config {
	c := &Config{Path: path, Privacy: PrivacyPublic}
	c.Twitter.Poll.Mentions = DefaultPollMentions
	c.Twitter.Poll.DirectMessages = DefaultPollDirectMessages
	c.Twitter.API = APIv1
	c.Twitter.Push.Mode = PushOff
	c.Twitter.Push.Reconcile = DefaultPushReconcile
	c.Issuer.Timeout = DefaultIssuerTimeout
	c.Confirmation.Window = DefaultWindow
	c.Schedules.Expiry = DefaultExpirySchedule
	c.Schedules.Announce = DefaultAnnounceSchedule
	c.Storage.Retention = DefaultRetention
	c.Health.MaxInboxAge = DefaultMaxInboxAge
	c.Health.MaxIssuerOutage = DefaultMaxIssuerOutage
	c.Log.Format, c.Log.Level = LogText, "info"
	c.Risk = DefaultRisk()
	return c
}

// top decodes the root mapping. A section left out is decoded as an empty
// one, so that each required key in it is reported by name.
func (p *parser) top(root *yaml.Node, c *Config) {
	if root.Kind != yaml.MappingNode {
		p.add(root, "the file must be a map of keys (bot:, twitter:, offers: ...), not a %s", kindName(root))
		return
	}
	type sec struct {
		name   string
		fields func() []field
	}
	sections := []sec{
		{"bot", func() []field { return p.botFields(c) }},
		{"storage", func() []field { return p.storageFields(c) }},
		{"twitter", func() []field { return p.twitterFields(c) }},
		{"issuer", func() []field { return p.issuerFields(c) }},
		{"confirmation", func() []field { return p.confirmationFields(c) }},
		{"risk", func() []field { return p.riskFields(c) }},
		{"schedules", func() []field { return p.scheduleFields(c) }},
		{"health", func() []field { return p.healthFields(c) }},
		{"log", func() []field { return p.logFields(c) }},
	}
	seen := map[string]bool{}
	var known []field
	for _, s := range sections {
		known = append(known, field{name: s.name, decode: func(key, val *yaml.Node) {
			seen[s.name] = true
			p.section(key, val, s.name, s.fields())
		}})
	}
	known = append(known,
		field{name: "privacy", decode: func(_, val *yaml.Node) {
			mode := string(c.Privacy)
			p.oneOf("privacy", val, &mode, string(PrivacyPublic), string(PrivacyDM))
			c.Privacy = conversations.Privacy(mode)
		}},
		field{name: "templates", decode: func(key, val *yaml.Node) {
			p.templatesKey = key
			c.Templates = p.templates("templates", "templates", val, p.globalTemplates)
		}},
		field{name: "offers", decode: func(key, val *yaml.Node) {
			p.offersKey = key
			p.offerList(val, c)
		}},
	)
	p.fields(root, "the top level", "", root, known)
	for _, s := range sections {
		if !seen[s.name] {
			empty := &yaml.Node{Kind: yaml.MappingNode, Line: root.Line, Column: root.Column}
			p.section(root, empty, s.name, s.fields())
		}
	}
}

func (p *parser) botFields(c *Config) []field {
	return []field{
		{name: "screen_name", required: true, decode: func(_, n *yaml.Node) {
			p.screenName("bot.screen_name", n, &c.Bot.ScreenName)
		}},
	}
}

// screenName decodes the bot's own account: without '@', as Twitter allows
// (letters, digits and '_', at most 15), since the bot compares it with
// the mentions it receives.
func (p *parser) screenName(path string, n *yaml.Node, dst *string) {
	var v string
	s, ok := p.text(path, n, &v, true)
	if !ok {
		return
	}
	if strings.HasPrefix(v, "@") {
		p.add(n, "%s must be written without the @", path)
		return
	}
	if len(v) > 15 || strings.IndexFunc(v, func(r rune) bool {
		return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) >= 0 {
		p.add(n, "%s %s is not a Twitter screen name (letters, digits and _, at most 15)", path, s.show())
		return
	}
	*dst = v
}

func (p *parser) storageFields(c *Config) []field {
	return []field{
		{name: "path", required: true, decode: func(_, n *yaml.Node) {
			p.text("storage.path", n, &c.Storage.Path, true)
		}},
		{name: "retention", decode: func(_, n *yaml.Node) {
			var d time.Duration
			p.duration("storage.retention", n, &d)
			if d > 0 && d < MinRetention {
				p.add(n, "storage.retention must be at least %s, not %q (write days as hours: 90 days is 2160h)", MinRetention, n.Value)
				return
			}
			if d > 0 {
				c.Storage.Retention = d
			}
		}},
	}
}

func (p *parser) twitterFields(c *Config) []field {
	t := &c.Twitter
	return []field{
		{name: "api", decode: func(_, n *yaml.Node) {
			p.oneOf("twitter.api", n, &t.API, APIv1, APIv2)
		}},
		{name: "api_url", required: true, decode: func(_, n *yaml.Node) {
			p.apiURLNode = n
			p.secretURL("twitter.api_url", n, &t.APIURL)
			// The Twitter client resolves paths against this base, which
			// only works with the trailing slash.
			if t.APIURL != "" && !strings.HasSuffix(t.APIURL, "/") {
				t.APIURL += "/"
			}
		}},
		{name: "consumer_key", required: p.needs&TwitterSecrets != 0, decode: func(_, n *yaml.Node) {
			p.secret("twitter.consumer_key", TwitterSecrets, n, &t.ConsumerKey)
		}},
		{name: "consumer_secret", required: p.needs&TwitterSecrets != 0, decode: func(_, n *yaml.Node) {
			p.secret("twitter.consumer_secret", TwitterSecrets, n, &t.ConsumerSecret)
		}},
		{name: "access_token", required: p.needs&TwitterSecrets != 0, decode: func(_, n *yaml.Node) {
			p.secret("twitter.access_token", TwitterSecrets, n, &t.AccessToken)
		}},
		{name: "access_secret", required: p.needs&TwitterSecrets != 0, decode: func(_, n *yaml.Node) {
			p.secret("twitter.access_secret", TwitterSecrets, n, &t.AccessSecret)
		}},
		{name: "poll", decode: func(key, n *yaml.Node) {
			p.section(key, n, "twitter.poll", []field{
				{name: "mentions", decode: func(_, n *yaml.Node) {
					p.schedule("twitter.poll.mentions", n, &t.Poll.Mentions)
				}},
				{name: "direct_messages", decode: func(_, n *yaml.Node) {
					p.schedule("twitter.poll.direct_messages", n, &t.Poll.DirectMessages)
				}},
			})
		}},
		{name: "push", decode: func(key, n *yaml.Node) {
			p.pushSection(key, n, c)
		}},
		{name: "oauth2", decode: func(key, n *yaml.Node) {
			p.oauth2Section(key, n, c)
		}},
		{name: "limits", decode: func(key, n *yaml.Node) {
			p.section(key, n, "twitter.limits", []field{
				{name: "tweets_per_window", decode: func(_, n *yaml.Node) {
					p.count("twitter.limits.tweets_per_window", n, &t.Limits.TweetsPerWindow)
				}},
				{name: "tweet_window", decode: func(_, n *yaml.Node) {
					p.duration("twitter.limits.tweet_window", n, &t.Limits.TweetWindow)
				}},
				{name: "dms_per_window", decode: func(_, n *yaml.Node) {
					p.count("twitter.limits.dms_per_window", n, &t.Limits.DMsPerWindow)
				}},
				{name: "dm_window", decode: func(_, n *yaml.Node) {
					p.duration("twitter.limits.dm_window", n, &t.Limits.DMWindow)
				}},
				{name: "dms_per_day", decode: func(_, n *yaml.Node) {
					p.count("twitter.limits.dms_per_day", n, &t.Limits.DMsPerDay)
				}},
			})
		}},
	}
}

// checkAPIURL refuses an API address that plainly belongs to the other
// API (a path ending in /1.1/ with api v2, or in /2/ with v1.1): every
// request would fail, and only at run time.
func (p *parser) checkAPIURL(c *Config) {
	u := c.Twitter.APIURL
	switch {
	case c.Twitter.API == APIv2 && strings.HasSuffix(u, "/1.1/"):
		p.add(p.apiURLNode, "twitter.api_url %s is a v1.1 address, but twitter.api is v2: use the v2 base, such as https://api.x.com/2/", u)
	case c.Twitter.API == APIv1 && strings.HasSuffix(u, "/2/"):
		p.add(p.apiURLNode, "twitter.api_url %s is a v2 address, but twitter.api is v1.1: set twitter.api: v2, or use https://api.twitter.com/1.1/", u)
	}
}

func (p *parser) issuerFields(c *Config) []field {
	return []field{
		{name: "url", required: true, decode: func(_, n *yaml.Node) {
			p.secretURL("issuer.url", n, &c.Issuer.URL)
		}},
		{name: "api_key", required: p.needs&IssuerSecrets != 0, decode: func(_, n *yaml.Node) {
			p.secret("issuer.api_key", IssuerSecrets, n, &c.Issuer.APIKey)
		}},
		{name: "enroll_url", required: true, decode: func(_, n *yaml.Node) {
			p.url("issuer.enroll_url", n, &c.Issuer.EnrollURL)
		}},
		{name: "timeout", decode: func(_, n *yaml.Node) {
			p.duration("issuer.timeout", n, &c.Issuer.Timeout)
		}},
		{name: "tls", decode: func(key, n *yaml.Node) {
			p.section(key, n, "issuer.tls", []field{
				{name: "ca_file", decode: func(_, n *yaml.Node) { p.text("issuer.tls.ca_file", n, &c.Issuer.TLS.CAFile, false) }},
				{name: "cert_file", decode: func(_, n *yaml.Node) { p.text("issuer.tls.cert_file", n, &c.Issuer.TLS.CertFile, false) }},
				{name: "key_file", decode: func(_, n *yaml.Node) { p.text("issuer.tls.key_file", n, &c.Issuer.TLS.KeyFile, false) }},
			})
			// The files are loaded now, so that check-config and a
			// reload find a missing or mismatched file, not the first
			// charge.
			if _, err := c.Issuer.TLS.Load(); err != nil {
				p.add(key, "issuer.tls: %v", err)
			}
		}},
	}
}

func (p *parser) confirmationFields(c *Config) []field {
	return []field{
		{name: "window", decode: func(_, n *yaml.Node) {
			p.duration("confirmation.window", n, &c.Confirmation.Window)
		}},
	}
}

func (p *parser) scheduleFields(c *Config) []field {
	return []field{
		{name: "expiry", decode: func(_, n *yaml.Node) {
			p.schedule("schedules.expiry", n, &c.Schedules.Expiry)
		}},
		{name: "announce", decode: func(_, n *yaml.Node) {
			p.schedule("schedules.announce", n, &c.Schedules.Announce)
		}},
	}
}

func (p *parser) healthFields(c *Config) []field {
	return []field{
		{name: "listen", decode: func(_, n *yaml.Node) {
			p.address("health.listen", n, &c.Health.Listen)
		}},
		{name: "max_inbox_age", decode: func(_, n *yaml.Node) {
			p.duration("health.max_inbox_age", n, &c.Health.MaxInboxAge)
		}},
		{name: "max_issuer_outage", decode: func(_, n *yaml.Node) {
			p.duration("health.max_issuer_outage", n, &c.Health.MaxIssuerOutage)
		}},
	}
}

func (p *parser) logFields(c *Config) []field {
	return []field{
		{name: "format", decode: func(_, n *yaml.Node) {
			p.oneOf("log.format", n, &c.Log.Format, LogText, LogJSON)
		}},
		{name: "level", decode: func(_, n *yaml.Node) {
			p.oneOf("log.level", n, &c.Log.Level, "debug", "info", "warn", "error")
		}},
	}
}
