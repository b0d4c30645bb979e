package messages

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paybytweet/paybytweet/internal/typo"
	"github.com/paybytweet/paybytweet/twittertext"
)

// Longest values that facts outside the configuration can take. Order ids
// are made by the bot and are never longer than MaxOrderIDLen; purchase ids
// come from the issuer, and a longer one makes the receipt fall back to the
// default template (see Fit).
const (
	MaxScreenNameLen = 15
	MaxOrderIDLen    = 24
	MaxPurchaseIDLen = 40
	MaxRefLen        = 10
	MaxOrdersListed  = 10
)

// Sample is what the length check needs to know beyond the offers: the
// longest values of the facts that depend on configuration.
type Sample struct {
	EnrollURL string
	Window    time.Duration
	// Limits and Quantities are per offer id.
	Limits     map[string]int
	Quantities map[string]string
}

// LengthError is a template that, with the longest values it can be given,
// renders too long for where it is sent.
type LengthError struct {
	Offer   string
	Kind    Kind
	Channel string
	Length  int
	Max     int
	Example string
}

func (e *LengthError) Error() string {
	where := "templates." + string(e.Kind)
	if e.Offer != "" {
		where = "offer " + e.Offer + ": " + where
	}
	return fmt.Sprintf("%s: a %s can be %d characters long with the longest values, more than the %d allowed", where, e.Channel, e.Length, e.Max)
}

// CheckLengths renders every template with the longest values it can be
// given, for every offer, and returns a *LengthError for each that would not
// fit in a tweet (280, after "@screen_name ") or a direct message (10,000).
func (s *Set) CheckLengths(offers []Offer, sample Sample) []error {
	var errs []error
	seen := map[string]bool{}
	for _, k := range AllKinds() {
		sp := specs[k]
		targets := offers
		if !hasOffer(sp.data) {
			targets = []Offer{{}}
		}
		for _, o := range targets {
			for _, dm := range []bool{false, true} {
				if (dm && !sp.dm) || (!dm && !sp.public) {
					continue
				}
				owner := overrideOwner(s, k, o.ID)
				text, err := s.Render(k, o.ID, longest(k, o, offers, sample, dm))
				if err != nil {
					errs = append(errs, &TemplateError{Offer: owner, Kind: k, Err: err})
					continue
				}
				max, channel := twittertext.MaxDMLength, "direct message"
				if !dm {
					max, channel = twittertext.MaxTweetLength, "tweet"
					if k != Announce {
						text = ReplyText(strings.Repeat("W", MaxScreenNameLen), text)
					}
				}
				n := twittertext.WeightedLength(text)
				key := fmt.Sprintf("%s/%s/%s", owner, k, channel)
				if n > max && !seen[key] {
					seen[key] = true
					errs = append(errs, &LengthError{Offer: owner, Kind: k, Channel: channel, Length: n, Max: max, Example: text})
				}
			}
		}
	}
	return errs
}

// overrideOwner says whose template a length problem is in: the offer's own
// override, or the global one (""), so the message points at the right line.
func overrideOwner(s *Set, k Kind, offerID string) string {
	if _, ok := s.offers[offerID][k]; ok {
		return offerID
	}
	return ""
}

func hasOffer(t reflect.Type) bool {
	_, ok := t.FieldByName("Offer")
	return ok
}

