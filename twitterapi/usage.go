package twitterapi

import "github.com/paybytweet/paybytweet/twittertext"

// Usage is a kind of thing the bot does to one resource (a post, a DM
// event), as X's pay-per-use pricing counts it. What each costs is the
// usage report's business (admin.UsageRows).
type Usage string

// The kinds the bot counts.
const (
	UsageMentionRead  Usage = "mention_read"   // a post read from the bot's mentions
	UsageOwnTweetRead Usage = "own_tweet_read" // one of the bot's own posts read back
	UsageDMRead       Usage = "dm_read"        // a DM event read
	UsageUserRead     Usage = "user_read"      // an account looked up (CallUser)
	UsagePost         Usage = "post"           // a post created
	UsageReply        Usage = "reply"          // a reply created to a post that mentioned the bot
	UsagePostWithURL  Usage = "post_with_url"  // a post created with a URL in it
	UsageDMSent       Usage = "dm_sent"        // a DM created
	UsagePushPost     Usage = "push_post"      // a post event X pushed (X Activity API)
	UsagePushDM       Usage = "push_dm"        // a DM event X pushed
)

// Usages lists every kind, in the order reports show them.
var Usages = []Usage{UsageMentionRead, UsageOwnTweetRead, UsageDMRead, UsageUserRead, UsagePushPost, UsagePushDM,
	UsagePost, UsageReply, UsagePostWithURL, UsageDMSent}

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
