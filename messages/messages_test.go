package messages

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/twittertext"
)

func TestDefaultsCompileAndRender(t *testing.T) {
	s := Defaults()
	offers := []Offer{{ID: "k", Title: "Kindle Fire HD", BuyHashtag: "#BuyKindleFireHD", ConfirmHashtag: "#ConfirmKindleFireHD", Price: "199.00 USD"}}
	if errs := s.CheckLengths(offers, Sample{EnrollURL: "https://issuer.example/link", Window: 15 * time.Minute}); len(errs) > 0 {
		t.Fatalf("defaults too long: %v", errs)
	}
	got, err := s.Render(ConfirmRequest, "k", Request{ScreenName: "alice", Offer: offers[0], OrderID: "ord_1", Amount: "199.00 USD", Last4: "1005", TimeLeft: "15 min"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Kindle Fire HD", "199.00 USD", "1005", "#ConfirmKindleFireHD", "15 min", "ord_1"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if _, err := s.Render(ConfirmRequest, "k", Pointer{}); err == nil {
		t.Errorf("Render accepted the wrong data type")
	}
}

func TestParseRejectsUnknownFields(t *testing.T) {
	tests := []struct {
		kind Kind
		text string
		ok   bool
	}{
		{ConfirmRequest, "{{.Offer.Title}} {{.Last4}}", true},
		{ConfirmRequest, "{{.Offer.Titel}}", false},
		{RequestPointer, "{{.Last4}}", false}, // the public pointer has no card digits to show
		{Orders, "{{range .Orders}}{{.OrderID}} {{.Status}}{{end}}", true},
		{Orders, "{{range .Orders}}{{.Price}}{{end}}", false},
		{Help, "{{range $i, $o := .Offers}}{{$o.Title}}{{end}}", true},
		{Help, "{{with .Offers}}{{len .}}{{end}} {{$.ScreenName}}", true},
		{Help, "{{$.Nope}}", false},
		{Receipt, "{{if .DM}}{{.Last4}}{{else}}{{.Missing}}{{end}}", false}, // every branch is checked
		{Receipt, "{{.Offer.Title", false},
		{Kind("nonsense"), "hi", false},
	}
	for _, tt := range tests {
		_, err := Parse(tt.kind, tt.text)
		if (err == nil) != tt.ok {
			t.Errorf("Parse(%s, %q) = %v, want ok=%v", tt.kind, tt.text, err, tt.ok)
		}
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	_, errs := Build(Overrides{Receipt: "{{.Nope}}", "recept": "x"}, map[string]Overrides{"k": {Help: "x", Declined: "{{"}})
	if len(errs) != 4 {
		t.Fatalf("errors = %v, want 4", errs)
	}
	var te *TemplateError
	for _, e := range errs {
		if !errors.As(e, &te) {
			t.Errorf("%v is not a *TemplateError", e)
		}
	}
}

func TestPerOfferOverrideWins(t *testing.T) {
	s, errs := Build(Overrides{Receipt: "global {{.OrderID}}"}, map[string]Overrides{"k": {Receipt: "offer {{.OrderID}}"}})
	if errs != nil {
		t.Fatal(errs)
	}
	a, _ := s.Render(Receipt, "k", ReceiptData{OrderID: "1"})
	b, _ := s.Render(Receipt, "other", ReceiptData{OrderID: "2"})
	if a != "offer 1" || b != "global 2" {
		t.Errorf("got %q and %q", a, b)
	}
}

func TestCheckLengths(t *testing.T) {
	long := Offer{ID: "k", Title: strings.Repeat("Long title ", 20), BuyHashtag: "#B", ConfirmHashtag: "#C", Price: "1.00 USD"}
	errs := Defaults().CheckLengths([]Offer{long}, Sample{Window: 15 * time.Minute})
	if len(errs) == 0 {
		t.Fatal("a 220-character title fits in every tweet?")
	}
	var le *LengthError
	if !errors.As(errs[0], &le) || le.Channel != "tweet" || le.Length <= twittertext.MaxTweetLength || le.Offer != "" {
		t.Errorf("first error = %#v", errs[0])
	}
	s, _ := Build(nil, map[string]Overrides{"k": {Receipt: strings.Repeat("x", 270) + " {{.OrderID}}"}})
	errs = s.CheckLengths([]Offer{{ID: "k", Title: "T", BuyHashtag: "#B", ConfirmHashtag: "#C", Price: "1.00 USD"}}, Sample{Window: time.Minute})
	if len(errs) != 1 || !errors.As(errs[0], &le) || le.Offer != "k" || le.Kind != Receipt {
		t.Errorf("errors = %v; want the offer's receipt override", errs)
	}
}

func TestFitAndFormat(t *testing.T) {
	if got := Fit(strings.Repeat("a", 300), 280); twittertext.WeightedLength(got) > 280 || !strings.HasSuffix(got, "…") {
		t.Errorf("Fit = %d chars", twittertext.WeightedLength(got))
	}
	if got := Fit("short", 280); got != "short" {
		t.Errorf("Fit changed a short text: %q", got)
	}
	for d, want := range map[time.Duration]string{15 * time.Minute: "15 min", 14*time.Minute + time.Second: "15 min", 10 * time.Second: "1 min", 0: "1 min", 90 * time.Minute: "1 h 30 min", 2 * time.Hour: "2 h"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
