package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/twitterapi"
)

// TestCredentialsOfAnotherAccountLoseNothing starts the bot with
// credentials that are not the configured account's, then with a database
// made for another account: it must neither poll (the cursors would move
// past messages it cannot recognise as its own) nor post, and once the
// configuration is right every message is answered.
func TestCredentialsOfAnotherAccountLoseNothing(t *testing.T) {
	eachAPI(t, testCredentialsOfAnotherAccountLoseNothing)
}

func testCredentialsOfAnotherAccountLoseNothing(t *testing.T, api string) {
	r := newRig(t, api, rigOption(func(c *cfgT) { c.Bot.ScreenName = "SomeOtherBot" }))
	buy := r.tweet(alice, "@AmexOffers #BuyKindleFireHD")
	r.d.Bot.PollNow()
	if msgs, _ := r.d.DB.Inbox(context.Background(), ""); len(msgs) != 0 {
		t.Fatalf("polled under the wrong account: %d messages stored", len(msgs))
	}
	if !strings.Contains(r.logs.String(), "ANOTHER ACCOUNT") {
		t.Errorf("the log does not say the credentials are another account's")
	}
	r.stop()

	// A database made for another account.
	r.cfg.Bot.ScreenName = "AmexOffers"
	r.start()
	r.stop()
	db := openDB(t, r)
	if err := db.SetCursor(context.Background(), "bot_user", twitterapi.User{ID: 12345, ScreenName: "AmexOffers"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r.start()
	r.d.Bot.PollNow()
	if msgs, _ := r.d.DB.Inbox(context.Background(), ""); len(msgs) != 0 {
		t.Fatalf("polled for a database made for another account: %d messages stored", len(msgs))
	}
	r.stop()

	db = openDB(t, r)
	if err := db.SetCursor(context.Background(), "bot_user", twitterapi.User{ID: botUser.ID, ScreenName: "AmexOffers"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r.start()
	r.settle()
	mustContain(t, "request", r.reply(buy.ID).Text, "#ConfirmKindleFireHD")
}
