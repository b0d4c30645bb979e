package twitteremu

import (
	"log/slog"
	"time"
)

// Default values used for zero fields of Options.
const (
	DefaultFirstID       int64 = 1460323737035677698
	DefaultPostingLimit        = 300
	DefaultPostingWindow       = 3 * time.Hour
	DefaultDMSendLimit         = 1000
	DefaultDMSendWindow        = 24 * time.Hour
	// RateLimitWindow is the length of a rate-limit window of the GET
	// endpoints, as on Twitter.
	RateLimitWindow = 15 * time.Minute
	// DMListWindow is how far back direct_messages/events/list reaches.
	DMListWindow = 30 * 24 * time.Hour
	// MentionsCap is how many of the most recent mentions the mentions
	// timeline can reach.
	MentionsCap = 800
	// UserTimelineCap is how many of a user's most recent Tweets the user
	// timeline can reach.
	UserTimelineCap = 3200
)

// defaultRateLimits are Twitter's per-user limits per 15-minute window for
// the GET endpoints the emulator serves.
func defaultRateLimits() map[string]int {
	return map[string]int{
		"statuses/mentions_timeline":  75,
		"statuses/user_timeline":      900,
		"statuses/show":               900,
		"account/verify_credentials":  75,
		"direct_messages/events/list": 15,
		"direct_messages/events/show": 15,
		"users/show":                  900,
		// X API v2, per user per 15 minutes (docs.x.com rate limits).
		v2Me:         75,
		v2Mentions:   300,
		v2UserTweets: 900,
		v2PostTweet:  100,
		v2DMEvents:   15,
		v2SendDM:     15,
		v2UserByID:   900,
	}
}

// defaultDailyLimits are X's 24-hour limits of the v2 write endpoints.
func defaultDailyLimits() map[string]int {
	return map[string]int{
		v2PostTweet: 10000,
		v2SendDM:    1440,
	}
}

// DefaultAccountCreatedAt is when an account was made that AddUser (or
// Options.Bot) gives no CreatedAt: years before any test's clock, so that
// every account is an old one unless a test says otherwise.
var DefaultAccountCreatedAt = time.Date(2012, time.March, 21, 20, 50, 14, 0, time.UTC)

// User is a Twitter account known to the emulator.
type User struct {
	ID         int64
	ScreenName string
	Name       string
	// CreatedAt is when the account was made, shown as its created_at
	// (v1.1's user object, v2's user.fields=created_at); zero means
	// DefaultAccountCreatedAt.
	CreatedAt time.Time
	// Automated marks the account with X's "Automated" label, shown on v2
	// user objects as "affiliation": {"description": "Automated"} and
	// never on v1.1, which has no such field.
	Automated bool
}

