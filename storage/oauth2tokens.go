package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"
)

// OAuth2Token is the bot account's OAuth 2.0 user token as the database
// holds it (twitter-push.md, "OAuth 2.0 user context"). Its String,
// GoString and LogValue never show the tokens, so that printing or
// logging one by mistake leaks nothing.
type OAuth2Token struct {
	AccessToken  string
	RefreshToken string
	// Expiry is when the access token expires; zero when unknown.
	Expiry time.Time
	Scope  string
	// UpdatedAt is when this pair was stored; Generation counts the pairs
	// stored so far (0: none ever).
	UpdatedAt  time.Time
	Generation int64
	// RefusedFingerprint is OAuth2Fingerprint of a refresh token X refused
	// (empty: none), RefusedAt when, and RefusedReason what X said.
	RefusedFingerprint string
	RefusedAt          time.Time
	RefusedReason      string
}

// OAuth2Fingerprint names a token without revealing it: the hex SHA-256
// of its value, "" for an empty token.
func OAuth2Fingerprint(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RefusedFor reports whether X refused refreshToken: it must not be
// tried again.
func (t OAuth2Token) RefusedFor(refreshToken string) bool {
	return refreshToken != "" && t.RefusedFingerprint != "" && t.RefusedFingerprint == OAuth2Fingerprint(refreshToken)
}

// Empty reports a row that holds no pair (x-login never ran and no
// refresh from the configuration's token ever succeeded).
func (t OAuth2Token) Empty() bool { return t.AccessToken == "" && t.RefreshToken == "" }

// String describes t without its tokens.
func (t OAuth2Token) String() string {
	return fmt.Sprintf("oauth2 token (generation %d, expires %s, access %s, refresh %s, refused %v)",
		t.Generation, t.Expiry.UTC().Format(time.RFC3339), present(t.AccessToken), present(t.RefreshToken), t.RefusedFingerprint != "")
}

// GoString is String, so that %#v shows no token either.
func (t OAuth2Token) GoString() string { return t.String() }

// LogValue shows t in a log record without its tokens.
func (t OAuth2Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("generation", t.Generation),
		slog.Time("expires", t.Expiry),
		slog.String("access_token", present(t.AccessToken)),
		slog.String("refresh_token", present(t.RefreshToken)),
		slog.Bool("refused", t.RefusedFingerprint != ""),
	)
}

func present(s string) string {
	if s == "" {
		return "none"
	}
	return "[redacted]"
}

// OAuth2Lease is the answer to TakeOAuth2Lease: whether the caller now
// holds the refresh lease, who else holds it when not and until when,
// and the token as it stood in the same transaction.
type OAuth2Lease struct {
	Taken  bool
	Holder string
	Until  time.Time
	Token  OAuth2Token
}

const oauth2Columns = `access_token, refresh_token, expires_at, scope, updated_at, generation, refused_fingerprint, refused_at, refused_reason`

func (tx *Tx) oauth2Token() (OAuth2Token, string, time.Time, error) {
	var t OAuth2Token
	var expires, updated, refusedAt, until int64
	var holder string
	err := tx.tx.QueryRow(`SELECT `+oauth2Columns+`, lease_holder, lease_until FROM oauth2_tokens WHERE id = 1`).Scan(
		&t.AccessToken, &t.RefreshToken, &expires, &t.Scope, &updated, &t.Generation,
		&t.RefusedFingerprint, &refusedAt, &t.RefusedReason, &holder, &until)
	if err != nil {
		return OAuth2Token{}, "", time.Time{}, err
	}
	t.Expiry, t.UpdatedAt, t.RefusedAt = fromMS(expires), fromMS(updated), fromMS(refusedAt)
	return t, holder, fromMS(until), nil
}

// OAuth2Token returns the bot account's OAuth 2.0 pair as stored (an
// Empty one before any), with what X refused. It is one read that takes
// no lock the daemon's writes wait for. Its errors never hold a token.
func (db *DB) OAuth2Token(ctx context.Context) (OAuth2Token, error) {
	var t OAuth2Token
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		t, _, _, err = tx.oauth2Token()
		return err
	})
	if err != nil {
		return OAuth2Token{}, fmt.Errorf("oauth2 token: %w", err)
	}
	return t, nil
}

