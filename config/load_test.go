package config

import (
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/messages"
)

func TestExampleLoads(t *testing.T) {
	c, err := Load("testdata/example.yaml", lookup())
	if err != nil {
		t.Fatalf("testdata/example.yaml: %v", err)
	}
	if got, want := c.Summary(), "testdata/example.yaml: OK: 3 offers (kindle-fire-hd, gift-card, echo-dot), privacy public, confirmation window 15m0s, 2 risk rules (handle_change_hold, automated)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	k, ok := c.Offer("kindle-fire-hd")
	if !ok {
		t.Fatal("no kindle-fire-hd offer")
	}
	if k.Price != 19900 || k.Currency != "USD" || k.Quantity == nil || *k.Quantity != 500 || k.PerUserLimit != 1 {
		t.Errorf("kindle-fire-hd = %+v", k)
	}
	if want := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC); !k.Starts.Equal(want) {
		t.Errorf("kindle-fire-hd starts %v, want %v", k.Starts, want)
	}
	g, _ := c.Offer("gift-card")
	if g.Quantity != nil || g.PerUserLimit != 3 || g.BuyHashtag != "BuyGiftCard" {
		t.Errorf("gift-card = %+v", g)
	}
	e, _ := c.Offer("echo-dot")
	if e.AnnounceAt.IsZero() || !e.AnnounceAt.Equal(e.Starts) {
		t.Errorf("echo-dot announces at %v, want its start %v", e.AnnounceAt, e.Starts)
	}
	if _, ok := c.Offer("nope"); ok {
		t.Error("Offer(nope) found something")
	}
	// The compiled set carries the overrides: the global receipt text and
	// the gift card's own confirmation request.
	text, err := c.Messages().Render(messages.Receipt, "kindle-fire-hd", messages.ReceiptData{Offer: c.MessageOffer(k), Amount: "199.00 USD", OrderID: "o1", PurchaseID: "p1"})
	if err != nil || !strings.Contains(text, "Thank you for paying by tweet!") {
		t.Errorf("receipt = %q, %v", text, err)
	}
	text, err = c.Messages().Render(messages.ConfirmRequest, "gift-card", messages.Request{Offer: c.MessageOffer(g), Amount: "25.00 USD", Last4: "1005", TimeLeft: "15 min", OrderID: "o2"})
	if err != nil || !strings.HasPrefix(text, "A $25 Gift Card for 25.00 USD") {
		t.Errorf("gift card confirm_request = %q, %v", text, err)
	}
	if c.Twitter.ConsumerKey != testEnv()["TWITTER_CONSUMER_KEY"] || c.Issuer.APIKey != testEnv()["ISSUER_API_KEY"] {
		t.Error("credentials not taken from the environment")
	}
}

// The example of contracts/config-and-cli.md, verbatim.
const contractExample = `bot:
  screen_name: AmexOffers           # the bot's own account, without @

storage:
  path: paybytweet.db               # SQLite file; created if missing

twitter:
  api_url: https://api.twitter.com/1.1/    # every request goes here instead; an emulator's address in tests
  consumer_key: ${TWITTER_CONSUMER_KEY}
  consumer_secret: ${TWITTER_CONSUMER_SECRET}
  access_token: ${TWITTER_ACCESS_TOKEN}
  access_secret: ${TWITTER_ACCESS_SECRET}
  poll:
    mentions: "@every 15s"
    direct_messages: "@every 1m"

issuer:
  url: https://issuer.example/      # base of the paths in issuer-api.md
  api_key: ${ISSUER_API_KEY}
  enroll_url: https://issuer.example/link-twitter
  timeout: 10s

confirmation:
  window: 15m

privacy: public                     # or dm: receipts and card digits only by direct message

offers:
  - id: kindle-fire-hd              # stable id; [a-z0-9-]+
    title: Kindle Fire HD
    buy_hashtag: BuyKindleFireHD    # with or without the leading #
    confirm_hashtag: ConfirmKindleFireHD
    price: "199.00"                 # decimal string, exact; converted to minor units
    currency: USD
    merchant: mer_amazon
    quantity: 500                   # units for sale in all; omitted means unlimited
    per_user_limit: 1               # omitted means 1
    starts: 2026-11-26T00:00:00Z    # omitted means now
    ends: 2026-12-31T23:59:59Z      # omitted means never
`

