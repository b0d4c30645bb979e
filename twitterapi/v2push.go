package twitterapi

import (
	"github.com/dghubble/go-twitter/twitter"
	"github.com/paybytweet/paybytweet/twitterv2"
)

// The conversions polling makes, for the messages the X Activity API
// pushes (package push), so that a pushed message is the very value a
// poll would have read.

// FromV2Tweet is the Tweet polling on v2 makes of the post t, its
// author's account as users gives it; me is the bot, whose mention
// without an id still names it. It fails for a post without id, author
// or created_at, which polling skips.
func FromV2Tweet(me User, t twitterv2.Tweet, users map[int64]twitterv2.User) (Tweet, error) {
	return convertV2Tweet(me, t, users)
}

// FromV2User is the User polling on v2 makes of a v2 user object.
func FromV2User(u twitterv2.User) User { return v2User(u) }

// FromV1DMEvent is the DM polling on v1.1 makes of a message_create
// event (the shape the X Activity API pushes a dm.received in): no
// account fields, which v1.1 does not give. It fails for another type of
// event or a malformed one, which polling skips.
func FromV1DMEvent(e twitter.DirectMessageEvent) (DM, error) { return convertDM(e) }
