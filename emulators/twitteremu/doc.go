// Package twitteremu is a Twitter API v1.1 emulator: a real HTTP server that
// the go-twitter client, signed with dghubble/oauth1, talks to as it would to
// api.twitter.com. It is used by end-to-end and fault tests and by the
// interactive sandbox.
//
// It behaves like Twitter where a bot's bugs would show: OAuth 1.0a
// signatures are verified, ids are 64-bit and strictly increasing (and may
// cross from 18 to 19 digits), timelines page with since_id/max_id and cap
// at 800 mentions or 3,200 Tweets, direct messages page with opaque cursors
// over the last 30 days, GET endpoints are rate limited per 15-minute
// window, and statuses/update refuses duplicates (187), over-long text
// (186), replies to deleted Tweets (385) and posting past the daily limit
// (185). As on Twitter, URLs in returned text are wrapped in t.co links,
// &, < and > in Tweet text are HTML-escaped, and without tweet_mode=extended
// a Tweet longer than 140 characters comes back truncated.
//
// Time comes from Options.Clock so that windows can be tested without
// sleeping, and faults (errors, empty bodies, malformed bodies, dropped
// connections, delays, work done before a failed answer) can be queued
// per endpoint with InjectFault.
package twitteremu
