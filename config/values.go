package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// scalar is one scalar value: the node as written and its text with
// ${NAME} expanded.
type scalar struct {
	n    *yaml.Node
	text string
	env  bool // some of text came from the environment
}

// show quotes the value as written in the file: it never holds what an
// environment variable expanded to, only "${NAME}".
func (s scalar) show() string { return strconv.Quote(s.n.Value) }

// hide puts the written form back wherever msg (an error from a parser we
// do not control) quotes the expanded text.
func (s scalar) hide(msg string) string {
	if !s.env || s.text == "" {
		return msg
	}
	return strings.ReplaceAll(msg, s.text, s.n.Value)
}

// scalar reads the scalar at n for path. It returns false when there is no
// usable value: n is null (which is no problem by itself: the caller knows
// whether the key is required), not a scalar, or names a missing variable.
func (p *parser) scalar(path string, n *yaml.Node, want string) (scalar, bool) {
	if isNull(n) {
		return scalar{n: n}, false
	}
	if n.Kind != yaml.ScalarNode {
		p.add(n, "%s must be %s, not a %s", path, want, kindName(n))
		return scalar{n: n}, false
	}
	text, env, ok := p.expand(n)
	if !ok {
		return scalar{n: n}, false
	}
	if env {
		p.fromEnv[path] = true
	}
	return scalar{n: n, text: text, env: env}, true
}

// text decodes a string. A required string must not be null or empty.
func (p *parser) text(path string, n *yaml.Node, dst *string, required bool) (scalar, bool) {
	s, ok := p.scalar(path, n, "a string")
	if !ok {
		if required && isNull(n) {
			p.add(n, "%s must not be empty", path)
		}
		return s, false
	}
	if required && strings.TrimSpace(s.text) == "" {
		p.add(n, "%s must not be empty", path)
		return s, false
	}
	*dst = s.text
	return s, true
}

// secret decodes a credential of group. Its value is never shown, even
// when it was written in the file rather than taken from the environment.
// Where the command does not need the group, a credential that is empty
// or names a variable not set is left "" and is no problem.
func (p *parser) secret(path string, group Secrets, n *yaml.Node, dst *string) {
	if s, ok := p.credential(path, group, n, dst); ok {
		p.secrets = append(p.secrets, s.text)
	}
}

// credential decodes a value that a command needs only with group, such
// as an OAuth 2.0 client id: as secret does, but it may be shown.
func (p *parser) credential(path string, group Secrets, n *yaml.Node, dst *string) (scalar, bool) {
	if p.needs&group == 0 && !p.resolvable(n) {
		return scalar{n: n}, false
	}
	return p.text(path, n, dst, true)
}

// resolvable reports whether n is a scalar that is not empty and whose
// every ${NAME} is set, so that decoding it reports nothing about them.
func (p *parser) resolvable(n *yaml.Node) bool {
	if isNull(n) || n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
		return false
	}
	for s := n.Value; ; {
		i := strings.Index(s, "${")
		if i < 0 {
			return true
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return false
		}
		if _, ok := p.env(s[i+2 : i+end]); !ok {
			return false
		}
		s = s[i+end+1:]
	}
}

// url decodes an absolute http or https URL.
func (p *parser) url(path string, n *yaml.Node, dst *string) {
	var raw string
	s, ok := p.text(path, n, &raw, true)
	if !ok {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		p.add(n, "%s %s is not a URL: %s", path, s.show(), s.hide(err.Error()))
	case u.Scheme != "http" && u.Scheme != "https":
		p.add(n, "%s %s must be an http or https URL", path, s.show())
	case u.Host == "":
		p.add(n, "%s %s has no host", path, s.show())
	default:
		*dst = raw
	}
}

// secretURL decodes the URL of an API that is sent credentials: https,
// or http only to a loopback address (an emulator, a local proxy that
// adds TLS), so that keys and tokens never cross a network in clear.
func (p *parser) secretURL(path string, n *yaml.Node, dst *string) {
	var raw string
	p.url(path, n, &raw)
	if raw == "" {
		return
	}
	if u, err := url.Parse(raw); err == nil && u.Scheme == "http" && !loopback(u.Hostname()) {
		s, _ := p.scalar(path, n, "a URL")
		p.add(n, "%s %s must be https: credentials are sent to it (http is allowed only to a loopback address such as 127.0.0.1)", path, s.show())
		return
	}
	*dst = raw
}

