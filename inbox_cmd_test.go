package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// TestInboxCommand lists what the bot read, finds a message set aside
// after failing, and puts it back with inbox retry.
func TestInboxCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "p.db")
	cfgPath := filepath.Join(dir, "p.yaml")
	text := strings.NewReplacer("{{DB}}", dbPath, "{{TWITTER}}", "http://127.0.0.1:1/", "{{ISSUER}}", "http://127.0.0.1:1/",
		"{{PRICE}}", "199.00", "{{QUANTITY}}", "5").Replace(scenarioConfig)
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	posted := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	msgs := []conversations.Inbound{
		{Channel: conversations.Tweet, ID: 9007199254740993, UserID: bob.ID, ScreenName: "bob", Text: "@AmexOffers #BuyKindleFireHD", Hashtags: []string{"BuyKindleFireHD"}, PostedAt: posted},
		{Channel: conversations.DM, ID: 9007199254740995, UserID: alice.ID, Text: "help", PostedAt: posted},
	}
	if _, err := db.SavePage(ctx, msgs, "test", 0); err != nil {
		t.Fatal(err)
	}
	all, _ := db.Inbox(ctx, "")
	if err := db.InboxFailed(ctx, all[0].ID, "decide: boom", time.Now(), true); err != nil {
		t.Fatal(err)
	}
	db.Close()
	failedID := strconv.FormatInt(all[0].ID, 10)

	code, out, errs := run(t, env(nil), "inbox", "-config", cfgPath)
	if code != 0 || !strings.Contains(out, "failed") || !strings.Contains(out, "decide: boom") || !strings.Contains(out, "pending") || !strings.Contains(out, "(@bob)") {
		t.Errorf("inbox = %d, %q, %q", code, out, errs)
	}
	code, out, _ = run(t, env(nil), "inbox", "-config", cfgPath, "-state", "failed", "-json")
	var rows []admin.InboxRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 1 ||
		rows[0].MessageID != "9007199254740993" || rows[0].UserID != strconv.FormatInt(bob.ID, 10) || rows[0].Attempts != 1 || rows[0].LastError != "decide: boom" {
		t.Errorf("inbox -state failed -json = %d, %v, %+v", code, err, rows)
	}
	for _, args := range [][]string{{"inbox", "-config", cfgPath, "-state", "stuck"}, {"inbox", "retry", "-config", cfgPath, "99"},
		{"inbox", "retry", "-config", cfgPath, "x"}, {"inbox", "retry", "-config", cfgPath, strconv.FormatInt(all[1].ID, 10)}} {
		if code, _, _ := run(t, env(nil), args...); code != 1 {
			t.Errorf("paybytweet %v = %d, want 1", args, code)
		}
	}
	for _, args := range [][]string{{"inbox", "retry", "-config", cfgPath}, {"inbox", "-config", cfgPath, "extra"}, {"inbox", "retry", "-config", cfgPath, "1", "2"}} {
		if code, _, _ := run(t, env(nil), args...); code != 2 {
			t.Errorf("paybytweet %v = %d, want 2", args, code)
		}
	}
	code, out, errs = run(t, env(nil), "inbox", "retry", failedID, "-config", cfgPath)
	if code != 0 || !strings.Contains(out, "back in line") {
		t.Fatalf("inbox retry = %d, %q, %q", code, out, errs)
	}
	code, out, _ = run(t, env(nil), "inbox", "-config", cfgPath, "-state", "pending", "-json")
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 2 || rows[0].Attempts != 0 {
		t.Errorf("after retry, pending = %d, %v, %+v", code, err, rows)
	}
}
