package sandbox

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/paybytweet/paybytweet/config"
)

// adminConfigName is the configuration file the sandbox leaves beside its
// database.
const adminConfigName = "sandbox.yaml"

// adminConfigHeader opens that file, so that whoever finds it knows what
// it is and why it holds credentials.
const adminConfigHeader = `# Written by paybytweet sandbox: the configuration it runs, for the admin
# commands against its database, such as
#   paybytweet orders -config %s
# The credentials below are the sandbox's own, fake ones, which only its
# emulators accept; they are written out so that no environment variable
# is needed. The emulators' addresses answer only while the sandbox runs;
# the database stays. The sandbox rewrites this file each time it starts.

`

// writeAdminConfig writes the configuration the sandbox runs into its
// directory and returns the file's path. The admin commands (orders,
// offers, inbox...) read a configuration file for the database's path and
// demand every key that `run` does, secrets included; a copy of the input
// file would send them to the example's real addresses with ${NAME}s the
// person never set. So this is the input file, comments and all, with
// what sandboxConfig changed put in and every ${NAME} resolved as the
// sandbox resolved it. The file is checked as `check-config` would check
// it, with nothing in the environment, before it is written.
func (s *sandbox) writeAdminConfig() (string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(s.opt.ConfigYAML, &doc); err != nil || len(doc.Content) == 0 {
		return "", fmt.Errorf("sandbox: read the configuration again: %v", err)
	}
	root := deref(doc.Content[0])
	resolveEnv(&doc)
	db, err := filepath.Abs(s.dbPath)
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	s.setRunning(root, db)
	path := filepath.Join(s.dir, adminConfigName)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, adminConfigHeader, path)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", fmt.Errorf("sandbox: write the configuration: %w", err)
	}
	enc.Close()
	if _, err := config.Parse(buf.Bytes(), path, func(string) (string, bool) { return "", false }); err != nil {
		return "", fmt.Errorf("sandbox: the configuration for the admin commands does not validate (a bug):\n%w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	return path, nil
}

// setRunning puts into the file's tree what sandboxConfig changed: the
// database (at db), the API and its address, the credentials, the polls,
// push (the emulator's stream on v2, off on v1.1), no OAuth 2.0, the
// issuer, no health listener, and the offers' dates.
func (s *sandbox) setRunning(root *yaml.Node, db string) {
	c := s.cfg
	if c.Twitter.API != fileAPI(root) {
		// The file's budgets were for its own API (sandboxConfig).
		deleteKey(root, "twitter.limits")
	}
	deleteKey(root, "twitter.push")
	deleteKey(root, "twitter.oauth2")
	if p := c.Twitter.Push; p.On() {
		setKey(root, "twitter.push.mode", p.Mode)
		setKey(root, "twitter.push.bearer_token", p.BearerToken)
		setKey(root, "twitter.push.reconcile", p.Reconcile)
	}
	for _, kv := range [][2]string{
		{"bot.screen_name", c.Bot.ScreenName},
		{"storage.path", db},
		{"twitter.api", c.Twitter.API},
		{"twitter.api_url", c.Twitter.APIURL},
		{"twitter.consumer_key", c.Twitter.ConsumerKey},
		{"twitter.consumer_secret", c.Twitter.ConsumerSecret},
		{"twitter.access_token", c.Twitter.AccessToken},
		{"twitter.access_secret", c.Twitter.AccessSecret},
		{"twitter.poll.mentions", c.Twitter.Poll.Mentions},
		{"twitter.poll.direct_messages", c.Twitter.Poll.DirectMessages},
		{"issuer.url", c.Issuer.URL},
		{"issuer.api_key", c.Issuer.APIKey},
		{"issuer.enroll_url", c.Issuer.EnrollURL},
		{"health.listen", c.Health.Listen},
	} {
		setKey(root, kv[0], kv[1])
	}
	offers := deref(mapValue(root, "offers"))
	if offers == nil || offers.Kind != yaml.SequenceNode {
		return
	}
	for i, n := range offers.Content {
		if i < len(c.Offers) {
			setDates(deref(n), c.Offers[i])
		}
	}
}

// fileAPI is the API the file's tree names (v1.1 where it names none).
func fileAPI(root *yaml.Node) string {
	if n := deref(mapValue(deref(mapValue(root, "twitter")), "api")); n != nil && n.Value != "" {
		return n.Value
	}
	return config.APIv1
}

// setDates writes an offer's dates as the sandbox runs it: a time, or no
// key where there is none.
func setDates(offer *yaml.Node, o config.Offer) {
	for _, d := range []struct {
		key string
		t   time.Time
	}{{"starts", o.Starts}, {"ends", o.Ends}, {"announce", o.AnnounceAt}} {
		if d.t.IsZero() {
			deleteKey(offer, d.key)
		} else {
			setKey(offer, d.key, d.t.UTC().Format(time.RFC3339Nano))
		}
	}
}

var envRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// resolveEnv replaces each ${NAME} in the tree's values with what the
// sandbox gave it (sandboxEnv), as the sandbox's parse did.
func resolveEnv(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			v, _ := sandboxEnv(ref[2 : len(ref)-1])
			return v
		})
		return
	}
	for _, c := range n.Content {
		resolveEnv(c)
	}
}

// deref follows an alias to its anchor.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return deref(n.Content[0])
	}
	return n
}

// mapValue is the value of key in the mapping m, nil when there is none.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setKey sets the dotted path in the mapping m to the string v, making the
// mappings on the way where they are missing. An existing value keeps its
// node, so its comment stays with it.
func setKey(m *yaml.Node, path, v string) {
	key, rest, nested := cut(path)
	val := deref(mapValue(m, key))
	if val == nil || (nested && val.Kind != yaml.MappingNode) {
		kind := yaml.ScalarNode
		if nested {
			kind = yaml.MappingNode
		}
		val = &yaml.Node{Kind: kind}
		setValue(m, key, val)
	}
	if nested {
		setKey(val, rest, v)
		return
	}
	val.Kind, val.Tag, val.Value, val.Style, val.Content = yaml.ScalarNode, "!!str", v, 0, nil
}

// setValue puts val under key in m, replacing what is there.
func setValue(m *yaml.Node, key string, val *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = val
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, val)
}

// deleteKey removes the dotted path from the mapping m, if it is there.
func deleteKey(m *yaml.Node, path string) {
	key, rest, nested := cut(path)
	if nested {
		if val := deref(mapValue(m, key)); val != nil {
			deleteKey(val, rest)
		}
		return
	}
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
			return
		}
	}
}

// cut splits "a.b.c" into "a" and "b.c".
func cut(path string) (key, rest string, nested bool) {
	return strings.Cut(path, ".")
}
