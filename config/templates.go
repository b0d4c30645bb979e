package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/paybytweet/paybytweet/messages"
)

// templates decodes a map of message kind to template text. where names it
// in messages ("templates", "offer x: templates"); nodes records where each
// kind was written, for the checks made once everything is decoded.
func (p *parser) templates(where, name string, n *yaml.Node, nodes map[messages.Kind]*yaml.Node) messages.Overrides {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "%s must be a map of message kind to template text, not a %s", where, kindName(n))
		return nil
	}
	var kinds []string
	for _, k := range messages.AllKinds() {
		kinds = append(kinds, string(k))
	}
	out := messages.Overrides{}
	seen := map[string]*yaml.Node{}
	for _, kv := range p.pairs(n, where) {
		k := kv.key.Value
		if first, dup := seen[k]; dup {
			p.add(kv.key, "duplicate key %q in %s (first at line %d)", k, where, first.Line)
			continue
		}
		seen[k] = kv.key
		if !messages.Known(messages.Kind(k)) {
			if s := suggest(k, kinds); s != "" {
				p.add(kv.key, "unknown message kind %q in %s (did you mean %q?)", k, where, s)
			} else {
				p.add(kv.key, "unknown message kind %q in %s (known: %s)", k, where, strings.Join(kinds, ", "))
			}
			continue
		}
		v := deref(kv.val)
		var text string
		if _, ok := p.text(join(name, k), v, &text, true); ok {
			out[messages.Kind(k)] = text
			nodes[messages.Kind(k)] = v
		}
	}
	return out
}

// compileTemplates builds the message set and checks every template against
// the longest values it can be given, mapping each problem back to the
// line the template (or, for a built-in one, the offer) was written on.
func (p *parser) compileTemplates(c *Config, root *yaml.Node) {
	global, perOffer := c.Templates, perOfferTemplates(c.Offers)
	set, errs := messages.Build(global, perOffer)
	for _, err := range errs {
		var te *messages.TemplateError
		if !errors.As(err, &te) {
			p.add(root, "templates: %s", err)
			continue
		}
		p.templateError(te)
		// Drop the broken template, so that the length check below still
		// runs on the others: every problem in one go.
		if te.Offer == "" {
			global = without(global, te.Kind)
		} else {
			perOffer[te.Offer] = without(perOffer[te.Offer], te.Kind)
		}
	}
	if len(errs) > 0 {
		if set, errs = messages.Build(global, perOffer); len(errs) > 0 {
			return
		}
	}
	p.checkLengths(c, set)
	c.set = set
}

func without(o messages.Overrides, k messages.Kind) messages.Overrides {
	out := messages.Overrides{}
	for kk, v := range o {
		if kk != k {
			out[kk] = v
		}
	}
	return out
}

// templatePos finds text/template's positions ("template: receipt:2:
// unexpected ...", "started at receipt:2") so that the problem can point
// into a block scalar.
var (
	templatePrefix = regexp.MustCompile(`^template: [^:]*:(\d+):(?:\d+:)? ?`)
	templateRef    = regexp.MustCompile(`\b[a-z_]+:(\d+)\b`)
)

func (p *parser) templateError(te *messages.TemplateError) {
	n := p.templateNode(te.Offer, te.Kind)
	where := "templates." + string(te.Kind)
	if te.Offer != "" {
		where = "offer " + te.Offer + ": " + where
	}
	msg := te.Err.Error()
	line := 0
	if m := templatePrefix.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	if n == nil {
		p.add(nil, "%s: %s", where, msg)
		return
	}
	// In a literal block ("|") the template's line N is the file's line
	// N after the indicator; elsewhere lines are folded away, and the
	// scalar's own line is the best there is.
	if n.Style != yaml.LiteralStyle {
		p.add(n, "%s: %s", where, msg)
		return
	}
	last := n.Line + strings.Count(strings.TrimSuffix(n.Value, "\n"), "\n") + 1
	fileLine := func(l int) int { return min(n.Line+l, last) }
	msg = templateRef.ReplaceAllStringFunc(msg, func(ref string) string {
		if name, num, _ := strings.Cut(ref, ":"); name == string(te.Kind) {
			l, _ := strconv.Atoi(num)
			return "line " + strconv.Itoa(fileLine(l))
		}
		return ref
	})
	if line == 0 {
		p.add(n, "%s: %s", where, msg)
		return
	}
	p.addAt(fileLine(line), p.indent(fileLine(line)), "%s: %s", where, msg)
}

