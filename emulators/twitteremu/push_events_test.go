package twitteremu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The keys of the objects of X's samples (x-api/activity/event-payloads
// in github.com/xdevplatform/docs), which the emulator's events must have.
var (
	sampleEnvelopeKeys = []string{"event_type", "event_uuid", "filter", "includes", "payload", "tag"}
	sampleMentionKeys  = []string{"author_id", "conversation_id", "created_at", "display_text_range", "edit_controls",
		"edit_history_tweet_ids", "entities", "id", "lang", "paid_partnership", "possibly_sensitive", "public_metrics",
		"reply_settings", "text"}
	sampleReplyKeys = []string{"author_id", "conversation_id", "created_at", "display_text_range", "edit_history_tweet_ids",
		"entities", "id", "in_reply_to_tweet_id", "in_reply_to_user_id", "lang", "paid_partnership", "possibly_sensitive",
		"public_metrics", "referenced_tweets", "reply_settings", "text"}
	sampleUserKeys = []string{"affiliation", "created_at", "description", "id", "is_identity_verified",
		"most_recent_tweet_id", "name", "profile_banner_url", "profile_image_url", "protected", "public_metrics", "url",
		"username", "verified", "verified_type"}
	sampleDMUserKeys = []string{"affiliation", "created_at", "description", "id", "is_identity_verified", "name",
		"profile_banner_url", "profile_image_url", "protected", "public_metrics", "url", "username", "verified", "verified_type"}
	sampleDMEventKeys = []string{"created_timestamp", "id", "message_create", "type"}
	sampleDMEntities  = []string{"hashtags", "symbols", "urls", "user_mentions"}
)

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func wantKeys(t *testing.T, what string, v any, want []string) {
	t.Helper()
	if got := keys(v); !slices.Equal(got, want) {
		t.Errorf("%s keys = %v, want X's sample's %v", what, got, want)
	}
}

// events returns the made events of eventType, decoded.
func (e *env) events(t *testing.T, eventType string) ([]PushEvent, []map[string]any) {
	t.Helper()
	var evs []PushEvent
	var bodies []map[string]any
	for _, ev := range e.srv.PushEventLog() {
		if ev.EventType == eventType {
			evs = append(evs, ev)
			bodies = append(bodies, decodeEvent(t, ev.Body))
		}
	}
	return evs, bodies
}

func TestPushEventMention(t *testing.T) {
	e := newPushEnv(t, Options{})
	e.subscribeAll(t, "")
	if err := e.srv.SetAutomated(alice.ID, true); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	tw := e.mustPost(t, alice.ID, "@PayByTweet buy #KindleFire for @Bob_2 https://example.com/k & more", TweetOptions{})
	evs, bodies := e.events(t, EventMention)
	if len(evs) != 1 || len(e.srv.PushEventLog()) != 1 {
		t.Fatalf("events = %+v", e.srv.PushEventLog())
	}
	ev, b := evs[0], bodies[0]
	if ev.MessageID != tw.ID || ev.UserID != e.bot.ID || ev.Tag != "paybytweet" || !ev.Time.Equal(e.clock.Now()) {
		t.Errorf("event = %+v", ev)
	}
	d := b["data"]
	wantKeys(t, "envelope", d, sampleEnvelopeKeys)
	if uuid, _ := path(d, "event_uuid").(string); uuid != ev.UUID {
		t.Errorf("event_uuid %q, want %q", uuid, ev.UUID)
	} else if _, err := strconv.ParseInt(uuid, 10, 64); err != nil {
		t.Errorf("event_uuid %q is not a 64-bit decimal", uuid)
	}
	if path(d, "filter", "user_id") != idStr(e.bot.ID) || path(d, "event_type") != EventMention || path(d, "tag") != "paybytweet" {
		t.Errorf("envelope = %v", d)
	}
	p := path(d, "payload")
	wantKeys(t, "payload", p, sampleMentionKeys)
	text, _ := path(p, "text").(string)
	if path(p, "id") != idStr(tw.ID) || path(p, "author_id") != idStr(alice.ID) ||
		path(p, "conversation_id") != idStr(tw.ID) || path(p, "edit_history_tweet_ids", 0) != idStr(tw.ID) ||
		path(p, "created_at") != v2Time(e.clock.Now()) || !strings.Contains(text, "&amp; more") ||
		!strings.Contains(text, "https://t.co/") || strings.Contains(text, "example.com") {
		t.Errorf("payload = %v", p)
	}
	if path(p, "display_text_range", 0) != json.Number("0") || path(p, "public_metrics", "reply_count_str") != "0" ||
		path(p, "edit_controls", "edits_remaining") != json.Number("5") {
		t.Errorf("payload's sample fields = %v", p)
	}
	m := path(p, "entities", "mentions", 0)
	if path(m, "username") != "PayByTweet" || path(m, "id") != idStr(e.bot.ID) || path(m, "start") != json.Number("0") ||
		path(m, "end_str") != "11" || path(p, "entities", "mentions", 1, "username") != "Bob_2" {
		t.Errorf("mentions = %v", path(p, "entities", "mentions"))
	}
	if h := path(p, "entities", "hashtags", 0); path(h, "tag") != "KindleFire" || path(h, "start") != json.Number("16") {
		t.Errorf("hashtags = %v", path(p, "entities", "hashtags"))
	}
	if path(p, "entities", "urls", 0, "expanded_url") != "https://example.com/k" {
		t.Errorf("urls = %v", path(p, "entities", "urls"))
	}
	u := path(d, "includes", "users", 0)
	wantKeys(t, "includes.users[0]", u, sampleUserKeys)
	if path(u, "id") != idStr(alice.ID) || path(u, "username") != "alice" || path(u, "created_at") != v2Time(DefaultAccountCreatedAt) ||
		path(u, "affiliation", "description") != "Automated" || path(u, "most_recent_tweet_id") != idStr(tw.ID) {
		t.Errorf("author = %v", u)
	}
	// The mentioned accounts follow, without a label they do not have.
	if path(d, "includes", "users", 1, "username") != "PayByTweet" || path(d, "includes", "users", 1, "affiliation") != nil ||
		path(d, "includes", "users", 2, "username") != "Bob_2" {
		t.Errorf("includes.users = %v", path(d, "includes", "users"))
	}
	if path(d, "includes", "tweets", 0, "id") != idStr(tw.ID) {
		t.Errorf("includes.tweets = %v", path(d, "includes", "tweets"))
	}
}

