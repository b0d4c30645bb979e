package messages

import "reflect"

// spec describes one kind: the type of its data, where it may be sent and
// the words it has unless the configuration says otherwise.
type spec struct {
	data   reflect.Type
	public bool // may be a public tweet
	dm     bool // may be a direct message
	text   string
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// specs lists every kind. Public defaults each hold an order id or a Ref, so
// that no two of the bot's tweets share a text (Twitter refuses a duplicate
// status with error 187).
var specs = map[Kind]spec{
	NotEnrolled: {typeOf[Enroll](), true, true,
		`To pay by tweet, first link your card to this Twitter account at {{.EnrollURL}} then send {{.Offer.BuyHashtag}} again. (ref {{.Ref}})`},
	NotAvailable: {typeOf[OfferNote](), true, true,
		`{{if eq .Reason "sold_out"}}Sorry, {{.Offer.Title}} is sold out.{{else if eq .Reason "ended"}}Sorry, the {{.Offer.Title}} offer has ended.{{else}}The {{.Offer.Title}} offer is not open yet: it opens {{.Offer.Starts}}.{{end}} Nothing was reserved or charged. (ref {{.Ref}})`},
	LimitReached: {typeOf[OfferNote](), true, true,
		`You have already bought {{.Limit}} {{.Offer.Title}}, the most this offer allows per cardholder. Nothing was reserved. (ref {{.Ref}})`},
	ConfirmRequest: {typeOf[Request](), true, true,
		`Buy {{.Offer.Title}} for {{.Amount}} on your card ending {{.Last4}}? {{if .DM}}Reply yes or {{.Offer.ConfirmHashtag}}{{else}}Reply {{.Offer.ConfirmHashtag}}{{end}} within {{.TimeLeft}} to confirm. Order {{.OrderID}}`},
	RequestPointer: {typeOf[Pointer](), true, false,
		`We have sent you a direct message to confirm your {{.Offer.Title}} order {{.OrderID}}.`},
	OneAtATime: {typeOf[Note](), true, true,
		`Please buy one offer at a time: send a single buy hashtag. Nothing was reserved. (ref {{.Ref}})`},
	Receipt: {typeOf[ReceiptData](), true, true,
		`Done! {{.Offer.Title}} for {{.Amount}} is charged to your card{{if .DM}} ending {{.Last4}}{{end}}. Order {{.OrderID}}, receipt {{.PurchaseID}}.`},
	ReceiptPointer: {typeOf[Pointer](), true, false,
		`The outcome of your {{.Offer.Title}} order {{.OrderID}} is in your direct messages.`},
	Declined: {typeOf[DeclinedData](), true, true,
		`Sorry, your card was declined for {{.Offer.Title}}{{if .Reason}} ({{.Reason}}){{end}}. Nothing was charged. Order {{.OrderID}}`},
	ChargeFailed: {typeOf[OrderNote](), true, true,
		`Sorry, we could not complete order {{.OrderID}} for {{.Offer.Title}}. Nothing was charged.`},
	AlreadyConfirmed: {typeOf[OrderNote](), true, true,
		`Order {{.OrderID}} for {{.Offer.Title}} is already confirmed; nothing more will be charged. (ref {{.Ref}})`},
	NoRequest: {typeOf[OfferNote](), true, true,
		`No {{.Offer.Title}} order is waiting for your confirmation. Send {{.Offer.BuyHashtag}} to buy. (ref {{.Ref}})`},
	RequestExpired: {typeOf[OrderNote](), true, true,
		`Your request {{.OrderID}} for {{.Offer.Title}} expired, so nothing was charged. Send {{.Offer.BuyHashtag}} to try again. (ref {{.Ref}})`},
	TooEarly: {typeOf[OrderNote](), true, true,
		`Please wait for our request for order {{.OrderID}}, then answer it with {{.Offer.ConfirmHashtag}}. Nothing was charged. (ref {{.Ref}})`},
	Announce: {typeOf[AnnounceData](), true, false,
		`Now on: {{.Offer.Title}} for {{.Offer.Price}}{{if .Quantity}}, {{.Quantity}} available{{end}}. Tweet {{.Offer.BuyHashtag}} to buy it with your linked card.{{if .Offer.Ends}} Until {{.Offer.Ends}}.{{end}}`},
	Help: {typeOf[HelpData](), false, true,
		`I sell offers to cardholders whose card is linked to their Twitter account. To buy, send an offer's buy hashtag; I ask you to confirm, then charge your card and send a receipt.
{{if .Offers}}Open now:{{range .Offers}}
- {{.Title}}, {{.Price}}: send {{.BuyHashtag}}{{if .Ends}} (until {{.Ends}}){{end}}{{end}}{{else}}No offer is open right now.{{end}}
Send "yes" to confirm your newest request, "cancel" to cancel it, "orders" to see your orders.`},
	Orders: {typeOf[OrdersData](), false, true,
		`{{if .Orders}}Your recent orders:{{range .Orders}}
- {{.OrderID}} {{.Title}}, {{.Amount}}: {{.Status}} ({{.Created}}){{end}}{{else}}You have no orders yet. Send "help" to see what you can buy.{{end}}`},
	Cancelled: {typeOf[OrderNote](), false, true,
		`Cancelled order {{.OrderID}} for {{.Offer.Title}}. Nothing was charged.`},
	NothingToCancel: {typeOf[Note](), false, true,
		`You have no request waiting for confirmation, so there is nothing to cancel.`},
	NothingToConfirm: {typeOf[Note](), true, true,
		`Nothing is waiting for your confirmation. Send "help" to see what you can buy. (ref {{.Ref}})`},
	UnknownCommand: {typeOf[Note](), false, true,
		`Sorry, I did not understand that. Send "help" to see what I can do.`},
	DMUndeliverable: {typeOf[Pointer](), true, false,
		`We could not send you a direct message about order {{.OrderID}} ({{.Offer.Title}}). Please allow direct messages from us, then send us "orders" to see where it stands.`},
	DidYouMean: {typeOf[Hint](), true, true,
		`Sorry, I did not understand {{.Hashtag}}. Did you mean {{.Suggestion}} ({{.Offer.Title}})? Nothing was reserved. (ref {{.Ref}})`},
	Paused: {typeOf[RiskNote](), true, true,
		`Sorry, purchases by tweet are paused right now, so nothing was charged. Please try again later. (ref {{.Ref}})`},
	RiskRefused: {typeOf[RiskNote](), true, true,
		`Sorry, this {{.Offer.Title}} purchase cannot be made by tweet. Nothing was charged. Please contact your card issuer{{if .Contact}}: {{.Contact}}{{end}} (ref {{.Ref}})`},
	ApprovalPending: {typeOf[ApprovalData](), true, true,
		`To finish order {{.OrderID}} for {{.Offer.Title}}{{if .DM}} ({{.Amount}}){{end}}, approve it {{if eq .Channel "sms"}}by answering your card issuer's text message{{else}}in your card issuer's app{{end}} by {{.Expires}}. Nothing is charged until you do.`},
	NotApproved: {typeOf[ApprovalData](), true, true,
		`Order {{.OrderID}} for {{.Offer.Title}} was {{if eq .Reason "expired"}}not approved in time{{else}}not approved{{end}}, so nothing was charged.`},
	Refunded: {typeOf[RefundData](), true, true,
		`We have refunded {{.Refunded}} of order {{.OrderID}} ({{.Offer.Title}}) to your card.`},
}

// AllKinds returns every kind, for listing and checking.
func AllKinds() []Kind {
	kinds := make([]Kind, 0, len(specs))
	for k := range specs {
		kinds = append(kinds, k)
	}
	sortKinds(kinds)
	return kinds
}

// Known reports whether k names a message kind.
func Known(k Kind) bool { _, ok := specs[k]; return ok }

// DataType returns the type a template of kind k is executed with.
func DataType(k Kind) reflect.Type { return specs[k].data }
