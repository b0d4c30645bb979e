package issuer

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// TLSFiles name the files for mutual TLS with the issuer, which card
// issuers commonly require: a CA bundle to trust instead of the system's
// roots, and the client certificate and key the bot presents. Any may be
// empty; the certificate and key go together.
type TLSFiles struct {
	CAFile   string
	CertFile string
	KeyFile  string
}

// Empty reports whether no file is named.
func (f TLSFiles) Empty() bool { return f == TLSFiles{} }

// Load reads and checks the files and returns the TLS configuration they
// make (nil when no file is named). It returns an error naming the file
// that cannot be read or parsed, or a certificate without its key.
func (f TLSFiles) Load() (*tls.Config, error) {
	if f.Empty() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("issuer CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("issuer CA file %s: no PEM certificate in it", f.CAFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case f.CertFile == "" && f.KeyFile == "":
	case f.CertFile == "" || f.KeyFile == "":
		return nil, errors.New("issuer client certificate: cert_file and key_file go together")
	default:
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("issuer client certificate %s: %w", f.CertFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// UseTLS makes the client's connections use cfg (see TLSFiles.Load). It
// returns an error when the client's HTTPClient has a transport it does
// not know how to configure.
func (c *Client) UseTLS(cfg *tls.Config) error {
	if cfg == nil {
		return nil
	}
	var t *http.Transport
	ok := c.HTTPClient != nil
	if ok {
		t, ok = c.HTTPClient.Transport.(*http.Transport)
	}
	if !ok {
		return errors.New("issuer client: cannot set TLS on its transport")
	}
	t.TLSClientConfig = cfg
	return nil
}
