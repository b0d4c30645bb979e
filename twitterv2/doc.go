// Package twitterv2 is a small client of the X API v2 subset the bot speaks
// (see the project's twitter-api-v2 contract): who am I, mentions, own
// Tweets, posting, reading and sending direct messages, and looking up an
// account by id. It is built on
// net/http and signs every request with OAuth 1.0a user context
// (dghubble/oauth1, HMAC-SHA1), as X requires for these calls.
//
// Answers come back typed: ids as int64 (X sends decimal strings), screen
// names and account creation times joined from includes.users (with an
// account's affiliation, X's "Automated" label, where X gives it), retweets
// and quotes from referenced_tweets. A malformed entry in a page is logged and skipped, never
// a failure of the page. Every non-2xx answer is an *APIError carrying the
// problem details and the rate-limit headers, and predicates such as
// IsDuplicate or IsUsageCapped classify it; the rate-limit budget of each
// endpoint is tracked from the headers of every answer.
//
// Where X's own descriptions of the API disagree with the live API, the
// client takes both: a reply to a post that is gone is IsNotFound whether
// it is refused 404 (the live API) or 400 "Your reply tweet ID is
// invalid." (X's own emulator), and timelines ask for their fields as
// tweet.fields until the API refuses that name as unknown, then as
// post.fields (X's OpenAPI 2.167 name), and back the same way.
package twitterv2
