package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/paybytweet/paybytweet/messages"
)

// Load reads and validates the configuration file at path. lookupEnv
// resolves ${NAME} (os.LookupEnv when nil). It returns a *Problems listing
// every problem in the file, or another error when the file cannot be read.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	return LoadFor(path, lookupEnv, AllSecrets)
}

// LoadFor is Load for a command that uses only the credentials in needs:
// the others may be left out, empty, or name variables that are not set
// (they are then ""), so that an admin listing orders on a machine that
// holds no Twitter or issuer keys is not asked for them. It returns what
// Load returns.
func LoadFor(path string, lookupEnv func(string) (string, bool), needs Secrets) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseFor(data, path, lookupEnv, needs)
}

// Parse validates a configuration held in memory; path is only used to name
// the file in problems and as Config.Path. lookupEnv resolves ${NAME}
// (os.LookupEnv when nil). It returns a *Problems listing every problem.
func Parse(data []byte, path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	return ParseFor(data, path, lookupEnv, AllSecrets)
}

// Secrets are groups of credentials, as a command needs them.
type Secrets uint8

// The groups of credentials. The daemon and check-config need all of
// them; a command that only reads the database needs none.
const (
	TwitterSecrets Secrets = 1 << iota // twitter.consumer_key, consumer_secret, access_token, access_secret, push.bearer_token, oauth2's three
	IssuerSecrets                      // issuer.api_key
	// OAuth2Secrets are twitter.oauth2.client_id and client_secret
	// alone, all x-login needs: the refresh token it is run to get may be
	// left out, or name a variable not set yet.
	OAuth2Secrets
	NoSecrets  Secrets = 0
	AllSecrets         = TwitterSecrets | IssuerSecrets | OAuth2Secrets
)

// ParseFor is Parse for a command that uses only the credentials in needs
// (see LoadFor).
func ParseFor(data []byte, path string, lookupEnv func(string) (string, bool), needs Secrets) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	p := &parser{
		file:            path,
		env:             lookupEnv,
		needs:           needs,
		fromEnv:         map[string]bool{},
		offerTemplates:  map[string]map[messages.Kind]*yaml.Node{},
		globalTemplates: map[messages.Kind]*yaml.Node{},
		merge:           merging{open: map[*yaml.Node]bool{}, reported: map[[2]int]bool{}},
	}
	p.lines = strings.Split(string(data), "\n")
	c := withDefaults(path)
	root := p.document(data)
	if root != nil {
		p.top(root, c)
	}
	p.checkAPIURL(c)
	p.checkPush(c)
	c.limitsSet = c.Twitter.Limits
	c.Twitter.Limits = c.Twitter.Limits.withAPIDefaults(c.Twitter.API)
	p.crossCheckOffers(c)
	p.compileTemplates(c, root)
	if len(p.problems) > 0 {
		for i := range p.problems {
			p.problems[i].Message = scrub(p.problems[i].Message, p.secrets)
		}
		sortProblems(p.problems)
		return nil, &Problems{List: p.problems}
	}
	c.fromEnv = p.fromEnv
	c.secrets = p.secrets
	return c, nil
}

// parser collects problems and remembers where things were written, so that
// checks made after decoding (uniqueness, templates) can point at a line.
type parser struct {
	file     string
	env      func(string) (string, bool)
	needs    Secrets // the credentials that must be there
	problems []Problem
	fromEnv  map[string]bool
	secrets  []string
	lines    []string // the file, to find where text starts on a line

	apiURLNode      *yaml.Node // twitter.api_url's value, nil when absent
	pushAt          pushNodes  // where twitter.push and twitter.oauth2 were written
	offersKey       *yaml.Node // the "offers" key, nil when absent
	templatesKey    *yaml.Node // the top-level "templates" key, nil when absent
	globalTemplates map[messages.Kind]*yaml.Node
	offers          []offerNodes // parallel to Config.Offers
	offerTemplates  map[string]map[messages.Kind]*yaml.Node
	merge           merging
}

// offerNodes are the nodes of one offer that later checks point at.
type offerNodes struct {
	node, id, buy, confirm *yaml.Node
	label                  string // "offer kindle-fire-hd" or "offer #2"
}

// indent returns the column where text starts on a line of the file.
func (p *parser) indent(line int) int {
	if line < 1 || line > len(p.lines) {
		return 1
	}
	l := p.lines[line-1]
	return len([]rune(l)) - len([]rune(strings.TrimLeft(l, " \t"))) + 1
}

func (p *parser) add(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	p.addAt(line, col, format, args...)
}

// addOnce adds a problem unless one was added at n's position already: a
// merged map is read again wherever it is merged, and its problem is one.
func (p *parser) addOnce(n *yaml.Node, format string, args ...any) {
	at := [2]int{n.Line, n.Column}
	if p.merge.reported[at] {
		return
	}
	p.merge.reported[at] = true
	p.add(n, format, args...)
}

func (p *parser) addAt(line, col int, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

// yamlLine finds the line in the yaml package's error text, which has no
// structured position.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses the YAML and returns the root mapping, or nil when there
// is nothing to decode (a syntax error, which is then a problem).
func (p *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}
		}
		p.syntax(err, data)
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		p.add(&next, "only one YAML document is allowed; remove the second '---'")
	} else if !errors.Is(err, io.EOF) {
		p.syntax(err, data)
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}
	}
	root := doc.Content[0]
	if isNull(root) {
		return &yaml.Node{Kind: yaml.MappingNode, Line: root.Line, Column: root.Column}
	}
	return root
}

// syntax reports a YAML syntax error. The yaml package often names the
// line where the enclosing block began rather than the broken one (its
// parser errors give the context's line, counted from 0), so the line is
// found again: the first prefix of the file, in whole lines, that fails
// with the same complaint.
func (p *parser) syntax(err error, data []byte) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if l := firstFailingLine(data, msg); l > 0 {
		line = l
	}
	p.addAt(line, 1, "YAML syntax: %s", msg)
}

// maxRescan bounds the search firstFailingLine makes, which parses each
// prefix in turn: a configuration is a few hundred lines, and a file far
// larger than that keeps the yaml package's line rather than take seconds.
const maxRescan = 2000

func firstFailingLine(data []byte, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxRescan {
		return 0
	}
	end := 0
	for i, l := range lines {
		end += len(l)
		dec := yaml.NewDecoder(bytes.NewReader(data[:end]))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if err == nil {
				continue
			}
			if !errors.Is(err, io.EOF) && strings.HasSuffix(err.Error(), ": "+msg) {
				return i + 1
			}
			break
		}
	}
	return 0
}
