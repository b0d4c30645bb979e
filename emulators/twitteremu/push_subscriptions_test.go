package twitteremu

import (
	"net/http"
	"strings"
	"testing"
)

func TestPushSubscriptionsCreateListConflict(t *testing.T) {
	e := newPushEnv(t, Options{})
	st, body := e.subscribe(t, EventMention, "paybytweet", "")
	sub := path(body, "data", "subscription")
	if st != http.StatusOK || path(sub, "event_type") != EventMention || path(sub, "tag") != "paybytweet" ||
		path(sub, "filter", "user_id") != idStr(e.bot.ID) || path(sub, "subscription_id") == nil || path(sub, "created_at") == nil {
		t.Fatalf("create: %d %v", st, body)
	}
	for _, et := range []string{EventReply, EventDMReceived} {
		if st, body := e.subscribe(t, et, "paybytweet", ""); st != http.StatusOK {
			t.Fatalf("create %s: %d %v", et, st, body)
		}
	}
	// The same event_type, filter and tag: 409, and nothing made.
	st, body = e.subscribe(t, EventDMReceived, "paybytweet", "")
	if st != http.StatusConflict || path(body, "title") != "Conflict" {
		t.Errorf("duplicate: %d %v", st, body)
	}
	// Another tag is another subscription.
	if st, body := e.subscribe(t, EventDMReceived, "", ""); st != http.StatusOK || path(body, "data", "subscription", "tag") != nil {
		t.Errorf("untagged: %d %v", st, body)
	}

	st, body = e.bearer(t, http.MethodGet, "activity/subscriptions", "")
	data, _ := body["data"].([]any)
	if st != http.StatusOK || len(data) != 4 || path(body, "meta", "total_subscriptions") != 4.0 {
		t.Fatalf("list: %d %v", st, body)
	}
	if path(data, 0, "event_type") != EventMention || path(data, 0, "filter", "user_id") != idStr(e.bot.ID) {
		t.Errorf("list is oldest first: %v", data)
	}
	// Paged.
	_, p1 := e.bearer(t, http.MethodGet, "activity/subscriptions?max_results=3", "")
	tok, _ := path(p1, "meta", "next_token").(string)
	if n := len(p1["data"].([]any)); n != 3 || tok == "" {
		t.Fatalf("page 1: %v", p1)
	}
	_, p2 := e.bearer(t, http.MethodGet, "activity/subscriptions?max_results=3&pagination_token="+tok, "")
	if d := p2["data"].([]any); len(d) != 1 || path(d, 0, "tag") != nil || path(p2, "meta", "next_token") != nil {
		t.Errorf("page 2: %v", p2)
	}
	if got := e.srv.Subscriptions(); len(got) != 4 || got[0].EventType != EventMention || got[0].UserID != e.bot.ID {
		t.Errorf("Subscriptions() = %+v", got)
	}

	// Deleted (bearer): it makes no more events.
	id := e.srv.Subscriptions()[0].ID
	st, body = e.bearer(t, http.MethodDelete, "activity/subscriptions/"+id, "")
	if st != http.StatusOK || path(body, "data", "deleted") != true || path(body, "meta", "total_subscriptions") != 3.0 {
		t.Errorf("delete: %d %v", st, body)
	}
	if st, _ := e.bearer(t, http.MethodDelete, "activity/subscriptions/"+id, ""); st != http.StatusNotFound {
		t.Errorf("delete again: %d", st)
	}
	e.mustPost(t, alice.ID, "@PayByTweet buy", TweetOptions{})
	if n := len(e.srv.PushEventLog()); n != 0 {
		t.Errorf("a deleted subscription made %d events", n)
	}
}

func TestPushSubscriptionsAuth(t *testing.T) {
	e := newPushEnv(t, Options{})
	for _, tok := range []string{"", "wrong"} {
		resp, body := e.bearerCall(t, tok, http.MethodGet, "activity/subscriptions", "")
		if resp.StatusCode != http.StatusUnauthorized || path(body, "title") != "Unauthorized" {
			t.Errorf("list with bearer %q: %d %v", tok, resp.StatusCode, body)
		}
	}
	// The list takes the app's token, not the account's.
	if st, _ := e.rawV2(t, http.MethodGet, "activity/subscriptions", "", ""); st != http.StatusUnauthorized {
		t.Errorf("list with OAuth 1.0a: %d", st)
	}
	// Creating needs the account's user context: the app's token is
	// refused as X refuses it.
	resp, body := e.bearerCall(t, testBearer, http.MethodPost, "activity/subscriptions",
		`{"event_type":"dm.received","filter":{"user_id":"`+idStr(e.bot.ID)+`"}}`)
	if resp.StatusCode != http.StatusForbidden || path(body, "type") != "https://api.twitter.com/2/problems/unsupported-authentication" {
		t.Errorf("create with the app's token: %d %v", resp.StatusCode, body)
	}
	// An OAuth 1.0a signature with a revoked token is refused.
	e.srv.SetCredentials("rotated", "rotated-secret")
	if st, _ := e.subscribe(t, EventDMReceived, "paybytweet", ""); st != http.StatusUnauthorized {
		t.Errorf("create with a revoked token: %d", st)
	}
	e.srv.SetCredentials(testAccessToken, testAccessSecret)
	// A replaced bearer token refuses the old one.
	e.srv.SetBearerToken("new-bearer")
	if resp, _ := e.bearerCall(t, testBearer, http.MethodGet, "activity/subscriptions", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old bearer token: %d", resp.StatusCode)
	}
	if resp, _ := e.bearerCall(t, "new-bearer", http.MethodGet, "activity/subscriptions", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("new bearer token: %d", resp.StatusCode)
	}
	if len(e.srv.Subscriptions()) != 0 {
		t.Error("a refused request made a subscription")
	}
}

