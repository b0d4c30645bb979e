package push

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestNoTokenInStrings: printing or logging the configuration, the
// client or the webhook never shows a token.
func TestNoTokenInStrings(t *testing.T) {
	cfg := Config{BaseURL: "https://api.x.com/2/", BearerToken: testBearer, ConsumerSecret: testSecret, UserClient: &http.Client{}}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	opts := WebhookOptions{Path: "/x/webhook", ConsumerSecret: testSecret}
	wh, err := NewWebhook(opts, func(Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, v := range []any{cfg, &cfg, c, opts, wh} {
		fmt.Fprintf(&b, "%v %+v %#v %s\n", v, v, v, v)
	}
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "cfg", cfg, "client", c, "opts", opts)
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "cfg", cfg, "client", c, "opts", opts)
	for _, secret := range []string{testBearer, testSecret, "AAAA"} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("%q shows:\n%s", secret, b.String())
		}
	}
}
