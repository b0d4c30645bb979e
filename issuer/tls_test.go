package issuer_test

import (
	"crypto/tls"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/issuer"
)

// TestMutualTLS runs the issuer sandbox behind a TLS server that requires
// a client certificate signed by its CA, as card issuers commonly do: the
// client with the certificate makes a purchase; without it, it is refused
// with an error that says why, and nothing is bought.
func TestMutualTLS(t *testing.T) {
	e := newEnv(t)
	pki, err := testkit.NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pki.ServerCert, pki.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(e.sb.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.Pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)

	client := func(files issuer.TLSFiles) (*issuer.Client, error) {
		c := issuer.New(srv.URL+"/", testKey, 5*time.Second)
		cfg, err := files.Load()
		if err != nil {
			return nil, err
		}
		return c, c.UseTLS(cfg)
	}

	with, err := client(issuer.TLSFiles{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey})
	if err != nil {
		t.Fatal(err)
	}
	p, err := with.CreatePurchase(e.ctx, "ord_tls-charge", order("ord_tls"))
	if err != nil || p.Status != issuer.PurchaseApproved {
		t.Fatalf("with the client certificate: %+v, %v; want an approved purchase", p, err)
	}

	without, err := client(issuer.TLSFiles{CAFile: pki.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	_, err = without.CreatePurchase(e.ctx, "ord_tls2-charge", order("ord_tls2"))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without a client certificate: %v; want a refusal that names the certificate", err)
	}
	if n := len(e.sb.Purchases()); n != 1 {
		t.Errorf("the sandbox has %d purchases, want only the one made with the certificate", n)
	}

	// Without the CA, the server's certificate is not trusted.
	untrusting, _ := client(issuer.TLSFiles{CertFile: pki.ClientCert, KeyFile: pki.ClientKey})
	if _, err := untrusting.CreatePurchase(e.ctx, "ord_tls3-charge", order("ord_tls3")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a server certificate from an unknown CA was accepted: %v", err)
	}
}

// TestTLSFilesThatDoNotLoad each say which file is wrong.
func TestTLSFilesThatDoNotLoad(t *testing.T) {
	pki, err := testkit.NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		files issuer.TLSFiles
		want  string
	}{
		{issuer.TLSFiles{CAFile: pki.CAFile + ".missing"}, "issuer CA file"},
		{issuer.TLSFiles{CAFile: pki.ClientKey}, "no PEM certificate"},
		{issuer.TLSFiles{CertFile: pki.ClientCert}, "go together"},
		{issuer.TLSFiles{CertFile: pki.ClientCert, KeyFile: pki.ServerKey}, "issuer client certificate"},
	} {
		if _, err := tt.files.Load(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v; want an error with %q", tt.files, err, tt.want)
		}
	}
}
