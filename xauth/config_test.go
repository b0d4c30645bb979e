package xauth

import (
	"testing"

	"github.com/paybytweet/paybytweet/config"
)

func TestFromConfig(t *testing.T) {
	for tokenURL, want := range map[string]string{
		"https://api.x.com/2/oauth2/token":       DefaultAuthorizeURL,
		"https://api.twitter.com/2/oauth2/token": DefaultAuthorizeURL,
		"http://127.0.0.1:4321/2/oauth2/token":   "http://127.0.0.1:4321/i/oauth2/authorize",
		"":                                       DefaultAuthorizeURL,
	} {
		if got := AuthorizeURLFor(tokenURL); got != want {
			t.Errorf("AuthorizeURLFor(%q) = %q, want %q", tokenURL, got, want)
		}
	}
	c := FromConfig(config.OAuth2{ClientID: "id", ClientSecret: "s", RefreshToken: "r", TokenURL: "http://127.0.0.1:1/2/oauth2/token", RedirectURI: "http://127.0.0.1:2/cb"})
	want := Config{ClientID: "id", ClientSecret: "s", RefreshToken: "r", TokenURL: "http://127.0.0.1:1/2/oauth2/token",
		RedirectURI: "http://127.0.0.1:2/cb", AuthorizeURL: "http://127.0.0.1:1/i/oauth2/authorize"}
	if c.ClientID != want.ClientID || c.ClientSecret != want.ClientSecret || c.RefreshToken != want.RefreshToken ||
		c.TokenURL != want.TokenURL || c.RedirectURI != want.RedirectURI || c.AuthorizeURL != want.AuthorizeURL {
		t.Errorf("FromConfig = %+v, want %+v", c, want)
	}
	o := c.OAuth2()
	if o.Endpoint.AuthStyle != 2 || len(o.Scopes) != 6 || o.RedirectURL != want.RedirectURI {
		t.Errorf("OAuth2() = %+v", o)
	}
}
