package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// switchPaused is the switch that stops all charging (paybytweet pause).
const switchPaused = "paused"

// PauseState is the switch that stops all charging, as the database has
// it: `paybytweet pause` sets it, `paybytweet resume` clears it, and the
// running daemon reads it (docs/conversation.md, "A hijacked account").
type PauseState struct {
	Paused bool
	// Since is when the switch was last set to what it is now: when
	// charging was paused, or resumed; zero when it was never set.
	Since time.Time
}

// SetPaused sets the switch that stops all charging, at the time at (the
// transaction's when zero), and says whether that changed it: setting
// it to what it is already changes nothing, its time included.
func (db *DB) SetPaused(ctx context.Context, paused bool, at time.Time) (changed bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		was, err := tx.pauseState()
		if err != nil || was.Paused == paused {
			return err
		}
		if at.IsZero() {
			at = tx.now
		}
		changed = true
		_, err = tx.tx.Exec(`INSERT INTO switches (name, is_on, changed_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET is_on = excluded.is_on, changed_at = excluded.changed_at`, switchPaused, paused, ms(at))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("set paused: %w", err)
	}
	return changed, nil
}

// Paused reports whether all charging is paused. It is one read of one
// row, which takes no lock the daemon's writes wait for: cheap enough to
// call every few seconds, or before every charge.
func (db *DB) Paused(ctx context.Context) (bool, error) {
	s, err := db.PauseState(ctx)
	return s.Paused, err
}

// PauseState returns the switch that stops all charging, and when it was
// last flipped.
func (db *DB) PauseState(ctx context.Context) (PauseState, error) {
	var s PauseState
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		s, err = tx.pauseState()
		return err
	})
	if err != nil {
		return PauseState{}, fmt.Errorf("paused: %w", err)
	}
	return s, nil
}

// pauseState reads the switch in tx, so that a decision can see it in
// the transaction that records it.
func (tx *Tx) pauseState() (PauseState, error) {
	var on bool
	var at int64
	err := tx.tx.QueryRow(`SELECT is_on, changed_at FROM switches WHERE name = ?`, switchPaused).Scan(&on, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return PauseState{}, nil
	}
	if err != nil {
		return PauseState{}, err
	}
	return PauseState{Paused: on, Since: fromMS(at)}, nil
}

// paused reports in tx whether all charging is paused.
func (tx *Tx) paused() (bool, error) {
	s, err := tx.pauseState()
	return s.Paused, err
}
