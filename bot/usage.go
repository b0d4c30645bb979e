package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// meteredTwitter counts what the bot reads from Twitter and writes to it,
// resource by resource, for `paybytweet usage`: on X's pay-per-use API
// each of them costs money. A count that cannot be stored is logged and
// lost; the call itself is never failed for it.
type meteredTwitter struct {
	Twitter
	db  *storage.DB
	now func() time.Time
	log *slog.Logger
}

func (m meteredTwitter) count(u twitterapi.Usage, ids ...int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.db.RecordUsage(ctx, string(u), m.now(), ids...); err != nil {
		m.log.Warn("count API usage", "usage", u, "err", err)
	}
}

func tweetIDs(p twitterapi.Page) []int64 {
	ids := make([]int64, 0, len(p.Tweets))
	for _, t := range p.Tweets {
		ids = append(ids, t.ID)
	}
	return ids
}

func (m meteredTwitter) Mentions(sinceID int64, token string) (twitterapi.Page, error) {
	p, err := m.Twitter.Mentions(sinceID, token)
	if err == nil {
		m.count(twitterapi.UsageMentionRead, tweetIDs(p)...)
	}
	return p, err
}

func (m meteredTwitter) OwnTweets(userID, sinceID int64, token string) (twitterapi.Page, error) {
	p, err := m.Twitter.OwnTweets(userID, sinceID, token)
	if err == nil {
		m.count(twitterapi.UsageOwnTweetRead, tweetIDs(p)...)
	}
	return p, err
}

func (m meteredTwitter) DMEvents(token string) ([]twitterapi.DM, string, error) {
	evs, next, err := m.Twitter.DMEvents(token)
	if err == nil {
		ids := make([]int64, 0, len(evs))
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
		m.count(twitterapi.UsageDMRead, ids...)
	}
	return evs, next, err
}

func (m meteredTwitter) Post(text string, inReplyTo int64) (int64, error) {
	id, err := m.Twitter.Post(text, inReplyTo)
	if err == nil {
		m.count(twitterapi.PostUsage(text, inReplyTo), id)
	}
	return id, err
}

func (m meteredTwitter) SendDM(recipient int64, text string) (int64, error) {
	id, err := m.Twitter.SendDM(recipient, text)
	if err == nil {
		m.count(twitterapi.UsageDMSent, id)
	}
	return id, err
}

// Close aborts the adapter's requests in flight, where it can.
func (m meteredTwitter) Close() {
	if c, ok := m.Twitter.(interface{ Close() }); ok {
		c.Close()
	}
}

func (m meteredTwitter) User(id int64) (twitterapi.User, error) {
	u, err := m.Twitter.User(id)
	if err == nil {
		m.count(twitterapi.UsageUserRead, id)
	}
	return u, err
}
