package e2e

import "strings"

// awaitJob waits until a scheduled job of the daemon (one whose schedule
// the test made fast) has run twice more from now: the first of them may
// have begun before the test's last change. Each run ends by logging done
// (at debug level).
func (r *rig) awaitJob(done string) {
	r.t.Helper()
	n := strings.Count(r.logs.String(), done)
	r.waitFor(done, func() bool { return strings.Count(r.logs.String(), done) >= n+2 })
}
