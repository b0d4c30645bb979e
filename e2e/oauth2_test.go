package e2e

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// TestOAuth2UserTokenThroughACampaign: with twitter.oauth2, the bot's v2
// calls carry the account's OAuth 2.0 user token. Tokens live 6 seconds (refreshed with half their life left),
// so they are refreshed again and again while cardholders buy by tweet
// and by DM, and the daemon is restarted in between: no call meets a
// 401, no refresh token is used twice, and nothing falls back to OAuth
// 1.0a.
func TestOAuth2UserTokenThroughACampaign(t *testing.T) {
	r := newRig(t, config.APIv2)
	r.stop()
	r.tw.SetOAuth2(twitteremu.OAuth2Config{ExpiresIn: 6 * time.Second})
	_, refresh := r.tw.GrantOAuth2Token()
	r.cfg.Twitter.OAuth2 = &config.OAuth2{ClientID: twitteremu.DefaultOAuth2ClientID, ClientSecret: twitteremu.DefaultOAuth2ClientSecret,
		RefreshToken: refresh, TokenURL: r.tw.OAuth2TokenURL()}
	r.start()

	// Between purchases, the bot refreshes its token ahead of expiry:
	// each purchase after the first goes on a token refreshed since.
	refreshed := func() int { return len(r.tw.TokenRequests()) }
	byTweet := func(offer string) {
		mustContain(t, "alice's receipt", r.buyAndConfirm(alice, "#Buy"+offer, "#Confirm"+offer).Text, "Done!")
	}
	byDM := func(offer string) {
		r.dm(bob, "#Buy"+offer)
		r.settle()
		r.dm(bob, "yes")
		r.settle()
		mustContain(t, "bob's receipt", r.lastDM(bob).Text, "Done!")
	}
	purchase := []func(){
		func() { byTweet("GiftCard") }, func() { byDM("GiftCard") },
		func() { byTweet("KindleFireHD") }, func() { byDM("KindleFireHD") },
	}
	for i := range 4 {
		before := refreshed()
		purchase[i]()
		if i == 1 {
			r.restart() // the next start carries on with the stored pair
		}
		r.waitFor("the token refreshed again", func() bool { return refreshed() > before+1 })
	}
	if n := len(r.tw.OAuth2Unauthorized()); n != 0 {
		t.Errorf("%d calls met a 401: %v", n, r.tw.OAuth2Unauthorized())
	}
	refreshes := 0
	for _, tr := range r.tw.TokenRequests() {
		if tr.Refused() {
			t.Errorf("a token request was refused: %+v", tr.Cause)
		}
		refreshes++
	}
	if refreshes < 2 {
		t.Errorf("%d token requests in 4 purchases over 6-second tokens: the token was not refreshed", refreshes)
	}
	t.Logf("%d token requests, %d calls with the OAuth 2.0 token", refreshes, r.tw.OAuth2BearerCalls())
	if r.tw.OAuth2BearerCalls() == 0 {
		t.Error("no call carried the OAuth 2.0 token")
	}
	if strings.Contains(r.logs.String(), refresh) {
		t.Error("a refresh token appears in the log")
	}
}

// TestOAuth2RevokedGoesOnWithOAuth1: the account's authorization is
// revoked at X while the daemon runs. The next call meets a 401; the bot
// logs ALERT alert=oauth2_refused once (counted on /metrics, where
// PaybytweetOAuth2Refused reads it), goes on with OAuth 1.0a, and the
// cardholders' purchases by tweet and by DM go through as before.
func TestOAuth2RevokedGoesOnWithOAuth1(t *testing.T) {
	r := newRig(t, config.APIv2, withHealth)
	r.stop()
	_, refresh := r.tw.GrantOAuth2Token()
	r.cfg.Twitter.OAuth2 = &config.OAuth2{ClientID: twitteremu.DefaultOAuth2ClientID, ClientSecret: twitteremu.DefaultOAuth2ClientSecret,
		RefreshToken: refresh, TokenURL: r.tw.OAuth2TokenURL()}
	r.start()
	byDM := func(offer string) {
		t.Helper()
		r.dm(bob, "#Buy"+offer)
		r.settle()
		r.dm(bob, "yes")
		r.settle()
		mustContain(t, "bob's receipt", r.lastDM(bob).Text, "Done!")
	}
	byDM("GiftCard")
	if r.tw.OAuth2BearerCalls() == 0 {
		t.Fatal("no call carried the OAuth 2.0 token before the revocation: the test tests nothing")
	}

	r.tw.RevokeOAuth2()
	mustContain(t, "alice's receipt", r.buyAndConfirm(alice, "#BuyGiftCard", "#ConfirmGiftCard").Text, "Done!")
	r.waitFor("ALERT oauth2_refused", func() bool { return strings.Contains(r.logs.String(), "alert=oauth2_refused") })
	bearer := r.tw.OAuth2BearerCalls()
	byDM("KindleFireHD")
	if n := r.tw.OAuth2BearerCalls(); n != bearer {
		t.Errorf("%d calls carried the revoked token after the alert, want none: it goes on with OAuth 1.0a", n-bearer)
	}
	if r.tw.OAuth2Unauthorized()["revoked"] == 0 {
		t.Error("no call met the revocation: the test tests nothing")
	}
	want(t, r.scrape(), 1, "paybytweet_alerts_total", "kind", "oauth2_refused")
	if n := strings.Count(r.logs.String(), "alert=oauth2_refused"); n != 1 {
		t.Errorf("ALERT oauth2_refused logged %d times, want once", n)
	}
	r.charged(alice, 1)
	r.charged(bob, 2)
}

