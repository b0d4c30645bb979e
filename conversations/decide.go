package conversations

import (
	"strconv"
	"time"

	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/money"
	"github.com/paybytweet/paybytweet/twittertext"
)

// Situation is everything the bot knows when it decides about one message.
type Situation struct {
	Now       time.Time
	Catalog   *Catalog
	Messages  *messages.Set
	Privacy   Privacy
	Window    time.Duration
	EnrollURL string
	// Risk are the rules a purchase is checked against, at the buy and
	// again at its confirmation (see History.Account, RiskHistory).
	Risk RiskRules

	// Enrollment is the sender's, looked up when the intent needs it.
	Enrollment Enrollment
	// History is what the database knows of the sender and the stock,
	// read in the transaction that records the decision.
	History
	// NewOrderID is the id a new order takes.
	NewOrderID string
	// Inherited is true when a daemon before this one may have decided
	// the message already (it was posted before this daemon started):
	// after a restore, the record of what it decided is lost, and a buy
	// refused now may have been accepted, and charged, then.
	Inherited bool
	// MayWaitForHorizon is false once a buy has waited long enough for the
	// expiry horizon: it is then decided on what is known.
	MayWaitForHorizon bool
}

// History is what the database knows that a decision about one message
// needs: the sender's orders and conversation, and the stock. Storage
// reads it in the transaction that records the decision.
type History struct {
	// Orders are the sender's orders, newest first: every one still
	// pending, confirmed or parked, and the most recent others (paid
	// orders are history: Held counts them).
	Orders []Order
	// Taken counts, per offer id, the units all cardholders hold.
	Taken map[string]int64
	// Held counts, per offer id, the sender's orders that hold stock
	// (HoldsStock), pending ones whatever their window: the per-user
	// limit is Held less the sender's pending requests whose window
	// closed, which Orders holds.
	Held map[string]int64
	// InReplyToOthers is true when the message answers a tweet that belongs
	// to another cardholder's order (their buy tweet or the bot's request
	// to them): a confirmation there is somebody else's, and not answered.
	InReplyToOthers bool
	// HelpPointerSent is true when the last thing the bot said to this
	// cardholder was the pointer to "help".
	HelpPointerSent bool
	// RequestInFlight is true while one of the cardholder's confirmation
	// requests has been posted with its outcome not known yet: whether a
	// confirmation came after it cannot be told until it is.
	RequestInFlight bool
	// InReplyToUnknown is true when the message answers a tweet the bot
	// does not know (no order's buy tweet, no reply recorded as sent)
	// while a public reply to another cardholder is being posted with its
	// id not recorded yet: the tweet answered may be that reply, and so
	// somebody else's.
	InReplyToUnknown bool
	// Lapsed are pending requests, of any cardholder, whose window may have
	// closed before the message was posted (storage may give more; Decide
	// judges each): they hold a unit until the expiry horizon passes them.
	Lapsed []Order
	// RequestsSent counts, by order id, the confirmation requests queued
	// for the cardholder's pending orders, repeats included.
	RequestsSent map[string]int
	// HintedAt is when the cardholder was last told "did you mean" about
	// each offer, by offer id (see HintQuiet).
	HintedAt map[string]time.Time

	// Paused is true while an operator has paused all charging: buys and
	// confirmations are answered so, and nothing is reserved or charged.
	Paused bool
	// Account and RiskHistory are what the risk rules check a purchase
	// on: the sender's X account and recent spending.
	Account     Account
	RiskHistory RiskHistory
}

// IdempotencyKey is the one key an order's charge is ever made with. It is
// derived from the order id, so a second key for one order cannot exist.
func IdempotencyKey(orderID string) string { return "pbt-" + orderID }

// Decide returns what the bot does about message m from a cardholder, with
// intent as Classify read it. It is a pure function of its arguments.
func Decide(s Situation, m Inbound, intent Intent) Decision {
	if w := waitFor(s, m, intent); w != NoWait {
		return Decision{Action: "wait: " + string(w), Wait: w}
	}
	d := decide(s, m, intent)
	// Anything said other than the help pointer ends the turn, so the
	// pointer may be given again after it.
	if d.HelpPointerSent == nil && len(d.Replies) > 0 {
		f := false
		d.HelpPointerSent = &f
	}
	return d
}