func TestPushSubscriptionsRefused(t *testing.T) {
	e := newPushEnv(t, Options{Push: PushOptions{RefuseSubscriptions: http.StatusForbidden}})
	st, body := e.subscribe(t, EventMention, "paybytweet", "")
	if st != http.StatusForbidden || body["reason"] != "client-not-enrolled" || body["title"] != "Client Forbidden" {
		t.Errorf("refused (option): %d %v", st, body)
	}
	e.srv.SetRefuseSubscriptions(http.StatusUnauthorized)
	if st, body := e.subscribe(t, EventMention, "paybytweet", ""); st != http.StatusUnauthorized || body["title"] != "Unauthorized" {
		t.Errorf("refused 401: %d %v", st, body)
	}
	e.srv.SetRefuseSubscriptions(0)
	e.srv.InjectFault(Fault{Endpoint: "POST 2/activity/subscriptions", Status: http.StatusForbidden})
	if st, _ := e.subscribe(t, EventMention, "paybytweet", ""); st != http.StatusForbidden {
		t.Errorf("injected 403: %d", st)
	}
	if len(e.srv.Subscriptions()) != 0 {
		t.Fatal("a refused subscription exists")
	}
	if st, _ := e.subscribe(t, EventMention, "paybytweet", ""); st != http.StatusOK {
		t.Errorf("accepted again: %d", st)
	}
}

func TestPushSubscriptionsValidation(t *testing.T) {
	e := newPushEnv(t, Options{})
	bot := idStr(e.bot.ID)
	for _, tc := range []struct {
		body   string
		status int
		detail string
	}{
		{`{"event_type":"post.mention.made","filter":{"user_id":"` + bot + `"}}`, 400, "enumeration"},
		{`{"event_type":"like.create","filter":{"user_id":"` + bot + `"}}`, 400, "does not emulate"},
		{`{"event_type":"dm.received"}`, 400, "$.filter"},
		{`{"filter":{"user_id":"` + bot + `"}}`, 400, "$.event_type"},
		{`{"event_type":"dm.received","filter":{"keyword":"buy"}}`, 400, "keyword"},
		{`{"event_type":"dm.received","filter":{"user":"1"}}`, 400, "additional properties"},
		{`{"event_type":"dm.received","filter":{"user_id":"abc"}}`, 400, "does not match"},
		{`{"event_type":"dm.received","filter":{"user_id":"` + bot + `"},"tag":""}`, 400, "$.tag"},
		{`{"event_type":"dm.received","filter":{"user_id":"` + bot + `"},"webhook_id":"123"}`, 400, "webhook_id"},
		{`{"event_type":"dm.received","filter":{"user_id":"` + bot + `"},"colour":"red"}`, 400, "colour"},
		{`{"event_type":"dm.received","filter":{"user_id":"1001"}}`, 403, "private event"},
	} {
		st, body := e.rawV2(t, http.MethodPost, "activity/subscriptions", "application/json", tc.body)
		if d, _ := body["detail"].(string); st != tc.status || !strings.Contains(d, tc.detail) {
			t.Errorf("%s: %d %v, want %d with %q", tc.body, st, body, tc.status, tc.detail)
		}
	}
	if len(e.srv.Subscriptions()) != 0 {
		t.Error("a refused body made a subscription")
	}
}

func TestPushSubscriptionShapeOptions(t *testing.T) {
	e := newPushEnv(t, Options{Push: PushOptions{SubscriptionInData: true, SubscriptionsResultCount: true}})
	st, body := e.subscribe(t, EventMention, "paybytweet", "")
	if st != http.StatusOK || path(body, "data", "subscription_id") == nil || path(body, "data", "subscription") != nil {
		t.Errorf("create, data itself: %d %v", st, body)
	}
	_, body = e.bearer(t, http.MethodGet, "activity/subscriptions", "")
	if path(body, "meta", "result_count") != 1.0 || path(body, "meta", "total_subscriptions") != nil {
		t.Errorf("list counted with result_count: %v", body)
	}
}
