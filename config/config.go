// Package config loads, validates and compares the daemon's YAML
// configuration (contracts/config-and-cli.md). Every problem is reported
// with its file, line and column, all at once, so that an admin fixing a
// typo in a hurry sees everything in one go.
package config

import (
	"time"

	"github.com/paybytweet/paybytweet/conversations"
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
