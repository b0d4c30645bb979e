// Package deploy holds what runs paybytweet as a service: the systemd
// unit, Prometheus's alert rules and a Grafana dashboard. Its tests check
// them with the tools that will read them.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tool returns the path of a program the check needs, or skips the test
// saying which Debian package has it: .ci/run installs them, so CI never
// skips.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("SKIPPED: %s is not installed (Debian package %s; .ci/run installs it), so this check did not run", name, pkg)
	}
	return path
}

// TestSystemdUnit: the unit runs the bot under Litestream, keeps its
// database in a state directory, is sandboxed, and passes systemd-analyze
// verify.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("paybytweet.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"StateDirectory=paybytweet", "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ProtectHome=yes",
		"PrivateTmp=yes", "PrivateDevices=yes", "CapabilityBoundingSet=", "SystemCallFilter=@system-service",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "MemoryDenyWriteExecute=yes",
		// Litestream passes SIGTERM on once; systemd must not send a second.
		"KillMode=mixed",
		`ExecStart=/usr/bin/litestream replicate -config /etc/paybytweet/litestream.yml -exec "/usr/local/bin/paybytweet run -config /etc/paybytweet/paybytweet.yaml"`,
		"ExecStartPre=/usr/local/bin/paybytweet check-config -config /etc/paybytweet/paybytweet.yaml",
	} {
		if !strings.Contains(string(unit), "\n"+line+"\n") {
			t.Errorf("the unit lacks the line %q", line)
		}
	}

	analyze := tool(t, "systemd-analyze", "systemd")
	// verify insists that the programs exist: stand-ins take their place
	// in a copy, everything else as written.
	dir := t.TempDir()
	text := string(unit)
	for _, prog := range []string{"/usr/local/bin/paybytweet", "/usr/bin/litestream", "/usr/bin/pkill"} {
		stand := filepath.Join(dir, filepath.Base(prog))
		if err := os.WriteFile(stand, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		text = strings.ReplaceAll(text, prog, stand)
	}
	copyPath := filepath.Join(dir, "paybytweet.service")
	if err := os.WriteFile(copyPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || strings.Contains(string(out), "paybytweet.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// systemd's own rating of the sandbox, 0 (locked down) to 10: it is
	// 1.2 ("OK") as written; 2 is the most a change may loosen it to.
	if out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=20", copyPath).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze security rates the unit's exposure above 2.0: %v\n%s", err, out)
	}
}

// TestAlertRules: the rules load in Prometheus's own checker, and their
// unit tests (paybytweet-rules_test.yml) pass.
func TestAlertRules(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	if out, err := exec.Command(promtool, "check", "rules", "prometheus/paybytweet-rules.yml").CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
	cmd := exec.Command(promtool, "test", "rules", "paybytweet-rules_test.yml")
	cmd.Dir = "prometheus"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool test rules: %v\n%s", err, out)
	}
}