// Options configures a Server. Every zero field takes a default.
type Options struct {
	// Clock gives the current time for created_at, windows and limits;
	// default time.Now.
	Clock func() time.Time
	// ConsumerKey, ConsumerSecret, AccessToken and AccessSecret are the
	// only credentials accepted; defaults "consumer-key", "consumer-secret",
	// "access-token", "access-secret".
	ConsumerKey, ConsumerSecret, AccessToken, AccessSecret string
	// Bot is the account the access token belongs to; default id
	// 4294967297 (past 32 bits), screen name "PayByTweet".
	Bot User
	// FirstID is the first id given to a Tweet or direct message event;
	// default DefaultFirstID.
	FirstID int64
	// IDStep is the gap between consecutive ids; default 1.
	IDStep int64
	// PostingLimit is how many statuses/update calls succeed within any
	// PostingWindow (sliding); defaults 300 per 3 hours.
	PostingLimit  int
	PostingWindow time.Duration
	// DMSendLimit is how many direct_messages/events/new calls succeed
	// within any DMSendWindow (sliding); defaults 1,000 per 24 hours.
	DMSendLimit  int
	DMSendWindow time.Duration
	// RateLimits overrides the per-window limit of GET endpoints, keyed
	// like "statuses/mentions_timeline", and of every v2 endpoint, keyed
	// like "2/users/:id/mentions" or "2/tweets"; a missing or non-positive
	// value keeps Twitter's default.
	RateLimits map[string]int
	// DailyLimits overrides the 24-hour limits of the v2 write endpoints,
	// "2/tweets" (10,000) and
	// "2/dm_conversations/with/:participant_id/messages" (1,440).
	DailyLimits map[string]int
	// NoSummonedReplyRule turns off X's rule for self-serve apps that a v2
	// reply is allowed only to a post whose author mentioned the bot or
	// quoted one of its posts (X's docs make no exception for the bot's
	// own posts). The rule is on by default, as on X today.
	NoSummonedReplyRule bool
	// ReplyGoneAs400 answers a v2 reply to a post that does not exist, or
	// no longer does, 400 DetailReplyInvalid, as X's own API emulator
	// (xdevplatform/playground, OpenAPI 2.166) does, instead of the live
	// API's 404: a client must take both for "the post replied to is gone".
	ReplyGoneAs400 bool
	// TooLongAs400 answers a v2 post whose text is too long 400
	// DetailTextTooLong, as X's playground does, instead of the 403 "Your
	// Tweet text is too long." the live API has answered with.
	TooLongAs400 bool
	// PostFields names the posts' field list post.fields, as X's OpenAPI
	// file does since 2.167 (August 2026), on every v2 route that takes
	// it: tweet.fields is then refused (400) as a query parameter the
	// route does not know, and post.fields takes the same values. The live
	// API still takes tweet.fields, the default here. SetPostFields
	// changes it while the server runs.
	PostFields bool
	// UserNotFoundAs404 answers GET 2/users/:id for an id that is no
	// account 404 with a problem, instead of the 200 with no data and only
	// an errors array that X's user lookup answers (the contract allows
	// both, so clients are tested against both).
	UserNotFoundAs404 bool
	// AffiliationOnlyWhenAsked shows an Automated account's affiliation on
	// v2 user objects only where user.fields asks for affiliation. By
	// default it is shown on every v2 user object of such an account,
	// asked or not, as the contract says X returns it where it does (the
	// bot does not ask for it); this option is the X that never does.
	AffiliationOnlyWhenAsked bool
	// Push configures the X Activity API: subscriptions, the stream and
	// webhooks (push*.go).
	Push PushOptions
	// Logger receives the emulator's logs; default discards them.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.ConsumerKey == "" {
		o.ConsumerKey = "consumer-key"
	}
	if o.ConsumerSecret == "" {
		o.ConsumerSecret = "consumer-secret"
	}
	if o.AccessToken == "" {
		o.AccessToken = "access-token"
	}
	if o.AccessSecret == "" {
		o.AccessSecret = "access-secret"
	}
	if o.Bot.ID == 0 {
		o.Bot.ID = 4294967297
	}
	if o.Bot.ScreenName == "" {
		o.Bot.ScreenName = "PayByTweet"
	}
	if o.Bot.Name == "" {
		o.Bot.Name = o.Bot.ScreenName
	}
	if o.FirstID == 0 {
		o.FirstID = DefaultFirstID
	}
	if o.IDStep <= 0 {
		o.IDStep = 1
	}
	if o.PostingLimit <= 0 {
		o.PostingLimit = DefaultPostingLimit
	}
	if o.PostingWindow <= 0 {
		o.PostingWindow = DefaultPostingWindow
	}
	if o.DMSendLimit <= 0 {
		o.DMSendLimit = DefaultDMSendLimit
	}
	if o.DMSendWindow <= 0 {
		o.DMSendWindow = DefaultDMSendWindow
	}
	limits := defaultRateLimits()
	for k, v := range o.RateLimits {
		if v > 0 {
			limits[k] = v
		}
	}
	o.RateLimits = limits
	daily := defaultDailyLimits()
	for k, v := range o.DailyLimits {
		if v > 0 {
			daily[k] = v
		}
	}
	o.DailyLimits = daily
	o.setPushDefaults()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