func decide(s Situation, m Inbound, intent Intent) Decision {
	if d, ok := unmatched(s, m, intent); ok {
		return d
	}
	switch intent.Kind {
	case Buy:
		return buy(s, m, intent.Offer)
	case Several:
		return reply(s, m, "several", messages.OneAtATime, "", "", messages.Note{ScreenName: m.ScreenName, DM: m.Channel == DM, Ref: ref(m)})
	case ConfirmTag:
		return confirmTag(s, m, intent)
	case Yes:
		if o, ok := newestOrder(s.Orders, func(o Order) bool { return o.State == Pending && !ExpiredAt(o, m.PostedAt) }); ok {
			return confirm(s, m, o, false)
		}
		if o, ok := newestOrder(s.Orders, func(o Order) bool { return o.State == Pending }); ok {
			return confirm(s, m, o, false) // tells them it expired, and releases it
		}
		return reply(s, m, "nothing-to-confirm", messages.NothingToConfirm, "", "", messages.Note{ScreenName: m.ScreenName, DM: true, Ref: ref(m)})
	case HelpCmd:
		return reply(s, m, "help", messages.Help, "", "", help(s, m))
	case OrdersCmd:
		return reply(s, m, "orders", messages.Orders, "", "", ordersList(s, m))
	case CancelCmd:
		return cancel(s, m)
	case Unknown:
		if s.HelpPointerSent {
			return Decision{Action: "ignore-unknown-again"}
		}
		d := reply(s, m, "unknown", messages.UnknownCommand, "", "", messages.Note{ScreenName: m.ScreenName, DM: true, Ref: ref(m)})
		t := true
		d.HelpPointerSent = &t
		return d
	}
	return Decision{Action: "ignore"}
}

// unmatched decides a message that has none of the offers' hashtags
// but is still about them: a confirm hashtag one of the cardholder's
// orders was requested with before an admin renamed it, or a near-miss
// of an offer's hashtag (see hint). ok is false for any other message,
// and for one under another cardholder's order, which is theirs.
func unmatched(s Situation, m Inbound, intent Intent) (Decision, bool) {
	if (intent.Kind != Ignore && intent.Kind != Unknown) || s.InReplyToOthers {
		return Decision{}, false
	}
	if o, ok := orderByConfirmTag(s.Orders, intent.ConfirmTags); ok {
		return confirm(s, m, o, true), true
	}
	return hint(s, m)
}

// confirmTag answers one offer's confirm hashtag: it confirms the
// cardholder's order requested with it, else their newest of that offer.
func confirmTag(s Situation, m Inbound, intent Intent) Decision {
	if s.InReplyToOthers {
		// A confirmation under another cardholder's order is theirs to
		// give: it confirms nothing and is not answered, whatever
		// orders its author has of their own.
		return Decision{Action: "ignore-others-confirmation"}
	}
	o, ok := orderByConfirmTag(s.Orders, intent.ConfirmTags)
	if !ok {
		o, ok = newestOrder(s.Orders, func(o Order) bool { return o.OfferID == intent.Offer.ID })
	}
	if !ok {
		return reply(s, m, "no-request", messages.NoRequest, intent.Offer.ID, "", offerNote(s, m, intent.Offer, ""))
	}
	return confirm(s, m, o, true)
}

