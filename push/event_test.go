package push

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// The samples below have the structure of X's own samples of
// post.mention.create, post.reply.create and dm.received
// (x-api/activity/event-payloads.mdx in github.com/xdevplatform/docs),
// with ids, texts and accounts of our own.
const (
	sampleBot    = "4294967297"
	sampleAuthor = "2222222222222222222"
)

var sampleMe = twitterapi.User{ID: 4294967297, ScreenName: "PayByTweet"}

const sampleMetrics = `"public_metrics":{"retweet_count":0,"retweet_count_str":"0","reply_count":0,"reply_count_str":"0",
	"like_count":0,"like_count_str":"0","quote_count":0,"quote_count_str":"0","bookmark_count":0,"bookmark_count_str":"0",
	"impression_count":0,"impression_count_str":"0"}`

const sampleAuthorUser = `{"public_metrics":{"followers_count":97,"followers_count_str":"97","following_count":1,
	"following_count_str":"1","tweet_count":50,"tweet_count_str":"50","listed_count":4,"listed_count_str":"4",
	"like_count":26,"like_count_str":"26","media_count":3,"media_count_str":"3"},"profile_banner_url":"",
	"username":"carol","protected":false,"is_identity_verified":false,
	"affiliation":{"badge_url":"https://pbs.twimg.com/semantic_core_img/1/x?format=png&name=orig","description":"Automated"},
	"most_recent_tweet_id":"1900000000000000001","verified_type":"none","description":"","created_at":"2026-04-20T19:55:59.000Z",
	"profile_image_url":"https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png","name":"Carol",
	"verified":false,"url":"","id":"` + sampleAuthor + `"}`

const sampleBotUser = `{"username":"PayByTweet","protected":false,"is_identity_verified":true,
	"affiliation":{"user_id":["783214"],"badge_url":"https://pbs.twimg.com/profile_images/1/x_normal.jpg","url":"https://twitter.com/X","description":"X"},
	"verified_type":"blue","description":"Pay by tweet","created_at":"2012-03-21T20:50:14.000Z","name":"PayByTweet",
	"verified":true,"url":"","id":"` + sampleBot + `"}`

const samplePost = `{"paid_partnership":false,"created_at":"2026-07-24T21:23:23.000Z",
	"edit_history_tweet_ids":["1900000000000000001"],"conversation_id":"1900000000000000001","display_text_range":[0,55],
	"edit_controls":{"edits_remaining":5,"edits_remaining_str":"5","is_edit_eligible":true,"editable_until":"2026-07-24T22:23:23.000Z"},
	"text":"@PayByTweet buy #KindleFire https://t.co/abcdef &amp; more",
	"entities":{"mentions":[{"start":0,"start_str":"0","end":11,"end_str":"11","username":"PayByTweet","id":"` + sampleBot + `"}],
		"hashtags":[{"start":16,"start_str":"16","end":27,"end_str":"27","tag":"KindleFire"}],
		"urls":[{"start":28,"start_str":"28","end":47,"end_str":"47","url":"https://t.co/abcdef","expanded_url":"https://example.com/k","display_url":"example.com/k"}]},
	"author_id":"` + sampleAuthor + `","possibly_sensitive":false,` + sampleMetrics + `,"reply_settings":"everyone",
	"id":"1900000000000000001","lang":"en"}`

func envelope(eventType, userID, payload, includes string) string {
	s := `{"data":{"event_uuid":"-6850472171600526495","filter":{"user_id":"` + userID + `"},"event_type":"` + eventType +
		`","tag":"paybytweet","payload":` + payload
	if includes != "" {
		s += `,"includes":` + includes
	}
	return s + `}}`
}

