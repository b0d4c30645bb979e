// Package crashpoint lets a test kill the daemon with SIGKILL at a chosen
// point in its work, to prove that a crash anywhere loses nothing and
// charges nothing twice. Unless PAYBYTWEET_CRASH_AT is set, Hit does
// nothing but compare a string.
//
// PAYBYTWEET_CRASH_AT holds a point's name, optionally followed by ":N" to
// crash on the Nth time the point is reached (default the first).
package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

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

var (
	target, nth = parse(os.Getenv(EnvVar))
	mu          sync.Mutex
	hits        int
)

func parse(v string) (string, int) {
	name, n, ok := strings.Cut(v, ":")
	if !ok {
		return name, 1
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 {
		count = 1
	}
	return name, count
}

// Hit kills this process with SIGKILL when it is the chosen point and
// the chosen time; otherwise it returns at once.
func Hit(point string) {
	if target == "" || point != target {
		return
	}
	mu.Lock()
	hits++
	kill := hits == nth
	mu.Unlock()
	if kill {
		os.Stderr.WriteString("crashpoint: SIGKILL at " + point + "\n")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // never returns: the signal is on its way
	}
}
