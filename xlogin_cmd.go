package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/xauth"
)

// xLogin is `paybytweet x-login`: it gets the bot account's first OAuth
// 2.0 token (Authorization Code with PKCE) and stores it in the daemon's
// database, where the running daemon adopts it (twitter-push.md, "OAuth
// 2.0 user context"). It needs twitter.oauth2's client id, secret and
// redirect_uri, none of the other credentials, and prints no token.
func (m *Main) xLogin(ctx context.Context, args []string) error {
	fs := m.flags("x-login")
	path := fs.String("config", "", "the configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected %q", fs.Arg(0))}
	}
	cfg, err := m.loadConfig(*path, config.OAuth2Secrets)
	if err != nil {
		return err
	}
	o := cfg.Twitter.OAuth2
	switch {
	case o == nil:
		return badInput{fmt.Errorf("%s has no twitter.oauth2 section: x-login gets the token for the app it names", *path)}
	case o.RedirectURI == "":
		return badInput{fmt.Errorf("twitter.oauth2.redirect_uri is not set in %s: x-login needs the app's registered callback", *path)}
	}
	// The token must land in the daemon's own database, as pause's switch
	// must: one in a new file would never be read.
	if _, err := os.Stat(cfg.Storage.Path); errors.Is(err, os.ErrNotExist) {
		if filepath.IsAbs(cfg.Storage.Path) {
			return badInput{fmt.Errorf("no database at %s (storage.path): nothing done; start the daemon once (it runs on OAuth 1.0a without a token), or check %s is its configuration", cfg.Storage.Path, *path)}
		}
		return badInput{fmt.Errorf("no database at %s (storage.path, relative to this directory): nothing done; run x-login where the daemon runs, or make storage.path absolute", cfg.Storage.Path)}
	}
	db, err := storage.Open(cfg.Storage.Path, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = xauth.Login(ctx, xauth.FromConfig(*o), db, xauth.LoginOptions{In: m.Stdin, Out: m.Stdout})
	return err
}