// templateNode is where the template of kind k for offer (or the global
// one, for "") was written; nil for a built-in one.
func (p *parser) templateNode(offer string, k messages.Kind) *yaml.Node {
	if offer == "" {
		return p.globalTemplates[k]
	}
	return p.offerTemplates[offer][k]
}

// checkLengths reports each template that can render too long for a tweet
// or a direct message. A built-in template is too long because of what the
// configuration puts in it (a long title, say), so the problem goes to each
// offer that makes it so.
func (p *parser) checkLengths(c *Config, set *messages.Set) {
	all := make([]messages.Offer, len(c.Offers))
	for i, o := range c.Offers {
		all[i] = messageOffer(o)
	}
	sample := sampleOf(c)
	var alone [][]error // per offer, rendered without the others; made when needed
	type culprit struct {
		offer   int
		channel string
	}
	culprits := map[culprit][]*messages.LengthError{}
	var order []culprit
	for _, err := range set.CheckLengths(all, sample) {
		var le *messages.LengthError
		if !errors.As(err, &le) {
			p.renderError(err)
			continue
		}
		if n := p.templateNode(le.Offer, le.Kind); n != nil {
			p.add(n, "%s", le.Error())
			continue
		}
		if alone == nil {
			alone = checkEachAlone(set, all, sample)
		}
		found := false
		_, aboutOffer := messages.DataType(le.Kind).FieldByName("Offer")
		for i, errs := range alone {
			if mine := sameProblem(errs, le); aboutOffer && mine != nil {
				found = true
				key := culprit{i, le.Channel}
				if culprits[key] == nil {
					order = append(order, key)
				}
				culprits[key] = append(culprits[key], mine)
			}
		}
		if !found {
			p.builtinTooLong(le)
		}
	}
	// One problem per offer and channel: a long title makes many built-in
	// texts too long at once, and one line saying so is clearer than ten.
	for _, key := range order {
		i, les := key.offer, culprits[key]
		var kinds []string
		for _, le := range les {
			kinds = append(kinds, fmt.Sprintf("%s (%d)", le.Kind, le.Length))
		}
		p.add(p.offers[i].node, "%s: with this offer the built-in templates %s can be longer than the %d characters a %s allows with the longest values (shorten the title, or set those templates)",
			p.offers[i].label, strings.Join(kinds, ", "), les[0].Max, les[0].Channel)
	}
}

// renderError reports a problem of the length check other than a length:
// a template that fails to render is pointed at where it was written.
func (p *parser) renderError(err error) {
	var te *messages.TemplateError
	if errors.As(err, &te) {
		p.templateError(te)
	} else {
		p.add(nil, "templates: %s", err)
	}
}

// checkEachAlone runs the length check on each offer without the others,
// so that a built-in template's problem can be traced to the offers causing it.
func checkEachAlone(set *messages.Set, all []messages.Offer, sample messages.Sample) [][]error {
	alone := make([][]error, len(all))
	for i := range all {
		alone[i] = set.CheckLengths(all[i:i+1], sample)
	}
	return alone
}

// builtinTooLong reports a built-in template too long that no one offer
// makes so, at the templates: key, or at offers: when there is none.
func (p *parser) builtinTooLong(le *messages.LengthError) {
	at := p.templatesKey
	if at == nil {
		at = p.offersKey
	}
	p.add(at, "the built-in templates.%s is too long: %s (set templates.%s)", le.Kind, lengthText(le), le.Kind)
}

// sameProblem returns the length problem in errs of the same template and
// channel as le, or nil.
func sameProblem(errs []error, le *messages.LengthError) *messages.LengthError {
	for _, err := range errs {
		var e *messages.LengthError
		if errors.As(err, &e) && e.Offer == le.Offer && e.Kind == le.Kind && e.Channel == le.Channel {
			return e
		}
	}
	return nil
}

func lengthText(le *messages.LengthError) string {
	return fmt.Sprintf("a %s can be %d characters long with the longest values, more than the %d allowed", le.Channel, le.Length, le.Max)
}

// sampleOf gives the length check the facts that come from configuration.
func sampleOf(c *Config) messages.Sample {
	s := messages.Sample{
		EnrollURL:  c.Issuer.EnrollURL,
		Window:     c.Confirmation.Window,
		Limits:     map[string]int{},
		Quantities: map[string]string{},
	}
	for _, o := range c.Offers {
		s.Limits[o.ID] = o.PerUserLimit
		if o.Quantity != nil {
			s.Quantities[o.ID] = strconv.FormatInt(*o.Quantity, 10)
		}
	}
	return s
}
