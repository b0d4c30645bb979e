package xauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/twitteremu"
	"github.com/paybytweet/paybytweet/internal/testkit"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterv2"
)

// childEnv makes the test binary run as a child process (childSpec, as
// JSON): a second daemon on the same database, or one that is killed.
const childEnv = "XAUTH_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// rig is an emulator speaking OAuth 2.0 and a database file.
type rig struct {
	emu    *twitteremu.Server
	dbPath string
	db     *storage.DB
	cfg    Config
	logs   *testkit.Buffer
	// granted are the pairs the rig made as if by x-login.
	granted []string
	// expiresIn is the emulator's access token lifetime.
	expiresIn time.Duration
}

func newRig(t *testing.T, oc twitteremu.OAuth2Config) *rig {
	t.Helper()
	emu := twitteremu.New(twitteremu.Options{
		RateLimits:  map[string]int{"2/users/me": 1 << 30, "2/tweets": 1 << 30},
		DailyLimits: map[string]int{"2/tweets": 1 << 30},
	})
	if _, err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	emu.SetOAuth2(oc)
	r := &rig{emu: emu, dbPath: filepath.Join(t.TempDir(), "bot.db"), logs: &testkit.Buffer{}, expiresIn: oc.ExpiresIn}
	if r.expiresIn == 0 {
		r.expiresIn = twitteremu.DefaultOAuth2ExpiresIn
	}
	r.db = r.open(t)
	r.cfg = Config{
		ClientID: twitteremu.DefaultOAuth2ClientID, ClientSecret: twitteremu.DefaultOAuth2ClientSecret,
		TokenURL: emu.OAuth2TokenURL(), AuthorizeURL: emu.OAuth2AuthorizeURL(),
		RedirectURI: "https://bot.issuer.example/x/callback",
	}
	if oc.ClientSecret != "" {
		r.cfg.ClientSecret = oc.ClientSecret
	}
	return r
}

// open opens another handle on the rig's database (another process's).
func (r *rig) open(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(r.dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (r *rig) logger() *slog.Logger { return slog.New(slog.NewTextHandler(r.logs, nil)) }

// source is a Source on store with the rig's configuration and log.
func (r *rig) source(store Store, opts Options) *Source {
	if opts.Logger == nil {
		opts.Logger = r.logger()
	}
	return NewSource(r.cfg, store, opts)
}

// login stores a pair as if x-login had run.
func (r *rig) login(t *testing.T) (access, refresh string) {
	t.Helper()
	access, refresh = r.emu.GrantOAuth2Token()
	r.granted = append(r.granted, access, refresh)
	exp := time.Now().Add(r.expiresIn)
	if err := r.db.StoreOAuth2Login(context.Background(), storage.OAuth2Token{AccessToken: access, RefreshToken: refresh, Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	return access, refresh
}

// v2 is the bot's real v2 client: OAuth 1.0a signing over the Source's
// Transport, as the daemon wires it.
func (r *rig) v2(t *testing.T, src *Source) *twitterv2.Client {
	t.Helper()
	c, err := twitterv2.New(twitterv2.Config{
		BaseURL: r.emu.URLv2(), ConsumerKey: "consumer-key", ConsumerSecret: "consumer-secret",
		AccessToken: "access-token", AccessSecret: "access-secret",
		HTTPClient: &http.Client{Transport: NewTransport(src, nil), Timeout: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// refreshes sums up the token endpoint's refresh_token requests.
func (r *rig) refreshes() (ok, refused int, causes []string) {
	for _, q := range r.emu.TokenRequests() {
		if q.GrantType != "refresh_token" {
			continue
		}
		if q.Status == 200 {
			ok++
		} else {
			refused++
			causes = append(causes, q.Cause)
		}
	}
	return ok, refused, causes
}

// callMe calls GET 2/users/me through a Transport with nothing beneath
// it: only the OAuth 2.0 token can make it succeed.
func callMe(ctx context.Context, hc *http.Client, v2 string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v2+"users/me", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("users/me: %d", resp.StatusCode)
	}
	return nil
}

// childSpec is what a child process does.
type childSpec struct {
	DB, Config string // the database file; Config as JSON
	V2         string
	// Mode: "calls" makes calls for Duration with the refresher running;
	// "kill-after-commit" and "kill-after-exchange" refresh once and
	// SIGKILL themselves right after the commit, or right after X's
	// answer, before the commit.
	Mode     string
	Duration time.Duration
	Lease    time.Duration // Options.Lease
}

func startChild(t *testing.T, r *rig, mode string, d, lease time.Duration) *exec.Cmd {
	t.Helper()
	cfg, _ := json.Marshal(r.cfg)
	spec, _ := json.Marshal(childSpec{DB: r.dbPath, Config: string(cfg), V2: r.emu.URLv2(), Mode: mode, Duration: d, Lease: lease})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func runChild(raw string) int {
	var spec childSpec
	var cfg Config
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	json.Unmarshal([]byte(spec.Config), &cfg)
	db, err := storage.Open(spec.DB, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer db.Close()
	ctx := context.Background()
	kill := func() { syscall.Kill(os.Getpid(), syscall.SIGKILL); select {} }
	opts := Options{Lease: spec.Lease, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	switch spec.Mode {
	case "kill-after-commit":
		opts.afterCommit = kill
	case "kill-after-exchange":
		opts.afterExchange = kill
	}
	src := NewSource(cfg, db, opts)
	if spec.Mode != "calls" {
		_, err := src.Refresh(ctx)
		fmt.Fprintln(os.Stderr, "child: the refresh returned without a kill:", err)
		return 3
	}
	ctx, cancel := context.WithTimeout(ctx, spec.Duration)
	defer cancel()
	src.Start(ctx)
	hc := src.Client(nil, 5*time.Second)
	failed := 0
	for ctx.Err() == nil {
		if err := callMe(context.Background(), hc, spec.V2); err != nil {
			fmt.Fprintln(os.Stderr, "child: a call failed:", err)
			failed++
		}
		time.Sleep(20 * time.Millisecond)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// noSecrets fails the test when s shows any of the tokens.
func noSecrets(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, v := range secrets {
		if v != "" && strings.Contains(s, v) {
			t.Errorf("%s shows a token: %s", what, s)
		}
	}
}

// allTokens lists every token the emulator issued or was sent, and the
// client secret.
func (r *rig) allTokens() []string {
	out := append([]string{r.cfg.ClientSecret}, r.granted...)
	for _, q := range r.emu.TokenRequests() {
		out = append(out, q.RefreshToken, q.IssuedAccess, q.IssuedRefresh)
	}
	if t, err := r.db.OAuth2Token(context.Background()); err == nil {
		out = append(out, t.AccessToken, t.RefreshToken)
	}
	return out
}
