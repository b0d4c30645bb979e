package config

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/money"
)

// Change is one setting that differs between two configurations.
type Change struct {
	Setting  string // "confirmation.window", or for an offer its key: "price", "templates.receipt"
	Old, New string // as shown in the log; both empty when Hidden
	// Hidden is set for a credential, a value taken from the environment
	// and a template's text: the log says only that it changed.
	Hidden bool
}

// String returns the change as the log shows it, such as
// "price 199.00 USD -> 179.00 USD" or "issuer.api_key changed". It never
// fails.
func (ch Change) String() string {
	if ch.Hidden {
		return ch.Setting + " changed"
	}
	return fmt.Sprintf("%s %s -> %s", ch.Setting, ch.Old, ch.New)
}

// OfferChange is an offer present before and after whose terms differ.
type OfferChange struct {
	ID      string
	Changes []Change
}

// Changes is what a reload changes, as Diff finds it.
type Changes struct {
	Added   []string      // ids of new offers, in file order
	Removed []string      // ids of offers gone, in their old order
	Offers  []OfferChange // offers whose terms changed, in file order
	// Settings take effect on reload; Restart only on the next start, the
	// running values staying in force until then (see Apply).
	Settings []Change
	Restart  []Change

	added   map[string]string // id -> description for the log
	secrets []string
}

// Empty reports whether the two configurations are the same in every
// setting, restart-only ones included. It never fails.
func (c Changes) Empty() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Offers) == 0 && len(c.Settings) == 0 && len(c.Restart) == 0
}

// Applied reports whether anything changes for the running bot, that is
// anything but restart-only settings. It never fails.
func (c Changes) Applied() bool {
	return len(c.Added) > 0 || len(c.Removed) > 0 || len(c.Offers) > 0 || len(c.Settings) > 0
}

// Lines returns one line per change for the log, such as
// "offer kindle-fire-hd: price 199.00 USD -> 179.00 USD"; restart-only ones
// last, saying so. No line holds a secret or a value from the environment.
// It returns nil when nothing changed.
func (c Changes) Lines() []string {
	out := c.appliedLines()
	for _, ch := range c.Restart {
		out = append(out, scrub(ch.String()+" (needs a restart to take effect)", c.secrets))
	}
	return out
}

// appliedLines are the Lines of the changes a reload puts in force.
func (c Changes) appliedLines() []string {
	var out []string
	for _, id := range c.Removed {
		out = append(out, "offer "+id+" removed")
	}
	for _, id := range c.Added {
		out = append(out, "offer "+id+" added"+c.added[id])
	}
	for _, oc := range c.Offers {
		for _, ch := range oc.Changes {
			out = append(out, "offer "+oc.ID+": "+ch.String())
		}
	}
	for _, ch := range c.Settings {
		out = append(out, ch.String())
	}
	for i := range out {
		out[i] = scrub(out[i], c.secrets)
	}
	return out
}

// setting is one setting outside the offers, as Diff compares it.
type setting struct {
	name    string
	get     func(*Config) string
	restart bool // read once at start-up: Apply keeps the running value
	secret  bool
}

