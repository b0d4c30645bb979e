package conversations

import (
	"strconv"
	"time"

	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/money"
	"github.com/paybytweet/paybytweet/twittertext"
)

// Outcome is how an order's charge ended.
type Outcome struct {
	State       State // Paid, Declined or Failed
	PurchaseID  string
	DeclineCode string
}

// OutcomeReplies returns what the cardholder is told once the charge of
// order o has ended: in reply to their confirmation, in its channel; in
// privacy mode the details go by DM, with a pointer in public when they
// confirmed in public. A decline's reason is told only by DM.
func OutcomeReplies(set *messages.Set, privacy Privacy, o Order, out Outcome) []Reply {
	toDM := o.ConfirmChannel == DM || privacy == PrivacyDM
	offer := orderOffer(o)
	amount := money.Format(o.Amount, o.Currency)
	if out.State == Declined && NotApproved(out.DeclineCode) {
		return []Reply{approvalReply(set, privacy, o, messages.NotApproved, messages.ApprovalData{
			Offer: offer, OrderID: o.ID, Amount: amount, Reason: notApprovedReason(out.DeclineCode)})}
	}
	var kind messages.Kind
	var data any
	switch out.State {
	case Paid:
		kind, data = messages.Receipt, messages.ReceiptData{ScreenName: o.ScreenName, DM: toDM, Offer: offer, OrderID: o.ID, Amount: amount, Last4: o.CardLast4, PurchaseID: out.PurchaseID}
	case Declined:
		reason := ""
		if toDM {
			reason = messages.DeclineReason(out.DeclineCode)
		}
		kind, data = messages.Declined, messages.DeclinedData{ScreenName: o.ScreenName, DM: toDM, Offer: offer, OrderID: o.ID, Amount: amount, Reason: reason}
	default:
		kind, data = messages.ChargeFailed, messages.OrderNote{ScreenName: o.ScreenName, DM: toDM, Offer: offer, OrderID: o.ID}
	}
	s := Situation{Messages: set}
	if !toDM {
		return []Reply{render(s, Reply{Channel: Tweet, UserID: o.UserID, ScreenName: o.ScreenName, InReplyTo: o.ConfirmMessageID, Kind: kind, OrderID: o.ID}, o.OfferID, data)}
	}
	replies := []Reply{render(s, Reply{Channel: DM, UserID: o.UserID, ScreenName: o.ScreenName, Kind: kind, OrderID: o.ID}, o.OfferID, data)}
	if o.ConfirmChannel == Tweet {
		replies = append(replies, render(s, Reply{Channel: Tweet, UserID: o.UserID, ScreenName: o.ScreenName, InReplyTo: o.ConfirmMessageID,
			Kind: messages.ReceiptPointer, OrderID: o.ID}, o.OfferID, messages.Pointer{ScreenName: o.ScreenName, Offer: offer, OrderID: o.ID}))
	}
	return replies
}

// The decline codes of a purchase the cardholder did not approve
// (issuer-api.md, Approval).
const (
	ApprovalDeclined = "approval_declined"
	ApprovalExpired  = "approval_expired"
)

// NotApproved reports whether a decline code says the cardholder did not
// approve the purchase, rather than that the card was declined.
func NotApproved(declineCode string) bool {
	return declineCode == ApprovalDeclined || declineCode == ApprovalExpired
}

func notApprovedReason(code string) string {
	if code == ApprovalExpired {
		return "expired"
	}
	return "declined"
}

// ApprovalPendingReply tells the cardholder that order o waits for their
// approval at the issuer, by channel ("app" or "sms") until expires.
func ApprovalPendingReply(set *messages.Set, privacy Privacy, o Order, channel string, expires time.Time) Reply {
	return approvalReply(set, privacy, o, messages.ApprovalPending, messages.ApprovalData{
		Offer: orderOffer(o), OrderID: o.ID, Amount: money.Format(o.Amount, o.Currency),
		Channel: channel, Expires: messages.FormatTime(expires)})
}

