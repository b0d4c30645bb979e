package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/messages"
)

// readDocs returns README.md and every page of docs/, by path.
func readDocs(t *testing.T) map[string]string {
	t.Helper()
	docs := map[string]string{"README.md": readFile(t, "README.md")}
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		docs[p] = readFile(t, p)
	}
	return docs
}

// TestReadmeIsTrue keeps the documentation in step with the code: the
// README's first lines give the two commands (and CI runs the test one),
// docs/configuration.md quotes config.Reference as it is now, lists every
// message kind in its template table and every command of the usage text.
func TestReadmeIsTrue(t *testing.T) {
	docs := readDocs(t)
	readme := docs["README.md"]
	for _, cmd := range []string{"go run . sandbox", "go test -race -tags crashpoint -timeout 45m ./..."} {
		if !strings.Contains(strings.Join(strings.Split(readme, "\n")[:12], "\n"), cmd) {
			t.Errorf("README.md's first lines do not give %q", cmd)
		}
	}
	ci := readFile(t, ".ci/run")
	if !strings.Contains(ci, "\ngo test -race -tags crashpoint -timeout 45m ./...\n") {
		t.Errorf(".ci/run does not run the README's test command")
	}

	conf, ok := docs["docs/configuration.md"]
	if !ok {
		t.Fatal("docs/configuration.md is missing")
	}
	if !strings.Contains(conf, config.Reference) {
		t.Errorf("docs/configuration.md does not quote config.Reference as it is now")
	}
	for _, k := range messages.AllKinds() {
		if !strings.Contains(conf, "| `"+string(k)+"` |") {
			t.Errorf("docs/configuration.md's template table lacks the kind %q", k)
		}
	}
	cmds := regexp.MustCompile(`(?m)^  ([a-z][a-z-]*(?: [a-z]+)?)`).FindAllStringSubmatch(usage, -1)
	if len(cmds) < 10 {
		t.Fatalf("found %d commands in the usage text: the pattern no longer reads it", len(cmds))
	}
	for _, c := range cmds {
		if !strings.Contains(conf, "| `paybytweet "+c[1]+" ") && !strings.Contains(conf, "| `paybytweet "+c[1]+"`") {
			t.Errorf("docs/configuration.md's command table lacks %q", c[1])
		}
	}
}

// TestDocLinksLeadSomewhere checks every relative link of README.md and
// docs/*.md: the file exists, and an anchor into a page is one of its
// headings. No page, nor the usage text, nor the example configuration,
// nor a file of the repository a user reads, points outside the
// repository at the project's shared folder, which a clone lacks; and every
// docs/ page they name exists.
func TestDocLinksLeadSomewhere(t *testing.T) {
	docs := readDocs(t)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for path, text := range docs {
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			resolved := path
			if file != "" {
				resolved = filepath.Join(filepath.Dir(path), file)
				if _, err := os.Stat(resolved); err != nil {
					t.Errorf("%s links to %s, which does not exist", path, target)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(resolved, ".md") && !headings(readFile(t, resolved))[anchor] {
				t.Errorf("%s links to %s: %s has no such heading", path, target, resolved)
			}
		}
	}

	named := regexp.MustCompile(`docs/[a-z-]+\.md`)
	check := func(path, text string) {
		for _, bad := range []string{"../shared", "shared/contracts", "contracts/"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s points at %q, outside the repository", path, bad)
			}
		}
		for _, n := range named.FindAllString(text, -1) {
			if _, err := os.Stat(n); err != nil {
				t.Errorf("%s names %s, which does not exist", path, n)
			}
		}
	}
	check("the usage text", usage)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && path != "." {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(path, "_test.go"):
			return nil // tests may name what only a developer's machine has
		case strings.HasSuffix(path, ".go"), strings.HasSuffix(path, ".md"), strings.HasSuffix(path, ".yaml"),
			strings.HasSuffix(path, ".yml"), strings.HasSuffix(path, ".service"):
			check(path, readFile(t, path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// headings returns the anchors GitHub makes of a page's headings: lower
// case, punctuation dropped, spaces as hyphens. Lines in code blocks are
// not headings.
func headings(text string) map[string]bool {
	anchors := map[string]bool{}
	code := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			code = !code
			continue
		}
		if code || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		var b strings.Builder
		for _, r := range title {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
				b.WriteRune(r)
			}
		}
		anchors[b.String()] = true
	}
	return anchors
}

// TestReadmeSandboxDir follows the README's "Admin commands against the
// sandbox": `sandbox -dir DIR` leaves the files it names, and an admin
// command reads the sandbox's database through the example configuration
// pointed at it.
func TestReadmeSandboxDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the sandbox's demo")
	}
	readme := readFile(t, "README.md")
	dir := t.TempDir()
	if code, out, errs := run(t, env(nil), "sandbox", "-dir", dir, "-once", "-listen", "127.0.0.1:0"); code != 0 {
		t.Fatalf("sandbox -dir = %d, %q, %q", code, out, errs)
	}
	for _, f := range []string{"sandbox.db", "paybytweet.log", "sandbox.yaml"} {
		if !strings.Contains(readme, "`DIR/"+f+"`") {
			t.Errorf("README.md does not say that -dir leaves %s", f)
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("sandbox -dir left no %s: %v", f, err)
		}
	}
	if !strings.Contains(readme, "go run . orders -config /tmp/sbx/sandbox.yaml") {
		t.Fatalf("README.md no longer runs orders on the sandbox's own configuration: update this test")
	}
	admin := filepath.Join(dir, "sandbox.yaml")
	code, out, errs := run(t, env(nil), "orders", "-config", admin)
	if code != 0 || !strings.Contains(out, "paid") || !strings.Contains(out, "@alice") {
		t.Errorf("orders on the sandbox's database = %d, %q, %q; want alice's paid order", code, out, errs)
	}
}
