package config

import "github.com/paybytweet/paybytweet/internal/typo"

// suggest returns the name in names closest to s when it is close enough
// to be a typo, or "": typo.Suggest, the rule the bot also applies to
// cardholders' hashtags.
func suggest(s string, names []string) string { return typo.Suggest(s, names) }