// approvalReply answers about an approval where the cardholder confirmed,
// and by DM only in privacy mode: no amount shows in public while a
// purchase is pending.
func approvalReply(set *messages.Set, privacy Privacy, o Order, kind messages.Kind, data messages.ApprovalData) Reply {
	toDM := o.ConfirmChannel == DM || privacy == PrivacyDM
	data.ScreenName, data.DM = o.ScreenName, toDM
	r := Reply{Channel: Tweet, UserID: o.UserID, ScreenName: o.ScreenName, InReplyTo: o.ConfirmMessageID, Kind: kind, OrderID: o.ID}
	if toDM {
		r.Channel, r.InReplyTo = DM, 0
	}
	return render(Situation{Messages: set}, r, o.OfferID, data)
}

// RefusedReply tells the cardholder that the purchase of order o cannot
// be made by tweet (an issuer that offers no approvals refused the one the
// rules asked for), where they confirmed it, without naming a rule: by DM
// only in privacy mode.
func RefusedReply(set *messages.Set, privacy Privacy, o Order, contact string) Reply {
	toDM := o.ConfirmChannel == DM || privacy == PrivacyDM
	r := Reply{Channel: Tweet, UserID: o.UserID, ScreenName: o.ScreenName, InReplyTo: o.ConfirmMessageID, Kind: messages.RiskRefused, OrderID: o.ID}
	if toDM {
		r.Channel, r.InReplyTo = DM, 0
	}
	data := messages.RiskNote{ScreenName: o.ScreenName, DM: toDM, Offer: orderOffer(o), OrderID: o.ID, Contact: contact,
		Ref: strconv.FormatInt(o.ConfirmMessageID%2176782336, 36)}
	return render(Situation{Messages: set}, r, o.OfferID, data)
}

// RefundReply tells the cardholder of a refund of order o, where they
// confirmed it (by DM in privacy mode, where amounts stay private).
func RefundReply(set *messages.Set, privacy Privacy, o Order, refunded int64) Reply {
	toDM := o.ConfirmChannel == DM || privacy == PrivacyDM
	data := messages.RefundData{ScreenName: o.ScreenName, DM: toDM, Offer: orderOffer(o), OrderID: o.ID,
		Amount: money.Format(o.Amount, o.Currency), Refunded: money.Format(refunded, o.Currency)}
	r := Reply{Channel: Tweet, UserID: o.UserID, ScreenName: o.ScreenName, InReplyTo: o.ConfirmMessageID, Kind: messages.Refunded, OrderID: o.ID}
	if toDM {
		r.Channel, r.InReplyTo = DM, 0
	}
	return render(Situation{Messages: set}, r, o.OfferID, data)
}

// UndeliverableReply is the public note for a cardholder whom a direct
// message about order o could not reach: it names the order and nothing
// private.
func UndeliverableReply(set *messages.Set, o Order) Reply {
	r := render(Situation{Messages: set}, Reply{Channel: Tweet, UserID: o.UserID, ScreenName: o.ScreenName, InReplyTo: o.ConfirmMessageID,
		Kind: messages.DMUndeliverable, OrderID: o.ID}, o.OfferID, messages.Pointer{ScreenName: o.ScreenName, Offer: orderOffer(o), OrderID: o.ID})
	if o.ConfirmChannel != Tweet {
		r.InReplyTo = 0
	}
	return r
}

// AnnounceTweet is the tweet that opens an offer.
func AnnounceTweet(set *messages.Set, o Offer) Reply {
	q := ""
	if o.Quantity != nil {
		q = strconv.FormatInt(*o.Quantity, 10)
	}
	text, err := set.Render(messages.Announce, o.ID, messages.AnnounceData{Offer: messageOffer(o), Quantity: q})
	if err != nil {
		text, _ = messages.Defaults().Render(messages.Announce, o.ID, messages.AnnounceData{Offer: messageOffer(o), Quantity: q})
	}
	return Reply{Channel: Tweet, Kind: messages.Announce, Text: messages.Fit(text, twittertext.MaxTweetLength)}
}