func TestPushEventReplyAndImplicitMentions(t *testing.T) {
	e := newPushEnv(t, Options{})
	e.subscribeAll(t, "")
	buy := e.mustPost(t, alice.ID, "@PayByTweet buy #KindleFire", TweetOptions{})
	req := e.mustPost(t, e.bot.ID, "@alice reply yes to pay", TweetOptions{InReplyTo: buy.ID})
	// bob answers the bot: X's client puts "@PayByTweet " before the
	// text, an implicit mention: a reply event, no mention event.
	yes := e.mustPost(t, bob.ID, "yes", TweetOptions{InReplyTo: req.ID})
	if !strings.HasPrefix(yes.Text, "@PayByTweet ") {
		t.Fatalf("reply text %q", yes.Text)
	}
	// alice answers her own buy post, naming the bot only as the
	// conversation's people: X pushes nothing (polling finds it).
	e.mustPost(t, alice.ID, "@PayByTweet yes", TweetOptions{InReplyTo: buy.ID})
	e.mustPost(t, alice.ID, "yes", TweetOptions{InReplyTo: buy.ID})
	// Named in the body, the bot is mentioned, reply or not.
	body := e.mustPost(t, alice.ID, "@PayByTweet and yes @PayByTweet", TweetOptions{InReplyTo: buy.ID})
	bobs := e.mustPost(t, bob.ID, "hello", TweetOptions{})
	stranger := e.mustPost(t, alice.ID, "@PayByTweet look", TweetOptions{InReplyTo: bobs.ID})

	mentions, _ := e.events(t, EventMention)
	var got []int64
	for _, ev := range mentions {
		got = append(got, ev.MessageID)
	}
	if want := []int64{buy.ID, body.ID, stranger.ID}; !slices.Equal(got, want) {
		t.Errorf("mention events for %v, want %v", got, want)
	}
	replies, bodies := e.events(t, EventReply)
	if len(replies) != 1 || replies[0].MessageID != yes.ID {
		t.Fatalf("reply events = %+v", replies)
	}
	d := bodies[0]["data"]
	p := path(d, "payload")
	wantKeys(t, "reply payload", p, sampleReplyKeys)
	if path(p, "in_reply_to_user_id") != idStr(e.bot.ID) || path(p, "in_reply_to_tweet_id") != idStr(req.ID) ||
		path(p, "referenced_tweets", 0, "type") != "replied_to" || path(p, "referenced_tweets", 0, "id") != idStr(req.ID) ||
		path(p, "conversation_id") != idStr(buy.ID) || path(p, "author_id") != idStr(bob.ID) {
		t.Errorf("reply payload = %v", p)
	}
	if path(p, "display_text_range", 0) != json.Number("12") || path(p, "display_text_range", 1) != json.Number("15") {
		t.Errorf("display_text_range = %v, want the body after the implicit mention", path(p, "display_text_range"))
	}
	if path(d, "includes", "users", 0, "username") != "Bob_2" || path(d, "includes", "users", 1, "username") != "PayByTweet" ||
		path(d, "includes", "tweets", 0, "id") != idStr(req.ID) {
		t.Errorf("reply includes = %v", path(d, "includes"))
	}
}

func TestPushEventReplyIncludesEmpty(t *testing.T) {
	e := newPushEnv(t, Options{Push: PushOptions{ReplyIncludesEmpty: true}})
	e.subscribeAll(t, "")
	req := e.mustPost(t, e.bot.ID, "reply yes to pay", TweetOptions{})
	e.mustPost(t, bob.ID, "yes", TweetOptions{InReplyTo: req.ID})
	_, bodies := e.events(t, EventReply)
	if len(bodies) != 1 {
		t.Fatalf("reply events = %d", len(bodies))
	}
	if inc, ok := path(bodies[0], "data", "includes").(map[string]any); !ok || len(inc) != 0 {
		t.Errorf("includes = %v, want {} as in X's sample", path(bodies[0], "data", "includes"))
	}
}

