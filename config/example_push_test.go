package config

import (
	"os"
	"strings"
	"testing"
)

// TestTheExamplesPushBlocks: the commented-out push and oauth2 blocks of
// config.example.yaml validate once uncommented, on v2: as they stand
// (stream), and in webhook mode with the webhook block uncommented too.
func TestTheExamplesPushBlocks(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	example := strings.Replace(string(data), "  api: v1.1 ", "  api: v2 ", 1)
	example = strings.Replace(example, "  api_url: https://api.twitter.com/1.1/ ", "  api_url: https://api.x.com/2/ ", 1)
	var stream, webhook []string
	in := false
	for _, l := range strings.Split(example, "\n") {
		switch {
		case l == "  # push:":
			in = true
		case in && !strings.HasPrefix(l, "  #"):
			in = false
		}
		if !in || !strings.HasPrefix(l, "  # ") || strings.HasPrefix(l, "  # The ") {
			stream = append(stream, l)
			webhook = append(webhook, l)
			continue
		}
		l = "  " + strings.TrimPrefix(l, "  # ")
		stream = append(stream, l)
		if strings.HasPrefix(l, "    # ") {
			l = "    " + strings.TrimPrefix(l, "    # ")
		}
		webhook = append(webhook, strings.Replace(l, "mode: stream", "mode: webhook", 1))
	}
	c := mustLoadPush(t, strings.Join(stream, "\n"))
	if c.Twitter.Push.Mode != PushStream || c.Twitter.OAuth2 == nil || c.Twitter.OAuth2.RedirectURI == "" {
		t.Errorf("the example's stream: push %+v, oauth2 %v", c.Twitter.Push, c.Twitter.OAuth2)
	}
	c = mustLoadPush(t, strings.Join(webhook, "\n"))
	if c.Twitter.Push.Mode != PushWebhook || c.Twitter.Push.Webhook.URL != "https://bot.issuer.example/x/webhook" {
		t.Errorf("the example's webhook: push %+v", c.Twitter.Push)
	}
}
