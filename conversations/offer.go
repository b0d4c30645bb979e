package conversations

import (
	"time"

	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/twittertext"
)

// Offer is one thing for sale, as the configuration describes it: the
// config package produces offers, this package decides with them.
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
	// means never. Each announcement is made once per offer and time.
	AnnounceAt time.Time
	// Templates are the offer's own message texts; they are compiled with
	// the configuration's into the messages.Set a Situation carries.
	Templates messages.Overrides
	Line      int // where the offer starts in its configuration file, for messages about it
}

// Privacy says where card digits, amounts and receipts may be shown.
type Privacy string

// The two privacy modes.
const (
	PrivacyPublic Privacy = "public" // the whole conversation where the cardholder started it
	PrivacyDM     Privacy = "dm"     // card digits and money by direct message only
)

// Catalog indexes the offers by their normalised hashtags.
type Catalog struct {
	offers  []Offer
	buy     map[string]int
	confirm map[string]int
}

// NewCatalog indexes offers. Hashtags are compared after
// twittertext.NormalizeHashtag (no '#', NFKC, case-folded); the
// configuration guarantees they are unique.
func NewCatalog(offers []Offer) *Catalog {
	c := &Catalog{offers: offers, buy: map[string]int{}, confirm: map[string]int{}}
	for i, o := range offers {
		c.buy[twittertext.NormalizeHashtag(o.BuyHashtag)] = i
		c.confirm[twittertext.NormalizeHashtag(o.ConfirmHashtag)] = i
	}
	return c
}

// Offers returns the offers in configuration order.
func (c *Catalog) Offers() []Offer { return c.offers }

// Offer returns the offer with that id.
func (c *Catalog) Offer(id string) (Offer, bool) {
	for _, o := range c.offers {
		if o.ID == id {
			return o, true
		}
	}
	return Offer{}, false
}

// Availability says why an offer cannot be bought at t with taken units
// held: "not_started", "ended", "sold_out", or "" when it can.
func Availability(o Offer, taken int64, t time.Time) string {
	switch {
	case !o.Starts.IsZero() && t.Before(o.Starts):
		return "not_started"
	case !o.Ends.IsZero() && !t.Before(o.Ends):
		return "ended"
	case o.Quantity != nil && taken >= *o.Quantity:
		return "sold_out"
	}
	return ""
}
