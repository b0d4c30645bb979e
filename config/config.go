// Package config loads, validates and compares the daemon's YAML
// configuration (contracts/config-and-cli.md). Every problem is reported
// with its file, line and column, all at once, so that an admin fixing a
// typo in a hurry sees everything in one go.
package config

import (
	"time"

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
	}
	Twitter struct {
		APIURL         string
		ConsumerKey    string
		ConsumerSecret string
		AccessToken    string
		AccessSecret   string
		Poll           struct {
			Mentions       string // robfig/cron spec
			DirectMessages string // robfig/cron spec
		}
		Limits struct {
			TweetsPerWindow int           // statuses/update budget, default 300
			TweetWindow     time.Duration // default 3h
			DMsPerDay       int           // direct_messages/events/new budget per 24h, default 1000
		}
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
	Privacy   string // PrivacyPublic or PrivacyDM
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
}

// The log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

// The two privacy modes.
const (
	PrivacyPublic = "public"
	PrivacyDM     = "dm"
)

// Offer is one offer as the admin wrote it, with its price converted to
// minor units and its hashtags without the '#'.
type Offer struct {
	ID             string
	Title          string
	BuyHashtag     string // as written, without '#'
	ConfirmHashtag string // as written, without '#'
	Price          int64  // minor units of Currency
	Currency       string // ISO 4217, upper case
	Merchant       string
	Quantity       *int64    // nil means unlimited
	PerUserLimit   int       // at least 1
	Starts         time.Time // zero means open from the start
	Ends           time.Time // zero means never ends
	// AnnounceAt is when the bot tweets the offer (the announce key); zero
	// means never. "announce: true" on an offer without starts gives
	// AnnounceOnLoad(), a fixed instant in the past, so that the announcement
	// is made at once and, as the bot records it per offer and time, only
	// once whatever restarts and reloads follow.
	AnnounceAt time.Time
	Templates  messages.Overrides
	Line       int // where the offer starts in the file
}

// AnnounceOnLoad returns the AnnounceAt of an offer set to "announce: true"
// without a start: the Unix epoch, which is not the zero time (that means no
// announcement) and is always in the past.
func AnnounceOnLoad() time.Time { return time.Unix(0, 0).UTC() }