// settings lists every setting outside offers and templates. A function
// rather than a variable: the package keeps no mutable global state.
func settings() []setting {
	d := func(v time.Duration) string { return v.String() }
	return append([]setting{
		{"bot.screen_name", func(c *Config) string { return c.Bot.ScreenName }, true, false},
		{"storage.path", func(c *Config) string { return c.Storage.Path }, true, false},
		{"storage.retention", func(c *Config) string { return d(c.Storage.Retention) }, false, false},
		{"twitter.api", func(c *Config) string { return c.Twitter.API }, true, false},
		{"twitter.api_url", func(c *Config) string { return c.Twitter.APIURL }, true, false},
		{"twitter.consumer_key", func(c *Config) string { return c.Twitter.ConsumerKey }, true, true},
		{"twitter.consumer_secret", func(c *Config) string { return c.Twitter.ConsumerSecret }, true, true},
		{"twitter.access_token", func(c *Config) string { return c.Twitter.AccessToken }, true, true},
		{"twitter.access_secret", func(c *Config) string { return c.Twitter.AccessSecret }, true, true},
		{"twitter.poll.mentions", func(c *Config) string { return c.Twitter.Poll.Mentions }, false, false},
		{"twitter.poll.direct_messages", func(c *Config) string { return c.Twitter.Poll.DirectMessages }, false, false},
		{"twitter.limits.tweets_per_window", func(c *Config) string { return strconv.Itoa(c.Twitter.Limits.TweetsPerWindow) }, false, false},
		{"twitter.limits.tweet_window", func(c *Config) string { return d(c.Twitter.Limits.TweetWindow) }, false, false},
		{"twitter.limits.dms_per_window", func(c *Config) string { return strconv.Itoa(c.Twitter.Limits.DMsPerWindow) }, false, false},
		{"twitter.limits.dm_window", func(c *Config) string { return d(c.Twitter.Limits.DMWindow) }, false, false},
		{"twitter.limits.dms_per_day", func(c *Config) string { return strconv.Itoa(c.Twitter.Limits.DMsPerDay) }, false, false},
		{"issuer.url", func(c *Config) string { return c.Issuer.URL }, true, false},
		{"issuer.api_key", func(c *Config) string { return c.Issuer.APIKey }, true, true},
		{"issuer.enroll_url", func(c *Config) string { return c.Issuer.EnrollURL }, false, false},
		{"issuer.timeout", func(c *Config) string { return d(c.Issuer.Timeout) }, false, false},
		{"confirmation.window", func(c *Config) string { return d(c.Confirmation.Window) }, false, false},
		{"privacy", func(c *Config) string { return string(c.Privacy) }, false, false},
		{"schedules.expiry", func(c *Config) string { return c.Schedules.Expiry }, false, false},
		{"schedules.announce", func(c *Config) string { return c.Schedules.Announce }, false, false},
		{"issuer.tls.ca_file", func(c *Config) string { return c.Issuer.TLS.CAFile }, true, false},
		{"issuer.tls.cert_file", func(c *Config) string { return c.Issuer.TLS.CertFile }, true, false},
		{"issuer.tls.key_file", func(c *Config) string { return c.Issuer.TLS.KeyFile }, true, false},
		{"health.listen", func(c *Config) string { return c.Health.Listen }, true, false},
		{"health.max_inbox_age", func(c *Config) string { return d(c.Health.MaxInboxAge) }, false, false},
		{"health.max_issuer_outage", func(c *Config) string { return d(c.Health.MaxIssuerOutage) }, false, false},
		{"log.format", func(c *Config) string { return c.Log.Format }, true, false},
		{"log.level", func(c *Config) string { return c.Log.Level }, false, false},
	}, append(pushSettings(), riskSettings()...)...)
}

// Diff returns what changes from old to new: offers added, removed and
// changed key by key, other settings, and the settings that need a restart.
// It never fails; both arguments must be non-nil.
func Diff(old, new *Config) Changes {
	var ch Changes
	ch.secrets = union(old.secrets, new.secrets)
	hidden := func(path string) bool { return old.fromEnv[path] || new.fromEnv[path] }

	for _, s := range settings() {
		a, b := s.get(old), s.get(new)
		if a == b {
			continue
		}
		c := Change{Setting: s.name, Old: shown(a), New: shown(b)}
		if s.secret || hidden(s.name) {
			c = Change{Setting: s.name, Hidden: true}
		}
		if s.restart {
			ch.Restart = append(ch.Restart, c)
		} else {
			ch.Settings = append(ch.Settings, c)
		}
	}
	ch.Settings = append(ch.Settings, templateChanges("templates", old.Templates, new.Templates)...)

	olds := map[string]Offer{}
	for _, o := range old.Offers {
		if _, dup := olds[o.ID]; !dup {
			olds[o.ID] = o
		}
	}
	news := map[string]bool{}
	ch.added = map[string]string{}
	for _, o := range new.Offers {
		if news[o.ID] {
			continue
		}
		news[o.ID] = true
		prev, ok := olds[o.ID]
		if !ok {
			ch.Added = append(ch.Added, o.ID)
			ch.added[o.ID] = describe(o, func(k string) bool { return new.fromEnv["offers."+o.ID+"."+k] })
			continue
		}
		hiddenKey := func(k string) bool { return hidden("offers." + o.ID + "." + k) }
		if cs := offerChanges(prev, o, hiddenKey); len(cs) > 0 {
			ch.Offers = append(ch.Offers, OfferChange{ID: o.ID, Changes: cs})
		}
	}
	for _, o := range old.Offers {
		if !news[o.ID] {
			ch.Removed = append(ch.Removed, o.ID)
			news[o.ID] = true // an old duplicate id is removed once
		}
	}
	return ch
}

