package twitterapi

import "github.com/paybytweet/paybytweet/twittertext"

// Usage is a kind of thing the bot does to one resource (a post, a DM
// event), as X's pay-per-use pricing counts it.
type Usage string

// The kinds the bot counts.
const (
	UsageMentionRead  Usage = "mention_read"   // a post read from the bot's mentions
	UsageOwnTweetRead Usage = "own_tweet_read" // one of the bot's own posts read back
	UsageDMRead       Usage = "dm_read"        // a DM event read
	UsagePost         Usage = "post"           // a post created
	UsageReply        Usage = "reply"          // a reply created to a post that mentioned the bot
	UsagePostWithURL  Usage = "post_with_url"  // a post created with a URL in it
	UsageDMSent       Usage = "dm_sent"        // a DM created
)

// Usages lists every kind, in the order reports show them.
var Usages = []Usage{UsageMentionRead, UsageOwnTweetRead, UsageDMRead, UsagePost, UsageReply, UsagePostWithURL, UsageDMSent}

// Price is what X's pay-per-use API charges for one resource of a kind,
// in thousandths of a US dollar (twitter-api-v2.md, 2026 prices; for
// estimates only): reading the bot's own mentions or posts 0.001, a DM
// event 0.010, creating a post 0.015 (a reply to a post that mentioned
// the bot 0.010, a post with a URL 0.20), a DM 0.015.
func Price(u Usage) int64 {
	switch u {
	case UsageMentionRead, UsageOwnTweetRead:
		return 1
	case UsageDMRead, UsageReply:
		return 10
	case UsagePost, UsageDMSent:
		return 15
	case UsagePostWithURL:
		return 200
	}
	return 0
}

// PostUsage is the kind of a post of text: every reply the bot makes
// answers a post that mentioned it (only those are acted on).
func PostUsage(text string, inReplyTo int64) Usage {
	switch {
	case len(twittertext.Extract(text).URLs) > 0:
		return UsagePostWithURL
	case inReplyTo != 0:
		return UsageReply
	}
	return UsagePost
}
