package conversations

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/messages"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func qty(n int64) *int64 { return &n }

func kindle() Offer {
	return Offer{ID: "kindle-fire-hd", Title: "Kindle Fire HD", BuyHashtag: "BuyKindleFireHD", ConfirmHashtag: "ConfirmKindleFireHD",
		Price: 19900, Currency: "USD", Merchant: "mer_amazon", Quantity: qty(5), PerUserLimit: 1}
}

func giftCard() Offer {
	return Offer{ID: "gift-card", Title: "Gift Card", BuyHashtag: "BuyGiftCard", ConfirmHashtag: "ConfirmGiftCard",
		Price: 2500, Currency: "USD", Merchant: "mer_gift", PerUserLimit: 2}
}

const alice, bob = int64(783214), int64(9007199254740993) // bob's id does not fit in a float64

func situation(offers ...Offer) Situation {
	if len(offers) == 0 {
		offers = []Offer{kindle(), giftCard()}
	}
	return Situation{
		Now: t0, Catalog: NewCatalog(offers), Messages: messages.Defaults(), Privacy: PrivacyPublic,
		Window: 15 * time.Minute, EnrollURL: "https://issuer.example/link-twitter",
		Enrollment: Enrollment{Enrolled: true, Active: true, Cardholder: "chd_alice", CardLast4: "1005"},
		History:    History{Taken: map[string]int64{}}, NewOrderID: "ord_new",
	}
}

func tweet(id int64, text string, tags ...string) Inbound {
	return Inbound{Channel: Tweet, ID: id, UserID: alice, ScreenName: "alice", Text: text, Hashtags: tags, PostedAt: t0}
}

func dm(id int64, text string, tags ...string) Inbound {
	return Inbound{Channel: DM, ID: id, UserID: alice, Text: text, Hashtags: tags, PostedAt: t0}
}

// order returns alice's kindle order in state s, requested by tweet 100
// with the request tweeted as 200.
func order(s State) Order {
	return Order{ID: "ord_1", OfferID: "kindle-fire-hd", UserID: alice, ScreenName: "alice", State: s, Channel: Tweet,
		BuyMessageID: 100, RequestMessageID: 200, Title: "Kindle Fire HD", BuyHashtag: "BuyKindleFireHD", ConfirmHashtag: "ConfirmKindleFireHD",
		Amount: 19900, Currency: "USD", Merchant: "mer_amazon", Cardholder: "chd_alice", CardLast4: "1005",
		CreatedAt: t0.Add(-5 * time.Minute), ExpiresAt: t0.Add(10 * time.Minute)}
}

// heldBy counts orders holding stock per offer, as storage's counters do.
func heldBy(orders []Order) map[string]int64 {
	held := map[string]int64{}
	for _, o := range orders {
		if o.State.HoldsStock() {
			held[o.OfferID]++
		}
	}
	return held
}

type want struct {
	action      string
	replies     []string // "channel:kind", in order
	transition  string   // "from->to", or ""
	newOrder    bool
	textHas     []string // each must be in the first reply's text
	textHasNot  []string
	pointerSent *bool
	hinted      string // the offer a "did you mean" is recorded for
}