// buy answers a buy hashtag: the rows of the buying table in
// conversation.md, in order.
func buy(s Situation, m Inbound, offer Offer) Decision {
	o := Order{
		ID: s.NewOrderID, OfferID: offer.ID, UserID: m.UserID, ScreenName: m.ScreenName, State: Pending,
		Channel: m.Channel, BuyMessageID: m.ID,
		Title: offer.Title, BuyHashtag: offer.BuyHashtag, ConfirmHashtag: offer.ConfirmHashtag,
		Amount: offer.Price, Currency: offer.Currency, Merchant: offer.Merchant,
		Cardholder: s.Enrollment.Cardholder, CardLast4: s.Enrollment.CardLast4,
		CreatedAt: s.Now, ExpiresAt: s.Now.Add(s.Window),
	}
	// refuse answers the buy without a new order; one a daemon before
	// this one may have accepted (a repeat, too: the order it repeats may
	// have been paid then, and this buy have made its own) is audited at
	// the issuer under the order it would have made, on the terms in
	// force now, which the issuer's record is checked against (a
	// cardholder no longer enrolled has no token to check: the issuer's
	// is taken).
	refuse := func(d Decision) Decision {
		if s.Inherited {
			d.Audit = &o
		}
		return d
	}
	if !s.Enrollment.Enrolled || !s.Enrollment.Active {
		return refuse(reply(s, m, "not-enrolled", messages.NotEnrolled, offer.ID, "", messages.Enroll{
			ScreenName: m.ScreenName, DM: m.Channel == DM, Offer: messageOffer(offer), EnrollURL: s.EnrollURL, Ref: ref(m)}))
	}
	if pending, ok := newestOrder(s.Orders, func(o Order) bool {
		return o.OfferID == offer.ID && o.State == Pending && !ExpiredAt(o, s.Now)
	}); ok {
		if s.RequestsSent[pending.ID] >= MaxRequestAnswers {
			return refuse(Decision{Action: "ignore-repeat"}) // answered twice already: see MaxRequestAnswers
		}
		d := request(s, m, pending)
		d.Action = "repeat-request"
		return refuse(d)
	}
	if d, ok := offerRefusal(s, m, offer); ok {
		return refuse(d)
	}
	if s.Paused {
		return refuse(riskReply(s, m, "paused", messages.Paused, orderOffer(o), ""))
	}
	if k := AssessRisk(s.Risk, s.Account, s.RiskHistory, o.Amount, o.Currency, s.Now); k.Refused != "" {
		d := riskReply(s, m, "risk-refused", messages.RiskRefused, orderOffer(o), "")
		d.Refused = k.Refused
		return refuse(d)
	}
	d := request(s, m, o)
	d.Action = "reserve"
	d.NewOrder = &o
	return d
}

// offerRefusal answers a buy that the offer's own terms refuse: not yet
// started, ended, sold out, or the cardholder's limit reached.
func offerRefusal(s Situation, m Inbound, offer Offer) (Decision, bool) {
	note := func(reason string) messages.OfferNote { return offerNote(s, m, offer, reason) }
	at := m.PostedAt
	switch {
	case !offer.Starts.IsZero() && at.Before(offer.Starts):
		return reply(s, m, "not-started", messages.NotAvailable, offer.ID, "", note("not_started")), true
	case !offer.Ends.IsZero() && !at.Before(offer.Ends):
		return reply(s, m, "ended", messages.NotAvailable, offer.ID, "", note("ended")), true
	case offer.Quantity != nil && s.Taken[offer.ID] >= *offer.Quantity:
		return reply(s, m, "sold-out", messages.NotAvailable, offer.ID, "", note("sold_out")), true
	}
	held := s.Held[offer.ID] - int64(lapsedHolding(s.Orders, offer.ID, s.Now))
	if held >= int64(offer.PerUserLimit) {
		n := note("")
		n.Limit = offer.PerUserLimit
		return reply(s, m, "limit-reached", messages.LimitReached, offer.ID, "", n), true
	}
	return Decision{}, false
}

// request sends the confirmation request of order o in answer to m: in
// the channel m came by, except that in privacy mode a public buy gets a
// pointer in public and the request by DM.
func request(s Situation, m Inbound, o Order) Decision {
	data := messages.Request{
		ScreenName: m.ScreenName, Offer: orderOffer(o), OrderID: o.ID,
		Amount: money.Format(o.Amount, o.Currency), Last4: o.CardLast4,
		TimeLeft: messages.FormatDuration(o.ExpiresAt.Sub(s.Now)), ExpiresAt: messages.FormatTime(o.ExpiresAt),
	}
	var d Decision
	if m.Channel == Tweet && s.Privacy == PrivacyDM {
		d.Replies = append(d.Replies, render(s, Reply{Channel: Tweet, UserID: m.UserID, ScreenName: m.ScreenName, InReplyTo: m.ID,
			Kind: messages.RequestPointer, OrderID: o.ID}, o.OfferID, messages.Pointer{ScreenName: m.ScreenName, Offer: orderOffer(o), OrderID: o.ID}))
		data.DM = true
		d.Replies = append(d.Replies, render(s, Reply{Channel: DM, UserID: m.UserID, ScreenName: m.ScreenName,
			Kind: messages.ConfirmRequest, OrderID: o.ID, Request: true}, o.OfferID, data))
		return d
	}
	data.DM = m.Channel == DM
	d.Replies = append(d.Replies, render(s, Reply{Channel: m.Channel, UserID: m.UserID, ScreenName: m.ScreenName, InReplyTo: inReplyTo(m),
		Kind: messages.ConfirmRequest, OrderID: o.ID, Request: true}, o.OfferID, data))
	return d
}