// longest builds the data of kind k with the longest value of every fact.
func longest(k Kind, o Offer, all []Offer, sm Sample, dm bool) any {
	name := strings.Repeat("W", MaxScreenNameLen)
	order := strings.Repeat("W", MaxOrderIDLen)
	ref := strings.Repeat("W", MaxRefLen)
	when := "2006-01-02 15:04 UTC"
	if o.Starts == "" {
		o.Starts = when
	}
	if o.Ends == "" {
		o.Ends = when
	}
	switch DataType(k) {
	case typeOf[Request]():
		return Request{ScreenName: name, DM: dm, Offer: o, OrderID: order, Amount: o.Price, Last4: "0000", TimeLeft: longestDuration(sm.Window), ExpiresAt: when}
	case typeOf[Pointer]():
		return Pointer{ScreenName: name, Offer: o, OrderID: order}
	case typeOf[ReceiptData]():
		return ReceiptData{ScreenName: name, DM: dm, Offer: o, OrderID: order, Amount: o.Price, Last4: "0000", PurchaseID: strings.Repeat("W", MaxPurchaseIDLen)}
	case typeOf[DeclinedData]():
		reason := ""
		if dm {
			reason = longestReason()
		}
		return DeclinedData{ScreenName: name, DM: dm, Offer: o, OrderID: order, Amount: o.Price, Reason: reason}
	case typeOf[OrderNote]():
		return OrderNote{ScreenName: name, DM: dm, Offer: o, OrderID: order, Ref: ref}
	case typeOf[OfferNote]():
		return OfferNote{ScreenName: name, DM: dm, Offer: o, Reason: "not_started", Limit: sm.Limits[o.ID], Ref: ref}
	case typeOf[Enroll]():
		return Enroll{ScreenName: name, DM: dm, Offer: o, EnrollURL: sm.EnrollURL, Ref: ref}
	case typeOf[Note]():
		return Note{ScreenName: name, DM: dm, Ref: ref}
	case typeOf[Hint]():
		// What is suggested is one of the offer's hashtags, and what was
		// written is at most typo.MaxDistance letters longer.
		suggestion := o.BuyHashtag
		if utf8.RuneCountInString(o.ConfirmHashtag) > utf8.RuneCountInString(suggestion) {
			suggestion = o.ConfirmHashtag
		}
		return Hint{ScreenName: name, DM: dm, Offer: o, Hashtag: suggestion + strings.Repeat("W", typo.MaxDistance), Suggestion: suggestion, Ref: ref}
	case typeOf[AnnounceData]():
		return AnnounceData{Offer: o, Quantity: sm.Quantities[o.ID]}
	case typeOf[HelpData]():
		return HelpData{ScreenName: name, Offers: all}
	case typeOf[OrdersData]():
		lines := make([]OrderLine, MaxOrdersListed)
		title, price := "", ""
		for _, x := range all {
			if utf8.RuneCountInString(x.Title) > utf8.RuneCountInString(title) {
				title = x.Title
			}
			if len(x.Price) > len(price) {
				price = x.Price
			}
		}
		for i := range lines {
			lines[i] = OrderLine{OrderID: order, Title: title, Amount: price, Status: longestStatus(), Created: when}
		}
		return OrdersData{ScreenName: name, Orders: lines}
	case typeOf[RiskNote]():
		return RiskNote{ScreenName: name, DM: dm, Offer: o, OrderID: order, Contact: sm.EnrollURL, Ref: ref}
	case typeOf[ApprovalData]():
		return ApprovalData{ScreenName: name, DM: dm, Offer: o, OrderID: order, Amount: o.Price, Channel: "sms", Expires: when, Reason: "expired"}
	case typeOf[RefundData]():
		return RefundData{ScreenName: name, DM: dm, Offer: o, OrderID: order, Amount: o.Price, Refunded: o.Price}
	}
	panic("messages: no sample for " + string(k))
}

func longestReason() string {
	r := ""
	for _, s := range declineReasons {
		if len(s) > len(r) {
			r = s
		}
	}
	return r
}

func longestStatus() string {
	r := ""
	for _, s := range statusWords {
		if len(s) > len(r) {
			r = s
		}
	}
	return r
}

// longestDuration is the longest text TimeLeft can take for a window.
func longestDuration(w time.Duration) string {
	longest := ""
	for _, d := range []time.Duration{w, w - time.Minute, 59 * time.Minute, 23*time.Hour + 59*time.Minute} {
		if d > w || d <= 0 {
			continue
		}
		if s := FormatDuration(d); len(s) > len(longest) {
			longest = s
		}
	}
	return longest
}
