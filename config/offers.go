package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/paybytweet/paybytweet/messages"
	"github.com/paybytweet/paybytweet/money"
)

// offerID is what an id may look like: it ends up in logs, order records
// and metrics labels, where anything else would need quoting.
var offerID = regexp.MustCompile(`^[a-z0-9-]+$`)

// offerList decodes the offers. None at all is valid: the bot then answers
// every buy hashtag as unknown, and Summary says so.
func (p *parser) offerList(n *yaml.Node, c *Config) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n, "offers must be a list of offers (each starting with \"- id:\"), not a %s", kindName(n))
		return
	}
	for i, item := range n.Content {
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			p.add(item, "offer #%d must be a map of keys (id:, title:, ...), not a %s", i+1, kindName(item))
			continue
		}
		o, nodes := p.offer(i, item)
		c.Offers = append(c.Offers, o)
		p.offers = append(p.offers, nodes)
	}
}

// offer decodes one offer. Its id is read first, so that every message
// about the offer can name it whatever order the keys are in.
func (p *parser) offer(i int, n *yaml.Node) (Offer, offerNodes) {
	o := Offer{PerUserLimit: 1, Line: n.Line}
	nodes := offerNodes{node: n, label: fmt.Sprintf("offer #%d", i+1)}
	path := fmt.Sprintf("offers.#%d", i+1)
	id := writtenOfferID(n)
	if id != "" {
		nodes.label = "offer " + id
		path = "offers." + id
	}
	label := nodes.label
	// Messages name a key as "offer x: key"; markEnvUnder turns what was
	// recorded under those names into the dotted paths Diff looks up.
	at := func(key string) string { return label + ": " + key }
	var priceNode, announceNode, startsNode, endsNode *yaml.Node
	var currency scalar
	p.fields(n, "offer", label+": ", n, []field{
		{name: "id", required: true, decode: func(_, v *yaml.Node) {
			nodes.id = v
			p.decodeOfferID(label, at("id"), v, &o.ID)
		}},
		{name: "title", required: true, decode: func(_, v *yaml.Node) {
			p.text(at("title"), v, &o.Title, true)
		}},
		{name: "buy_hashtag", required: true, decode: func(_, v *yaml.Node) {
			nodes.buy = v
			p.hashtag(at("buy_hashtag"), v, &o.BuyHashtag)
		}},
		{name: "confirm_hashtag", required: true, decode: func(_, v *yaml.Node) {
			nodes.confirm = v
			p.hashtag(at("confirm_hashtag"), v, &o.ConfirmHashtag)
		}},
		{name: "price", required: true, decode: func(_, v *yaml.Node) { priceNode = v }},
		{name: "currency", required: true, decode: func(_, v *yaml.Node) {
			if s, ok := p.decodeCurrency(label, at("currency"), v, &o.Currency); ok {
				currency = s
			}
		}},
		{name: "merchant", required: true, decode: func(_, v *yaml.Node) {
			p.text(at("merchant"), v, &o.Merchant, true)
		}},
		{name: "quantity", decode: func(_, v *yaml.Node) {
			if isNull(v) {
				return // written but empty: unlimited, as when left out
			}
			if q, ok := p.integer(at("quantity"), v, 0); ok {
				o.Quantity = &q
			}
		}},
		{name: "per_user_limit", decode: func(_, v *yaml.Node) {
			if !isNull(v) {
				p.count(at("per_user_limit"), v, &o.PerUserLimit)
			}
		}},
		{name: "starts", decode: func(_, v *yaml.Node) {
			if !isNull(v) {
				startsNode = v
				o.Starts, _ = p.timestamp(at("starts"), v)
			}
		}},
		{name: "ends", decode: func(_, v *yaml.Node) {
			if !isNull(v) {
				endsNode = v
				o.Ends, _ = p.timestamp(at("ends"), v)
			}
		}},
		{name: "announce", decode: func(_, v *yaml.Node) { announceNode = v }},
		{name: "templates", decode: func(_, v *yaml.Node) {
			nodesByKind := map[messages.Kind]*yaml.Node{}
			if _, dup := p.offerTemplates[id]; id != "" && !dup {
				p.offerTemplates[id] = nodesByKind
			}
			o.Templates = p.templates(label+": templates", at("templates"), v, nodesByKind)
		}},
	})
	// Price and announce depend on other keys, so they are read once all
	// keys are in, whatever order the admin wrote them in.
	if priceNode != nil {
		p.price(label, at("price"), priceNode, o.Currency, currency, &o.Price)
	}
	p.checkOfferWindow(label, o, startsNode, endsNode)
	if announceNode != nil {
		o.AnnounceAt = p.announce(label, at("announce"), announceNode, o)
	}
	p.markEnvUnder(label, path)
	return o, nodes
}

