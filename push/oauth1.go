package push

import (
	"context"
	"net/http"

	"github.com/dghubble/oauth1"
)

// OAuth1Client returns a client that signs every request with the bot
// account's OAuth 1.0a credentials (HMAC-SHA1, as twitterv2 signs its
// calls), for Config.UserClient where the account has no OAuth 2.0 user
// token. base optionally gives the transport and timeout (default
// http.DefaultTransport, 30 s).
func OAuth1Client(consumerKey, consumerSecret, accessToken, accessSecret string, base *http.Client) *http.Client {
	inner := &http.Client{}
	timeout := defaultTimeout
	if base != nil {
		inner.Transport = base.Transport
		if base.Timeout > 0 {
			timeout = base.Timeout
		}
	}
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, inner)
	hc := oauth1.NewConfig(consumerKey, consumerSecret).Client(ctx, oauth1.NewToken(accessToken, accessSecret))
	hc.Timeout = timeout
	return hc
}
