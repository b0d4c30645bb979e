package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paybytweet/paybytweet/conversations"
)

// The outcomes of a pushed event, as /metrics counts them.
const (
	PushNew       = "new"       // its message was not in the inbox: stored
	PushDuplicate = "duplicate" // polling, or an earlier delivery, stored it first
	PushIgnored   = "ignored"   // not a message the bot acts on (its own, another account's, ...)
)

// SavePushed stores messages X pushed (the X Activity API), through the
// same dedupe as polling: a message already in the inbox, however it came,
// is left alone. Each is counted under eventType with its outcome. It
// returns how many were new.
func (db *DB) SavePushed(ctx context.Context, eventType string, msgs []conversations.Inbound) (int, error) {
	added := 0
	err := db.update(ctx, func(tx *Tx) error {
		for _, m := range msgs {
			n, err := tx.insertInbox(m)
			if err != nil {
				return err
			}
			outcome := PushDuplicate
			if n {
				added++
				outcome = PushNew
			}
			if err := tx.countMetric("push_events", eventType+"/"+outcome); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("save pushed: %w", err)
	}
	return added, nil
}

// CountPush counts a push happening for /metrics: an event ignored (label
// "type/ignored" under "push_events"), a reconnect or a backfill asked
// ("push", label "reconnect" or "backfill").
func (db *DB) CountPush(ctx context.Context, name, label string) error {
	return db.update(ctx, func(tx *Tx) error { return tx.countMetric(name, label) })
}

// insertInbox stores one message unless it is stored already; true when
// it was new.
func (tx *Tx) insertInbox(m conversations.Inbound) (bool, error) {
	tags, err := json.Marshal(m.Hashtags)
	if err != nil {
		return false, err
	}
	res, err := tx.tx.Exec(`INSERT OR IGNORE INTO inbox
		(channel, message_id, user_id, screen_name, text, hashtags, in_reply_to, posted_at, received_at,
		 author_username, author_created_at, author_automated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Channel, m.ID, m.UserID, m.ScreenName, m.Text, string(tags), m.InReplyTo, ms(m.PostedAt), ms(tx.now),
		m.Author.Username, ms(m.Author.CreatedAt), boolOrNull(m.Author.Automated))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
