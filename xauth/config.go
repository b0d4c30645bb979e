package xauth

import (
	"net/url"
	"strings"

	"github.com/paybytweet/paybytweet/config"
)

// FromConfig is the Config of the configuration's twitter.oauth2 section.
// Its AuthorizeURL is AuthorizeURLFor the token endpoint.
func FromConfig(o config.OAuth2) Config {
	return Config{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, RefreshToken: o.RefreshToken,
		TokenURL: o.TokenURL, RedirectURI: o.RedirectURI, AuthorizeURL: AuthorizeURLFor(o.TokenURL),
	}
}

// AuthorizeURLFor is the authorize page that goes with the token endpoint
// tokenURL: X's (DefaultAuthorizeURL) for X's own endpoints, and for any
// other (an emulator) /i/oauth2/authorize on the same host, as the
// project's emulator serves it.
func AuthorizeURLFor(tokenURL string) string {
	u, err := url.Parse(tokenURL)
	if err != nil || u.Host == "" {
		return DefaultAuthorizeURL
	}
	switch h := strings.ToLower(u.Hostname()); {
	case h == "x.com", h == "twitter.com", strings.HasSuffix(h, ".x.com"), strings.HasSuffix(h, ".twitter.com"):
		return DefaultAuthorizeURL
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/i/oauth2/authorize"}).String()
}
