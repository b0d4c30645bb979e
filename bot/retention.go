package bot

import (
	"context"
	"time"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/storage"
)

// compactBatch bounds each compaction transaction, so that the processor,
// which shares the one write connection, waits a few milliseconds at most.
const compactBatch = 500

// compactSchedule is how often retention runs: text past storage.retention
// (days) need not go the minute it is due.
const compactSchedule = "@every 10m"

// compactStore is what retention needs of storage; *storage.DB is the
// real one.
type compactStore interface {
	Compact(ctx context.Context, before time.Time, batch int) (storage.Compacted, error)
}

// compactor removes old messages' text and old API usage.
type compactor struct {
	jobDeps
	store   compactStore
	stopped func() bool // the bot takes no more work: no further batch
}

// compact removes the text of messages processed or sent longer than
// storage.retention ago, and the API usage counted before then, a batch
// per transaction, until none is left.
func (c *compactor) compact() {
	retention := c.settings().cfg.Storage.Retention
	if retention <= 0 { // a configuration built in code, not loaded
		retention = config.DefaultRetention
	}
	before := c.now().Add(-retention)
	var total storage.Compacted
	for !c.stopped() {
		n, err := c.store.Compact(c.work(), before, compactBatch)
		if err != nil {
			c.log.Error("compact old messages", "component", "retention", "err", err)
			return
		}
		total = total.Add(n)
		if !n.Full(compactBatch) {
			break
		}
		time.Sleep(10 * time.Millisecond) // let the bot's own writes in between
	}
	if total != (storage.Compacted{}) {
		c.log.Info("old messages compacted", "component", "retention", "inbox", total.Inbox, "outbox", total.Outbox, "usage", total.Usage, "before", before.Format(time.RFC3339))
	}
}
