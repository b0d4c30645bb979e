package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// expand replaces each ${NAME} in the scalar n with the environment
// variable NAME. It returns the expanded text, whether any variable was used
// and false when one is missing or malformed (each a problem at its own
// column where the scalar is plain, so the column can be known).
func (p *parser) expand(n *yaml.Node) (string, bool, bool) {
	s := n.Value
	if !strings.Contains(s, "${") {
		return s, false, true
	}
	var b strings.Builder
	used, ok := false, true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		offset := len(n.Value) - len(s) + i
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			p.addAt(n.Line, p.column(n, offset), "unterminated ${ (write ${NAME})")
			return "", used, false
		}
		name := s[i+2 : i+end]
		s = s[i+end+1:]
		if !validEnvName(name) {
			p.addAt(n.Line, p.column(n, offset), "${%s} is not a variable name (letters, digits and _, not starting with a digit)", name)
			ok = false
			continue
		}
		v, found := p.env(name)
		if !found {
			p.addAt(n.Line, p.column(n, offset), "environment variable %s is not set", name)
			ok = false
			continue
		}
		used = true
		p.secrets = append(p.secrets, v)
		b.WriteString(v)
	}
	return b.String(), used, ok
}

// column is where byte offset i of a scalar's value sits on its line. Only
// a plain or quoted one-line scalar without escapes maps byte for byte (and
// the yaml column counts characters); otherwise the scalar's own column is
// the best there is.
func (p *parser) column(n *yaml.Node, i int) int {
	if strings.ContainsAny(n.Value, "\n\\") {
		return n.Column
	}
	prefix := []rune(n.Value[:i])
	switch n.Style {
	case 0:
		return n.Column + len(prefix)
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if strings.Contains(n.Value, "'") {
			return n.Column
		}
		return n.Column + 1 + len(prefix)
	}
	return n.Column
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
