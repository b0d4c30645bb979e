package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/storage"
)

// authorizeWatcher is a Stdout that hands over the authorize address
// x-login prints.
type authorizeWatcher struct {
	syncBuffer
	found chan string
	mu    sync.Mutex
	sent  bool
}

var authorizeLine = regexp.MustCompile(`http://\S+/i/oauth2/authorize\?\S+`)

func (w *authorizeWatcher) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	if u := authorizeLine.FindString(w.syncBuffer.String()); u != "" && !w.sent {
		w.sent = true
		w.found <- u
	}
	return n, err
}

// TestXLoginCommand: x-login against the emulator with a loopback
// redirect_uri: the owner approves in a "browser", the token lands in
// the configured database, and no token is printed. Without a database,
// or without twitter.oauth2, it does nothing and says why.
func TestXLoginCommand(t *testing.T) {
	emu := twitteremu.New(twitteremu.Options{})
	if _, err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/callback"
	ln.Close()
	emu.SetOAuth2(twitteremu.OAuth2Config{RedirectURI: callback})

	plain := writeConfig(t, "http://127.0.0.1:1/1.1/", "http://127.0.0.1:1/")
	text := strings.Replace(readFile(t, plain), "  api_url: http://127.0.0.1:1/1.1/\n", "  api: v2\n  api_url: "+emu.URLv2()+"\n", 1)
	text = strings.Replace(text, "  access_secret: ${TWITTER_ACCESS_SECRET}\n", "  access_secret: ${TWITTER_ACCESS_SECRET}\n"+
		"  oauth2:\n    client_id: ${TWITTER_CLIENT_ID}\n    client_secret: ${TWITTER_CLIENT_SECRET}\n"+
		"    token_url: "+emu.OAuth2TokenURL()+"\n    redirect_uri: "+callback+"\n", 1)
	path := filepath.Join(filepath.Dir(plain), "v2.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(filepath.Dir(plain), "p.db")
	// Only the OAuth 2.0 client's credentials are needed.
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"TWITTER_CLIENT_ID": twitteremu.DefaultOAuth2ClientID, "TWITTER_CLIENT_SECRET": twitteremu.DefaultOAuth2ClientSecret}[k]
		return v, ok
	}

	if code, out, stderr := run(t, lookup, "x-login", "-config", path); code != 1 || out != "" || !strings.Contains(stderr, "no database at "+dbPath) {
		t.Fatalf("x-login without a database: %d, %q, %q", code, out, stderr)
	}
	if code, _, stderr := run(t, env(nil), "x-login", "-config", plain); code != 1 || !strings.Contains(stderr, "no twitter.oauth2 section") {
		t.Fatalf("x-login without twitter.oauth2: %d, %q", code, stderr)
	}
	if code, _, _ := run(t, lookup, "x-login", "-config", path, "extra"); code != 2 {
		t.Fatalf("x-login with an extra argument: %d, want 2", code)
	}
	db, err := storage.Open(dbPath, nil) // the daemon's database
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	out := &authorizeWatcher{found: make(chan string, 1)}
	var errb syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: &errb, LookupEnv: lookup}
	done := make(chan int, 1)
	go func() { done <- m.Run(context.Background(), []string{"x-login", "-config", path}) }()
	var page string
	select {
	case u := <-out.found:
		resp, err := http.Get(u) // the browser: X's page, then its redirect
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page = string(b)
	case code := <-done:
		t.Fatalf("x-login ended with %d before printing the address: %q %q", code, out.String(), errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("x-login printed no authorize address")
	}
	if code := <-done; code != 0 || errb.String() != "" {
		t.Fatalf("x-login = %d, %q\n%s", code, errb.String(), out.String())
	}
	if !strings.Contains(out.String(), "Authorized") || !strings.Contains(page, "authorized") {
		t.Errorf("output %q, page %q", out.String(), page)
	}
	stored, err := db.OAuth2Token(context.Background())
	if err != nil || stored.AccessToken == "" || stored.RefreshToken == "" {
		t.Fatalf("the daemon's database holds %v, %v", stored, err)
	}
	for _, secret := range []string{stored.AccessToken, stored.RefreshToken, twitteremu.DefaultOAuth2ClientSecret} {
		if strings.Contains(out.String()+errb.String()+page, secret) {
			t.Errorf("x-login printed a secret")
		}
	}
	if reqs := emu.TokenRequests(); len(reqs) != 1 || reqs[0].GrantType != "authorization_code" || reqs[0].Status != 200 {
		t.Errorf("token requests %+v", reqs)
	}
}
