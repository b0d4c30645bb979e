// Package issuersandbox is a card issuer that implements
// docs/issuer-api.md over real HTTP, for tests and for the interactive
// sandbox.
//
// Besides answering the API, a Server lets its owner enroll cardholders,
// make cards decline, play the cardholder who approves or declines a
// purchase waiting for approval (Approve, Decline), inject faults (error
// statuses, hangs, dropped connections, broken bodies, optionally after the
// work was done) and inspect every request and purchase it saw. It keeps
// everything in memory and is safe for concurrent use.
package issuersandbox
