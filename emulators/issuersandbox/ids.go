package issuersandbox

import "crypto/rand"

// newID returns a random identifier such as "pur_6QZK2J7X4M3B5N8P". Random
// rather than sequential so that a client cannot come to depend on order.
func newID(prefix string) string {
	return prefix + "_" + rand.Text()[:16]
}
