package config

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/paybytweet/paybytweet/twittertext"
)

// maxHashtagLen is the longest hashtag, in characters, Twitter links.
const maxHashtagLen = 100

// hashtag decodes a hashtag written with or without its '#' (or the
// fullwidth '＃' an East Asian keyboard types). It must be one the bot will
// find in a tweet, so it is checked against the extractor the bot uses.
func (p *parser) hashtag(name string, n *yaml.Node, dst *string) {
	var v string
	s, ok := p.text(name, n, &v, true)
	if !ok {
		return
	}
	tag := strings.TrimSpace(v)
	tag = strings.TrimPrefix(tag, "#")
	tag = strings.TrimPrefix(tag, "＃")
	if msg := hashtagProblem(tag); msg != "" {
		p.add(n, "%s %s %s", name, s.show(), msg)
		return
	}
	*dst = tag
}

// hashtagProblem says what is wrong with a hashtag (without its '#'), or
// "" when Twitter and the bot would both see it as written.
func hashtagProblem(tag string) string {
	if tag == "" {
		return "is empty"
	}
	if utf8.RuneCountInString(tag) > maxHashtagLen {
		return fmt.Sprintf("is longer than %d characters", maxHashtagLen)
	}
	letter := false
	for _, r := range tag {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.M, r):
			letter = true
		case unicode.Is(unicode.Nd, r) || r == '_':
		default:
			return fmt.Sprintf("may hold only letters, digits and _, not %q", r)
		}
	}
	if !letter {
		return "must hold at least one letter: Twitter does not link a hashtag of digits only"
	}
	hs := twittertext.Extract("#" + tag).Hashtags
	if len(hs) != 1 || hs[0].Text != tag {
		return "would not be recognised as one hashtag in a tweet"
	}
	return ""
}

// crossCheckOffers checks what no single offer can: ids are unique, and no
// hashtag (buy or confirm, of any offer) is another's, compared as the bot
// compares them, ignoring case and width (NFKC).
func (p *parser) crossCheckOffers(c *Config) {
	ids := map[string]*yaml.Node{}
	type use struct {
		offer       int
		label, role string
		line        int
	}
	tags := map[string]use{}
	for i, o := range c.Offers {
		nodes := p.offers[i]
		if o.ID != "" {
			if first, dup := ids[o.ID]; dup {
				p.add(nodes.id, "duplicate offer id %q (first at line %d)", o.ID, first.Line)
			} else {
				ids[o.ID] = nodes.id
			}
		}
		for _, h := range []struct {
			role, tag string
			n         *yaml.Node
		}{{"buy_hashtag", o.BuyHashtag, nodes.buy}, {"confirm_hashtag", o.ConfirmHashtag, nodes.confirm}} {
			if h.tag == "" {
				continue
			}
			key := twittertext.NormalizeHashtag(h.tag)
			if first, dup := tags[key]; dup {
				whose := first.label + "'s"
				if first.offer == i {
					whose = "this offer's"
				}
				p.add(h.n, "%s: %s %q is the same hashtag as %s %s (line %d); hashtags are compared ignoring case and width",
					nodes.label, h.role, h.n.Value, whose, first.role, first.line)
				continue
			}
			tags[key] = use{i, nodes.label, h.role, h.n.Line}
		}
	}
}
