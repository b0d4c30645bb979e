package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// TestSecondSignalExitsAtOnce: the first SIGTERM asks for a clean stop;
// a second one, while that stop is still going, exits at once with 128
// plus the signal's number.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	cancelled := make(chan struct{})
	exited := make(chan int, 1)
	var stderr bytes.Buffer
	go onSignals(sigs, func() { close(cancelled) }, &stderr, func(code int) { exited <- code })

	sigs <- syscall.SIGTERM
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the first SIGTERM did not start a clean stop")
	}
	select {
	case code := <-exited:
		t.Fatalf("the first SIGTERM exited (%d) instead of stopping cleanly", code)
	case <-time.After(50 * time.Millisecond):
	}
	sigs <- syscall.SIGINT
	select {
	case code := <-exited:
		if code != 130 {
			t.Errorf("exit code %d after a second SIGINT, want 130", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not exit")
	}
	if !strings.Contains(stderr.String(), "second interrupt: exiting now") {
		t.Errorf("stderr %q does not say why it exits", stderr.String())
	}
}

// TestMain lets a test run this binary as the real program, signals and
// all: PAYBYTWEET_RUN_MAIN=1 makes it call main with PAYBYTWEET_ARGS.
func TestMain(m *testing.M) {
	if os.Getenv("PAYBYTWEET_RUN_MAIN") == "1" {
		os.Args = append([]string{"paybytweet"}, strings.Fields(os.Getenv("PAYBYTWEET_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSecondSIGTERMToTheProcess runs `paybytweet run` as its own process
// with a charge hanging at the issuer, so that a clean stop would wait out
// its grace: a second SIGTERM makes it exit at once, with 143.
func TestSecondSIGTERMToTheProcess(t *testing.T) {
	tw := twitteremu.New(twitteremu.Options{Bot: botAccount})
	tw.AddUser(alice)
	twURL, err := tw.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tw.Close)
	iss := issuersandbox.New(issuersandbox.Options{APIKey: "sk_live_never_printed"})
	issURL, err := iss.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	iss.Enroll(issuersandbox.Enrollment{TwitterUserID: fmt.Sprint(alice.ID), Cardholder: "chd_alice", CardLast4: "1001", Status: "active"})
	iss.InjectFault(issuersandbox.Fault{Method: "POST", Path: "/v1/purchases", Hang: time.Minute})

	var stderr syncBuffer
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PAYBYTWEET_RUN_MAIN=1", "PAYBYTWEET_ARGS=run -config "+writeConfig(t, twURL, issURL),
		"TWITTER_CONSUMER_KEY=consumer-key", "TWITTER_CONSUMER_SECRET=consumer-secret",
		"TWITTER_ACCESS_TOKEN=access-token", "TWITTER_ACCESS_SECRET=access-secret", "ISSUER_API_KEY=sk_live_never_printed")
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 20s for %s; the daemon's log:\n%s", what, stderr.String())
			}
		}
	}
	buy, err := tw.PostTweet(alice.ID, "@AmexOffers #BuyKindleFireHD", twitteremu.TweetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var request int64
	waitUntil("the bot's request", func() bool {
		for _, tweet := range tw.TweetsBy(botAccount.ID) {
			if tweet.InReplyTo == buy.ID {
				request = tweet.ID
			}
		}
		return request != 0
	})
	if _, err := tw.PostTweet(alice.ID, "@AmexOffers #ConfirmKindleFireHD", twitteremu.TweetOptions{InReplyTo: request}); err != nil {
		t.Fatal(err)
	}
	waitUntil("the charge to hang at the issuer", func() bool {
		for _, q := range iss.Requests() {
			if q.Method == "POST" && q.Path == "/v1/purchases" && q.Status == 0 {
				return true
			}
		}
		return false
	})

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		t.Fatalf("the first SIGTERM exited at once (%v) although a charge was in flight", err)
	case <-time.After(500 * time.Millisecond):
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		t.Fatalf("the second SIGTERM did not exit within 3s; the log:\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("exit code %d after a second SIGTERM, want 143", code)
	}
	if !strings.Contains(stderr.String(), "second terminated: exiting now") {
		t.Errorf("the log does not say why it exited:\n%s", stderr.String())
	}
	t.Logf("exited %s after the second SIGTERM", time.Since(sent).Round(time.Millisecond))
}
