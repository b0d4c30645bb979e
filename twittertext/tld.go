package twittertext

import (
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// isTLD reports whether s (any case, Unicode or punycode) is a top-level
// domain of the root zone, as the ICANN section of the Public Suffix List
// (golang.org/x/net/publicsuffix) has them. twitter-text keeps its own
// copy of the same root-zone list; a domain delegated or retired since
// either list was made is where they may differ.
func isTLD(s string) bool {
	if s == "" || strings.Contains(s, ".") {
		return false
	}
	a, err := idna.Punycode.ToASCII(strings.ToLower(s))
	if err != nil {
		return false
	}
	// A name under it, so that a TLD listed only by a wildcard ("*.pg")
	// counts too; an unlisted one falls to the default rule, not ICANN's.
	ps, icann := publicsuffix.PublicSuffix("x." + a)
	return icann && (ps == a || strings.HasSuffix(ps, "."+a))
}
