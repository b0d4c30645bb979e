// Package crashpoint lets a test kill the daemon with SIGKILL at a chosen
// point in its work, to prove that a crash anywhere loses nothing and
// charges nothing twice. It works only in a binary built with
// `-tags crashpoint` (the crash tests are): in any other, Hit does
// nothing and no environment variable is read, so the binary an operator
// builds cannot be made to kill itself.
//
// In a crashpoint build, PAYBYTWEET_CRASH_AT holds a point's name,
// optionally followed by ":N" to crash on the Nth time the point is
// reached (default the first).
package crashpoint

// EnvVar is the environment variable that names the crash point.
const EnvVar = "PAYBYTWEET_CRASH_AT"

// The points the daemon has, in the order a purchase passes them.
const (
	AfterMentionsStored = "after-mentions-stored" // a page of mentions and its cursor are committed
	AfterDMsStored      = "after-dms-stored"      // a page of DMs and its cursor are committed
	AfterProcess        = "after-process"         // a message's decision is committed
	BeforeCharge        = "before-charge"         // the charge attempt is committed, the issuer not yet called
	AfterChargeResponse = "after-charge-response" // the issuer answered; nothing recorded yet
	AfterChargeSettled  = "after-charge-settled"  // the outcome and the receipt are committed
	BeforePost          = "before-post"           // a reply is marked sending, not yet posted
	AfterPost           = "after-post"            // Twitter accepted a reply; not yet recorded
	AfterSent           = "after-sent"            // a reply is recorded as sent
)

// Points lists every crash point.
var Points = []string{AfterMentionsStored, AfterDMsStored, AfterProcess, BeforeCharge, AfterChargeResponse, AfterChargeSettled, BeforePost, AfterPost, AfterSent}
