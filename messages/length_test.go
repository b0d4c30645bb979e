package messages

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestLongestPinsEveryKind pins the data longest builds for each data type,
// so that the length check keeps measuring the same worst cases.
func TestLongestPinsEveryKind(t *testing.T) {
	w := func(n int) string { return strings.Repeat("W", n) }
	name, order, ref := w(MaxScreenNameLen), w(MaxOrderIDLen), w(MaxRefLen)
	const when = "2006-01-02 15:04 UTC"

	// open has no dates; its Buy hashtag is longer in runes, its Confirm
	// hashtag longer in bytes.
	open := Offer{ID: "k", Title: "Kindle", BuyHashtag: "#abcd", ConfirmHashtag: "#ééé", Price: "9.99 USD"}
	openFilled := open
	openFilled.Starts, openFilled.Ends = when, when
	// dated keeps its own dates; its Confirm hashtag is longer.
	dated := Offer{ID: "d", Title: "Dated", BuyHashtag: "#ab", ConfirmHashtag: "#wxyz", Price: "1 €", Starts: "2030-01-01 00:00 UTC", Ends: "2030-02-01 00:00 UTC"}
	// half has a start and no end; its hashtags are equally long.
	half := Offer{ID: "h", Title: "Half", BuyHashtag: "#abc", ConfirmHashtag: "#xyz", Price: "2.00 USD", Starts: "2030-03-01 00:00 UTC"}
	halfFilled := half
	halfFilled.Ends = when

	sm := Sample{EnrollURL: "https://issuer.example/link", Window: 2 * time.Hour, Limits: map[string]int{"k": 3}, Quantities: map[string]string{"k": "100"}}
	all := []Offer{open, dated, half}
	allCopy := append([]Offer(nil), all...)

	// For Orders: the longest title counts runes, the longest price bytes,
	// and the first of equally long ones wins.
	forOrders := []Offer{
		{ID: "a", Title: "abcdef", Price: "1.00"},
		{ID: "b", Title: "éééé", Price: "1 €"},
		{ID: "c", Title: "zzzzzz", Price: "2 €"},
	}
	lines := func(title, price string) []OrderLine {
		l := make([]OrderLine, MaxOrdersListed)
		for i := range l {
			l[i] = OrderLine{OrderID: order, Title: title, Amount: price, Status: "waiting for your approval at your card issuer", Created: when}
		}
		return l
	}

	tests := []struct {
		name string
		kind Kind
		o    Offer
		all  []Offer
		sm   Sample
		dm   bool
		want any
	}{
		{"request public", ConfirmRequest, open, all, sm, false,
			Request{ScreenName: name, Offer: openFilled, OrderID: order, Amount: "9.99 USD", Last4: "0000", TimeLeft: "1 h 59 min", ExpiresAt: when}},
		{"request dm, dated, 15 min window", ConfirmRequest, dated, all, Sample{Window: 15 * time.Minute}, true,
			Request{ScreenName: name, DM: true, Offer: dated, OrderID: order, Amount: "1 €", Last4: "0000", TimeLeft: "15 min", ExpiresAt: when}},
		{"request, no window", ConfirmRequest, open, all, Sample{}, false,
			Request{ScreenName: name, Offer: openFilled, OrderID: order, Amount: "9.99 USD", Last4: "0000", TimeLeft: "", ExpiresAt: when}},
		{"request, two day window", ConfirmRequest, open, all, Sample{Window: 48 * time.Hour}, true,
			Request{ScreenName: name, DM: true, Offer: openFilled, OrderID: order, Amount: "9.99 USD", Last4: "0000", TimeLeft: "47 h 59 min", ExpiresAt: when}},
		{"pointer, half dated", RequestPointer, half, all, sm, false,
			Pointer{ScreenName: name, Offer: halfFilled, OrderID: order}},
		{"pointer ignores dm", ReceiptPointer, open, all, sm, true,
			Pointer{ScreenName: name, Offer: openFilled, OrderID: order}},
		{"receipt", Receipt, open, all, sm, true,
			ReceiptData{ScreenName: name, DM: true, Offer: openFilled, OrderID: order, Amount: "9.99 USD", Last4: "0000", PurchaseID: w(MaxPurchaseIDLen)}},
		{"declined public has no reason", Declined, open, all, sm, false,
			DeclinedData{ScreenName: name, Offer: openFilled, OrderID: order, Amount: "9.99 USD"}},
		{"declined dm has the longest reason", Declined, open, all, sm, true,
			DeclinedData{ScreenName: name, DM: true, Offer: openFilled, OrderID: order, Amount: "9.99 USD", Reason: "the card's limit would be exceeded"}},
		{"order note", ChargeFailed, dated, all, sm, true,
			OrderNote{ScreenName: name, DM: true, Offer: dated, OrderID: order, Ref: ref}},
		{"offer note with a limit", LimitReached, open, all, sm, false,
			OfferNote{ScreenName: name, Offer: openFilled, Reason: "not_started", Limit: 3, Ref: ref}},
		{"offer note without a limit", NotAvailable, dated, all, sm, true,
			OfferNote{ScreenName: name, DM: true, Offer: dated, Reason: "not_started", Ref: ref}},
		{"offer note, nil maps", NoRequest, open, all, Sample{}, false,
			OfferNote{ScreenName: name, Offer: openFilled, Reason: "not_started", Ref: ref}},
		{"enroll", NotEnrolled, open, all, sm, true,
			Enroll{ScreenName: name, DM: true, Offer: openFilled, EnrollURL: "https://issuer.example/link", Ref: ref}},
		{"note", OneAtATime, open, all, sm, false,
			Note{ScreenName: name, Ref: ref}},
		{"hint: more runes wins over more bytes", DidYouMean, open, all, sm, false,
			Hint{ScreenName: name, Offer: openFilled, Hashtag: "#abcdWWW", Suggestion: "#abcd", Ref: ref}},
		{"hint: longer confirm hashtag", DidYouMean, dated, all, sm, true,
			Hint{ScreenName: name, DM: true, Offer: dated, Hashtag: "#wxyzWWW", Suggestion: "#wxyz", Ref: ref}},
		{"hint: a tie keeps the buy hashtag", DidYouMean, half, all, sm, false,
			Hint{ScreenName: name, Offer: halfFilled, Hashtag: "#abcWWW", Suggestion: "#abc", Ref: ref}},
		{"announce", Announce, open, all, sm, false,
			AnnounceData{Offer: openFilled, Quantity: "100"}},
		{"announce, unlimited", Announce, dated, all, sm, true,
			AnnounceData{Offer: dated}},
		{"help lists all offers as given", Help, open, all, sm, true,
			HelpData{ScreenName: name, Offers: allCopy}},
		{"help, no offers", Help, Offer{}, nil, sm, true,
			HelpData{ScreenName: name}},
		{"orders", Orders, Offer{}, forOrders, sm, true,
			OrdersData{ScreenName: name, Orders: lines("abcdef", "1 €")}},
		{"orders, no offers", Orders, open, nil, sm, true,
			OrdersData{ScreenName: name, Orders: lines("", "")}},
		{"risk note", RiskRefused, open, all, sm, true,
			RiskNote{ScreenName: name, DM: true, Offer: openFilled, OrderID: order, Contact: "https://issuer.example/link", Ref: ref}},
		{"paused", Paused, dated, all, Sample{}, false,
			RiskNote{ScreenName: name, Offer: dated, OrderID: order, Ref: ref}},
		{"approval", ApprovalPending, open, all, sm, false,
			ApprovalData{ScreenName: name, Offer: openFilled, OrderID: order, Amount: "9.99 USD", Channel: "sms", Expires: when, Reason: "expired"}},
		{"refund", Refunded, dated, all, sm, true,
			RefundData{ScreenName: name, DM: true, Offer: dated, OrderID: order, Amount: "1 €", Refunded: "1 €"}},
	}
	for _, tt := range tests {
		got := longest(tt.kind, tt.o, tt.all, tt.sm, tt.dm)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: longest(%s) =\n%#v\nwant\n%#v", tt.name, tt.kind, got, tt.want)
		}
	}
	if !reflect.DeepEqual(all, allCopy) {
		t.Errorf("longest changed the offers it was given: %#v", all)
	}

	// Every kind gets data of its own type, public and by DM.
	for _, k := range AllKinds() {
		for _, dm := range []bool{false, true} {
			if got := reflect.TypeOf(longest(k, open, all, sm, dm)); got != DataType(k) {
				t.Errorf("longest(%s, dm=%v) is a %v, want %v", k, dm, got, DataType(k))
			}
		}
	}
}

// TestLongestPanicsOnUnknownKind: a kind without a sample is a programming
// error, not a configuration one.
func TestLongestPanicsOnUnknownKind(t *testing.T) {
	defer func() {
		if r := recover(); r != "messages: no sample for nonsense" {
			t.Errorf("recovered %v", r)
		}
	}()
	longest(Kind("nonsense"), Offer{}, nil, Sample{}, false)
}
