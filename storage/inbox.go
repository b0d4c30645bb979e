package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// InboxMessage is a stored mention or DM.
type InboxMessage struct {
	ID int64 // the inbox row
	conversations.Inbound
	State  string // InboxPending, InboxDone or InboxFailed
	Action string
	// Attempts counts the times its processing failed; LastError is why,
	// and RetryAt (wall clock) is when it is tried again.
	Attempts  int
	LastError string
	RetryAt   time.Time
}

// The states of an inbox message.
const (
	InboxPending = "pending"
	InboxDone    = "done"
	InboxFailed  = "failed" // its processing failed too often; an admin may put it back
)

// SavePage stores one page of polled messages together with the poller's
// cursor, in one transaction: either both are recorded or neither, so a
// crash never skips a message nor loses a cursor move. A message already
// stored is left alone. It returns how many messages were new.
func (db *DB) SavePage(ctx context.Context, msgs []conversations.Inbound, cursorName string, cursor any) (int, error) {
	value, err := json.Marshal(cursor)
	if err != nil {
		return 0, fmt.Errorf("save page: %w", err)
	}
	added := 0
	err = db.update(ctx, func(tx *Tx) error {
		for _, m := range msgs {
			n, err := tx.insertInbox(m)
			if err != nil {
				return err
			}
			if n {
				added++
			}
		}
		return tx.setCursor(cursorName, string(value))
	})
	if err != nil {
		return 0, fmt.Errorf("save page: %w", err)
	}
	return added, nil
}

// Cursor reads a poller's cursor into v. It returns ErrNotFound when the
// poller has never saved one.
func (db *DB) Cursor(ctx context.Context, name string, v any) error {
	var value string
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT value FROM cursors WHERE name = ?`, name).Scan(&value)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("cursor %s: %w", name, err)
	}
	if err := json.Unmarshal([]byte(value), v); err != nil {
		return fmt.Errorf("cursor %s: %w", name, err)
	}
	return nil
}

// SetCursor saves a poller's cursor on its own.
func (db *DB) SetCursor(ctx context.Context, name string, cursor any) error {
	value, err := json.Marshal(cursor)
	if err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error { return tx.setCursor(name, string(value)) })
}

func (tx *Tx) setCursor(name, value string) error {
	_, err := tx.tx.Exec(`INSERT INTO cursors (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// NextInbox returns the oldest unprocessed message, by message id (tweet
// and DM ids are both snowflakes, so this is the order they were written
// in), among those of each channel up to that channel's limit: messages
// above a limit belong to a poll still walking back through pages, and an
// older message of that walk may still arrive. Messages of the users in
// skip are passed over, all of them, and so are those of a user whose
// message waits for a retry after a failure (RetryAt after now), so that
// one cardholder whose message must wait keeps their order without
// holding up everyone else. ok is false when there is nothing to do.
func (db *DB) NextInbox(ctx context.Context, limits map[conversations.Channel]int64, skip []int64, now time.Time) (m InboxMessage, ok bool, err error) {
	msgs, err := db.NextInboxBatch(ctx, limits, skip, now, 1)
	if err != nil || len(msgs) == 0 {
		return InboxMessage{}, false, err
	}
	return msgs[0], true, nil
}

// InboxFailed records that processing message id failed with why: it is
// tried again from retryAt, or, when final, set aside as failed for an
// admin. Its cardholder's other messages wait meanwhile (see NextInbox).
func (db *DB) InboxFailed(ctx context.Context, id int64, why string, retryAt time.Time, final bool) error {
	state := InboxPending
	if final {
		state = InboxFailed
	}
	err := db.update(ctx, func(tx *Tx) error {
		return tx.execOne(`UPDATE inbox SET attempts = attempts + 1, last_error = ?, retry_at = ?, state = ? WHERE id = ? AND state = 'pending'`,
			why, ms(retryAt), state, id)
	})
	if err != nil {
		return fmt.Errorf("inbox %d failed: %w", id, err)
	}
	return nil
}

// RetryInbox puts a failed message back in line, with its attempts
// cleared, for after an admin fixed what made it fail. It returns
// ErrNotFound when there is no such message and ErrConflict when it is
// not failed.
func (db *DB) RetryInbox(ctx context.Context, id int64) error {
	err := db.update(ctx, func(tx *Tx) error {
		var state string
		if err := tx.tx.QueryRow(`SELECT state FROM inbox WHERE id = ?`, id).Scan(&state); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if state != InboxFailed {
			return fmt.Errorf("it is %s, not failed: %w", state, ErrConflict)
		}
		_, err := tx.tx.Exec(`UPDATE inbox SET state = 'pending', attempts = 0, retry_at = 0 WHERE id = ? AND state = 'failed'`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("retry inbox %d: %w", id, err)
	}
	return nil
}

// Inbox lists stored messages, oldest first: every one, or only those in
// state (InboxPending, InboxDone, InboxFailed) when it is not "".
func (db *DB) Inbox(ctx context.Context, state string) ([]InboxMessage, error) {
	q, args := `SELECT `+inboxColumns+` FROM inbox`, []any{}
	if state != "" {
		q, args = q+` WHERE state = ?`, append(args, state)
	}
	var out []InboxMessage
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(tx, scanInbox, q+` ORDER BY message_id`, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return out, nil
}

const inboxColumns = `id, channel, message_id, user_id, screen_name, text, hashtags, in_reply_to, posted_at, state, action,
	attempts, last_error, retry_at, author_username, author_created_at, author_automated`

type scanner interface{ Scan(dest ...any) error }

func scanInbox(r scanner) (InboxMessage, error) {
	var m InboxMessage
	var tags string
	var posted, retry, created int64
	var automated sql.NullBool
	if err := r.Scan(&m.ID, &m.Channel, &m.Inbound.ID, &m.UserID, &m.ScreenName, &m.Text, &tags, &m.InReplyTo, &posted, &m.State, &m.Action,
		&m.Attempts, &m.LastError, &retry, &m.Author.Username, &created, &automated); err != nil {
		return m, err
	}
	m.PostedAt, m.RetryAt, m.Author.CreatedAt = fromMS(posted), fromMS(retry), fromMS(created)
	if automated.Valid {
		m.Author.Automated = &automated.Bool
	}
	if err := json.Unmarshal([]byte(tags), &m.Hashtags); err != nil {
		return m, fmt.Errorf("inbox %d hashtags: %w", m.ID, err)
	}
	return m, nil
}

// boolOrNull stores a tri-state: NULL when not known.
func boolOrNull(b *bool) any {
	if b == nil {
		return nil
	}
	if *b {
		return 1
	}
	return 0
}
