package config

import "github.com/paybytweet/paybytweet/messages"

// Offer returns the offer with that id, or a zero Offer and false when
// there is none.
func (c *Config) Offer(id string) (Offer, bool) {
	for _, o := range c.Offers {
		if o.ID == id {
			return o, true
		}
	}
	return Offer{}, false
}

// MessageOffer returns what a message may say about o: hashtags with their
// '#', the price with its currency, times as messages show them. It never
// fails; an unknown currency is shown with two decimals.
func (c *Config) MessageOffer(o Offer) messages.Offer {
	return messageOffer(o)
}