// oauth2Kills is how many times TestOAuth2KilledRightAfterRefresh kills
// the daemon.
const oauth2Kills = 3

// TestOAuth2KilledRightAfterRefresh: a child daemon with push on and an
// OAuth 2.0 user token that lives 10 seconds (refreshed every 5) runs
// while cardholders buy by tweet and by DM, and is SIGKILLed right after
// it committed a refresh, three times. Each start goes on with the pair
// it committed: no x-login, no refresh refused, no call meets a 401, no
// ALERT; and every purchase is charged once.
func TestOAuth2KilledRightAfterRefresh(t *testing.T) {
	w := newWorld(t, config.APIv2)
	// Long enough that a request a loaded machine holds up a few seconds
	// still carries a valid token, short enough for three refreshes.
	w.tw.SetOAuth2(twitteremu.OAuth2Config{ExpiresIn: 10 * time.Second})
	_, refresh := w.tw.GrantOAuth2Token()
	spec := w.spec()
	spec.Push = config.PushStream
	spec.GiftCardLimit = 1 << 30
	spec.OAuth2RefreshToken, spec.OAuth2TokenURL = refresh, w.tw.OAuth2TokenURL()
	p := newDaemonProc(t, t.TempDir(), spec)
	d := newDriver(t, w.tw)
	buyers := []*shopper{
		{user: alice, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", confirms: true},
		{user: bob, dm: true, buy: "#BuyGiftCard", confirm: "#ConfirmGiftCard", dmYes: "yes", confirms: true},
	}
	// generation is the number of the pair the daemon last committed; 0
	// until its database has one.
	generation := func() int64 {
		db, err := sql.Open("sqlite3", "file:"+p.spec.DB+"?_busy_timeout=5000&_query_only=true")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var g int64
		db.QueryRow(`SELECT generation FROM oauth2_tokens WHERE id = 1`).Scan(&g)
		return g
	}

	p.start("")
	seen := generation()
	for killed := 0; killed < oauth2Kills; {
		if !d.driveUntil(time.Minute, 10*time.Millisecond, func() bool {
			for _, b := range buyers {
				d.begin(b)
			}
			if !p.alive() {
				t.Fatalf("the daemon died on its own: %v", p.wait(time.Second))
			}
			return generation() > seen
		}) {
			t.Fatalf("no refresh committed within a minute of 10-second tokens (generation %d)", seen)
		}
		p.kill() // right after the commit of a refresh
		killed++
		seen = generation()
		p.start("")
	}
	p.settleThenStop(t, d)

	d.checkCycles(t)
	checkInvariants(t, w.tw, w.iss, p.openDB(), p.spec.DB, expectations{confirmed: d.confirmed})
	for _, tr := range w.tw.TokenRequests() {
		if tr.Refused() {
			t.Errorf("a token request was refused: %+v", tr.Cause)
		}
	}
	if u := w.tw.OAuth2Unauthorized(); len(u) != 0 {
		t.Errorf("calls met a 401: %v", u)
	}
	if strings.Contains(p.log(), "alert=oauth2_refused") {
		t.Error("a start after a kill found its token refused")
	}
	if w.tw.OAuth2BearerCalls() == 0 {
		t.Error("no call carried the OAuth 2.0 token")
	}
	if strings.Contains(p.log(), refresh) {
		t.Error("a refresh token appears in the log")
	}
	t.Logf("%d runs, %d purchase cycles, %d token requests, %d calls with the OAuth 2.0 token",
		p.runs, len(d.cycles), len(w.tw.TokenRequests()), w.tw.OAuth2BearerCalls())
}