// confirm applies a confirmation by m to the sender's order o: the four
// conditions of conversation.md. byTag is false for a DM "yes".
func confirm(s Situation, m Inbound, o Order, byTag bool) Decision {
	note := messages.OrderNote{ScreenName: m.ScreenName, DM: m.Channel == DM, Offer: orderOffer(o), OrderID: o.ID, Ref: ref(m)}
	switch o.State {
	case Pending:
		if o.RequestMessageID == 0 || m.ID <= o.RequestMessageID {
			return reply(s, m, "too-early", messages.TooEarly, o.OfferID, o.ID, note)
		}
		if ExpiredAt(o, m.PostedAt) {
			d := reply(s, m, "request-expired", messages.RequestExpired, o.OfferID, o.ID, note)
			d.Transitions = []Transition{{OrderID: o.ID, From: Pending, To: Expired, At: s.Now}}
			return d
		}
		if s.Paused {
			// The order keeps its unit until its window closes: the
			// cardholder may confirm again once charging resumes.
			return riskReply(s, m, "paused", messages.Paused, orderOffer(o), o.ID)
		}
		k := AssessRisk(s.Risk, s.Account, s.RiskHistory, o.Amount, o.Currency, s.Now)
		if k.Refused != "" {
			d := riskReply(s, m, "risk-refused", messages.RiskRefused, orderOffer(o), o.ID)
			d.Refused = k.Refused
			d.Transitions = []Transition{{OrderID: o.ID, From: Pending, To: Failed, At: s.Now, Risk: &k}}
			return d
		}
		return Decision{Action: "confirm", Transitions: []Transition{{
			OrderID: o.ID, From: Pending, To: Confirmed, At: s.Now,
			ConfirmMessageID: m.ID, ConfirmChannel: m.Channel, IdempotencyKey: IdempotencyKey(o.ID), ScreenName: m.ScreenName,
			Risk: &k,
		}}}
	case Confirmed, Paid, Parked:
		return reply(s, m, "already-confirmed", messages.AlreadyConfirmed, o.OfferID, o.ID, note)
	case Expired:
		return reply(s, m, "request-expired", messages.RequestExpired, o.OfferID, o.ID, note)
	}
	if !byTag {
		return reply(s, m, "nothing-to-confirm", messages.NothingToConfirm, "", "", messages.Note{ScreenName: m.ScreenName, DM: m.Channel == DM, Ref: ref(m)})
	}
	offer, ok := s.Catalog.Offer(o.OfferID)
	if !ok {
		offer = Offer{ID: o.OfferID, Title: o.Title, BuyHashtag: o.BuyHashtag, ConfirmHashtag: o.ConfirmHashtag, Price: o.Amount, Currency: o.Currency}
	}
	return reply(s, m, "no-request", messages.NoRequest, o.OfferID, "", offerNote(s, m, offer, ""))
}

func cancel(s Situation, m Inbound) Decision {
	o, ok := newestOrder(s.Orders, func(o Order) bool { return o.State == Pending && !ExpiredAt(o, m.PostedAt) })
	if !ok {
		return reply(s, m, "nothing-to-cancel", messages.NothingToCancel, "", "", messages.Note{ScreenName: m.ScreenName, DM: true, Ref: ref(m)})
	}
	d := reply(s, m, "cancel", messages.Cancelled, o.OfferID, o.ID, messages.OrderNote{ScreenName: m.ScreenName, DM: true, Offer: orderOffer(o), OrderID: o.ID, Ref: ref(m)})
	d.Transitions = []Transition{{OrderID: o.ID, From: Pending, To: Cancelled, At: s.Now}}
	return d
}

func help(s Situation, m Inbound) messages.HelpData {
	h := messages.HelpData{ScreenName: m.ScreenName}
	for _, o := range s.Catalog.Offers() {
		if Availability(o, s.Taken[o.ID], s.Now) == "" {
			h.Offers = append(h.Offers, messageOffer(o))
		}
	}
	return h
}