func TestDecide(t *testing.T) {
	yes, no := true, false
	expired := order(Pending)
	expired.ExpiresAt = t0.Add(-time.Second)
	unsent := order(Pending)
	unsent.RequestMessageID = 0
	unsentLongAgo := unsent
	unsentLongAgo.ExpiresAt = t0.Add(-40 * time.Minute)
	unsentLongAgoGift := unsentLongAgo
	unsentLongAgoGift.ID, unsentLongAgoGift.OfferID, unsentLongAgoGift.ConfirmHashtag = "ord_g1", "gift-card", "ConfirmGiftCard"
	unsentLongAgoGift2 := unsentLongAgoGift
	unsentLongAgoGift2.ID = "ord_g2"
	soldOut := situation()
	soldOut.Taken["kindle-fire-hd"] = 5
	notStarted := kindle()
	notStarted.Starts = t0.Add(time.Hour)
	ended := kindle()
	ended.Ends = t0
	tests := []struct {
		name   string
		mod    func(*Situation)
		orders []Order
		msg    Inbound
		want   want
	}{
		// Buying by tweet: the table of conversation.md, row by row.
		{"buy: not enrolled", func(s *Situation) { s.Enrollment = Enrollment{} }, nil, tweet(300, "#BuyKindleFireHD", "BuyKindleFireHD"),
			want{action: "not-enrolled", replies: []string{"tweet:not_enrolled"}, textHas: []string{"@alice ", "https://issuer.example/link-twitter"}}},
		{"buy: enrollment suspended", func(s *Situation) { s.Enrollment.Active = false }, nil, tweet(300, "", "BuyKindleFireHD"),
			want{action: "not-enrolled", replies: []string{"tweet:not_enrolled"}, textHas: []string{"link"}}},
		{"buy: not started", func(s *Situation) { s.Catalog = NewCatalog([]Offer{notStarted}) }, nil, tweet(300, "", "BuyKindleFireHD"),
			want{action: "not-started", replies: []string{"tweet:not_available"}, textHas: []string{"not open yet", "2026-11-27 13:00 UTC"}}},
		{"buy: ended", func(s *Situation) { s.Catalog = NewCatalog([]Offer{ended}) }, nil, tweet(300, "", "BuyKindleFireHD"),
			want{action: "ended", replies: []string{"tweet:not_available"}, textHas: []string{"has ended"}}},
		{"buy: sold out", func(s *Situation) { s.Taken["kindle-fire-hd"] = 5 }, nil, tweet(300, "", "BuyKindleFireHD"),
			want{action: "sold-out", replies: []string{"tweet:not_available"}, textHas: []string{"sold out"}}},
		{"buy: limit reached by a paid order", nil, []Order{order(Paid)}, tweet(300, "", "BuyKindleFireHD"),
			want{action: "limit-reached", replies: []string{"tweet:limit_reached"}, textHas: []string{"already bought 1"}}},
		{"buy: limit counts an order being charged", nil, []Order{order(Confirmed)}, tweet(300, "", "BuyKindleFireHD"),
			want{action: "limit-reached", replies: []string{"tweet:limit_reached"}}},
		{"buy: a declined order does not count", nil, []Order{order(Declined)}, tweet(300, "", "BuyKindleFireHD"),
			want{action: "reserve", replies: []string{"tweet:confirm_request"}, newOrder: true}},
		{"buy: repeat while pending", nil, []Order{order(Pending)}, tweet(300, "", "BuyKindleFireHD"),
			want{action: "repeat-request", replies: []string{"tweet:confirm_request"}, textHas: []string{"ord_1", "10 min"}}},
		{"buy: repeat after the window reserves anew", nil, []Order{expired}, tweet(300, "", "BuyKindleFireHD"),
			want{action: "reserve", replies: []string{"tweet:confirm_request"}, newOrder: true}},
		{"buy: repeat while the first request is undelivered, long after", func(s *Situation) { s.Now = t0.Add(time.Hour) },
			[]Order{unsentLongAgo}, tweet(300, "", "BuyKindleFireHD"),
			want{action: "repeat-request", replies: []string{"tweet:confirm_request"}}},
		{"buy: an undelivered request counts against the limit", func(s *Situation) { s.Now = t0.Add(time.Hour) },
			[]Order{unsentLongAgoGift, unsentLongAgoGift2}, tweet(300, "", "BuyGiftCard"),
			want{action: "repeat-request", replies: []string{"tweet:confirm_request"}}},
		{"buy: happy path", nil, nil, tweet(300, "@AmexOffers #BuyKindleFireHD", "BuyKindleFireHD"),
			want{action: "reserve", replies: []string{"tweet:confirm_request"}, newOrder: true,
				textHas: []string{"@alice ", "Kindle Fire HD", "199.00 USD", "1005", "#ConfirmKindleFireHD", "15 min", "ord_new"}}},
		{"buy: lower case and fullwidth hashtags", nil, nil, tweet(300, "", "ｂｕｙｋｉｎｄｌｅｆｉｒｅｈｄ"),
			want{action: "reserve", replies: []string{"tweet:confirm_request"}, newOrder: true}},
		{"buy: several offers at once", nil, nil, tweet(300, "", "BuyKindleFireHD", "BuyGiftCard"),
			want{action: "several", replies: []string{"tweet:one_at_a_time"}}},
		{"buy: the same hashtag twice is one offer", nil, nil, tweet(300, "", "BuyKindleFireHD", "buykindlefirehd"),
			want{action: "reserve", replies: []string{"tweet:confirm_request"}, newOrder: true}},
		{"buy: privacy mode points to DMs in public", func(s *Situation) { s.Privacy = PrivacyDM }, nil, tweet(300, "", "BuyKindleFireHD"),
			want{action: "reserve", replies: []string{"tweet:request_pointer", "dm:confirm_request"}, newOrder: true, textHasNot: []string{"1005", "199.00"}}},
		{"mention without our hashtags is ignored", nil, nil, tweet(300, "@AmexOffers hello #travel", "travel"),
			want{action: "ignore"}},

		// Confirming by tweet.
		{"confirm: happy path", nil, []Order{order(Pending)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "confirm", transition: "pending->confirmed"}},
		{"confirm: before the request was sent", nil, []Order{unsent}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "too-early", replies: []string{"tweet:too_early"}}},
		{"confirm: older than the request", nil, []Order{order(Pending)}, tweet(150, "", "ConfirmKindleFireHD"),
			want{action: "too-early", replies: []string{"tweet:too_early"}}},
		{"confirm: after the window", nil, []Order{expired}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "request-expired", replies: []string{"tweet:request_expired"}, transition: "pending->expired"}},
		{"confirm: already expired", nil, []Order{order(Expired)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "request-expired", replies: []string{"tweet:request_expired"}}},
		{"confirm: second confirmation", nil, []Order{order(Confirmed)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "already-confirmed", replies: []string{"tweet:already_confirmed"}}},
		{"confirm: after paid", nil, []Order{order(Paid)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "already-confirmed", replies: []string{"tweet:already_confirmed"}}},
		{"confirm: parked order", nil, []Order{order(Parked)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "already-confirmed", replies: []string{"tweet:already_confirmed"}}},
		{"confirm: cancelled order", nil, []Order{order(Cancelled)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "no-request", replies: []string{"tweet:no_request"}}},
		{"confirm: declined order", nil, []Order{order(Declined)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "no-request", replies: []string{"tweet:no_request"}}},
		{"confirm: failed order", nil, []Order{order(Failed)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "no-request", replies: []string{"tweet:no_request"}}},
		{"confirm: no request at all", nil, nil, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "no-request", replies: []string{"tweet:no_request"}, textHas: []string{"#BuyKindleFireHD"}}},
		{"confirm: by someone else, in reply to another's request", func(s *Situation) { s.InReplyToOthers = true }, nil, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "ignore-others-confirmation"}},
		{"confirm: by someone else who has an old order of their own", func(s *Situation) { s.InReplyToOthers = true }, []Order{order(Cancelled)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "ignore-others-confirmation"}},
		{"confirm: by someone else who has a request of their own", func(s *Situation) { s.InReplyToOthers = true }, []Order{order(Pending)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "ignore-others-confirmation"}},
		{"confirm: lower case", nil, []Order{order(Pending)}, tweet(300, "", "confirmkindlefirehd"),
			want{action: "confirm", transition: "pending->confirmed"}},
		{"confirm: two offers' confirm hashtags", nil, []Order{order(Pending)}, tweet(300, "", "ConfirmKindleFireHD", "ConfirmGiftCard"),
			want{action: "several", replies: []string{"tweet:one_at_a_time"}}},
		{"confirm: a renamed confirm hashtag still confirms the order asked with it", func(s *Situation) {
			renamed := kindle()
			renamed.ConfirmHashtag = "YesKindle"
			s.Catalog = NewCatalog([]Offer{renamed})
		}, []Order{order(Pending)}, tweet(300, "", "ConfirmKindleFireHD"),
			want{action: "confirm", transition: "pending->confirmed"}},

		// Direct messages.
		{"dm: buy", nil, nil, dm(300, "#BuyKindleFireHD", "BuyKindleFireHD"),
			want{action: "reserve", replies: []string{"dm:confirm_request"}, newOrder: true, textHas: []string{"yes"}, textHasNot: []string{"@alice"}}},
		{"dm: yes confirms the newest request", nil, []Order{order(Pending)}, dm(300, " Yes! "),
			want{action: "confirm", transition: "pending->confirmed"}},
		{"dm: confirm word", nil, []Order{order(Pending)}, dm(300, "CONFIRM."),
			want{action: "confirm", transition: "pending->confirmed"}},
		{"dm: confirm hashtag", nil, []Order{order(Pending)}, dm(300, "#ConfirmKindleFireHD", "ConfirmKindleFireHD"),
			want{action: "confirm", transition: "pending->confirmed"}},
		{"dm: yes with nothing pending", nil, nil, dm(300, "yes"),
			want{action: "nothing-to-confirm", replies: []string{"dm:nothing_to_confirm"}}},
		{"dm: yes after the window", nil, []Order{expired}, dm(300, "yes"),
			want{action: "request-expired", replies: []string{"dm:request_expired"}, transition: "pending->expired"}},
		{"dm: yes before the request", nil, []Order{unsent}, dm(300, "yes"),
			want{action: "too-early", replies: []string{"dm:too_early"}}},
		{"dm: yes please is not a command", nil, []Order{order(Pending)}, dm(300, "yes please"),
			want{action: "unknown", replies: []string{"dm:unknown_command"}, pointerSent: &yes}},
		{"dm: cancel", nil, []Order{order(Pending)}, dm(300, "cancel"),
			want{action: "cancel", replies: []string{"dm:cancelled"}, transition: "pending->cancelled", textHas: []string{"ord_1"}}},
		{"dm: cancel with nothing pending", nil, []Order{order(Paid)}, dm(300, "cancel"),
			want{action: "nothing-to-cancel", replies: []string{"dm:nothing_to_cancel"}}},
		{"dm: help names the open offers", nil, nil, dm(300, "help"),
			want{action: "help", replies: []string{"dm:help"}, textHas: []string{"#BuyKindleFireHD", "#BuyGiftCard", "199.00 USD"}}},
		{"dm: help leaves out a sold-out offer", func(s *Situation) { s.Taken["kindle-fire-hd"] = 5 }, nil, dm(300, "help"),
			want{action: "help", replies: []string{"dm:help"}, textHas: []string{"#BuyGiftCard"}, textHasNot: []string{"#BuyKindleFireHD"}}},
		{"dm: orders", nil, []Order{order(Paid)}, dm(300, "orders"),
			want{action: "orders", replies: []string{"dm:orders"}, textHas: []string{"ord_1", "Kindle Fire HD", "199.00 USD", "paid"}}},
		{"dm: orders when there are none", nil, nil, dm(300, "orders"),
			want{action: "orders", replies: []string{"dm:orders"}, textHas: []string{"no orders"}}},
		{"dm: unknown text gets a pointer", nil, nil, dm(300, "hello?"),
			want{action: "unknown", replies: []string{"dm:unknown_command"}, pointerSent: &yes}},
		{"dm: unknown text again in the same turn is not answered", func(s *Situation) { s.HelpPointerSent = true }, nil, dm(300, "hello?"),
			want{action: "ignore-unknown-again"}},
		{"dm: a command after the pointer ends the turn", func(s *Situation) { s.HelpPointerSent = true }, nil, dm(300, "help"),
			want{action: "help", replies: []string{"dm:help"}, pointerSent: &no}},
		{"dm: buy when not enrolled", func(s *Situation) { s.Enrollment = Enrollment{} }, nil, dm(300, "", "BuyKindleFireHD"),
			want{action: "not-enrolled", replies: []string{"dm:not_enrolled"}}},

		// Near-misses: a hashtag that is nearly an open offer's.
		{"near-miss of a buy hashtag is answered with it", nil, nil, tweet(300, "@AmexOffers #ByKindleFireHD", "ByKindleFireHD"),
			want{action: "did-you-mean", replies: []string{"tweet:did_you_mean"}, hinted: "kindle-fire-hd",
				textHas: []string{"@alice ", "#ByKindleFireHD", "#BuyKindleFireHD", "Kindle Fire HD"}, textHasNot: []string{"1005", "199.00"}}},
		{"near-miss of a confirm hashtag", nil, []Order{order(Pending)}, tweet(300, "", "ConfrimKindleFireHD"),
			want{action: "did-you-mean", replies: []string{"tweet:did_you_mean"}, hinted: "kindle-fire-hd", textHas: []string{"#ConfirmKindleFireHD"}}},
		{"near-miss in lower case and fullwidth", nil, nil, tweet(300, "", "ｂｕｙｇｉｆｔｃｒａｄ"),
			want{action: "did-you-mean", replies: []string{"tweet:did_you_mean"}, hinted: "gift-card", textHas: []string{"#BuyGiftCard"}}},
		{"near-miss after an unrelated hashtag", nil, nil, tweet(300, "", "Hello", "BuyGiftCrd"),
			want{action: "did-you-mean", replies: []string{"tweet:did_you_mean"}, hinted: "gift-card", textHas: []string{"#BuyGiftCrd", "#BuyGiftCard"}}},
		{"near-miss: privacy mode answers in public without card or amount", func(s *Situation) { s.Privacy = PrivacyDM }, nil, tweet(300, "", "ByKindleFireHD"),
			want{action: "did-you-mean", replies: []string{"tweet:did_you_mean"}, hinted: "kindle-fire-hd", textHasNot: []string{"1005", "199.00"}}},
		{"near-miss answered within the quiet is not answered again", func(s *Situation) {
			s.HintedAt = map[string]time.Time{"kindle-fire-hd": t0.Add(-HintQuiet + time.Minute)}
		}, nil, tweet(300, "", "BuyKindelFireHD"),
			want{action: "ignore-near-miss-again"}},
		{"near-miss answered before the quiet is answered again", func(s *Situation) {
			s.HintedAt = map[string]time.Time{"kindle-fire-hd": t0.Add(-HintQuiet)}
		}, nil, tweet(300, "", "ByKindleFireHD"),
			want{action: "did-you-mean", replies: []string{"tweet:did_you_mean"}, hinted: "kindle-fire-hd"}},
		{"near-miss of another offer than the one answered", func(s *Situation) {
			s.HintedAt = map[string]time.Time{"kindle-fire-hd": t0}
		}, nil, tweet(300, "", "BuyGiftCrd"),
			want{action: "did-you-mean", replies: []string{"tweet:did_you_mean"}, hinted: "gift-card"}},
		{"near-miss of an offer that has ended is ignored", func(s *Situation) { s.Catalog = NewCatalog([]Offer{ended}) }, nil, tweet(300, "", "ByKindleFireHD"),
			want{action: "ignore"}},
		{"near-miss of a sold-out offer is ignored", func(s *Situation) { s.Taken["kindle-fire-hd"] = 5 }, nil, tweet(300, "", "ByKindleFireHD"),
			want{action: "ignore"}},
		{"near-miss under another cardholder's order is theirs", func(s *Situation) { s.InReplyToOthers = true }, nil, tweet(300, "", "ConfrimKindleFireHD"),
			want{action: "ignore"}},
		{"an unrelated hashtag is not a near-miss", nil, nil, tweet(300, "@AmexOffers #Hello", "Hello"),
			want{action: "ignore"}},
		{"a word only like an offer's is not a near-miss", nil, nil, tweet(300, "", "Kindle"),
			want{action: "ignore"}},
		{"dm: near-miss is answered with the hashtag", nil, nil, dm(300, "#ByKindleFireHD", "ByKindleFireHD"),
			want{action: "did-you-mean", replies: []string{"dm:did_you_mean"}, hinted: "kindle-fire-hd", textHas: []string{"#BuyKindleFireHD"}, textHasNot: []string{"@alice"}, pointerSent: &no}},
		{"dm: near-miss answered already is a DM not understood", func(s *Situation) {
			s.HintedAt = map[string]time.Time{"kindle-fire-hd": t0}
		}, nil, dm(300, "#ByKindleFireHD", "ByKindleFireHD"),
			want{action: "unknown", replies: []string{"dm:unknown_command"}, pointerSent: &yes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := situation()
			if tt.mod != nil {
				tt.mod(&s)
			}
			s.Orders, s.Held = tt.orders, heldBy(tt.orders)
			d := Decide(s, tt.msg, Classify(tt.msg, s.Catalog))
			if d.Action != tt.want.action {
				t.Fatalf("action = %q, want %q", d.Action, tt.want.action)
			}
			var got []string
			for _, r := range d.Replies {
				got = append(got, fmt.Sprintf("%s:%s", r.Channel, r.Kind))
				if r.UserID != tt.msg.UserID {
					t.Errorf("reply to user %d, want %d", r.UserID, tt.msg.UserID)
				}
				if r.Channel == Tweet {
					if r.InReplyTo != tt.msg.ID {
						t.Errorf("tweet replies to %d, want %d", r.InReplyTo, tt.msg.ID)
					}
					if !strings.HasPrefix(r.Text, "@alice ") {
						t.Errorf("tweet %q does not start with @alice", r.Text)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want.replies, ",") {
				t.Errorf("replies = %v, want %v", got, tt.want.replies)
			}
			var tr string
			if len(d.Transitions) > 0 {
				tr = fmt.Sprintf("%s->%s", d.Transitions[0].From, d.Transitions[0].To)
			}
			if tr != tt.want.transition {
				t.Errorf("transition = %q, want %q", tr, tt.want.transition)
			}
			if (d.NewOrder != nil) != tt.want.newOrder {
				t.Errorf("new order = %v, want %v", d.NewOrder != nil, tt.want.newOrder)
			}
			all := ""
			for _, r := range d.Replies {
				all += r.Text + "\n"
			}
			for _, s := range tt.want.textHas {
				if len(d.Replies) == 0 || !strings.Contains(all, s) {
					t.Errorf("replies %q lack %q", all, s)
				}
			}
			for _, s := range tt.want.textHasNot {
				for _, r := range d.Replies {
					if r.Channel == Tweet && strings.Contains(r.Text, s) {
						t.Errorf("public reply %q holds %q", r.Text, s)
					}
				}
				if tt.msg.Channel == DM && strings.Contains(all, s) {
					t.Errorf("replies %q hold %q", all, s)
				}
			}
			if d.Hinted != tt.want.hinted {
				t.Errorf("hinted = %q, want %q", d.Hinted, tt.want.hinted)
			}
			if tt.want.pointerSent != nil && (d.HelpPointerSent == nil || *d.HelpPointerSent != *tt.want.pointerSent) {
				t.Errorf("pointer flag = %v, want %v", d.HelpPointerSent, *tt.want.pointerSent)
			}
		})
	}
}

