package issuersandbox_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/internal/testkit"
)

func TestStartURLClose(t *testing.T) {
	sb := issuersandbox.New(issuersandbox.Options{})
	if sb.URL() != "" {
		t.Fatal("URL before Start")
	}
	url, err := sb.Start()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/") || sb.URL() != url {
		t.Fatalf("URL %q / %q", url, sb.URL())
	}
	if _, err := sb.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	// The default API key works.
	req, _ := http.NewRequest("GET", url+"v1/enrollments/twitter/1", nil)
	req.Header.Set("Authorization", "Bearer "+issuersandbox.DefaultAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("got %d, want 404 not_enrolled", resp.StatusCode)
	}
	sb.Close()
	sb.Close()
	if _, err := sb.Start(); err == nil {
		t.Fatal("Start after Close succeeded")
	}
}

func TestCloseEndsHang(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(issuersandbox.Fault{Hang: time.Hour})
	done := make(chan error, 1)
	go func() {
		_, err := e.send("GET", "v1/purchases/x", "")
		done <- err
	}()
	waitFor(t, "the request", func() bool { return len(e.sb.Requests()) == 1 })
	e.sb.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a hanging request")
	}
}

func TestHandlerMounted(t *testing.T) {
	sb := issuersandbox.New(issuersandbox.Options{APIKey: testKey})
	srv := httptest.NewServer(http.StripPrefix("/issuer", sb.Handler()))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/issuer/v1/purchases?reference=x", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("got %d", resp.StatusCode)
	}
}

type syncBuffer = testkit.Buffer

func TestLogsRequestIDNotAPIKey(t *testing.T) {
	var buf syncBuffer
	e := newEnvWith(t, func(o *issuersandbox.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.must("GET", "v1/enrollments/twitter/783214", "", header("X-Request-Id", "req_logged"))
	out := buf.String()
	if !strings.Contains(out, "request_id=req_logged") {
		t.Errorf("log lacks the request id: %s", out)
	}
	if strings.Contains(out, testKey) {
		t.Errorf("log holds the API key: %s", out)
	}
}

func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Everyone races for the same key: exactly one purchase results.
			a, err := e.send("POST", "v1/purchases", purchaseBody("ord_1"), idem("same"))
			if err != nil || (a.status != 201 && a.status != 409) {
				t.Errorf("got %d %v", a.status, err)
			}
			_ = e.sb.Requests()
			_ = e.sb.Purchases()
		}()
	}
	wg.Wait()
	if n := len(e.sb.Purchases()); n != 1 {
		t.Fatalf("%d purchases, want 1", n)
	}
}
