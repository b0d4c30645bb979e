// Package twitteremu is a Twitter API v1.1 and X API v2 emulator: a real
// HTTP server that the go-twitter client and the project's twitterv2
// client, signed with dghubble/oauth1, talk to as they would to
// api.twitter.com and api.x.com. Both APIs serve the same users, Tweets and
// direct messages: v1.1 under /1.1/ (Start's URL), v2 under /2/ (URLv2).
// It is used by end-to-end and fault tests and by the interactive sandbox.
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
// The v2 half answers with problem details, checks every query parameter,
// field and expansion against X's lists (and says so when X knows one the
// emulator does not render), pages with since_id, until_id and
// pagination_token, applies X's summoned-reply rule to replies
// (Options.NoSummonedReplyRule turns it off) and X's v2 limits, including
// the 24-hour ones of posting and sending DMs. Where X's own API emulator
// (xdevplatform/playground) or its newest OpenAPI file answer otherwise
// than the live API, Options can make it answer so too: a reply to a gone
// post and a too-long text as 400s with the playground's details
// (ReplyGoneAs400, TooLongAs400), tweet.fields renamed post.fields
// (PostFields).
//
// Accounts have a creation time (User.CreatedAt, default
// DefaultAccountCreatedAt, years back), shown as v1.1's user created_at and
// v2's user.fields=created_at; a test rig can change it
// (SetAccountCreatedAt), rename an account while its id stays (RenameUser),
// and give it X's "Automated" label (SetAutomated), which only v2 user
// objects show, as affiliation.description "Automated". Accounts are looked
// up by id on v1.1 users/show and v2 GET users/{id}; an unknown id is 404
// code 50 on v1.1 and, on v2, X's 200 with only a not-found error (a 404
// under Options.UserNotFoundAs404).
//
// Time comes from Options.Clock so that windows can be tested without
// sleeping, and faults (errors, empty bodies, malformed bodies, dropped
// connections, delays, work done before a failed answer, a DM list that
// lags behind the messages sent) can be queued per endpoint with
// InjectFault.
package twitteremu