// describe says what a new offer is, leaving out what came from the
// environment.
func describe(o Offer, fromEnv func(key string) bool) string {
	if fromEnv("title") || fromEnv("price") || fromEnv("currency") || fromEnv("buy_hashtag") {
		return ""
	}
	return fmt.Sprintf(": %s, %s, #%s", o.Title, money.Format(o.Price, o.Currency), o.BuyHashtag)
}

// offerChanges compares the terms of one offer, key by key.
func offerChanges(a, b Offer, hidden func(key string) bool) []Change {
	type term struct {
		key    string
		a, b   string
		hidden bool
	}
	terms := []term{
		{"title", a.Title, b.Title, hidden("title")},
		{"buy_hashtag", "#" + a.BuyHashtag, "#" + b.BuyHashtag, hidden("buy_hashtag")},
		{"confirm_hashtag", "#" + a.ConfirmHashtag, "#" + b.ConfirmHashtag, hidden("confirm_hashtag")},
		{"price", money.Format(a.Price, a.Currency), money.Format(b.Price, b.Currency), hidden("price") || hidden("currency")},
		{"merchant", a.Merchant, b.Merchant, hidden("merchant")},
		{"quantity", quantity(a.Quantity), quantity(b.Quantity), hidden("quantity")},
		{"per_user_limit", strconv.Itoa(a.PerUserLimit), strconv.Itoa(b.PerUserLimit), hidden("per_user_limit")},
		{"starts", moment(a.Starts, "now"), moment(b.Starts, "now"), hidden("starts")},
		{"ends", moment(a.Ends, "never"), moment(b.Ends, "never"), hidden("ends")},
		{"announce", announcement(a.AnnounceAt), announcement(b.AnnounceAt), hidden("announce")},
	}
	var out []Change
	for _, t := range terms {
		switch {
		case t.a == t.b:
		case t.hidden:
			out = append(out, Change{Setting: t.key, Hidden: true})
		default:
			out = append(out, Change{Setting: t.key, Old: t.a, New: t.b})
		}
	}
	return append(out, templateChanges("templates", a.Templates, b.Templates)...)
}

// templateChanges compares overrides kind by kind. Texts are too long for a
// log line: it says which kinds were set, dropped or edited.
func templateChanges(prefix string, a, b messages.Overrides) []Change {
	kinds := map[messages.Kind]bool{}
	for k := range a {
		kinds[k] = true
	}
	for k := range b {
		kinds[k] = true
	}
	var sorted []string
	for k := range kinds {
		sorted = append(sorted, string(k))
	}
	sort.Strings(sorted)
	var out []Change
	for _, k := range sorted {
		ta, inA := a[messages.Kind(k)]
		tb, inB := b[messages.Kind(k)]
		name := prefix + "." + k
		switch {
		case inA && inB && ta != tb:
			out = append(out, Change{Setting: name, Hidden: true})
		case inA && !inB:
			out = append(out, Change{Setting: name, Old: "custom", New: "built-in"})
		case !inA && inB:
			out = append(out, Change{Setting: name, Old: "built-in", New: "custom"})
		}
	}
	return out
}

func shown(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

func quantity(q *int64) string {
	if q == nil {
		return "unlimited"
	}
	return strconv.FormatInt(*q, 10)
}

func moment(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}

func announcement(t time.Time) string {
	switch {
	case t.IsZero():
		return "never"
	case t.Equal(AnnounceOnLoad()):
		return "at once"
	}
	return t.UTC().Format(time.RFC3339)
}
