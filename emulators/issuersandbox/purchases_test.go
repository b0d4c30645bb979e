package issuersandbox_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
)

func TestEnrollmentLookup(t *testing.T) {
	e := newEnv(t)
	a := e.must("GET", "v1/enrollments/twitter/783214", "")
	want := `{"twitter_user_id":"783214","cardholder":"chd_7Hq2","card_last4":"1005","card_brand":"amex","status":"active","enrolled_at":"2026-11-20T10:00:00Z"}`
	if a.status != 200 || string(a.body) != want {
		t.Fatalf("got %d %s, want 200 %s", a.status, a.body, want)
	}
	if err := e.sb.SetEnrollmentStatus(testTwitterID, issuersandbox.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if got := e.must("GET", "v1/enrollments/twitter/783214", "").json(t)["status"]; got != "suspended" {
		t.Fatalf("status %v after suspension", got)
	}
	if err := e.sb.SetEnrollmentStatus("999", issuersandbox.StatusActive); err == nil {
		t.Error("SetEnrollmentStatus of an unknown account succeeded")
	}
	if err := e.sb.SetEnrollmentStatus(testTwitterID, "frozen"); err == nil {
		t.Error("SetEnrollmentStatus to an unknown status succeeded")
	}
}

func TestEnrollDefaults(t *testing.T) {
	e := newEnv(t)
	e.sb.Enroll(issuersandbox.Enrollment{TwitterUserID: "42", CardLast4: "4242"})
	m := e.must("GET", "v1/enrollments/twitter/42", "").json(t)
	if m["status"] != "active" || m["cardholder"] == "" || m["enrolled_at"] != "2026-11-26T18:03:11Z" {
		t.Fatalf("defaults not applied: %v", m)
	}
}

func TestPurchaseApproved(t *testing.T) {
	e := newEnv(t)
	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("key-1"))
	if a.status != 201 || a.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("got %d %s replayed=%q", a.status, a.body, a.header.Get("Idempotent-Replayed"))
	}
	m := a.json(t)
	id, _ := m["id"].(string)
	if len(id) < 5 || id[:4] != "pur_" {
		t.Fatalf("id %q", id)
	}
	want := map[string]any{
		"id": id, "status": "approved", "cardholder": "chd_7Hq2", "merchant": "mer_amazon",
		"amount": json.Number("19900"), "currency": "USD", "description": "Kindle Fire HD", "reference": "ord_1",
		"metadata": map[string]any{"offer": "kindle-fire-hd", "twitter_user_id": "783214"},
		"created":  "2026-11-26T18:03:11Z", "refunded_amount": json.Number("0"),
	}
	var got map[string]any
	dec := json.NewDecoder(bytesReader(a.body))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("purchase\n got %v\nwant %v", got, want)
	}
	ps := e.sb.Purchases()
	if len(ps) != 1 || ps[0].ID != id || ps[0].IdempotencyKey != "key-1" || ps[0].Metadata["offer"] != "kindle-fire-hd" ||
		!ps[0].Created.Equal(time.Date(2026, 11, 26, 18, 3, 11, 0, time.UTC)) {
		t.Fatalf("Purchases() = %+v", ps)
	}
	g := e.must("GET", "v1/purchases/"+id, "")
	if g.status != 200 || string(g.body) != string(a.body) {
		t.Fatalf("GET by id: %d %s, want %s", g.status, g.body, a.body)
	}
}

func TestPurchaseWithoutMetadata(t *testing.T) {
	e := newEnv(t)
	a := e.must("POST", "v1/purchases", `{"cardholder":"chd_7Hq2","merchant":"m","amount":1,"currency":"JPY","reference":"r"}`,
		idem("k"), header("Content-Type", "application/json; charset=UTF-8"))
	if a.status != 201 {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	if md, ok := a.json(t)["metadata"].(map[string]any); !ok || len(md) != 0 {
		t.Fatalf("metadata %v, want {}", a.json(t)["metadata"])
	}
}

func TestSuspendedEnrollmentDeclinesDoNotHonor(t *testing.T) {
	e := newEnv(t)
	if err := e.sb.SetEnrollmentStatus(testTwitterID, issuersandbox.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k"))
	got := a.apiError(t).Error
	if a.status != 402 || got.Code != "card_declined" || got.DeclineCode != "do_not_honor" || got.Purchase["decline_code"] != "do_not_honor" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	ps := e.sb.Purchases()
	if len(ps) != 1 || ps[0].Status != issuersandbox.StatusDeclined || ps[0].DeclineCode != "do_not_honor" {
		t.Fatalf("Purchases() = %+v", ps)
	}
}

func TestDeclineCardClears(t *testing.T) {
	e := newEnv(t)
	e.sb.DeclineCard(testCardholder, "card_expired")
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_1"), idem("k1")); a.status != 402 {
		t.Fatalf("got %d, want 402", a.status)
	}
	e.sb.DeclineCard(testCardholder, "")
	if a := e.must("POST", "v1/purchases", purchaseBody("ord_2"), idem("k2")); a.status != 201 {
		t.Fatalf("got %d, want 201 once cleared", a.status)
	}
}

func TestLookupByReference(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i, k := range []string{"k1", "k2", "k3"} {
		if i == 1 {
			e.sb.DeclineCard(testCardholder, "limit_exceeded")
		} else {
			e.sb.DeclineCard(testCardholder, "")
		}
		a := e.must("POST", "v1/purchases", purchaseBody("ord_same"), idem(k))
		m := a.json(t)
		if a.status == 402 {
			m = a.apiError(t).Error.Purchase
		}
		// The clock is frozen: all three share a timestamp, and the order
		// must still be newest first.
		ids = append(ids, m["id"].(string))
	}
	e.must("POST", "v1/purchases", purchaseBody("ord_other"), idem("k4"))

	a := e.must("GET", "v1/purchases?reference=ord_same", "")
	var list struct {
		Data []struct {
			ID, Status, Reference string
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &list); err != nil || a.status != 200 {
		t.Fatalf("got %d %s (%v)", a.status, a.body, err)
	}
	var got []string
	for _, p := range list.Data {
		got = append(got, p.ID)
	}
	want := []string{ids[2], ids[1], ids[0]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("lookup order %v, want newest first %v", got, want)
	}
	if list.Data[1].Status != "declined" {
		t.Errorf("declined purchase listed as %q", list.Data[1].Status)
	}

	empty := e.must("GET", "v1/purchases?reference=ord_none", "")
	if empty.status != 200 || string(empty.body) != `{"data":[]}` {
		t.Fatalf("empty lookup: %d %s", empty.status, empty.body)
	}
	if r := e.sb.Requests(); r[len(r)-1].Query != "reference=ord_none" {
		t.Errorf("recorded query %q", r[len(r)-1].Query)
	}
}
