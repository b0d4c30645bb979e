package bot

import (
	"context"
	"log/slog"
	"sync"
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
	counts *usageCounts
	now    func() time.Time
}

func newMeteredTwitter(tw Twitter, db *storage.DB, now func() time.Time, log *slog.Logger) meteredTwitter {
	return meteredTwitter{Twitter: tw, counts: &usageCounts{db: db, log: log}, now: now}
}

func (m meteredTwitter) count(u twitterapi.Usage, ids ...int64) {
	if len(ids) > 0 {
		m.counts.add(storage.Usage{Kind: string(u), At: m.now(), IDs: ids})
	}
}

// usageCounts stores the counts of concurrent calls together (a group
// commit): the caller that finds no write under way writes what has
// queued, and goes on writing until nothing is left, while the others
// return at once. A burst of 500 replies, posted eight at a time, had
// cost 500 commits of the one write connection the processor needs.
type usageCounts struct {
	db  *storage.DB
	log *slog.Logger

	mu      sync.Mutex
	pending []storage.Usage
	writing bool
}

func (c *usageCounts) add(u storage.Usage) {
	c.mu.Lock()
	c.pending = append(c.pending, u)
	if c.writing {
		c.mu.Unlock()
		return
	}
	c.writing = true
	for len(c.pending) > 0 {
		batch := c.pending
		c.pending = nil
		c.mu.Unlock()
		c.write(batch)
		c.mu.Lock()
	}
	c.writing = false
	c.mu.Unlock()
}

func (c *usageCounts) write(batch []storage.Usage) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.db.RecordUsages(ctx, batch); err != nil {
		c.log.Warn("count API usage", "calls", len(batch), "err", err)
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
