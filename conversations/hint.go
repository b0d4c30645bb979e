package conversations

import (
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/internal/typo"
	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/twittertext"
)

// HintQuiet is how long after a "did you mean" about an offer the same
// cardholder's near-misses of its hashtags go unanswered: one answer
// shows the right hashtag, and a cardholder who keeps mistyping (or
// keeps tweeting a look-alike hashtag for another reason) is not
// answered again and again, at the cost of the posting budget everyone
// shares. A day later a new attempt is likely a new purchase, and is
// answered again.
const HintQuiet = 24 * time.Hour

// hint answers a message whose hashtags are none of the offers' but one
// of which nearly is (#ByKindleFireHD for #BuyKindleFireHD): it says what
// was not understood and suggests the offer's hashtag, once per offer per
// HintQuiet. ok is false when no hashtag is near one of an offer open
// when m was posted, and for a DM near-miss already answered, which is
// then taken as any DM not understood.
func hint(s Situation, m Inbound) (d Decision, ok bool) {
	o, written, suggested, found := nearMiss(s, m)
	if !found {
		return Decision{}, false
	}
	if at, told := s.HintedAt[o.ID]; told && s.Now.Sub(at) < HintQuiet {
		if m.Channel == DM {
			return Decision{}, false
		}
		return Decision{Action: "ignore-near-miss-again"}, true
	}
	d = reply(s, m, "did-you-mean", messages.DidYouMean, o.ID, "", messages.Hint{
		ScreenName: m.ScreenName, DM: m.Channel == DM, Offer: messageOffer(o),
		Hashtag: "#" + strings.TrimPrefix(written, "#"), Suggestion: "#" + suggested, Ref: ref(m)})
	d.Hinted = o.ID
	return d, true
}

// nearMiss returns the first of m's hashtags that is a typo (as
// typo.Suggest judges, after normalising both) of the buy or confirm
// hashtag of an offer open when m was posted, with that offer and its
// hashtag as configured. Offers not open are left out: suggesting their
// hashtag would only lead to "not available".
func nearMiss(s Situation, m Inbound) (o Offer, written, suggested string, ok bool) {
	type target struct {
		offer Offer
		tag   string
	}
	var names []string
	targets := map[string]target{}
	for _, o := range s.Catalog.Offers() {
		if Availability(o, s.Taken[o.ID], m.PostedAt) != "" {
			continue
		}
		for _, tag := range []string{o.BuyHashtag, o.ConfirmHashtag} {
			n := twittertext.NormalizeHashtag(tag)
			names = append(names, n)
			targets[n] = target{o, tag}
		}
	}
	if len(names) == 0 {
		return Offer{}, "", "", false
	}
	for _, h := range m.Hashtags {
		if n := typo.Suggest(twittertext.NormalizeHashtag(h), names); n != "" {
			t := targets[n]
			return t.offer, h, t.tag, true
		}
	}
	return Offer{}, "", "", false
}