var (
	sampleMention = envelope(TypeMention, sampleBot, samplePost,
		`{"users":[`+sampleAuthorUser+`,`+sampleBotUser+`],"tweets":[`+samplePost+`]}`)
	// X's post.delete sample wraps its includes.users as {"data": user}.
	sampleMentionWrapped = envelope(TypeMention, sampleBot, samplePost,
		`{"users":[{"data":`+sampleAuthorUser+`}]}`)
	sampleReplyPost = `{"paid_partnership":false,"created_at":"2026-07-24T21:30:00.000Z",
		"edit_history_tweet_ids":["1900000000000000005"],"conversation_id":"1900000000000000001",
		"in_reply_to_tweet_id":"1900000000000000004","in_reply_to_user_id":"` + sampleBot + `",
		"referenced_tweets":[{"type":"replied_to","id":"1900000000000000004"}],"display_text_range":[12,15],
		"text":"@PayByTweet yes","entities":{"mentions":[{"start":0,"start_str":"0","end":11,"end_str":"11","username":"PayByTweet","id":"` + sampleBot + `"}]},
		"author_id":"` + sampleAuthor + `","possibly_sensitive":false,` + sampleMetrics + `,"reply_settings":"everyone",
		"id":"1900000000000000005","lang":"en"}`
	// X's post.reply.create sample has "includes": {}.
	sampleReply     = envelope(TypeReply, sampleBot, sampleReplyPost, `{}`)
	sampleDMPayload = `{"direct_message_events":[{"type":"message_create","id":"1900000000000000009","created_timestamp":"1784928224372",
		"message_create":{"target":{"recipient_id":"` + sampleBot + `"},"sender_id":"` + sampleAuthor + `",
		"message_data":{"text":"buy #KindleFire https://t.co/xyz","entities":{"hashtags":[{"text":"KindleFire","indices":[4,15]}],"symbols":[],
		"user_mentions":[],"urls":[{"url":"https://t.co/xyz","expanded_url":"https://example.com/d","display_url":"example.com/d","indices":[16,32]}]}}}}],
		"users":{"` + sampleAuthor + `":{"data":` + sampleAuthorUser + `},"` + sampleBot + `":{"data":` + sampleBotUser + `}}}`
	sampleDM = envelope(TypeDMReceived, sampleBot, sampleDMPayload, "")
)

var (
	authorCreated = time.Date(2026, 4, 20, 19, 55, 59, 0, time.UTC)
	wantMention   = twitterapi.Tweet{
		ID: 1900000000000000001, UserID: 2222222222222222222, ScreenName: "carol", UserCreatedAt: authorCreated,
		UserAutomated: twitterapi.AutomatedYes, Text: "@PayByTweet buy #KindleFire https://example.com/k &amp; more",
		Hashtags: []string{"KindleFire"}, MentionIDs: []int64{4294967297},
		CreatedAt: time.Date(2026, 7, 24, 21, 23, 23, 0, time.UTC),
	}
	wantReply = twitterapi.Tweet{
		ID: 1900000000000000005, UserID: 2222222222222222222, Text: "@PayByTweet yes", MentionIDs: []int64{4294967297},
		InReplyTo: 1900000000000000004, CreatedAt: time.Date(2026, 7, 24, 21, 30, 0, 0, time.UTC),
	}
	wantDM = twitterapi.DM{
		ID: 1900000000000000009, SenderID: 2222222222222222222, SenderScreenName: "carol", SenderCreatedAt: authorCreated,
		SenderAutomated: twitterapi.AutomatedYes, RecipientID: 4294967297, Text: "buy #KindleFire https://example.com/d",
		Hashtags: []string{"KindleFire"}, CreatedAt: time.UnixMilli(1784928224372).UTC(),
	}
)

