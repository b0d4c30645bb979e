package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration file, where it is.
type Problem struct {
	File    string
	Line    int
	Column  int
	Message string
}

// String formats the problem as compilers do, "file:line:column: message",
// so that editors and terminals can jump to it. It never fails.
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
}

// Problems is every problem found in a file. Load and Parse return it as
// their error, never wrapped, so errors.As finds it.
type Problems struct {
	List []Problem // sorted by position
}

// Error returns one problem per line, in the order of the file; "" for an
// empty list.
func (ps *Problems) Error() string {
	lines := make([]string, len(ps.List))
	for i, p := range ps.List {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders by position; the message breaks ties so that the
// output is the same from run to run whatever map order produced it.
func sortProblems(list []Problem) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Message < b.Message
	})
}

// minSecretLen is the shortest value scrub hides. Shorter values cannot be
// real credentials, and hiding them would garble ordinary words and numbers.
const minSecretLen = 4

// scrub replaces every secret in s with "***". It is the last line of
// defence: messages are written not to quote secret values at all.
func scrub(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= minSecretLen {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}