// loopback reports whether host is this machine: "localhost" or a
// loopback IP address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// duration decodes a Go duration that must be more than zero.
func (p *parser) duration(path string, n *yaml.Node, dst *time.Duration) {
	s, ok := p.scalar(path, n, "a duration")
	if !ok {
		return
	}
	d, err := time.ParseDuration(s.text)
	switch {
	case err != nil:
		p.add(n, "%s %s is not a duration (write one such as 15m, 90s or 1h30m)", path, s.show())
	case d <= 0:
		p.add(n, "%s must be more than 0, not %s", path, s.show())
	default:
		*dst = d
	}
}

// schedule decodes a robfig/cron spec as the bot's cron.New parses it.
// "@every" below a second is refused: cron would silently run it every
// second instead.
func (p *parser) schedule(path string, n *yaml.Node, dst *string) {
	s, ok := p.scalar(path, n, "a schedule")
	if !ok {
		return
	}
	spec := strings.TrimSpace(s.text)
	if _, err := cron.ParseStandard(spec); err != nil {
		p.add(n, "%s %s is not a schedule: %s (write one such as \"@every 15s\" or \"*/5 * * * *\")", path, s.show(), s.hide(err.Error()))
		return
	}
	if every, found := strings.CutPrefix(spec, "@every "); found {
		if d, err := time.ParseDuration(every); err == nil && d < time.Second {
			p.add(n, "%s %s must be at least \"@every 1s\"", path, s.show())
			return
		}
	}
	*dst = spec
}

// integer decodes a whole number of at least min.
func (p *parser) integer(path string, n *yaml.Node, min int64) (int64, bool) {
	s, ok := p.scalar(path, n, "a whole number")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s.text), 10, 64)
	if err != nil {
		p.add(n, "%s must be a whole number, not %s", path, s.show())
		return 0, false
	}
	if v < min {
		p.add(n, "%s must be at least %d, not %s", path, min, s.show())
		return 0, false
	}
	return v, true
}

// count decodes a positive int, such as a rate limit.
func (p *parser) count(path string, n *yaml.Node, dst *int) {
	if v, ok := p.integer(path, n, 1); ok {
		if int64(int(v)) != v {
			p.add(n, "%s is too large", path)
			return
		}
		*dst = int(v)
	}
}

// oneOf decodes a word that must be one of options.
func (p *parser) oneOf(path string, n *yaml.Node, dst *string, options ...string) {
	s, ok := p.scalar(path, n, "a string")
	if !ok {
		return
	}
	for _, o := range options {
		if s.text == o {
			*dst = o
			return
		}
	}
	p.add(n, "%s must be %s, not %s", path, strings.Join(options, " or "), s.show())
}

// timestamp decodes an RFC 3339 time, which must say its zone so that
// "midnight" is never the server's midnight by accident.
func (p *parser) timestamp(path string, n *yaml.Node) (time.Time, bool) {
	s, ok := p.scalar(path, n, "a time")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s.text))
	if err != nil {
		p.add(n, "%s %s is not an RFC 3339 time (write one such as 2026-11-26T09:00:00Z or 2026-11-26T09:00:00-05:00)", path, s.show())
		return time.Time{}, false
	}
	return t.UTC(), true
}

// address decodes a listen address such as ":8080" or "127.0.0.1:8080";
// empty means none.
func (p *parser) address(path string, n *yaml.Node, dst *string) {
	var v string
	s, ok := p.text(path, n, &v, false)
	if !ok || v == "" {
		return
	}
	_, port, err := net.SplitHostPort(v)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		p.add(n, "%s %s is not an address with a port, such as \":8080\" or \"127.0.0.1:8080\"", path, s.show())
		return
	}
	*dst = v
}
