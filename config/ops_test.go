package config

import (
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/internal/testkit"
)

// TestSecretURLsAreNeverInClear: the Twitter and issuer URLs, which are
// sent credentials, must be https unless they point at this machine.
func TestSecretURLsAreNeverInClear(t *testing.T) {
	for _, tt := range []struct {
		twitter, issuer string
		want            []string
	}{
		{"https://api.twitter.com/1.1/", "https://issuer.example/", nil},
		{"http://127.0.0.1:8081/1.1/", "http://localhost:8082/", nil},
		{"http://[::1]:8081/1.1/", "http://127.0.0.2/", nil},
		{"http://api.twitter.com/1.1/", "https://issuer.example/",
			[]string{`6:12: twitter.api_url "http://api.twitter.com/1.1/" must be https: credentials are sent to it (http is allowed only to a loopback address such as 127.0.0.1)`}},
		{"https://api.twitter.com/1.1/", "http://10.0.0.7/",
			[]string{`12:8: issuer.url "http://10.0.0.7/" must be https: credentials are sent to it (http is allowed only to a loopback address such as 127.0.0.1)`}},
	} {
		file := strings.Replace(doc(offer("a", "A"), ""), "api_url: https://api.twitter.com/1.1/", "api_url: "+tt.twitter, 1)
		file = strings.Replace(file, "url: https://issuer.example/\n", "url: "+tt.issuer+"\n", 1)
		_, err := load(t, file, lookup())
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("%s, %s: %v; want it accepted", tt.twitter, tt.issuer, err)
		case tt.want != nil && err == nil:
			t.Errorf("%s, %s: accepted; want %q", tt.twitter, tt.issuer, tt.want)
		case tt.want != nil:
			if got := problemLines(t, err); !matchAll(got, tt.want) {
				t.Errorf("problems %q, want %q", got, tt.want)
			}
		}
	}
}

// TestReloadRefusesAnURLInClear: a reload is validated as check-config
// validates, so an http:// issuer URL is refused and the running
// configuration stays.
func TestReloadRefusesAnURLInClear(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "c.yaml", doc(offer("a", "A"), ""))
	w, err := NewWatcher(path, time.Hour, lookup(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	w.OnReload(func(r string) { results = append(results, r) })
	writeFile(t, dir, "c.yaml", strings.Replace(doc(offer("a", "A", `price: "11.00"`), ""), "url: https://issuer.example/\n", "url: http://issuer.example/\n", 1))
	if _, err := w.Reload(); err == nil || !strings.Contains(err.Error(), "must be https") {
		t.Fatalf("reload: %v; want a refusal of the http URL", err)
	}
	if w.Current().Offers[0].Price != 1000 {
		t.Errorf("the refused file was put in force")
	}
	writeFile(t, dir, "c.yaml", doc(offer("a", "A", `price: "11.00"`), ""))
	if _, err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(results, ",") != "refused,applied" {
		t.Errorf("reload results %v, want refused then applied", results)
	}
}

// TestOperatorKeys: log.format, log.level, the readiness thresholds and
// the issuer's TLS files, which check-config loads.
func TestOperatorKeys(t *testing.T) {
	pki, err := testkit.NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defaults := mustLoad(t, doc(offer("a", "A"), ""))
	if defaults.Log.Format != LogText || defaults.Log.Level != "info" || defaults.Health.MaxInboxAge != 5*time.Minute ||
		defaults.Health.MaxIssuerOutage != 2*time.Minute || !defaults.Issuer.TLS.Empty() {
		t.Errorf("defaults: log %+v health %+v tls %+v", defaults.Log, defaults.Health, defaults.Issuer.TLS)
	}
	tlsKeys := "  tls:\n    ca_file: " + pki.CAFile + "\n    cert_file: " + pki.ClientCert + "\n    key_file: " + pki.ClientKey + "\n"
	withIssuerTLS := func(extra string) string {
		return strings.Replace(doc(offer("a", "A"), extra), "  enroll_url: https://issuer.example/link-twitter\n",
			"  enroll_url: https://issuer.example/link-twitter\n"+tlsKeys, 1)
	}
	c := mustLoad(t, withIssuerTLS("log:\n  format: json\n  level: debug\nhealth:\n  max_inbox_age: 90s\n  max_issuer_outage: 30s\n"))
	if c.Log.Format != LogJSON || c.Log.Level != "debug" || c.Health.MaxInboxAge != 90*time.Second || c.Health.MaxIssuerOutage != 30*time.Second ||
		c.Issuer.TLS.CertFile != pki.ClientCert || c.Issuer.TLS.CAFile != pki.CAFile {
		t.Errorf("loaded log %+v health %+v tls %+v", c.Log, c.Health, c.Issuer.TLS)
	}

	for _, tt := range []struct {
		name, file, want string
	}{
		{"bad log format", doc(offer("a", "A"), "log:\n  format: xml\n"), `log.format`},
		{"bad log level", doc(offer("a", "A"), "log:\n  level: loud\n"), `log.level`},
		{"a missing key file", strings.Replace(withIssuerTLS(""), pki.ClientKey, pki.ClientKey+".gone", 1), `issuer.tls: issuer client certificate`},
		{"a key that is not the certificate's", strings.Replace(withIssuerTLS(""), pki.ClientKey, pki.ServerKey, 1), `private key does not match public key`},
		{"a CA file that is not PEM", strings.Replace(withIssuerTLS(""), "ca_file: "+pki.CAFile, "ca_file: "+pki.ClientKey, 1), `no PEM certificate`},
	} {
		if _, err := load(t, tt.file, lookup()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want a problem with %q", tt.name, err, tt.want)
		}
	}

	// A reload keeps the restart-only settings: the log format and the TLS files.
	next := Apply(c, defaults)
	if next.Log.Format != LogJSON || next.Issuer.TLS != c.Issuer.TLS || next.Log.Level != "info" {
		t.Errorf("after a reload: log %+v tls %+v", next.Log, next.Issuer.TLS)
	}
}
