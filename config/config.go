// Package config loads, validates and compares the daemon's YAML
// configuration (docs/configuration.md). Every problem is reported
// with its file, line and column, all at once, so that an admin fixing a
// typo in a hurry sees everything in one go.
package config

import (
	"time"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/messages"
)

// Config is a validated configuration. It is never modified after Load, so
// a reload swaps a whole Config.
type Config struct {
	Path string // the file it was loaded from

	Bot struct {
		ScreenName string // without '@'
	}
	Storage struct {
		Path string
		// Retention is how long processed messages and sent replies keep
		// their text; after it only what dedupe needs is kept.
		Retention time.Duration
	}
	Twitter struct {
		API            string // APIv1 or APIv2
		APIURL         string
		ConsumerKey    string
		ConsumerSecret string
		AccessToken    string
		AccessSecret   string
		Poll           struct {
			Mentions       string // robfig/cron spec
			DirectMessages string // robfig/cron spec
		}
		// Limits are the bot's own posting budgets; the defaults depend
		// on the API (see APILimits).
		Limits Limits
		// Push is twitter.push: mentions and DMs pushed by X's Activity
		// API (v2 only); off unless the file turns it on.
		Push Push
		// OAuth2 is twitter.oauth2, the bot account's OAuth 2.0 user
		// context (v2 only); nil when the file has no such section.
		OAuth2 *OAuth2
	}
	Issuer struct {
		URL       string
		APIKey    string
		EnrollURL string
		Timeout   time.Duration
		TLS       issuer.TLSFiles // mutual TLS; checked to load when the file is validated
	}
	Confirmation struct {
		Window time.Duration
	}
	Privacy   conversations.Privacy
	Schedules struct {
		Expiry   string // robfig/cron spec, default "@every 5s"
		Announce string // robfig/cron spec, default "@every 30s"
	}
	Health struct {
		Listen string // address of the health endpoint; empty means none
		// MaxInboxAge: /readyz fails once a message has waited this long
		// to be processed; default 5m.
		MaxInboxAge time.Duration
		// MaxIssuerOutage: /readyz fails once the issuer has not answered
		// for this long; default 2m.
		MaxIssuerOutage time.Duration
	}
	Log struct {
		Format string // LogText or LogJSON
		Level  string // debug, info, warn or error
	}
	Templates messages.Overrides
	Offers    []Offer

	// Risk is the risk: section. Its maps are shared by the copies a
	// reload makes, and must not be modified.
	Risk Risk

	// set is Templates and every offer's Templates compiled, once, when the
	// file was validated: a reload never recompiles on the hot path.
	set *messages.Set
	// fromEnv holds the dotted paths ("issuer.enroll_url",
	// "offers.gift-card.merchant") whose value came from an environment
	// variable, so that Diff says only that they changed.
	fromEnv map[string]bool
	// secrets are the values that must never be shown: the credentials and
	// every value taken from the environment. Output is scrubbed of them as
	// a last line of defence.
	secrets []string
	// limitsSet is the budgets as the file wrote them, zero where left
	// out, so that Apply can give a running API its own defaults.
	limitsSet Limits
}

// The two Twitter APIs the bot speaks (twitter.api).
const (
	APIv1 = "v1.1"
	APIv2 = "v2"
)

// Limits are what the bot allows itself to post. A zero count is no
// budget of that kind.
type Limits struct {
	TweetsPerWindow int           // posts per TweetWindow
	TweetWindow     time.Duration //
	DMsPerWindow    int           // direct messages per DMWindow
	DMWindow        time.Duration //
	DMsPerDay       int           // direct messages per rolling 24 hours
}

// APILimits are each API's default budgets, a little below the caps its
// owner publishes: v1.1's 300 tweets per 3 hours and 1,000 DMs a day; v2's
// 100 posts per 15 minutes, and 15 DMs per 15 minutes with 1,440 a day.
func APILimits(api string) Limits {
	if api == APIv2 {
		return Limits{TweetsPerWindow: 100, TweetWindow: 15 * time.Minute, DMsPerWindow: 15, DMWindow: 15 * time.Minute, DMsPerDay: 1440}
	}
	return Limits{TweetsPerWindow: 300, TweetWindow: 3 * time.Hour, DMWindow: 15 * time.Minute, DMsPerDay: 1000}
}

// withAPIDefaults fills each budget the file left out with its API's
// default.
func (l Limits) withAPIDefaults(api string) Limits {
	d := APILimits(api)
	if l.TweetsPerWindow == 0 {
		l.TweetsPerWindow = d.TweetsPerWindow
	}
	if l.TweetWindow == 0 {
		l.TweetWindow = d.TweetWindow
	}
	if l.DMsPerWindow == 0 {
		l.DMsPerWindow = d.DMsPerWindow
	}
	if l.DMWindow == 0 {
		l.DMWindow = d.DMWindow
	}
	if l.DMsPerDay == 0 {
		l.DMsPerDay = d.DMsPerDay
	}
	return l
}

// The log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

// The two privacy modes, as the privacy key writes them.
const (
	PrivacyPublic = conversations.PrivacyPublic
	PrivacyDM     = conversations.PrivacyDM
)

// Offer is one offer as the admin wrote it, with its price converted to
// minor units and its hashtags without the '#': the conversation's own
// type, which this package produces. "announce: true" on an offer without
// starts gives it AnnounceOnLoad().
type Offer = conversations.Offer

// AnnounceOnLoad returns the AnnounceAt of an offer set to "announce: true"
// without a start: the Unix epoch, which is not the zero time (that means no
// announcement) and is always in the past.
func AnnounceOnLoad() time.Time { return time.Unix(0, 0).UTC() }
