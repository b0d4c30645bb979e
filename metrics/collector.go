package metrics

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// Source is what the collector reads when Prometheus scrapes.
type Source struct {
	DB     *storage.DB
	Config func() *config.Config // the configuration in force, for the posting budgets
	Now    func() time.Time      // the clock the database's times are written with
	// Twitter gives the budgets Twitter's rate-limit headers last gave.
	Twitter interface {
		Limit(call twitterapi.Call) (twitterapi.RateLimit, bool)
	}
	// Ready is the readiness check: whether the bot can do its job, and
	// why not.
	Ready func(ctx context.Context) (bool, string)
	// Credentials reports whether Twitter accepts the bot's credentials.
	Credentials func() bool
	// Push reports whether push is configured and brings the messages.
	Push func() (on, healthy bool)
}

// WatchDatabase registers a collector that reads src at every scrape:
// a handful of indexed queries and counts kept by triggers, never a scan
// of the order history.
func (m *Metrics) WatchDatabase(src Source) {
	m.Registry.MustRegister(&dbCollector{src: src, m: m})
}

// rateCalls are the calls to Twitter whose budgets are shown.
var rateCalls = []twitterapi.Call{
	twitterapi.CallPost, twitterapi.CallSendDM, twitterapi.CallMentions,
	twitterapi.CallDMList, twitterapi.CallOwnTweets, twitterapi.CallVerify,
}

var channels = []conversations.Channel{conversations.Tweet, conversations.DM}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descRead      = desc("paybytweet_messages_read_total", "Mentions and DMs stored from Twitter, by channel.", "channel")
	descProcessed = desc("paybytweet_messages_processed_total", "Messages the processor finished, by action (reserve, confirm, skip, ...).", "action")
	descSent      = desc("paybytweet_replies_sent_total", "Replies, DMs and announcements posted, by channel.", "channel")
	descRefused   = desc("paybytweet_replies_refused_total", "Replies Twitter refused for good, by channel.", "channel")
	descWaiting   = desc("paybytweet_replies_waiting", "Replies queued or being posted, by channel.", "channel")
	descOrders    = desc("paybytweet_orders", "Orders by state.", "state")
	descPending   = desc("paybytweet_inbox_pending_messages", "Messages stored and not processed yet.")
	descPendAge   = desc("paybytweet_inbox_oldest_pending_age_seconds", "How long the oldest unprocessed message has waited since it was stored; 0 when none waits.")
	descFailed    = desc("paybytweet_inbox_failed_messages", "Messages whose processing failed for good and wait for an operator.")
	descUnpaid    = desc("paybytweet_oldest_uncharged_order_age_seconds", "How long the oldest confirmed order has waited for its charge to settle; 0 when none waits.")
	descAnswer    = desc("paybytweet_answer_latency_seconds", "Time from a cardholder's message being posted to the bot's answer being posted, by the answer's channel.", "channel")
	descBudget    = desc("paybytweet_posting_budget_remaining", "Posts left in the configured budgets (twitter.limits), by channel: the least left of its windows.", "channel")
	descRate      = desc("paybytweet_twitter_rate_limit_remaining", "Calls left in the window of a call to Twitter (mentions, post, ...), as its rate-limit headers last said.", "endpoint")
	descReady     = desc("paybytweet_ready", "1 when /readyz answers 200: the bot can do its job.")
	descCreds     = desc("paybytweet_twitter_credentials_ok", "1 when Twitter has confirmed the bot's credentials and does not refuse them.")
	descIssuer    = desc("paybytweet_issuer_unreachable_seconds", "How long the issuer has not answered (no connection, timeouts, 5xx); 0 while it answers.")
	descApprovals = desc("paybytweet_approvals_total", "Approvals by the cardholder at the issuer, by outcome: asked, approved, declined (by the cardholder), expired (no answer in time), unsupported (the issuer answered 400 param approval: it offers none, and the purchase is refused).", "outcome")
	descRiskRef   = desc("paybytweet_risk_refusals_total", "Purchases the risk rules refused, by the rule that refused (daily_limit, hourly_purchases, automated, approvals_per_day, decline_hold).", "rule")
	descApprAge   = desc("paybytweet_approval_oldest_pending_age_seconds", "How long the oldest order awaiting the cardholder's approval has waited since it was confirmed; 0 when none waits.")
	descPush      = desc("paybytweet_push_connected", "1 while push (the X Activity API) brings the mentions and DMs, polled since it connected; 0 while it does not (polling covers them). Absent with push off.")
	descPushEv    = desc("paybytweet_push_events_total", "Events X pushed (the X Activity API), by type (post.mention.create, post.reply.create, dm.received) and outcome: new (stored), duplicate (polling or an earlier delivery stored it first), ignored (not a message the bot acts on).", "type", "outcome")
	descPushRe    = desc("paybytweet_push_reconnects_total", "Times the push stream connected again after it dropped.")
	descPushBack  = desc("paybytweet_push_backfills_total", "Reconnects that asked X for the events missed (backfill_minutes); X may give less, or none.")
	descPaused    = desc("paybytweet_charging_paused", "1 while an operator has paused all charging (paybytweet pause): confirmed orders wait, by design.")
	descApprLate  = desc("paybytweet_approval_overdue_seconds", "How far past the expires the issuer gave the most overdue pending approval is; 0 when none is past it.")
)

// approvalOutcomes are the labels of paybytweet_approvals_total, as the
// bot counts them in metric_counts under "approvals".
var approvalOutcomes = []string{"asked", "approved", "declined", "expired", "unsupported"}

