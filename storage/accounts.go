package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxAccounts is how many accounts retention keeps (see Compact): the
// most recently updated. An account pruned and seen again is a first
// sight, not a change of handle, so the bound is well above the
// cardholders of a large campaign; a row is some 100 bytes.
const MaxAccounts = 1_000_000

// Account is what the bot has learned of one X account, by its numeric
// id (docs/conversation.md, "A hijacked account").
type Account struct {
	UserID   int64
	Username string // as last seen, without '@'; "" when never seen
	// UsernameSince is when the bot first saw Username on this account;
	// zero when it never saw one.
	UsernameSince time.Time
	// HandleChangedAt is when the bot first saw the account under a
	// username other than the one it knew; zero when it never saw the
	// username change (a first sight is not a change).
	HandleChangedAt time.Time
	CreatedAt       time.Time // X's created_at for the user; zero when unknown
	Automated       *bool     // X's Automated label; nil when unknown
	// LookedUpAt is when a user lookup last answered for the account;
	// zero when none ever did.
	LookedUpAt time.Time
	UpdatedAt  time.Time // when the bot last recorded a sighting
}

// AccountSighting is what one message, pushed event or user lookup says of
// an account. A zero field is unknown, and never erases what is known.
type AccountSighting struct {
	UserID    int64
	Username  string    // "" when the source does not carry it
	CreatedAt time.Time // X's created_at; zero when not given
	Automated *bool     // X's Automated label; nil when not given
	LookedUp  bool      // the sighting is a user lookup's answer
	// At is when the account was seen so: the message's time, or the
	// lookup's. Zero means the transaction's time.
	At time.Time
}

// SeeAccount records a sighting of an account and returns what is now
// known of it. Usernames are compared ignoring case. A username other
// than the one known sets HandleChangedAt and UsernameSince to At; the
// first username seen sets UsernameSince only. A sighting older than
// the known username's UsernameSince does not change the username (it
// is an earlier name, not a new one), though its other fields count.
// It returns an error when UserID is not positive or the write fails.
func (db *DB) SeeAccount(ctx context.Context, s AccountSighting) (Account, error) {
	var a Account
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		a, err = tx.seeAccount(s)
		return err
	})
	if err != nil {
		return Account{}, fmt.Errorf("see account %d: %w", s.UserID, err)
	}
	return a, nil
}

// Account returns what is known of the account with that numeric id, and
// false when nothing is.
func (db *DB) Account(ctx context.Context, userID int64) (Account, bool, error) {
	var a Account
	var found bool
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		a, found, err = tx.account(userID)
		return err
	})
	if err != nil {
		return Account{}, false, fmt.Errorf("account %d: %w", userID, err)
	}
	return a, found, nil
}

// PruneAccounts deletes every account but the keep most recently updated
// (ties broken by id), a batch per transaction, and returns how many it
// deleted. Compact does the same a batch at a time with MaxAccounts.
func (db *DB) PruneAccounts(ctx context.Context, keep int) (int64, error) {
	const batch = 500
	var total int64
	for {
		n, err := db.pruneAccounts(ctx, keep, batch)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune accounts: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}

// pruneAccounts deletes up to batch of the accounts past the keep most
// recently updated. The first of those is found by a read, which walks
// the index of up to keep rows without holding up the writer; the delete
// then takes that row and older ones, whatever was added meanwhile (an
// account seen again since has a newer updated_at and stays).
func (db *DB) pruneAccounts(ctx context.Context, keep, batch int) (int64, error) {
	if keep < 0 {
		keep = 0
	}
	var updated, userID int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT updated_at, user_id FROM accounts ORDER BY updated_at DESC, user_id DESC LIMIT 1 OFFSET ?`, keep).Scan(&updated, &userID)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, err
	}
	var n int64
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`DELETE FROM accounts WHERE user_id IN (
			SELECT user_id FROM accounts WHERE updated_at <= ?1 AND (updated_at < ?1 OR user_id <= ?2) LIMIT ?3)`, updated, userID, batch)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// maxAccounts is how many accounts Compact keeps.
func (db *DB) maxAccounts() int {
	if db.accountsKept > 0 {
		return db.accountsKept
	}
	return MaxAccounts
}

const accountColumns = `user_id, username, username_since, handle_changed_at, created_at, automated, looked_up_at, updated_at`

func scanAccount(s scanner) (Account, error) {
	var a Account
	var since, changed, created, looked, updated int64
	var automated sql.NullInt64
	if err := s.Scan(&a.UserID, &a.Username, &since, &changed, &created, &automated, &looked, &updated); err != nil {
		return Account{}, err
	}
	a.UsernameSince, a.HandleChangedAt, a.CreatedAt = fromMS(since), fromMS(changed), fromMS(created)
	a.LookedUpAt, a.UpdatedAt = fromMS(looked), fromMS(updated)
	if automated.Valid {
		v := automated.Int64 != 0
		a.Automated = &v
	}
	return a, nil
}

// account reads an account in tx; false when there is none.
func (tx *Tx) account(userID int64) (Account, bool, error) {
	a, err := scanAccount(tx.tx.QueryRow(`SELECT `+accountColumns+` FROM accounts WHERE user_id = ?`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, err
	}
	return a, true, nil
}

// seeAccount is SeeAccount in tx, which may be the transaction that
// decides about the message the sighting came with.
func (tx *Tx) seeAccount(s AccountSighting) (Account, error) {
	if s.UserID <= 0 {
		return Account{}, fmt.Errorf("user id %d is not an X account's", s.UserID)
	}
	at := s.At
	if at.IsZero() {
		at = tx.now
	}
	at = fromMS(ms(at)) // as stored, so that comparisons agree with what is read back
	a, found, err := tx.account(s.UserID)
	if err != nil {
		return Account{}, err
	}
	if !found {
		a = Account{UserID: s.UserID}
	}
	seeUsername(&a, s.Username, at)
	if !s.CreatedAt.IsZero() {
		a.CreatedAt = fromMS(ms(s.CreatedAt))
	}
	if s.Automated != nil {
		v := *s.Automated
		a.Automated = &v
	}
	if s.LookedUp && at.After(a.LookedUpAt) {
		a.LookedUpAt = at
	}
	a.UpdatedAt = fromMS(ms(tx.now))
	_, err = tx.tx.Exec(`INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, username_since = excluded.username_since,
			handle_changed_at = excluded.handle_changed_at, created_at = excluded.created_at, automated = excluded.automated,
			looked_up_at = excluded.looked_up_at, updated_at = excluded.updated_at`,
		a.UserID, a.Username, ms(a.UsernameSince), ms(a.HandleChangedAt), ms(a.CreatedAt), boolOrNull(a.Automated), ms(a.LookedUpAt), ms(a.UpdatedAt))
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// seeUsername takes the name an account was seen with at a time: a new
// name from then on is a handle change, an earlier one seen late is not.
func seeUsername(a *Account, username string, at time.Time) {
	switch {
	case username == "":
	case a.Username == "":
		a.Username, a.UsernameSince = username, at
	case strings.EqualFold(a.Username, username):
		if !at.Before(a.UsernameSince) {
			a.Username = username // as last written, should its case change
		}
	case at.Before(a.UsernameSince):
		// An earlier name, seen late: not the account's current one.
	default:
		a.Username, a.UsernameSince, a.HandleChangedAt = username, at, at
	}
}