// TakeOAuth2Lease takes the refresh lease for holder until d from now
// when nobody holds it, its holder's time ran out, or holder has it
// already (extended then); otherwise it leaves it. Either way it returns
// the token as it stands, read in the same transaction: a process that
// got the lease re-reads what another may have refreshed before it.
func (db *DB) TakeOAuth2Lease(ctx context.Context, holder string, d time.Duration) (OAuth2Lease, error) {
	var l OAuth2Lease
	err := db.update(ctx, func(tx *Tx) error {
		t, h, until, err := tx.oauth2Token()
		if err != nil {
			return err
		}
		l = OAuth2Lease{Holder: h, Until: until, Token: t}
		if h != "" && h != holder && until.After(tx.now) {
			return nil
		}
		l.Taken, l.Holder, l.Until = true, holder, tx.now.Add(d)
		return tx.execOne(`UPDATE oauth2_tokens SET lease_holder = ?, lease_until = ? WHERE id = 1`, holder, ms(l.Until))
	})
	if err != nil {
		return OAuth2Lease{}, fmt.Errorf("take the oauth2 refresh lease: %w", err)
	}
	return l, nil
}

// ReleaseOAuth2Lease gives the lease up if holder has it.
func (db *DB) ReleaseOAuth2Lease(ctx context.Context, holder string) error {
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.Exec(`UPDATE oauth2_tokens SET lease_holder = '', lease_until = 0 WHERE id = 1 AND lease_holder = ?`, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("release the oauth2 refresh lease: %w", err)
	}
	return nil
}

// CommitOAuth2Refresh stores the pair X gave for the refresh token spent,
// and gives holder's lease up, in one transaction. It stores it only
// while the database still holds spent (or nothing: the first refresh,
// from the configuration's token): a pair stored since by x-login is
// newer and stays, and committed is false. The pair's UpdatedAt and
// Generation are the transaction's; a refusal recorded before is
// cleared.
func (db *DB) CommitOAuth2Refresh(ctx context.Context, holder, spent string, t OAuth2Token) (committed bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		cur, _, _, err := tx.oauth2Token()
		if err != nil {
			return err
		}
		if _, err := tx.tx.Exec(`UPDATE oauth2_tokens SET lease_holder = '', lease_until = 0 WHERE id = 1 AND lease_holder = ?`, holder); err != nil {
			return err
		}
		if cur.RefreshToken != spent && cur.RefreshToken != "" {
			return nil
		}
		committed = true
		return tx.storeOAuth2(t)
	})
	if err != nil {
		return false, fmt.Errorf("commit the refreshed oauth2 token: %w", err)
	}
	return committed, nil
}

// StoreOAuth2Login stores the pair x-login got from a new authorization,
// replacing whatever was there, and clears any refusal: every process
// adopts it at its next read. The lease is left to its holder, whose
// commit then finds its refresh token replaced and keeps this pair.
func (db *DB) StoreOAuth2Login(ctx context.Context, t OAuth2Token) error {
	if err := db.update(ctx, func(tx *Tx) error { return tx.storeOAuth2(t) }); err != nil {
		return fmt.Errorf("store the oauth2 token: %w", err)
	}
	return nil
}

func (tx *Tx) storeOAuth2(t OAuth2Token) error {
	return tx.execOne(`UPDATE oauth2_tokens SET access_token = ?, refresh_token = ?, expires_at = ?, scope = ?,
		updated_at = ?, generation = generation + 1, refused_fingerprint = '', refused_at = 0, refused_reason = '' WHERE id = 1`,
		t.AccessToken, t.RefreshToken, ms(t.Expiry), t.Scope, ms(tx.now))
}

// RefuseOAuth2 records that X refused refreshToken (reason says how,
// without any token), so that no process tries it again until a new pair
// is stored, and gives holder's lease up, in one transaction.
func (db *DB) RefuseOAuth2(ctx context.Context, holder, refreshToken, reason string) error {
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.Exec(`UPDATE oauth2_tokens SET refused_fingerprint = ?, refused_at = ?, refused_reason = ?,
			lease_holder = CASE WHEN lease_holder = ? THEN '' ELSE lease_holder END,
			lease_until = CASE WHEN lease_holder = ? THEN 0 ELSE lease_until END WHERE id = 1`,
			OAuth2Fingerprint(refreshToken), ms(tx.now), reason, holder, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("record the oauth2 refusal: %w", err)
	}
	return nil
}