func TestContractExampleLoads(t *testing.T) {
	c := mustLoad(t, contractExample)
	o := c.Offers[0]
	if o.ID != "kindle-fire-hd" || o.Price != 19900 || *o.Quantity != 500 || o.Line != 29 {
		t.Errorf("offer = %+v", o)
	}
	if c.Bot.ScreenName != "AmexOffers" || c.Storage.Path != "paybytweet.db" || c.Twitter.APIURL != "https://api.twitter.com/1.1/" ||
		c.Issuer.URL != "https://issuer.example/" || c.Issuer.EnrollURL != "https://issuer.example/link-twitter" {
		t.Errorf("settings = %+v %+v %+v", c.Bot, c.Storage, c.Issuer.URL)
	}
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, doc(offer("a", "A"), ""))
	checks := []struct {
		name      string
		got, want any
	}{
		{"twitter.poll.mentions", c.Twitter.Poll.Mentions, "@every 15s"},
		{"twitter.poll.direct_messages", c.Twitter.Poll.DirectMessages, "@every 1m"},
		{"twitter.limits.tweets_per_window", c.Twitter.Limits.TweetsPerWindow, 300},
		{"twitter.limits.tweet_window", c.Twitter.Limits.TweetWindow, 3 * time.Hour},
		{"twitter.limits.dms_per_day", c.Twitter.Limits.DMsPerDay, 1000},
		{"issuer.timeout", c.Issuer.Timeout, 10 * time.Second},
		{"confirmation.window", c.Confirmation.Window, 15 * time.Minute},
		{"privacy", c.Privacy, PrivacyPublic},
		{"schedules.expiry", c.Schedules.Expiry, "@every 5s"},
		{"schedules.announce", c.Schedules.Announce, "@every 30s"},
		{"health.listen", c.Health.Listen, ""},
		{"per_user_limit", c.Offers[0].PerUserLimit, 1},
		{"quantity unlimited", c.Offers[0].Quantity == nil, true},
		{"starts now", c.Offers[0].Starts.IsZero(), true},
		{"ends never", c.Offers[0].Ends.IsZero(), true},
		{"no announcement", c.Offers[0].AnnounceAt.IsZero(), true},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestValues(t *testing.T) {
	starts := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		file  string
		env   []string
		check func(c *Config) bool
	}{
		{"JPY unquoted whole", doc(offer("a", "A", "price: 500", "currency: JPY"), ""), nil,
			func(c *Config) bool { return c.Offers[0].Price == 500 }},
		{"BHD 3 decimals", doc(offer("a", "A", `price: "1.234"`, "currency: BHD"), ""), nil,
			func(c *Config) bool { return c.Offers[0].Price == 1234 }},
		{"unquoted price read as written, not as a float", doc(offer("a", "A", "price: 0.29"), ""), nil,
			func(c *Config) bool { return c.Offers[0].Price == 29 }},
		{"hashtags with and without #", doc(offer("a", "A", "buy_hashtag: '#BuyA'", "confirm_hashtag: ＃ConfirmA"), ""), nil,
			func(c *Config) bool {
				return c.Offers[0].BuyHashtag == "BuyA" && c.Offers[0].ConfirmHashtag == "ConfirmA"
			}},
		{"Unicode letters in hashtags", doc(offer("a", "A", "buy_hashtag: КупитьКнигу", "confirm_hashtag: 購入確認_2026"), ""), nil,
			func(c *Config) bool { return c.Offers[0].BuyHashtag == "КупитьКнигу" }},
		{"quantity 0", doc(offer("a", "A", "quantity: 0"), ""), nil,
			func(c *Config) bool { return c.Offers[0].Quantity != nil && *c.Offers[0].Quantity == 0 }},
		{"announce true without start: at once", doc(offer("a", "A", "announce: true"), ""), nil,
			func(c *Config) bool { return c.Offers[0].AnnounceAt.Equal(AnnounceOnLoad()) }},
		{"announce true with start: at start", doc(offer("a", "A", "starts: 2026-11-26T09:00:00Z", "announce: true"), ""), nil,
			func(c *Config) bool { return c.Offers[0].AnnounceAt.Equal(starts) }},
		{"announce at a time", doc(offer("a", "A", "announce: 2026-11-26T10:00:00+01:00"), ""), nil,
			func(c *Config) bool { return c.Offers[0].AnnounceAt.Equal(starts) }},
		{"announce false", doc(offer("a", "A", "announce: false"), ""), nil,
			func(c *Config) bool { return c.Offers[0].AnnounceAt.IsZero() }},
		{"api_url gets its trailing slash", strings.Replace(doc(offer("a", "A"), ""), "1.1/", "1.1", 1), nil,
			func(c *Config) bool { return c.Twitter.APIURL == "https://api.twitter.com/1.1/" }},
		{"variables anywhere in a string", doc(offer("a", "A", "title: ${TITLE} for ${WHO}"), ""), []string{"TITLE", "Gift", "WHO", "You"},
			func(c *Config) bool { return c.Offers[0].Title == "Gift for You" }},
		{"no offers", doc("", ""), nil,
			func(c *Config) bool {
				return len(c.Offers) == 0 && strings.HasSuffix(c.Summary(), "OK: no offers (nothing is for sale until some are added), privacy public, confirmation window 15m0s, 2 risk rules (handle_change_hold, automated)")
			}},
		{"anchors and merge keys", doc("  - &base\n"+strings.Replace(offer("a", "A", "merchant: mer_shared"), "  - ", "    ", 1)+
			"  - <<: *base\n    id: b\n    buy_hashtag: BuyB\n    confirm_hashtag: ConfirmB\n", ""), nil,
			func(c *Config) bool {
				return len(c.Offers) == 2 && c.Offers[1].ID == "b" && c.Offers[1].Merchant == "mer_shared" && c.Offers[1].Title == "A"
			}},
		{"retention by default", doc(offer("a", "A"), ""), nil,
			func(c *Config) bool { return c.Storage.Retention == 90*24*time.Hour }},
		{"retention set", strings.Replace(doc(offer("a", "A"), ""), "  path: test.db\n", "  path: test.db\n  retention: 720h\n", 1), nil,
			func(c *Config) bool { return c.Storage.Retention == 30*24*time.Hour }},
		{"privacy dm and other settings", doc(offer("a", "A"), "privacy: dm\nconfirmation:\n  window: 90s\nhealth:\n  listen: 127.0.0.1:8080\nschedules:\n  expiry: \"*/1 * * * *\"\n"), nil,
			func(c *Config) bool {
				return c.Privacy == PrivacyDM && c.Confirmation.Window == 90*time.Second && c.Health.Listen == "127.0.0.1:8080" && c.Schedules.Expiry == "*/1 * * * *"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.file, lookup(tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config: %+v", c.Offers)
			}
		})
	}
}

