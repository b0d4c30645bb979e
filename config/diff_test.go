package config

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	old := mustLoad(t, doc(
		offer("kindle-fire-hd", "Kindle", `price: "199.00"`, "quantity: 500", "templates:", `  receipt: "Paid {{.Offer.Title}}. {{.OrderID}}"`)+
			offer("gift-card", "Gift"),
		"health:\n  listen: \":8080\"\n"))
	new := mustLoad(t, strings.Replace(doc(
		offer("kindle-fire-hd", "Kindle", "title: Kindle Fire HD", `price: "179.00"`, "templates:", `  receipt: "Paid! {{.Offer.Title}}. {{.OrderID}}"`, "announce: true")+
			offer("echo-dot", "Echo", "quantity: 20", "ends: 2026-12-01T00:00:00Z"),
		"privacy: dm\nconfirmation:\n  window: 10m\ntemplates:\n  announce: \"New: {{.Offer.Title}}\"\nhealth:\n  listen: \":9090\"\n"),
		"path: test.db", "path: other.db", 1))

	ch := Diff(old, new)
	want := []string{
		"offer gift-card removed",
		"offer echo-dot added: Echo, 10.00 USD, #BuyEcho",
		"offer kindle-fire-hd: title Kindle -> Kindle Fire HD",
		"offer kindle-fire-hd: price 199.00 USD -> 179.00 USD",
		"offer kindle-fire-hd: quantity 500 -> unlimited",
		"offer kindle-fire-hd: announce never -> at once",
		"offer kindle-fire-hd: templates.receipt changed",
		"confirmation.window 15m0s -> 10m0s",
		"privacy public -> dm",
		"templates.announce built-in -> custom",
		"storage.path test.db -> other.db (needs a restart to take effect)",
		"health.listen :8080 -> :9090 (needs a restart to take effect)",
	}
	if got := ch.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Lines():\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ch.Empty() || !ch.Applied() {
		t.Errorf("Empty() = %v, Applied() = %v", ch.Empty(), ch.Applied())
	}
	if same := Diff(old, old); !same.Empty() || len(same.Lines()) != 0 {
		t.Errorf("Diff(old, old) = %q", same.Lines())
	}
}

func TestApplyKeepsRestartOnlySettings(t *testing.T) {
	running := mustLoad(t, doc(offer("a", "A"), "health:\n  listen: \":8080\"\n"))
	file := doc(offer("a", "A", `price: "12.00"`), "privacy: dm\nhealth:\n  listen: \":9090\"\n")
	for _, r := range [][2]string{
		{"screen_name: AmexOffers", "screen_name: OtherBot"},
		{"path: test.db", "path: other.db"},
		{"https://api.twitter.com/1.1/", "http://127.0.0.1:9/"},
		{"https://issuer.example/\n", "https://other-issuer.example/\n"},
		{"${ISSUER_API_KEY}", "literal-other-key"},
		{"${TWITTER_CONSUMER_KEY}", "other-consumer-key"},
		{"enroll_url: https://issuer.example/link-twitter", "enroll_url: https://issuer.example/enroll"},
	} {
		file = strings.Replace(file, r[0], r[1], 1)
	}
	loaded := mustLoad(t, file)

	next := Apply(running, loaded)
	if next.Bot != running.Bot || next.Storage != running.Storage || next.Twitter.APIURL != running.Twitter.APIURL ||
		next.Twitter.ConsumerKey != running.Twitter.ConsumerKey || next.Issuer.URL != running.Issuer.URL ||
		next.Issuer.APIKey != running.Issuer.APIKey || next.Health != running.Health {
		t.Errorf("restart-only settings not kept: %+v %+v %+v %+v", next.Bot, next.Storage, next.Issuer.URL, next.Health)
	}
	if next.Privacy != PrivacyDM || next.Offers[0].Price != 1200 || next.Issuer.EnrollURL != "https://issuer.example/enroll" {
		t.Errorf("reloadable settings not taken: privacy %s, price %d, enroll %s", next.Privacy, next.Offers[0].Price, next.Issuer.EnrollURL)
	}
	if next.Messages() == nil {
		t.Error("no compiled templates after Apply")
	}
	// Apply and Diff agree on what is restart-only.
	if ch := Diff(running, next); len(ch.Restart) != 0 || !ch.Applied() {
		t.Errorf("Diff(running, applied) = %q", ch.Lines())
	}
	if ch := Diff(loaded, next); ch.Applied() || len(ch.Restart) != 7 {
		t.Errorf("Diff(loaded, applied) = %q", ch.Lines())
	}
	if running.Storage.Path != "test.db" || loaded.Storage.Path != "other.db" {
		t.Error("Apply modified its arguments")
	}
}
