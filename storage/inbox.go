package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/paybytweet/paybytweet/conversations"
)

// InboxMessage is a stored mention or DM.
type InboxMessage struct {
	ID int64 // the inbox row
	conversations.Inbound
	State  string
	Action string
}

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
			tags, err := json.Marshal(m.Hashtags)
			if err != nil {
				return err
			}
			res, err := tx.tx.Exec(`INSERT OR IGNORE INTO inbox
				(channel, message_id, user_id, screen_name, text, hashtags, in_reply_to, posted_at, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				m.Channel, m.ID, m.UserID, m.ScreenName, m.Text, string(tags), m.InReplyTo, ms(m.PostedAt), ms(tx.now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
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
// skip are passed over, all of them, so that one cardholder whose message
// must wait keeps their order without holding up everyone else. ok is
// false when there is nothing to do.
func (db *DB) NextInbox(ctx context.Context, limits map[conversations.Channel]int64, skip []int64) (m InboxMessage, ok bool, err error) {
	query := `SELECT ` + inboxColumns + ` FROM inbox
		WHERE state = 'pending' AND ((channel = 'tweet' AND message_id <= ?) OR (channel = 'dm' AND message_id <= ?))`
	args := []any{limits[conversations.Tweet], limits[conversations.DM]}
	if len(skip) > 0 {
		query += ` AND user_id NOT IN (?` + strings.Repeat(", ?", len(skip)-1) + `)`
		for _, u := range skip {
			args = append(args, u)
		}
	}
	query += ` ORDER BY message_id LIMIT 1`
	err = db.view(ctx, func(tx *Tx) error {
		m, err = scanInbox(tx.tx.QueryRow(query, args...))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return InboxMessage{}, false, nil
	}
	if err != nil {
		return InboxMessage{}, false, fmt.Errorf("next inbox: %w", err)
	}
	return m, true, nil
}

// PendingInbox counts messages not processed yet.
func (db *DB) PendingInbox(ctx context.Context) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT COUNT(*) FROM inbox WHERE state = 'pending'`).Scan(&n)
	})
	return n, err
}

// InboxMessages returns every stored message, oldest first; for tests and
// the admin commands.
func (db *DB) InboxMessages(ctx context.Context) ([]InboxMessage, error) {
	var out []InboxMessage
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(tx, scanInbox, `SELECT `+inboxColumns+` FROM inbox ORDER BY message_id`)
		return err
	})
	return out, err
}

const inboxColumns = `id, channel, message_id, user_id, screen_name, text, hashtags, in_reply_to, posted_at, state, action`

type scanner interface{ Scan(dest ...any) error }

func scanInbox(r scanner) (InboxMessage, error) {
	var m InboxMessage
	var tags string
	var posted int64
	if err := r.Scan(&m.ID, &m.Channel, &m.Inbound.ID, &m.UserID, &m.ScreenName, &m.Text, &tags, &m.InReplyTo, &posted, &m.State, &m.Action); err != nil {
		return m, err
	}
	m.PostedAt = fromMS(posted)
	if err := json.Unmarshal([]byte(tags), &m.Hashtags); err != nil {
		return m, fmt.Errorf("inbox %d hashtags: %w", m.ID, err)
	}
	return m, nil
}
