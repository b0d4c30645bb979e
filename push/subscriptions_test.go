package push

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/twitterv2"
)

func TestEnsureCreatesOnce(t *testing.T) {
	for _, shape := range []struct {
		name string
		opts twitteremu.PushOptions
	}{
		{"data.subscription, total_subscriptions", twitteremu.PushOptions{}},
		{"data, result_count", twitteremu.PushOptions{SubscriptionInData: true, SubscriptionsResultCount: true}},
	} {
		t.Run(shape.name, func(t *testing.T) {
			r := newRig(t, twitteremu.Options{Push: shape.opts})
			res := r.ensure("")
			if len(res.Created) != 3 || len(res.Existing) != 0 || len(res.Conflicts) != 0 {
				t.Fatalf("first Ensure = %+v", res)
			}
			for i, s := range res.Created {
				if s.EventType != EventTypes[i] || s.UserID != r.me.ID || s.Tag != Tag || s.ID == "" {
					t.Errorf("created %+v", s)
				}
			}
			res = r.ensure("")
			if len(res.Created) != 0 || len(res.Existing) != 3 {
				t.Fatalf("second Ensure = %+v", res)
			}
			subs := r.srv.Subscriptions()
			if len(subs) != 3 {
				t.Fatalf("the emulator has %d subscriptions: %+v", len(subs), subs)
			}
			for i, s := range subs {
				if s.EventType != EventTypes[i] || s.UserID != r.me.ID || s.Tag != Tag || s.WebhookID != "" || s.ID != res.Existing[i].ID {
					t.Errorf("subscription %+v, listed %+v", s, res.Existing[i])
				}
			}
			// Created in the account's user context, listed with the
			// bearer token.
			creates := 0
			for _, req := range r.srv.Requests() {
				if req.Endpoint == "POST 2/activity/subscriptions" {
					creates++
				}
			}
			if creates != 3 {
				t.Errorf("%d POST activity/subscriptions, want 3", creates)
			}
		})
	}
}

func TestEnsureMissingOnly(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	// One exists, made by someone else; another with another tag is not
	// the bot's.
	if _, _, err := r.c.create(context.Background(), TypeReply, r.me.ID, ""); err != nil {
		t.Fatal(err)
	}
	res := r.ensure("")
	if len(res.Created) != 2 || len(res.Existing) != 1 || res.Existing[0].EventType != TypeReply {
		t.Errorf("Ensure = %+v", res)
	}
}

// dupTransport sends every POST twice, the first answer thrown away, as
// when another process creates the subscription between the list and
// the creation.
type dupTransport struct{ inner http.RoundTripper }

func (d dupTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost {
		body, _ := req.GetBody()
		first := req.Clone(req.Context())
		first.Body = body
		resp, err := d.inner.RoundTrip(first)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		req.Body, _ = req.GetBody()
	}
	return d.inner.RoundTrip(req)
}

func TestEnsureConflictMeansExists(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	oauth := twitterv2.OAuth1Client(testConsumer, testSecret, testToken, testTokenSec, nil)
	c, err := New(Config{BaseURL: r.srv.URLv2(), BearerToken: testBearer,
		UserClient: &http.Client{Transport: dupTransport{oauth.Transport}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Ensure(context.Background(), r.me.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 3 || len(res.Created) != 0 || len(r.srv.Subscriptions()) != 3 {
		t.Errorf("Ensure = %+v; subscriptions %+v", res, r.srv.Subscriptions())
	}
}

func TestEnsureRefused(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusUnauthorized} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			r := newRig(t, twitteremu.Options{Push: twitteremu.PushOptions{RefuseSubscriptions: status}})
			_, err := r.c.Ensure(context.Background(), r.me.ID, "")
			var re *RefusedError
			if !errors.Is(err, ErrRefused) || !errors.As(err, &re) || re.Status != status || re.Reason == "" {
				t.Fatalf("Ensure: %v (%#v)", err, err)
			}
			if status == http.StatusForbidden && !strings.Contains(re.Reason, "client-not-enrolled") {
				t.Errorf("reason %q lacks X's", re.Reason)
			}
			if len(r.srv.Subscriptions()) != 0 {
				t.Errorf("subscriptions made: %+v", r.srv.Subscriptions())
			}
			// Accepted again: made at the next start.
			r.srv.SetRefuseSubscriptions(0)
			if res := r.ensure(""); len(res.Created) != 3 {
				t.Errorf("Ensure after = %+v", res)
			}
		})
	}
}

func TestEnsureBadBearerRefusedWithoutToken(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	c := r.client("wrong-" + testBearer)
	defer c.Close()
	_, err := c.Ensure(context.Background(), r.me.ID, "")
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("Ensure with a wrong bearer: %v", err)
	}
	if strings.Contains(err.Error(), testBearer) || strings.Contains(err.Error(), "AAAA") {
		t.Errorf("the error holds the token: %v", err)
	}
	// No user context: an error, not a call.
	c2, err := New(Config{BaseURL: r.srv.URLv2(), BearerToken: testBearer})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Ensure(context.Background(), r.me.ID, ""); err == nil || errors.Is(err, ErrRefused) {
		t.Errorf("Ensure without a user client: %v", err)
	}
	if _, err := New(Config{BaseURL: r.srv.URLv2()}); err == nil {
		t.Error("New without a bearer token")
	}
	if _, err := New(Config{BaseURL: "api.x.com", BearerToken: testBearer}); err == nil {
		t.Error("New with a relative base URL")
	}
}

func TestEnsureWebhookReplacesStreamSubscriptions(t *testing.T) {
	r := newRig(t, twitteremu.Options{})
	r.ensure("")
	wh := newWebhookRig(t, r)
	info, err := r.c.Register(context.Background(), wh.url)
	if err != nil {
		t.Fatal(err)
	}
	res := r.ensure(info.ID)
	if len(res.Replaced) != 3 || len(res.Created) != 3 {
		t.Fatalf("Ensure(webhook) = %+v", res)
	}
	for _, s := range r.srv.Subscriptions() {
		if s.WebhookID != info.ID {
			t.Errorf("subscription %+v not tied to the webhook", s)
		}
	}
	if res := r.ensure(info.ID); len(res.Existing) != 3 || len(res.Created)+len(res.Replaced) != 0 {
		t.Errorf("Ensure(webhook) again = %+v", res)
	}
	// Stream mode takes subscriptions tied to a webhook as they are.
	if res := r.ensure(""); len(res.Existing) != 3 {
		t.Errorf("Ensure(stream) after = %+v", res)
	}
}
