package config

import (
	"go.yaml.in/yaml/v3"
)

// field is one key a mapping may hold and what to do with its value.
type field struct {
	name     string
	required bool
	decode   func(key, val *yaml.Node)
}

// pair is a key and its value as decode sees them, merges and aliases
// resolved.
type pair struct{ key, val *yaml.Node }

// fields decodes mapping n against the keys it may hold. where names the
// mapping in messages ("twitter.poll", "offer"); prefix goes before a key's
// name in "is required" messages ("twitter.", "offer x: "); at is where a
// missing key is reported (the section's own key). Unknown and duplicate
// keys are problems, and so is every required key absent.
func (p *parser) fields(n *yaml.Node, where, prefix string, at *yaml.Node, known []field) {
	if at == nil {
		at = n
	}
	byName := map[string]field{}
	names := make([]string, len(known))
	for i, f := range known {
		byName[f.name] = f
		names[i] = f.name
	}
	seen := map[string]*yaml.Node{}
	for _, kv := range p.pairs(n, where) {
		name := kv.key.Value
		if first, dup := seen[name]; dup {
			p.add(kv.key, "duplicate key %q in %s (first at line %d)", name, where, first.Line)
			continue
		}
		seen[name] = kv.key
		f, ok := byName[name]
		if !ok {
			p.unknownKey(kv.key, name, where, names)
			continue
		}
		f.decode(kv.key, deref(kv.val))
	}
	for _, f := range known {
		if f.required && seen[f.name] == nil {
			p.add(at, "%s%s is required", prefix, f.name)
		}
	}
}

func (p *parser) unknownKey(key *yaml.Node, name, where string, names []string) {
	if s := suggest(name, names); s != "" {
		p.add(key, "unknown key %q in %s (did you mean %q?)", name, where, s)
		return
	}
	p.add(key, "unknown key %q in %s", name, where)
}

// Bounds on merge keys. A real file merges a defaults map or two, a level
// or two deep, into at most a few hundred offers: a few thousand keys in
// all. The bounds are far above that, and low enough that a broken or
// hostile file (maps merging each other ten times over, eight deep: the
// "billion laughs") is refused in milliseconds rather than holding up a
// reload for minutes and gigabytes.
const (
	maxMergeDepth = 32      // maps merged one inside the other
	maxMergeKeys  = 100_000 // keys read from merged maps, in the whole file
)

// merging is where the expansion of merge keys stands, across one file.
type merging struct {
	// open holds the maps being expanded now, one inside the other, each
	// by its first key node: deref copies a map but shares its keys, so a
	// map merged into itself, however reached, finds itself here.
	open    map[*yaml.Node]bool
	keys    int  // keys read from merged maps so far
	tooDeep bool // an expansion went past maxMergeDepth; the outermost merge reports it
	// overrun: keys went past maxMergeKeys, and no more merges are
	// expanded, so that the work stays bounded whatever follows. The
	// merge that ran past is reported, once; merges after it bring in
	// nothing, which may leave required keys missing: the file is refused
	// anyway.
	overrun     bool
	overrunSaid bool
	reported    map[[2]int]bool // positions of merge problems, each reported once
}

// pairs lists the keys of a mapping in file order, with the keys of merged
// mappings ("<<: *defaults") after them unless written explicitly, as YAML
// says. Keys that are not plain strings are problems and left out.
func (p *parser) pairs(n *yaml.Node, where string) []pair {
	if id := mapID(n); id != nil {
		p.merge.open[id] = true
		defer delete(p.merge.open, id)
	}
	var out, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, p.mergeSources(v, where)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.add(k, "a key in %s must be a plain name, not a %s", where, kindName(k))
			continue
		}
		out = append(out, pair{k, v})
	}
	explicit := map[string]bool{}
	for _, kv := range out {
		explicit[kv.key.Value] = true
	}
	for _, kv := range merged {
		if !explicit[kv.key.Value] {
			explicit[kv.key.Value] = true
			out = append(out, kv)
		}
	}
	return out
}

// mapID is what tells a map apart from the others while merging: its
// first key node, which the copies deref makes share. A map without keys
// merges nothing, so it cannot be part of a loop and needs no name.
func mapID(n *yaml.Node) *yaml.Node {
	if len(n.Content) == 0 {
		return nil
	}
	return n.Content[0]
}

// mergeSources returns the pairs a "<<" value brings in: one mapping or a
// list of them, earlier ones winning. A merge that loops, nests too deep
// or expands too far is a problem and brings in nothing.
func (p *parser) mergeSources(v *yaml.Node, where string) []pair {
	v = deref(v)
	outermost := len(p.merge.open) == 1
	var sources []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		for _, s := range v.Content {
			sources = append(sources, deref(s))
		}
	}
	var out []pair
	for _, s := range sources {
		if s.Kind != yaml.MappingNode {
			p.add(s, "<< in %s must merge a map, not a %s", where, kindName(s))
			continue
		}
		if p.mergeable(s, where) {
			out = append(out, p.pairs(s, where)...)
		}
	}
	return p.mergeEnd(v, where, outermost, out)
}

// mergeable says whether merging s can go on, reporting a loop where it
// closes (the alias that names a map being expanded already).
func (p *parser) mergeable(s *yaml.Node, where string) bool {
	switch {
	case p.merge.overrun || p.merge.tooDeep:
		return false
	case p.merge.open[mapID(s)]:
		p.addOnce(s, "<< in %s merges *%s into itself, which would never end", where, s.Anchor)
		return false
	case len(p.merge.open) > maxMergeDepth:
		p.merge.tooDeep = true
		return false
	}
	p.merge.keys += 1 + len(s.Content)/2
	if p.merge.keys > maxMergeKeys {
		p.merge.overrun = true
		return false
	}
	return true
}

// mergeEnd reports a merge that went too deep or too far at the merge key
// that set it off, the outermost, which is in the section the admin is
// writing; what a merge cut short brought in is dropped, not half used.
func (p *parser) mergeEnd(v *yaml.Node, where string, outermost bool, out []pair) []pair {
	switch {
	case p.merge.overrun:
		if outermost && !p.merge.overrunSaid {
			p.merge.overrunSaid = true
			p.addOnce(v, "<< in %s expands to more than %d merged keys (merge keys that merge each other many times over); write the keys out instead", where, maxMergeKeys)
		}
		return nil
	case p.merge.tooDeep:
		if outermost {
			p.merge.tooDeep = false
			p.addOnce(v, "<< in %s nests merge keys more than %d deep", where, maxMergeDepth)
		}
		return nil
	}
	return out
}

// deref follows an alias to the node it names, keeping the alias's
// position so that a problem points where the value is used. It takes one
// step and cannot loop: an anchor on an alias is a YAML syntax error, so
// an alias never names another alias. Loops through maps are the callers'
// to catch (see merging).
func deref(n *yaml.Node) *yaml.Node {
	if n == nil || n.Kind != yaml.AliasNode || n.Alias == nil {
		return n
	}
	c := *deref(n.Alias)
	c.Line, c.Column = n.Line, n.Column
	return &c
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// kindName says what a node is, in the words an admin uses.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty value"
		case "!!bool":
			return "true/false"
		case "!!int", "!!float":
			return "number"
		}
		return "string"
	}
	return "value"
}

// section checks that n is a mapping and decodes it; a section left empty
// ("health:") is the same as one left out.
func (p *parser) section(key, n *yaml.Node, path string, known []field) {
	if isNull(n) {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "%s must be a map of keys, not a %s", path, kindName(n))
		return
	}
	p.fields(n, path, path+".", key, known)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
