// Package issuer is the bot's client for the card issuer's purchase API
// (docs/issuer-api.md). It works against any server that implements
// that contract.
//
// Each method makes exactly one HTTP request: the client never retries on
// its own, because whether and when to retry a charge is the charger's
// decision. Every failure is an *Error, and Outcome sorts failures into what
// the caller must do next; in particular a timeout, a dropped connection, a
// 5xx, a 409 or an undecodable 2xx on a POST leave the outcome Unknown, to be
// settled by retrying with the same idempotency key or by FindPurchases.
//
// A purchase the cardholder must approve is answered with Status
// PurchaseApprovalPending and no error; GetPurchase later tells whether it
// was approved or declined.
package issuer