func TestPushEventDM(t *testing.T) {
	e := newPushEnv(t, Options{})
	e.subscribeAll(t, "")
	if err := e.srv.SetAutomated(alice.ID, true); err != nil {
		t.Fatal(err)
	}
	dm, err := e.srv.SendDM(alice.ID, e.bot.ID, "buy #KindleFire https://example.com")
	if err != nil {
		t.Fatal(err)
	}
	// The bot's own DMs, by the Go API or over v2, make no dm.received.
	if _, err := e.srv.SendDM(e.bot.ID, alice.ID, "reply yes"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.v2(t).SendDM(ctx, alice.ID, "receipt"); err != nil {
		t.Fatal(err)
	}
	evs, bodies := e.events(t, EventDMReceived)
	if len(evs) != 1 || len(e.srv.PushEventLog()) != 1 || evs[0].MessageID != dm.ID {
		t.Fatalf("events = %+v", e.srv.PushEventLog())
	}
	d := bodies[0]["data"]
	wantKeys(t, "dm envelope", d, []string{"event_type", "event_uuid", "filter", "payload", "tag"})
	p := path(d, "payload")
	wantKeys(t, "dm payload", p, []string{"direct_message_events", "users"})
	de := path(p, "direct_message_events", 0)
	wantKeys(t, "direct_message_events[0]", de, sampleDMEventKeys)
	wantKeys(t, "message_data.entities", path(de, "message_create", "message_data", "entities"), sampleDMEntities)
	if path(de, "type") != "message_create" || path(de, "id") != idStr(dm.ID) ||
		path(de, "created_timestamp") != strconv.FormatInt(dm.CreatedAt.UnixMilli(), 10) ||
		path(de, "message_create", "sender_id") != idStr(alice.ID) ||
		path(de, "message_create", "target", "recipient_id") != idStr(e.bot.ID) {
		t.Errorf("DM event = %v", de)
	}
	md := path(de, "message_create", "message_data")
	if text, _ := path(md, "text").(string); !strings.HasPrefix(text, "buy #KindleFire https://t.co/") ||
		path(md, "entities", "hashtags", 0, "text") != "KindleFire" || path(md, "entities", "hashtags", 0, "indices", 0) != json.Number("4") ||
		path(md, "entities", "urls", 0, "expanded_url") != "https://example.com" {
		t.Errorf("message_data = %v", md)
	}
	sender := path(p, "users", idStr(alice.ID), "data")
	wantKeys(t, "users[sender].data", sender, sampleDMUserKeys)
	if path(sender, "username") != "alice" || path(sender, "affiliation", "description") != "Automated" {
		t.Errorf("sender = %v", sender)
	}
	if path(p, "users", idStr(e.bot.ID), "data", "username") != "PayByTweet" {
		t.Errorf("users = %v", path(p, "users"))
	}
}

func TestPushEventsOnlyForSubscriptions(t *testing.T) {
	e := newPushEnv(t, Options{})
	e.mustPost(t, alice.ID, "@PayByTweet before any subscription", TweetOptions{})
	if _, err := e.srv.SendDM(alice.ID, e.bot.ID, "before"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.srv.PushEventLog()); n != 0 {
		t.Fatalf("%d events without a subscription", n)
	}
	if st, _ := e.subscribe(t, EventDMReceived, "dms", ""); st != http.StatusOK {
		t.Fatal(st)
	}
	m := e.mustPost(t, alice.ID, "@PayByTweet buy", TweetOptions{})
	if _, err := e.srv.Retweet(bob.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	e.mustPost(t, e.bot.ID, "@PayByTweet talking to myself", TweetOptions{})
	if n := len(e.srv.PushEventLog()); n != 0 {
		t.Fatalf("%d events of types not subscribed to", n)
	}
	if st, _ := e.subscribe(t, EventMention, "mentions", ""); st != http.StatusOK {
		t.Fatal(st)
	}
	if _, err := e.srv.Retweet(alice.ID, e.mustPost(t, bob.ID, "@PayByTweet hi", TweetOptions{}).ID); err != nil {
		t.Fatal(err)
	}
	e.mustPost(t, e.bot.ID, "@PayByTweet again myself", TweetOptions{})
	e.mustPost(t, alice.ID, "@bob_2 not the bot", TweetOptions{})
	if _, err := e.srv.SendDM(bob.ID, e.bot.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	log := e.srv.PushEventLog()
	if len(log) != 2 || log[0].EventType != EventMention || log[0].Tag != "mentions" || log[1].EventType != EventDMReceived || log[1].Tag != "dms" {
		t.Fatalf("events = %+v (a retweet, the bot's own post or another's mention made one)", log)
	}
	if log[0].UUID == log[1].UUID {
		t.Error("two events with one event_uuid")
	}
}