func TestDecideReserveTakesTermsAndKey(t *testing.T) {
	s := situation()
	d := Decide(s, tweet(300, "", "BuyKindleFireHD"), Classify(tweet(300, "", "BuyKindleFireHD"), s.Catalog))
	o := d.NewOrder
	if o == nil {
		t.Fatal("no order")
	}
	if o.Amount != 19900 || o.Currency != "USD" || o.Merchant != "mer_amazon" || o.Cardholder != "chd_alice" || o.CardLast4 != "1005" {
		t.Errorf("order terms = %+v", o)
	}
	if !o.ExpiresAt.Equal(t0.Add(15*time.Minute)) || o.State != Pending || o.BuyMessageID != 300 {
		t.Errorf("order = %+v", o)
	}
	if !d.Replies[0].Request || d.Replies[0].OrderID != o.ID {
		t.Errorf("the request reply is not marked as the order's request: %+v", d.Replies[0])
	}
	s.Orders = []Order{order(Pending)}
	c := Decide(s, tweet(300, "", "ConfirmKindleFireHD"), Classify(tweet(300, "", "ConfirmKindleFireHD"), s.Catalog))
	tr := c.Transitions[0]
	if tr.IdempotencyKey != IdempotencyKey("ord_1") || tr.ConfirmMessageID != 300 || tr.ConfirmChannel != Tweet {
		t.Errorf("confirmation = %+v", tr)
	}
}