func ordersList(s Situation, m Inbound) messages.OrdersData {
	od := messages.OrdersData{ScreenName: m.ScreenName}
	for _, o := range s.Orders {
		if len(od.Orders) == messages.MaxOrdersListed {
			break
		}
		state := string(o.State)
		if o.State == Pending && ExpiredAt(o, s.Now) {
			state = string(Expired)
		}
		if o.State == Paid && o.RefundedAmount > 0 {
			state = "refunded"
		}
		od.Orders = append(od.Orders, messages.OrderLine{
			OrderID: o.ID, Title: o.Title, Amount: money.Format(o.Amount, o.Currency),
			Status: messages.StatusWord(state), Created: messages.FormatTime(o.CreatedAt),
		})
	}
	return od
}

// riskReply answers m about risk (a refusal, a pause): in its own
// channel, except by DM only in privacy mode (conversation.md). It names
// no rule.
func riskReply(s Situation, m Inbound, action string, kind messages.Kind, offer messages.Offer, orderID string) Decision {
	toDM := m.Channel == DM || s.Privacy == PrivacyDM
	r := Reply{Channel: m.Channel, UserID: m.UserID, ScreenName: m.ScreenName, InReplyTo: inReplyTo(m), Kind: kind, OrderID: orderID}
	if toDM {
		r.Channel, r.InReplyTo = DM, 0
	}
	data := messages.RiskNote{ScreenName: m.ScreenName, DM: toDM, Offer: offer, OrderID: orderID, Contact: s.EnrollURL, Ref: ref(m)}
	return Decision{Action: action, Replies: []Reply{render(s, r, offer.ID, data)}}
}

// reply answers m in its own channel with one message.
func reply(s Situation, m Inbound, action string, kind messages.Kind, offerID, orderID string, data any) Decision {
	return Decision{Action: action, Replies: []Reply{render(s, Reply{
		Channel: m.Channel, UserID: m.UserID, ScreenName: m.ScreenName, InReplyTo: inReplyTo(m), Kind: kind, OrderID: orderID,
	}, offerID, data)}}
}

// render fills r.Text. The templates were checked at load, so a failure
// here is a bug; the built-in template is the fallback, so that the
// cardholder is still answered.
func render(s Situation, r Reply, offerID string, data any) Reply {
	text, err := s.Messages.Render(r.Kind, offerID, data)
	if err != nil {
		text, _ = messages.Defaults().Render(r.Kind, offerID, data)
	}
	if r.Channel == Tweet {
		text = messages.ReplyText(r.ScreenName, text)
		text = messages.Fit(text, twittertext.MaxTweetLength)
	}
	r.Text = text
	return r
}

func inReplyTo(m Inbound) int64 {
	if m.Channel == Tweet {
		return m.ID
	}
	return 0
}

func offerNote(s Situation, m Inbound, offer Offer, reason string) messages.OfferNote {
	return messages.OfferNote{ScreenName: m.ScreenName, DM: m.Channel == DM, Offer: messageOffer(offer), Reason: reason, Ref: ref(m)}
}

// ref is a short code unique to the message answered, which keeps answers
// that carry no order id from repeating a text (Twitter error 187).
func ref(m Inbound) string {
	return strconv.FormatInt(m.ID%2176782336, 36) // 36^6: at most six characters
}

func newestOrder(orders []Order, keep func(Order) bool) (Order, bool) {
	for _, o := range orders {
		if keep(o) {
			return o, true
		}
	}
	return Order{}, false
}

// orderByConfirmTag finds the newest pending order whose own confirm
// hashtag (as requested) is among tags.
func orderByConfirmTag(orders []Order, tags []string) (Order, bool) {
	if len(tags) == 0 {
		return Order{}, false
	}
	return newestOrder(orders, func(o Order) bool {
		if o.State != Pending {
			return false
		}
		ct := twittertext.NormalizeHashtag(o.ConfirmHashtag)
		for _, t := range tags {
			if t == ct {
				return true
			}
		}
		return false
	})
}

func messageOffer(o Offer) messages.Offer {
	return messages.Offer{
		ID: o.ID, Title: o.Title, BuyHashtag: "#" + o.BuyHashtag, ConfirmHashtag: "#" + o.ConfirmHashtag,
		Price: money.Format(o.Price, o.Currency), Starts: messages.FormatTime(o.Starts), Ends: messages.FormatTime(o.Ends),
	}
}

// orderOffer is the offer as the order's own copy of the terms says.
func orderOffer(o Order) messages.Offer {
	return messages.Offer{
		ID: o.OfferID, Title: o.Title, BuyHashtag: "#" + o.BuyHashtag, ConfirmHashtag: "#" + o.ConfirmHashtag,
		Price: money.Format(o.Amount, o.Currency),
	}
}
