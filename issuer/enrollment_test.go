package issuer_test

import (
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/issuer"
)

func TestEnrollment(t *testing.T) {
	e := newEnv(t)
	got, err := e.c.Enrollment(e.ctx, testTwitterID)
	if err != nil {
		t.Fatal(err)
	}
	want := issuer.Enrollment{
		TwitterUserID: "783214", Cardholder: testCardholder, CardLast4: "1005", CardBrand: "amex",
		Status: "active", EnrolledAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
	}
	if got != want || !got.Active() {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	if err := e.sb.SetEnrollmentStatus("783214", issuersandbox.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	got, err = e.c.Enrollment(e.ctx, testTwitterID)
	if err != nil || got.Active() || got.Status != issuer.EnrollmentSuspended {
		t.Fatalf("suspended: %+v, %v", got, err)
	}
}

func TestEnrollmentNotEnrolled(t *testing.T) {
	e := newEnv(t)
	_, err := e.c.Enrollment(e.ctx, 12)
	ae := apiErr(t, err)
	if ae.Status != 404 || ae.Code != issuer.CodeNotEnrolled || ae.Type != "invalid_request" {
		t.Fatalf("got %+v", ae)
	}
	wantKind(t, err, issuer.Final)
}

func TestEnrollmentBadID(t *testing.T) {
	e := newEnv(t)
	_, err := e.c.Enrollment(e.ctx, 0)
	if apiErr(t, err).Code != issuer.CodeInvalidArgument {
		t.Fatalf("got %v", err)
	}
	wantKind(t, err, issuer.Bug)
	if n := len(e.sb.Requests()); n != 0 {
		t.Fatalf("a refused argument sent %d requests", n)
	}
}
