package config

import (
	"log/slog"

	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/money"
)

func messageOffer(o Offer) messages.Offer {
	return messages.Offer{
		ID:             o.ID,
		Title:          o.Title,
		BuyHashtag:     "#" + o.BuyHashtag,
		ConfirmHashtag: "#" + o.ConfirmHashtag,
		Price:          money.Format(o.Price, o.Currency),
		Starts:         messages.FormatTime(o.Starts),
		Ends:           messages.FormatTime(o.Ends),
	}
}

// Messages returns the message templates compiled when the file was
// validated (it is not called Templates: that is the field of the global
// overrides). A Config not made by Load or Parse (a literal in a test) has
// its templates compiled on each call, and where they do not compile gets
// the built-in ones rather than nil.
func (c *Config) Messages() *messages.Set {
	if c.set != nil {
		return c.set
	}
	set, errs := messages.Build(c.Templates, perOfferTemplates(c.Offers))
	if len(errs) > 0 {
		return messages.Defaults()
	}
	return set
}

// perOfferTemplates gathers the offers' own templates for messages.Build.
// Only the first offer of an id counts, and none without one: a duplicate
// or missing id is a problem of its own, and Build keys overrides by id.
func perOfferTemplates(offers []Offer) map[string]messages.Overrides {
	per := map[string]messages.Overrides{}
	seen := map[string]bool{}
	for _, o := range offers {
		if o.ID == "" || seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		if len(o.Templates) > 0 {
			per[o.ID] = o.Templates
		}
	}
	return per
}

// String returns the one-line Summary, so that printing a Config by mistake
// never prints a credential. It never fails.
func (c Config) String() string { return c.Summary() }

// LogValue makes slog log a Config as its Summary, never its credentials.
// It never fails.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.Summary()) }

// GoString keeps %#v from printing the credentials too. It never fails.
func (c Config) GoString() string { return c.Summary() }
