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
	when := "2006-01-02 15:04 UTC"
	f := longestFacts{
		name:  strings.Repeat("W", MaxScreenNameLen),
		order: strings.Repeat("W", MaxOrderIDLen),
		ref:   strings.Repeat("W", MaxRefLen),
		when:  when,
		o:     withDates(o, when),
		all:   all,
		sm:    sm,
		dm:    dm,
	}
	t := DataType(k)
	if data, ok := f.orderData(t); ok {
		return data
	}
	if data, ok := f.otherData(t); ok {
		return data
	}
	panic("messages: no sample for " + string(k))
}

// longestFacts holds the longest values of the facts the kinds share, and
// the offer with its dates filled in, so every data type is built alike.
type longestFacts struct {
	name, order, ref, when string
	o                      Offer
	all                    []Offer
	sm                     Sample
	dm                     bool
}

// withDates gives an offer without a start or end the date when instead,
// so that a template showing them is measured with one.
func withDates(o Offer, when string) Offer {
	if o.Starts == "" {
		o.Starts = when
	}
	if o.Ends == "" {
		o.Ends = when
	}
	return o
}

// orderData builds the data of the kinds about one order; ok is false when
// t is not one of them.
func (f longestFacts) orderData(t reflect.Type) (data any, ok bool) {
	o := f.o
	switch t {
	case typeOf[Request]():
		return Request{ScreenName: f.name, DM: f.dm, Offer: o, OrderID: f.order, Amount: o.Price, Last4: "0000", TimeLeft: longestDuration(f.sm.Window), ExpiresAt: f.when}, true
	case typeOf[Pointer]():
		return Pointer{ScreenName: f.name, Offer: o, OrderID: f.order}, true
	case typeOf[ReceiptData]():
		return ReceiptData{ScreenName: f.name, DM: f.dm, Offer: o, OrderID: f.order, Amount: o.Price, Last4: "0000", PurchaseID: strings.Repeat("W", MaxPurchaseIDLen)}, true
	case typeOf[DeclinedData]():
		reason := ""
		if f.dm {
			reason = longestReason()
		}
		return DeclinedData{ScreenName: f.name, DM: f.dm, Offer: o, OrderID: f.order, Amount: o.Price, Reason: reason}, true
	case typeOf[OrderNote]():
		return OrderNote{ScreenName: f.name, DM: f.dm, Offer: o, OrderID: f.order, Ref: f.ref}, true
	case typeOf[RiskNote]():
		return RiskNote{ScreenName: f.name, DM: f.dm, Offer: o, OrderID: f.order, Contact: f.sm.EnrollURL, Ref: f.ref}, true
	case typeOf[ApprovalData]():
		return ApprovalData{ScreenName: f.name, DM: f.dm, Offer: o, OrderID: f.order, Amount: o.Price, Channel: "sms", Expires: f.when, Reason: "expired"}, true
	case typeOf[RefundData]():
		return RefundData{ScreenName: f.name, DM: f.dm, Offer: o, OrderID: f.order, Amount: o.Price, Refunded: o.Price}, true
	}
	return nil, false
}

// otherData builds the data of the kinds about an offer, the cardholder's
// orders or nothing in particular; ok is false when t is not one of them.
func (f longestFacts) otherData(t reflect.Type) (data any, ok bool) {
	o := f.o
	switch t {
	case typeOf[OfferNote]():
		return OfferNote{ScreenName: f.name, DM: f.dm, Offer: o, Reason: "not_started", Limit: f.sm.Limits[o.ID], Ref: f.ref}, true
	case typeOf[Enroll]():
		return Enroll{ScreenName: f.name, DM: f.dm, Offer: o, EnrollURL: f.sm.EnrollURL, Ref: f.ref}, true
	case typeOf[Note]():
		return Note{ScreenName: f.name, DM: f.dm, Ref: f.ref}, true
	case typeOf[Hint]():
		suggestion := longestHashtag(o)
		return Hint{ScreenName: f.name, DM: f.dm, Offer: o, Hashtag: suggestion + strings.Repeat("W", typo.MaxDistance), Suggestion: suggestion, Ref: f.ref}, true
	case typeOf[AnnounceData]():
		return AnnounceData{Offer: o, Quantity: f.sm.Quantities[o.ID]}, true
	case typeOf[HelpData]():
		return HelpData{ScreenName: f.name, Offers: f.all}, true
	case typeOf[OrdersData]():
		return OrdersData{ScreenName: f.name, Orders: longestOrderLines(f.all, f.order, f.when)}, true
	}
	return nil, false
}

// longestHashtag is the longer, in letters, of the offer's two hashtags
// (the buy one when they are as long): what a hint suggests is one of them,
// and what was written is at most typo.MaxDistance letters longer.
func longestHashtag(o Offer) string {
	suggestion := o.BuyHashtag
	if utf8.RuneCountInString(o.ConfirmHashtag) > utf8.RuneCountInString(suggestion) {
		suggestion = o.ConfirmHashtag
	}
	return suggestion
}

// longestOrderLines is a full Orders list, each line with the longest title
// (in letters) and price (in bytes) of all offers and the longest status.
func longestOrderLines(all []Offer, order, when string) []OrderLine {
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
	return lines
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