// refusingRules are the rules that refuse a purchase (approval_over and
// the others that ask for approval never do), as the bot counts them in
// metric_counts under "risk_refused".
var refusingRules = []string{conversations.RuleDailyLimit, conversations.RuleHourlyPurchases, conversations.RuleAutomated,
	conversations.RuleApprovalsPerDay, conversations.RuleDeclineHold}

type dbCollector struct {
	src Source
	m   *Metrics
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRead, descProcessed, descSent, descRefused, descWaiting, descOrders, descPending,
		descPendAge, descFailed, descUnpaid, descAnswer, descBudget, descRate, descReady, descCreds, descIssuer,
		descApprovals, descRiskRef, descApprAge, descApprLate, descPaused, descPush, descPushEv, descPushRe, descPushBack} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := c.src.Now()
	f, err := c.src.DB.Figures(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descOrders, err)
	} else {
		c.figures(ch, f, now)
	}
	c.budgets(ctx, ch, now)
	ready, _ := c.src.Ready(ctx)
	ch <- gauge(descReady, bool01(ready))
	ch <- gauge(descCreds, bool01(c.src.Credentials()))
	if c.src.Push != nil {
		// Served only with push on, so that an alert on it never fires
		// for a bot that polls by design.
		if on, healthy := c.src.Push(); on {
			ch <- gauge(descPush, bool01(healthy))
		}
	}
	down, _ := c.m.IssuerReach.Down(time.Now())
	ch <- gauge(descIssuer, down.Seconds())
	for _, call := range rateCalls {
		if l, ok := c.src.Twitter.Limit(call); ok {
			ch <- gauge(descRate, float64(l.Remaining), string(call))
		}
	}
}

// budgets sends, per channel, the posts left in the configured budgets
// (twitter.limits): the least left of the channel's windows.
func (c *dbCollector) budgets(ctx context.Context, ch chan<- prometheus.Metric, now time.Time) {
	l := c.src.Config().Twitter.Limits
	type budget struct {
		limit  int
		window time.Duration
	}
	for chn, budgets := range map[conversations.Channel][]budget{
		conversations.Tweet: {{l.TweetsPerWindow, l.TweetWindow}},
		conversations.DM:    {{l.DMsPerDay, 24 * time.Hour}, {l.DMsPerWindow, l.DMWindow}},
	} {
		left, known := int64(0), false
		for _, b := range budgets {
			if b.limit <= 0 || b.window <= 0 {
				continue
			}
			sent, err := c.src.DB.SentSince(ctx, chn, now.Add(-b.window))
			if err != nil {
				ch <- prometheus.NewInvalidMetric(descBudget, err)
				return
			}
			if rest := max(0, int64(b.limit)-sent); !known || rest < left {
				left, known = rest, true
			}
		}
		if known {
			ch <- gauge(descBudget, float64(left), string(chn))
		}
	}
}

func (c *dbCollector) figures(ch chan<- prometheus.Metric, f storage.Figures, now time.Time) {
	for _, chn := range channels {
		n := string(chn)
		ch <- counter(descRead, f.Counts["read"][n], n)
		ch <- counter(descSent, f.Counts["sent"][n], n)
		ch <- counter(descRefused, f.Counts["refused"][n], n)
		ch <- gauge(descWaiting, float64(f.OutboxWaiting[chn]), n)
		if buckets := f.Answer[n]; len(buckets) > 0 {
			var count uint64
			upper := map[float64]uint64{}
			for le, v := range buckets {
				if le >= 1e15 {
					count = v
					continue
				}
				upper[le] = v
			}
			sum := float64(f.Counts["answer_ms_sum"][n]) / 1000
			if h, err := prometheus.NewConstHistogram(descAnswer, count, sum, upper, n); err == nil {
				ch <- h
			}
		}
	}
	for _, a := range labels(f.Counts["processed"]) {
		ch <- counter(descProcessed, f.Counts["processed"][a], a)
	}
	// Every outcome and refusing rule shows, at 0 before the first, so
	// that a rate or an alert on one has a series to read; a label the
	// bot counts under another name shows too.
	for _, o := range labels(f.Counts["approvals"], approvalOutcomes...) {
		ch <- counter(descApprovals, f.Counts["approvals"][o], o)
	}
	for _, r := range labels(f.Counts["risk_refused"], refusingRules...) {
		ch <- counter(descRiskRef, f.Counts["risk_refused"][r], r)
	}
	for _, l := range labels(f.Counts["push_events"]) {
		if typ, outcome, ok := strings.Cut(l, "/"); ok {
			ch <- counter(descPushEv, f.Counts["push_events"][l], typ, outcome)
		}
	}
	ch <- counter(descPushRe, f.Counts["push"]["reconnect"])
	ch <- counter(descPushBack, f.Counts["push"]["backfill"])
	// Every state shows, at 0 when no order is in it, so that an alert on
	// one has a series to read.
	for _, s := range conversations.States {
		ch <- gauge(descOrders, float64(f.Counts["orders"][string(s)]), string(s))
	}
	ch <- gauge(descPending, float64(f.InboxPending))
	ch <- gauge(descPendAge, age(now, f.OldestPending))
	ch <- gauge(descFailed, float64(f.InboxFailed))
	ch <- gauge(descUnpaid, age(now, f.OldestUnpaid))
	ch <- gauge(descApprAge, age(now, f.OldestPendingApproval))
	ch <- gauge(descApprLate, age(now, f.OverdueApproval))
	ch <- gauge(descPaused, bool01(f.Paused))
}

// labels returns the labels of counts and those of always, each once,
// sorted.
func labels(counts map[string]int64, always ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range always {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	for l := range counts {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func age(now, t time.Time) float64 {
	if t.IsZero() || now.Before(t) {
		return 0
	}
	return now.Sub(t).Seconds()
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v int64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
