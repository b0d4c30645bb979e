package bot

import (
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

// compact removes the text of messages processed or sent longer than
// storage.retention ago, and the API usage counted before then, a batch
// per transaction, until none is left.
func (b *Bot) compact() {
	retention := b.settings().cfg.Storage.Retention
	if retention <= 0 { // a configuration built in code, not loaded
		retention = config.DefaultRetention
	}
	before := b.now().Add(-retention)
	var total storage.Compacted
	for b.ctx.Err() == nil {
		n, err := b.db.Compact(b.work, before, compactBatch)
		if err != nil {
			b.log.Error("compact old messages", "component", "retention", "err", err)
			return
		}
		total = total.Add(n)
		if !n.Full(compactBatch) {
			break
		}
		time.Sleep(10 * time.Millisecond) // let the bot's own writes in between
	}
	if total != (storage.Compacted{}) {
		b.log.Info("old messages compacted", "component", "retention", "inbox", total.Inbox, "outbox", total.Outbox, "usage", total.Usage, "before", before.Format(time.RFC3339))
	}
}

// CompactNow runs retention at once, instead of waiting for its schedule.
func (b *Bot) CompactNow() { b.compact() }
