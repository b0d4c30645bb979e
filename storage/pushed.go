package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paybytweet/paybytweet/conversations"
)

// The outcomes of a pushed event, as /metrics counts them.
const (
	PushNew       = "new"       // its message was not in the inbox: stored
	PushDuplicate = "duplicate" // polling, or an earlier delivery, stored it first
	PushIgnored   = "ignored"   // not a message the bot acts on (its own, another account's, ...)
)

// Pushed is one event X pushed, as the bot keeps it: the messages it
// brings (none when it is not one the bot acts on), and the resources
// it is billed for.
type Pushed struct {
	Type  string // its event_type
	Msgs  []conversations.Inbound
	Usage string  // the usage kind it is billed as
	IDs   []int64 // the resources billed
	At    time.Time
}

// SavePushed stores events X pushed (the X Activity API) in one commit:
// their messages through the same dedupe as polling (a message already
// in the inbox, however it came, is left alone), each counted under its
// event type as new, duplicate or ignored, and their usage. It returns
// how many messages were new.
func (db *DB) SavePushed(ctx context.Context, events []Pushed) (int, error) {
	added := 0
	err := db.update(ctx, func(tx *Tx) error {
		added = 0
		for _, ev := range events {
			n, err := tx.savePushed(ev)
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("save pushed: %w", err)
	}
	return added, nil
}

func (tx *Tx) savePushed(ev Pushed) (int, error) {
	if err := tx.recordUsage(ev.Usage, ev.At, ev.IDs...); err != nil {
		return 0, err
	}
	if len(ev.Msgs) == 0 {
		return 0, tx.countMetric("push_events", ev.Type+"/"+PushIgnored)
	}
	added := 0
	for _, m := range ev.Msgs {
		n, err := tx.insertInbox(m)
		if err != nil {
			return 0, err
		}
		outcome := PushDuplicate
		if n {
			added++
			outcome = PushNew
		} else if err := tx.seeLabel(m); err != nil {
			return 0, err
		}
		if err := tx.countMetric("push_events", ev.Type+"/"+outcome); err != nil {
			return 0, err
		}
	}
	return added, nil
}

// seeLabel records the Automated label a pushed copy of a message
// carries on its author's account: X gives the label in push payloads,
// not always in the polled copy that may have been stored first, and the
// rules read it from the account at the next decision (the confirmation,
// if the buy was decided already).
func (tx *Tx) seeLabel(m conversations.Inbound) error {
	if m.Author.Automated == nil || m.UserID <= 0 {
		return nil
	}
	// The label alone: usernames are recorded in the order messages are
	// decided, and a newer message's name seen first would hide a change.
	_, err := tx.seeAccount(AccountSighting{UserID: m.UserID, Automated: m.Author.Automated, At: m.PostedAt})
	return err
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