func TestNoTwoPublicRepliesShareAText(t *testing.T) {
	// Twitter refuses a duplicate status (187): two answers of the same
	// kind to the same cardholder must still differ.
	s := situation()
	s.Enrollment = Enrollment{}
	a := Decide(s, tweet(300, "", "BuyKindleFireHD"), Classify(tweet(300, "", "BuyKindleFireHD"), s.Catalog))
	b := Decide(s, tweet(301, "", "BuyKindleFireHD"), Classify(tweet(301, "", "BuyKindleFireHD"), s.Catalog))
	if a.Replies[0].Text == b.Replies[0].Text {
		t.Errorf("two answers share the text %q", a.Replies[0].Text)
	}
}

func TestOutcomeReplies(t *testing.T) {
	o := order(Confirmed)
	o.ConfirmMessageID, o.ConfirmChannel = 300, Tweet
	tests := []struct {
		name    string
		privacy Privacy
		channel Channel
		out     Outcome
		want    []string
		has     string
		hasNot  string
	}{
		{"receipt in public", PrivacyPublic, Tweet, Outcome{State: Paid, PurchaseID: "pur_1"}, []string{"tweet:receipt"}, "ord_1", ""},
		{"decline in public has no reason", PrivacyPublic, Tweet, Outcome{State: Declined, DeclineCode: "insufficient_funds"}, []string{"tweet:declined"}, "declined", "insufficient"},
		{"decline by DM has the reason", PrivacyPublic, DM, Outcome{State: Declined, DeclineCode: "insufficient_funds"}, []string{"dm:declined"}, "insufficient funds", ""},
		{"failure", PrivacyPublic, Tweet, Outcome{State: Failed}, []string{"tweet:charge_failed"}, "Nothing was charged", ""},
		{"privacy: receipt by DM and a pointer", PrivacyDM, Tweet, Outcome{State: Paid, PurchaseID: "pur_1"}, []string{"dm:receipt", "tweet:receipt_pointer"}, "1005", ""},
		{"privacy: DM confirmation, no pointer", PrivacyDM, DM, Outcome{State: Paid, PurchaseID: "pur_1"}, []string{"dm:receipt"}, "199.00 USD", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := o
			o.ConfirmChannel = tt.channel
			rs := OutcomeReplies(messages.Defaults(), tt.privacy, o, tt.out)
			var got []string
			for _, r := range rs {
				got = append(got, fmt.Sprintf("%s:%s", r.Channel, r.Kind))
				if r.Channel == Tweet {
					if r.InReplyTo != 300 {
						t.Errorf("public reply to %d, want 300", r.InReplyTo)
					}
					if tt.privacy == PrivacyDM && (strings.Contains(r.Text, "1005") || strings.Contains(r.Text, "199.00")) {
						t.Errorf("privacy mode public reply %q holds card digits or amount", r.Text)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("replies = %v, want %v", got, tt.want)
			}
			if !strings.Contains(rs[0].Text, tt.has) {
				t.Errorf("%q lacks %q", rs[0].Text, tt.has)
			}
			if tt.hasNot != "" && strings.Contains(rs[0].Text, tt.hasNot) {
				t.Errorf("%q holds %q", rs[0].Text, tt.hasNot)
			}
		})
	}
}

func TestClassifyDMCommands(t *testing.T) {
	c := NewCatalog([]Offer{kindle()})
	for text, want := range map[string]IntentKind{
		"yes": Yes, "YES": Yes, "  yes.  ": Yes, "Yes!!": Yes, "confirm": Yes, "help": HelpCmd, "Help?": HelpCmd,
		"orders": OrdersCmd, "cancel": CancelCmd, "yes please": Unknown, "y": Unknown, "": Unknown, "no": Unknown, "🙂": Unknown,
	} {
		if got := Classify(dm(1, text), c).Kind; got != want {
			t.Errorf("Classify(DM %q) = %s, want %s", text, got, want)
		}
	}
	if got := Classify(tweet(1, "yes"), c).Kind; got != Ignore {
		t.Errorf("a tweet saying yes is %s, want ignore", got)
	}
}

// TestRefusedInheritedBuyIsAudited: a buy a daemon before this one may
// have accepted, refused now (or answered with the request of an order
// pending), carries the order it would have made, for the issuer to be
// asked; a buy of this daemon's own, or one accepted, does not.
func TestRefusedInheritedBuyIsAudited(t *testing.T) {
	buy := tweet(100, "@AmexOffers #BuyKindleFireHD", "BuyKindleFireHD")
	tests := []struct {
		name  string
		setup func(*Situation)
		audit bool
	}{
		{"sold out, inherited", func(s *Situation) { s.Inherited = true; s.Taken["kindle-fire-hd"] = 5 }, true},
		{"limit reached, inherited", func(s *Situation) {
			s.Inherited = true
			s.Orders = []Order{order(Paid)}
			s.Held = heldBy(s.Orders)
		}, true},
		{"suspended, inherited", func(s *Situation) { s.Inherited = true; s.Enrollment.Active = false }, true},
		{"not enrolled, inherited", func(s *Situation) {
			s.Inherited = true
			s.Enrollment = Enrollment{}
		}, true},
		{"a repeat, inherited", func(s *Situation) {
			s.Inherited = true
			o := order(Pending)
			o.ExpiresAt = t0.Add(10 * time.Minute)
			s.Orders = []Order{o}
			s.Held = heldBy(s.Orders)
		}, true},
		{"sold out, this daemon's own", func(s *Situation) { s.Taken["kindle-fire-hd"] = 5 }, false},
		{"reserved, inherited", func(s *Situation) { s.Inherited = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := situation()
			tt.setup(&s)
			d := Decide(s, buy, Classify(buy, s.Catalog))
			if got := d.Audit != nil; got != tt.audit {
				t.Fatalf("%s: audit = %+v, want audited %v", d.Action, d.Audit, tt.audit)
			}
			if d.Audit == nil {
				return
			}
			if d.NewOrder != nil {
				t.Errorf("%s made order %+v besides the audit", d.Action, d.NewOrder)
			}
			a := d.Audit
			if a.ID != "ord_new" || a.Amount != 19900 || a.Currency != "USD" || a.Merchant != "mer_amazon" || a.Cardholder != s.Enrollment.Cardholder || a.BuyMessageID != 100 || a.UserID != alice {
				t.Errorf("%s: audited order %+v", d.Action, a)
			}
		})
	}
}
