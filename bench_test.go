package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/internal/benchdb"
	"github.com/paybytweet/paybytweet/storage"
)

// BenchmarkAdminCommands runs `paybytweet orders -limit 20` and
// `paybytweet offers` as an admin would, configuration loading and all,
// on a database of a million orders (seeded once by internal/benchdb).
func BenchmarkAdminCommands(b *testing.B) {
	db := benchdb.Copy(b, 1000000, "kindle", func(path string) error {
		d, err := storage.Open(path, nil)
		if err != nil {
			return err
		}
		return d.Close()
	})
	example, err := os.ReadFile("config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cfg := filepath.Join(b.TempDir(), "paybytweet.yaml")
	text := strings.Replace(string(example), "path: paybytweet.db", "path: "+db, 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, args := range [][]string{{"orders", "-config", cfg, "-limit", "20"}, {"offers", "-config", cfg}} {
		b.Run(args[0], func(b *testing.B) {
			for b.Loop() {
				m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, LookupEnv: env(nil)}
				if code := m.Run(context.Background(), args); code != 0 {
					b.Fatalf("%v: exit %d", args, code)
				}
			}
		})
	}
}