func TestDecode(t *testing.T) {
	noIDMention := strings.Replace(samplePost, `"username":"PayByTweet","id":"`+sampleBot+`"`, `"username":"paybytweet"`, 1)
	twoDMs := strings.Replace(sampleDMPayload, `"direct_message_events":[`,
		`"direct_message_events":[{"type":"message_create","id":"1900000000000000008","created_timestamp":"soon",
		"message_create":{"target":{"recipient_id":"`+sampleBot+`"},"sender_id":"`+sampleAuthor+`","message_data":{"text":"x"}}},`, 1)
	tests := []struct {
		name  string
		line  string
		kind  Kind
		tweet *twitterapi.Tweet
		dms   []twitterapi.DM
		check func(t *testing.T, ev Event)
	}{
		{name: "mention", line: sampleMention, kind: KindTweet, tweet: &wantMention,
			check: func(t *testing.T, ev Event) {
				if ev.Type != TypeMention || ev.UUID != "-6850472171600526495" || ev.UserID != sampleMe.ID || ev.Tag != Tag {
					t.Errorf("envelope = %+v", ev)
				}
				if ids := ev.MessageIDs(); !reflect.DeepEqual(ids, []int64{wantMention.ID}) {
					t.Errorf("MessageIDs = %v", ids)
				}
			}},
		{name: "mention with a line end", line: sampleMention + "\r\n", kind: KindTweet, tweet: &wantMention},
		{name: "mention, users wrapped in data", line: sampleMentionWrapped, kind: KindTweet, tweet: &wantMention},
		{name: "mention without includes", line: envelope(TypeMention, sampleBot, samplePost, ""), kind: KindTweet,
			check: func(t *testing.T, ev Event) {
				if ev.Tweet.ScreenName != "" || !ev.Tweet.UserCreatedAt.IsZero() || ev.Tweet.UserAutomated.Known() || ev.Tweet.ID != wantMention.ID {
					t.Errorf("Tweet = %+v", ev.Tweet)
				}
			}},
		{name: "mention entity without id names the bot", line: envelope(TypeMention, sampleBot, noIDMention, ""), kind: KindTweet,
			check: func(t *testing.T, ev Event) {
				if !ev.Tweet.Mentions(sampleMe.ID) {
					t.Errorf("MentionIDs = %v", ev.Tweet.MentionIDs)
				}
			}},
		{name: "numeric filter.user_id", line: strings.Replace(sampleMention, `"user_id":"`+sampleBot+`"`, `"user_id":`+sampleBot, 1),
			kind: KindTweet, tweet: &wantMention},
		{name: "reply with empty includes", line: sampleReply, kind: KindTweet, tweet: &wantReply},
		{name: "dm", line: sampleDM, kind: KindDM, dms: []twitterapi.DM{wantDM},
			check: func(t *testing.T, ev Event) {
				if ids := ev.MessageIDs(); !reflect.DeepEqual(ids, []int64{wantDM.ID}) || ev.Skipped != 0 {
					t.Errorf("MessageIDs = %v, Skipped %d", ids, ev.Skipped)
				}
			}},
		{name: "dm with a malformed one beside", line: envelope(TypeDMReceived, sampleBot, twoDMs, ""), kind: KindDM,
			dms: []twitterapi.DM{wantDM}, check: func(t *testing.T, ev Event) {
				if ev.Skipped != 1 {
					t.Errorf("Skipped = %d", ev.Skipped)
				}
			}},
		{name: "dm without a message", line: envelope(TypeDMReceived, sampleBot,
			`{"direct_message_events":[{"type":"read_receipt","id":"1"}],"users":{}}`, ""), kind: KindIgnored},
		{name: "another account", line: envelope(TypeMention, "99", samplePost, ""), kind: KindIgnored,
			check: func(t *testing.T, ev Event) {
				if ev.UserID != 99 || !strings.Contains(ev.Reason, "another account") || ev.MessageIDs() != nil {
					t.Errorf("ignored = %+v", ev)
				}
			}},
		{name: "another type", line: `{"data":{"event_uuid":"5934540941047412905","filter":{},"event_type":"oauth.revoke",
			"payload":{"date_time":"2026-07-23T21:44:05+00:00","user_id":"` + sampleBot + `","app_id":"29820954"}}}`, kind: KindIgnored,
			check: func(t *testing.T, ev Event) {
				if ev.Type != "oauth.revoke" || !strings.Contains(ev.Reason, "oauth.revoke") {
					t.Errorf("ignored = %+v", ev)
				}
			}},
		{name: "like.create", line: `{"data":{"event_uuid":"1","filter":{"user_id":"` + sampleBot + `","direction":"outbound"},
			"event_type":"like.create","payload":{"id":"87719f50"}}}`, kind: KindIgnored},
		{name: "operational", line: `{"errors":[{"title":"operational-disconnect","detail":"This stream has been disconnected upstream."}]}`,
			kind: KindOperational, check: func(t *testing.T, ev Event) {
				if !strings.Contains(ev.Message, "operational-disconnect") {
					t.Errorf("Message = %q", ev.Message)
				}
			}},
	}
	d := Decoder{Me: sampleMe}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := d.Decode([]byte(tc.line))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.Kind != tc.kind {
				t.Fatalf("Kind = %v (%s), want %v", ev.Kind, ev.Reason, tc.kind)
			}
			if tc.kind == KindIgnored && ev.Reason == "" {
				t.Error("ignored without a reason")
			}
			if tc.tweet != nil && !reflect.DeepEqual(ev.Tweet, *tc.tweet) {
				t.Errorf("Tweet =\n%+v, want\n%+v", ev.Tweet, *tc.tweet)
			}
			if tc.dms != nil && !reflect.DeepEqual(ev.DMs, tc.dms) {
				t.Errorf("DMs =\n%+v, want\n%+v", ev.DMs, tc.dms)
			}
			if tc.check != nil {
				tc.check(t, ev)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	badPost := func(old, new string) string {
		return envelope(TypeMention, sampleBot, strings.Replace(samplePost, old, new, 1), "")
	}
	lines := map[string]string{
		"empty":                 "",
		"keep-alive":            "\r\n",
		"not JSON":              "hello",
		"an array":              "[1,2]",
		"truncated":             sampleMention[:len(sampleMention)/2],
		"data null":             `{"data":null}`,
		"data a string":         `{"data":"x"}`,
		"no event_type":         `{"data":{"filter":{"user_id":"` + sampleBot + `"}}}`,
		"no filter":             `{"data":{"event_type":"post.mention.create","payload":` + samplePost + `}}`,
		"filter.user_id bad":    envelope(TypeMention, "bot", samplePost, ""),
		"filter.user_id object": `{"data":{"event_type":"dm.received","filter":{"user_id":{}}}}`,
		"no payload":            envelope(TypeMention, sampleBot, "null", ""),
		"payload a string":      envelope(TypeMention, sampleBot, `"x"`, ""),
		"post id":               badPost(`"id":"1900000000000000001","lang"`, `"id":"x","lang"`),
		"post without author":   badPost(`"author_id":"`+sampleAuthor+`",`, ``),
		"post created_at":       badPost(`"created_at":"2026-07-24T21:23:23.000Z"`, `"created_at":"yesterday"`),
		"mention id":            badPost(`"id":"`+sampleBot+`"}]`, `"id":"me"}]`),
		"includes an array":     envelope(TypeMention, sampleBot, samplePost, `[]`),
		"dm payload array":      envelope(TypeDMReceived, sampleBot, `[]`, ""),
		"dm created_timestamp":  envelope(TypeDMReceived, sampleBot, strings.Replace(sampleDMPayload, `"1784928224372"`, `"soon"`, 1), ""),
		"dm sender":             envelope(TypeDMReceived, sampleBot, strings.Replace(sampleDMPayload, `"sender_id":"`+sampleAuthor, `"sender_id":"x`, 1), ""),
		"dm no message_create":  envelope(TypeDMReceived, sampleBot, `{"direct_message_events":[{"type":"message_create","id":"5","created_timestamp":"1"}]}`, ""),
		"dm event a number":     envelope(TypeDMReceived, sampleBot, `{"direct_message_events":[5]}`, ""),
	}
	d := Decoder{Me: sampleMe}
	for name, line := range lines {
		t.Run(name, func(t *testing.T) {
			ev, err := d.Decode([]byte(line))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Decode = %+v, %v; want ErrMalformed", ev, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{sampleMention, sampleMentionWrapped, sampleReply, sampleDM, `{"data":{}}`, `{}`, "\r\n"} {
		f.Add([]byte(s))
	}
	d := Decoder{Me: sampleMe}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := d.Decode(b)
		if err != nil {
			return
		}
		switch ev.Kind {
		case KindTweet:
			if ev.Tweet.ID <= 0 || ev.Tweet.UserID <= 0 {
				t.Errorf("a Tweet without id or author: %+v", ev.Tweet)
			}
		case KindDM:
			if len(ev.DMs) == 0 {
				t.Error("a KindDM without DMs")
			}
		}
	})
}

// TestDecodeIsWhatPollingReads: every event the emulator pushes decodes
// to the very value polling on v2 reads of the same message.
func TestDecodeIsWhatPollingReads(t *testing.T) {
	for _, emptyIncludes := range []bool{false, true} {
		t.Run(map[bool]string{false: "reply includes", true: "reply includes empty"}[emptyIncludes], func(t *testing.T) {
			r := newRig(t, twitteremu.Options{Push: twitteremu.PushOptions{ReplyIncludesEmpty: emptyIncludes}})
			r.ensure("")
			if err := r.srv.SetAutomated(alice.ID, true); err != nil {
				t.Fatal(err)
			}
			buy := r.post(alice.ID, "@PayByTweet buy #KindleFire for @Bob_2 https://example.com/k & <more>", 0)
			req := r.post(r.me.ID, "@alice reply yes to pay", buy.ID)
			yes := r.post(bob.ID, "yes #please", req.ID)
			dm := r.dm(bob.ID, "buy #Kindle https://example.com/d & more")

			poll, err := twitterapi.NewV2(twitterapi.Config{APIURL: r.srv.URLv2(), ConsumerKey: testConsumer,
				ConsumerSecret: testSecret, AccessToken: testToken, AccessSecret: testTokenSec, Logger: r.log})
			if err != nil {
				t.Fatal(err)
			}
			defer poll.Close()
			page, err := poll.Mentions(0, "")
			if err != nil {
				t.Fatal(err)
			}
			polled := map[int64]twitterapi.Tweet{}
			for _, tw := range page.Tweets {
				polled[tw.ID] = tw
			}
			dms, _, err := poll.DMEvents("")
			if err != nil {
				t.Fatal(err)
			}
			polledDMs := map[int64]twitterapi.DM{}
			for _, d := range dms {
				polledDMs[d.ID] = d
			}

			seen := map[string]bool{}
			d := r.decoder()
			for _, pe := range r.srv.PushEventLog() {
				ev, err := d.Decode(pe.Body)
				if err != nil {
					t.Fatalf("%s: %v\n%s", pe.EventType, err, pe.Body)
				}
				seen[pe.EventType] = true
				switch pe.EventType {
				case TypeMention, TypeReply:
					want, ok := polled[pe.MessageID]
					if !ok || ev.Kind != KindTweet {
						t.Fatalf("%s %d: kind %v, polled %v", pe.EventType, pe.MessageID, ev.Kind, ok)
					}
					if pe.EventType == TypeReply && emptyIncludes {
						// X's sample: no author in includes.
						want.ScreenName, want.UserCreatedAt, want.UserAutomated = "", time.Time{}, twitterapi.AutomatedUnknown
					}
					if !reflect.DeepEqual(ev.Tweet, want) {
						t.Errorf("%s: pushed\n%+v\npolled\n%+v", pe.EventType, ev.Tweet, want)
					}
				case TypeDMReceived:
					want, ok := polledDMs[pe.MessageID]
					if !ok || ev.Kind != KindDM || len(ev.DMs) != 1 {
						t.Fatalf("dm %d: kind %v, polled %v", pe.MessageID, ev.Kind, ok)
					}
					if !reflect.DeepEqual(ev.DMs[0], want) {
						t.Errorf("dm: pushed\n%+v\npolled\n%+v", ev.DMs[0], want)
					}
				}
			}
			if len(seen) != 3 {
				t.Errorf("event types pushed: %v", seen)
			}
			if polled[buy.ID].UserAutomated != twitterapi.AutomatedYes || polled[yes.ID].InReplyTo != req.ID ||
				len(polledDMs[dm.ID].Hashtags) != 1 {
				t.Errorf("the comparison compared little: %+v %+v %+v", polled[buy.ID], polled[yes.ID], polledDMs[dm.ID])
			}
		})
	}
}
