package messages

import (
	"fmt"
	"reflect"
	"sort"
	"text/template"
	"text/template/parse"
)

// Parse compiles the template text of kind k and checks that every field it
// names exists in that kind's data. It returns an error for an unknown kind,
// a syntax error or an unknown field.
func Parse(k Kind, text string) (*template.Template, error) {
	sp, ok := specs[k]
	if !ok {
		return nil, fmt.Errorf("unknown message kind %q", k)
	}
	t, err := template.New(string(k)).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil || tt.Root == nil {
			continue
		}
		if err := checkFields(tt.Root, sp.data, sp.data); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkFields walks a template tree, following what dot is inside range and
// with, and reports the first field that the data type lacks. Where dot's
// type cannot be known (a variable, a function's result) it stops checking
// rather than guess.
func checkFields(node parse.Node, dot, root reflect.Type) error {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkFields(c, dot, root); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		_, err := pipeType(n.Pipe, dot, root)
		return err
	case *parse.IfNode:
		return checkBranch(&n.BranchNode, dot, root, dot)
	case *parse.WithNode:
		t, err := pipeType(n.Pipe, dot, root)
		if err != nil {
			return err
		}
		return checkBranch(&n.BranchNode, dot, root, t)
	case *parse.RangeNode:
		t, err := pipeType(n.Pipe, dot, root)
		if err != nil {
			return err
		}
		return checkBranch(&n.BranchNode, dot, root, elemType(t))
	case *parse.TemplateNode:
		if n.Pipe != nil {
			_, err := pipeType(n.Pipe, dot, root)
			return err
		}
	}
	return nil
}

func checkBranch(b *parse.BranchNode, dot, root, inner reflect.Type) error {
	if _, err := pipeType(b.Pipe, dot, root); err != nil {
		return err
	}
	if err := checkFields(b.List, inner, root); err != nil {
		return err
	}
	return checkFields(b.ElseList, dot, root)
}

// pipeType checks every field in a pipeline and returns the type the
// pipeline yields, or nil where that cannot be known.
func pipeType(p *parse.PipeNode, dot, root reflect.Type) (reflect.Type, error) {
	if p == nil {
		return nil, nil
	}
	var last reflect.Type
	for _, cmd := range p.Cmds {
		last = nil
		for i, arg := range cmd.Args {
			t, err := argType(arg, dot, root)
			if err != nil {
				return nil, err
			}
			if i == 0 && len(cmd.Args) == 1 {
				last = t
			}
		}
	}
	return last, nil
}

func argType(arg parse.Node, dot, root reflect.Type) (reflect.Type, error) {
	switch a := arg.(type) {
	case *parse.FieldNode:
		return fieldType(dot, a.Ident)
	case *parse.VariableNode:
		if len(a.Ident) > 0 && a.Ident[0] == "$" {
			return fieldType(root, a.Ident[1:])
		}
	case *parse.DotNode:
		return dot, nil
	case *parse.PipeNode:
		return pipeType(a, dot, root)
	case *parse.ChainNode:
		if _, err := argType(a.Node, dot, root); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// fieldType follows a chain of field names from t. It returns an error
// naming the first field that does not exist.
func fieldType(t reflect.Type, names []string) (reflect.Type, error) {
	for _, name := range names {
		if t == nil {
			return nil, nil
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if _, ok := t.MethodByName(name); ok {
			return nil, nil
		}
		switch t.Kind() {
		case reflect.Struct:
			f, ok := t.FieldByName(name)
			if !ok || !f.IsExported() {
				return nil, fmt.Errorf("unknown field .%s (this message has: %s)", name, fieldList(t))
			}
			t = f.Type
		case reflect.Map:
			t = t.Elem()
		default:
			return nil, fmt.Errorf("field .%s: %s has no fields", name, t)
		}
	}
	return t, nil
}

func elemType(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return t.Elem()
	}
	return nil
}

func fieldList(t reflect.Type) string {
	s := ""
	for i := 0; i < t.NumField(); i++ {
		if i > 0 {
			s += ", "
		}
		s += "." + t.Field(i).Name
	}
	return s
}

func sortKinds(k []Kind) { sort.Slice(k, func(i, j int) bool { return k[i] < k[j] }) }