// writtenOfferID is the offer's id if one is written and well-formed, ""
// otherwise: a plain look at the keys, since fields reports what is wrong
// with them, once.
func writtenOfferID(n *yaml.Node) string {
	for j := 0; j+1 < len(n.Content); j += 2 {
		v := deref(n.Content[j+1])
		if n.Content[j].Value == "id" && v.Kind == yaml.ScalarNode && offerID.MatchString(v.Value) {
			return v.Value
		}
	}
	return ""
}

// decodeOfferID reads the offer's id into dst, refusing one that could not
// go into logs and metrics labels unquoted.
func (p *parser) decodeOfferID(label, path string, v *yaml.Node, dst *string) {
	var got string
	s, ok := p.text(path, v, &got, true)
	if !ok {
		return
	}
	if !offerID.MatchString(got) {
		p.add(v, "%s: id %s must be lower-case letters, digits and '-' only", label, s.show())
		return
	}
	*dst = got
}

// decodeCurrency reads the offer's currency code into dst if it is a known
// ISO 4217 one; it returns the value as written, and false if it was no
// usable text, for price's messages.
func (p *parser) decodeCurrency(label, path string, v *yaml.Node, dst *string) (scalar, bool) {
	var code string
	s, ok := p.text(path, v, &code, true)
	if !ok {
		return s, false
	}
	if _, known := money.Exponent(code); !known {
		if _, upper := money.Exponent(strings.ToUpper(code)); upper && !s.env {
			p.add(v, "%s: currency %s must be upper case (did you mean %q?)", label, s.show(), strings.ToUpper(code))
		} else {
			p.add(v, "%s: currency %s is not an ISO 4217 currency code such as USD", label, s.show())
		}
		return s, true
	}
	*dst = code
	return s, true
}

// checkOfferWindow reports an offer whose ends is not after its starts,
// when both were read.
func (p *parser) checkOfferWindow(label string, o Offer, startsNode, endsNode *yaml.Node) {
	if !o.Starts.IsZero() && !o.Ends.IsZero() && !o.Ends.After(o.Starts) {
		p.add(endsNode, "%s: ends %s must be after starts %s (line %d)", label, strconv.Quote(endsNode.Value), strconv.Quote(startsNode.Value), startsNode.Line)
	}
}

// markEnvUnder re-keys what scalar recorded under "offer x: key" to
// "offers.x.key", the path Diff looks up.
func (p *parser) markEnvUnder(label, path string) {
	prefix := label + ": "
	for k := range p.fromEnv {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			p.fromEnv[path+"."+rest] = true
			delete(p.fromEnv, k)
		}
	}
}

// price reads the number as written, never as a float: "199.10" must stay
// 19910 cents, and a YAML float would also lose "199.00"'s decimals, which
// are checked against the currency.
func (p *parser) price(label, path string, n *yaml.Node, code string, currency scalar, dst *int64) {
	s, ok := p.scalar(path, n, "a decimal number")
	if !ok {
		if isNull(n) {
			p.add(n, "%s must not be empty", path)
		}
		return
	}
	if strings.TrimSpace(s.text) == "" {
		p.add(n, "%s must not be empty", path)
		return
	}
	if code == "" {
		return // the currency's own problem is reported; decimals cannot be checked
	}
	amount, err := money.Parse(strings.TrimSpace(s.text), code)
	if err != nil {
		// money says `amount "1.999" has 3 decimals, but USD allows 2`.
		msg := strings.TrimPrefix(s.hide(err.Error()), "amount ")
		if currency.env {
			msg = strings.ReplaceAll(msg, code, currency.n.Value)
		}
		p.add(n, "%s: price %s", label, msg)
		return
	}
	if amount <= 0 {
		// The issuer refuses a purchase of nothing: every order would fail.
		p.add(n, "%s: price %s must be more than 0", label, s.show())
		return
	}
	*dst = amount
}

// announce reads true, false or an RFC 3339 time. true means when the offer
// opens: at starts, or at once for an offer without one.
func (p *parser) announce(label, path string, n *yaml.Node, o Offer) time.Time {
	if isNull(n) {
		return time.Time{}
	}
	s, ok := p.scalar(path, n, "true, false or a time")
	if !ok {
		return time.Time{}
	}
	switch v := strings.TrimSpace(s.text); v {
	case "false":
		return time.Time{}
	case "true":
		if o.Starts.IsZero() {
			return AnnounceOnLoad()
		}
		return o.Starts
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s.text))
	if err != nil {
		p.add(n, "%s must be true, false or an RFC 3339 time such as 2026-11-26T09:00:00Z, not %s", path, s.show())
		return time.Time{}
	}
	if !o.Ends.IsZero() && !t.Before(o.Ends) {
		p.add(n, "%s must be before ends, or the offer is never announced", path)
		return time.Time{}
	}
	return t.UTC()
}
