package config

import (
	"fmt"
	"strings"
)

// Summary returns the line check-config prints for a good file, such as
// "config.yaml: OK: 2 offers (kindle-fire-hd, gift-card), privacy public,
// confirmation window 15m0s, 2 risk rules (handle_change_hold,
// automated)". It never holds a credential or a value taken from the
// environment, and never fails.
func (c *Config) Summary() string {
	var offers string
	switch len(c.Offers) {
	case 0:
		offers = "no offers (nothing is for sale until some are added)"
	case 1:
		offers = "1 offer (" + c.Offers[0].ID + ")"
	default:
		ids := make([]string, len(c.Offers))
		for i, o := range c.Offers {
			ids[i] = o.ID
		}
		offers = fmt.Sprintf("%d offers (%s)", len(c.Offers), strings.Join(ids, ", "))
	}
	s := fmt.Sprintf("%s: OK: %s, privacy %s, confirmation window %s, %s%s", c.Path, offers, c.Privacy, c.Confirmation.Window, c.Risk.summary(), c.pushSummary())
	return scrub(s, c.secrets)
}
