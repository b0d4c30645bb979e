package messages

import (
	"fmt"
	"reflect"
	"strings"
	"text/template"
)

// Overrides maps a kind to the template text that replaces its default.
type Overrides map[Kind]string

// TemplateError is a problem with one template: Offer is empty for a global
// one. The configuration maps it back to the line it came from.
type TemplateError struct {
	Offer string
	Kind  Kind
	Err   error
}

func (e *TemplateError) Error() string {
	where := "templates." + string(e.Kind)
	if e.Offer != "" {
		where = "offer " + e.Offer + ": " + where
	}
	return where + ": " + e.Err.Error()
}

func (e *TemplateError) Unwrap() error { return e.Err }

// Set is a compiled set of templates: the defaults, the global overrides and
// the per-offer overrides. It is immutable once built, so a reload swaps a
// whole Set and a message in progress never sees half of a change.
type Set struct {
	global map[Kind]*template.Template
	offers map[string]map[Kind]*template.Template
}

// Build compiles the defaults with the given overrides. It returns every
// problem found, each a *TemplateError; the Set is nil when there are any.
func Build(global Overrides, perOffer map[string]Overrides) (*Set, []error) {
	s := &Set{global: map[Kind]*template.Template{}, offers: map[string]map[Kind]*template.Template{}}
	var errs []error
	for _, k := range AllKinds() {
		text := specs[k].text
		if o, ok := global[k]; ok {
			text = o
		}
		t, err := Parse(k, text)
		if err != nil {
			errs = append(errs, &TemplateError{Kind: k, Err: err})
			continue
		}
		s.global[k] = t
	}
	for k := range global {
		if !Known(k) {
			errs = append(errs, &TemplateError{Kind: k, Err: fmt.Errorf("unknown message kind (known: %s)", kindList())})
		}
	}
	for offer, ov := range perOffer {
		for k, text := range ov {
			if !Known(k) {
				errs = append(errs, &TemplateError{Offer: offer, Kind: k, Err: fmt.Errorf("unknown message kind (known: %s)", kindList())})
				continue
			}
			if !hasOffer(specs[k].data) {
				errs = append(errs, &TemplateError{Offer: offer, Kind: k, Err: fmt.Errorf("this message is not about one offer: set it in the global templates")})
				continue
			}
			t, err := Parse(k, text)
			if err != nil {
				errs = append(errs, &TemplateError{Offer: offer, Kind: k, Err: err})
				continue
			}
			if s.offers[offer] == nil {
				s.offers[offer] = map[Kind]*template.Template{}
			}
			s.offers[offer][k] = t
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// Defaults returns the Set of built-in templates.
func Defaults() *Set {
	s, errs := Build(nil, nil)
	if len(errs) > 0 {
		panic(fmt.Sprintf("messages: built-in templates do not compile: %v", errs))
	}
	return s
}

// Render executes the template of kind k for the offer (per-offer override
// first, then the global one) with data, which must be the kind's data type.
// It returns an error for a wrong data type or a failed execution.
func (s *Set) Render(k Kind, offerID string, data any) (string, error) {
	sp, ok := specs[k]
	if !ok {
		return "", fmt.Errorf("render: unknown message kind %q", k)
	}
	if reflect.TypeOf(data) != sp.data {
		return "", fmt.Errorf("render %s: data is %T, want %s", k, data, sp.data)
	}
	t := s.global[k]
	if ot, ok := s.offers[offerID][k]; ok {
		t = ot
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render %s: %w", k, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// ReplyText puts the "@screen_name " that a reply tweet starts with in
// front of a rendered body.
func ReplyText(screenName, body string) string {
	return "@" + screenName + " " + body
}

func kindList() string {
	var names []string
	for _, k := range AllKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}
