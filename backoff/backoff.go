// Package backoff says how long a worker waits before trying again: every
// retry in the daemon (a charge, a post, a message, an audit) uses this one
// rule, so that they all back off alike and none marches in step with
// another.
package backoff

import (
	"math/rand/v2"
	"time"
)

// First and Max bound the wait: it doubles from First at the first attempt
// up to Max.
const (
	First = time.Second
	Max   = time.Minute
)

// Wait is how long to wait before attempt n (1, 2, ...): doubling from
// First up to Max, with jitter (between half and all of it) so that
// retries of many items do not come back at the same moment. An n below
// 1 counts as 1.
func Wait(n int) time.Duration {
	d := First
	for i := 1; i < n && d < Max; i++ {
		d *= 2
	}
	d = min(d, Max)
	return d/2 + rand.N(d/2+1)
}