// TestEveryProblemAtOnce: an admin sees every problem of a file in one go,
// in the order of the file.
func TestEveryProblemAtOnce(t *testing.T) {
	file := strings.Replace(doc(
		offer("a", "A", "quantitty: 5", "per_user_limit: 0")+
			offer("b", "B", "buy_hashtag: buya", `price: "1.5"`, "currency: JPY"),
		"privacy: everyone\nconfirmation:\n  window: soon\n"),
		"  path: test.db\n", "  path:\n", 1)
	_, err := load(t, file, lookup())
	if err == nil {
		t.Fatal("loaded")
	}
	got := problemLines(t, err)
	want := []string{
		`4:8: storage.path must not be empty`,
		`23:5: unknown key "quantitty" in offer (did you mean "quantity"?)`,
		`24:21: offer a: per_user_limit must be at least 1, not "0"`,
		`27:18: offer b: buy_hashtag "buya" is the same hashtag as offer a's buy_hashtag (line 18); hashtags are compared ignoring case and width`,
		`29:12: offer b: price "1.5" has decimals, but JPY has none`,
		`32:10: privacy must be public or dm, not "everyone"`,
		`34:11: confirmation.window "soon" is not a duration (write one such as 15m, 90s or 1h30m)`,
	}
	if !matchAll(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// The error text is what check-config prints: file:line:column: message.
	first := strings.SplitN(err.Error(), "\n", 2)[0]
	if !strings.HasSuffix(first, "config.yaml:4:8: storage.path must not be empty") {
		t.Errorf("first line of Error() = %q", first)
	}
}

func TestUnreadableFile(t *testing.T) {
	_, err := Load(t.TempDir()+"/missing.yaml", lookup())
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load(missing) = %v", err)
	}
}
