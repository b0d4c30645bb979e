package twitterv2

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// The fields requested with every timeline and DM page, as the contract
// lists them: the posts' own, and of the users expanded beside them their
// username and account creation time.
const (
	tweetFields = "created_at,author_id,entities,referenced_tweets,in_reply_to_user_id,conversation_id"
	userFields  = "username,created_at"
)

// The two names of the posts' field list: the live API and X's prose pages
// say tweet.fields; X's OpenAPI file says post.fields since 2.167 (August
// 2026).
const (
	tweetFieldsParam = "tweet.fields"
	postFieldsParam  = "post.fields"
)

func fieldsParam(post bool) string {
	if post {
		return postFieldsParam
	}
	return tweetFieldsParam
}

// Tweet is a post. Text is as X sends it: links as t.co URLs (Entities.URLs
// has their expansions) and &, <, > HTML-escaped. RetweetedID, QuotedID and
// RepliedToID come from referenced_tweets (0 when absent); Entities are the
// post's own, so a quote tweet's hold only its own text's.
type Tweet struct {
	ID              int64
	Text            string
	AuthorID        int64
	AuthorUsername  string // from includes.users; "" when not included
	CreatedAt       time.Time
	ConversationID  int64
	InReplyToUserID int64
	RetweetedID     int64
	QuotedID        int64
	RepliedToID     int64
	Entities        Entities
}

// IsRetweet reports a retweet, which the bot never acts on.
func (t Tweet) IsRetweet() bool { return t.RetweetedID != 0 }

// TweetPage is one page of a timeline, newest first.
type TweetPage struct {
	Tweets []Tweet
	// Users are includes.users by id.
	Users map[int64]User
	Meta  Meta
	// Skipped counts entries left out because they were malformed.
	Skipped int
	// Errors are the partial errors a 200 carried (logged, tolerated).
	Errors []Problem
}

// TimelineParams page a timeline; zero fields are not sent.
type TimelineParams struct {
	MaxResults      int // X accepts 5..100; its default is 10
	SinceID         int64
	UntilID         int64
	PaginationToken string
}

type wireTweet struct {
	ID               string `json:"id"`
	Text             string `json:"text"`
	AuthorID         string `json:"author_id"`
	CreatedAt        string `json:"created_at"`
	ConversationID   string `json:"conversation_id"`
	InReplyToUserID  string `json:"in_reply_to_user_id"`
	ReferencedTweets []struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"referenced_tweets"`
	Entities wireEntities `json:"entities"`
}

// parseTweet decodes one entry, its author named from users; any id that
// is present but not a decimal int64, or an unparseable created_at, makes
// the entry malformed.
func parseTweet(raw json.RawMessage, users map[int64]User) (Tweet, error) {
	var w wireTweet
	if err := json.Unmarshal(raw, &w); err != nil {
		return Tweet{}, err
	}
	var t Tweet
	var err error
	if t.ID, err = parseID("id", w.ID); err != nil {
		return Tweet{}, err
	}
	if t.AuthorID, err = parseOptID("author_id", w.AuthorID); err != nil {
		return Tweet{}, err
	}
	if t.ConversationID, err = parseOptID("conversation_id", w.ConversationID); err != nil {
		return Tweet{}, err
	}
	if t.InReplyToUserID, err = parseOptID("in_reply_to_user_id", w.InReplyToUserID); err != nil {
		return Tweet{}, err
	}
	if t.CreatedAt, err = parseTime(w.CreatedAt); err != nil {
		return Tweet{}, err
	}
	for _, r := range w.ReferencedTweets {
		id, err := parseID("referenced_tweets id", r.ID)
		if err != nil {
			return Tweet{}, err
		}
		switch r.Type {
		case "retweeted":
			t.RetweetedID = id
		case "quoted":
			t.QuotedID = id
		case "replied_to":
			t.RepliedToID = id
		}
	}
	if t.Entities, err = w.Entities.parse(); err != nil {
		return Tweet{}, err
	}
	t.Text = w.Text
	t.AuthorUsername = users[t.AuthorID].Username
	return t, nil
}

// query is the timeline's query, asking for the posts' fields by
// fieldsName.
func (p TimelineParams) query(fieldsName string) url.Values {
	q := url.Values{}
	q.Set(fieldsName, tweetFields)
	q.Set("expansions", "author_id")
	q.Set("user.fields", userFields)
	if p.MaxResults != 0 {
		q.Set("max_results", strconv.Itoa(p.MaxResults))
	}
	if p.SinceID != 0 {
		q.Set("since_id", strconv.FormatInt(p.SinceID, 10))
	}
	if p.UntilID != 0 {
		q.Set("until_id", strconv.FormatInt(p.UntilID, 10))
	}
	if p.PaginationToken != "" {
		q.Set("pagination_token", p.PaginationToken)
	}
	return q
}

// Mentions returns a page of the posts mentioning userID, newest first
// (GET users/{id}/mentions). Only X's 800 newest mentions are reachable.
// On failure it returns the zero page and an *APIError, *TransportError or
// *MalformedError (a body that is not JSON, or a malformed meta).
func (c *Client) Mentions(ctx context.Context, userID int64, p TimelineParams) (TweetPage, error) {
	return c.timeline(ctx, EndpointMentions, fmt.Sprintf("users/%d/mentions", userID), p)
}

// UserTweets returns a page of userID's own posts, newest first (GET
// users/{id}/tweets); it fails as Mentions does.
func (c *Client) UserTweets(ctx context.Context, userID int64, p TimelineParams) (TweetPage, error) {
	return c.timeline(ctx, EndpointUserTweets, fmt.Sprintf("users/%d/tweets", userID), p)
}

// timeline reads a page of posts. X's OpenAPI file renamed tweet.fields
// to post.fields while the live API kept tweet.fields: when the API
// refuses the name this client uses as an unknown parameter, the page is
// asked for again at once by the other name, which is kept for every later
// timeline (and changed back the same way). Concurrent refusals switch it
// once.
func (c *Client) timeline(ctx context.Context, endpoint, path string, p TimelineParams) (TweetPage, error) {
	post := c.postFields.Load()
	pg, err := getPage(ctx, c, endpoint, path, p.query(fieldsParam(post)), "malformed post skipped", parseTweet)
	if err != nil && refusesParameter(err, fieldsParam(post)) {
		if c.postFields.CompareAndSwap(post, !post) {
			c.log.Warn("the API refuses the posts' field list by this name; asking by the other from now on",
				"endpoint", endpoint, "refused", fieldsParam(post), "now", fieldsParam(!post))
		}
		pg, err = getPage(ctx, c, endpoint, path, p.query(fieldsParam(!post)), "malformed post skipped", parseTweet)
	}
	if err != nil {
		return TweetPage{}, err
	}
	return TweetPage{Tweets: pg.items, Users: pg.users, Meta: pg.meta, Skipped: pg.skipped, Errors: pg.errors}, nil
}

// Me returns the account the access token belongs to (GET users/me), or
// the zero User and an *APIError, *TransportError or *MalformedError.
func (c *Client) Me(ctx context.Context) (User, error) {
	var w struct {
		Data *wireUser `json:"data"`
	}
	if err := c.do(ctx, EndpointMe, "GET", "users/me", nil, nil, &w); err != nil {
		return User{}, err
	}
	if w.Data == nil {
		return User{}, &MalformedError{Endpoint: EndpointMe, Status: 200, Err: errNoData}
	}
	u, badCreatedAt, err := w.Data.parse()
	if err != nil {
		return User{}, &MalformedError{Endpoint: EndpointMe, Status: 200, Err: err}
	}
	if badCreatedAt != nil {
		c.log.Warn("malformed created_at of the account left out", "endpoint", EndpointMe, "err", badCreatedAt)
	}
	return u, nil
}

// PostedTweet is what POST tweets answers.
type PostedTweet struct {
	ID   int64
	Text string
}

type postTweetBody struct {
	Text  string     `json:"text"`
	Reply *replyBody `json:"reply,omitempty"`
}

type replyBody struct {
	InReplyToTweetID string `json:"in_reply_to_tweet_id"`
}

// PostTweet posts text, as a reply to inReplyTo unless it is 0 (POST
// tweets). On failure it returns an *APIError (see IsDuplicate,
// IsReplyNotAllowed, IsNotFound, IsUsageCapped, ...), a *TransportError or
// a *MalformedError; after the last two the post may exist, so look it up
// in UserTweets before posting again.
func (c *Client) PostTweet(ctx context.Context, text string, inReplyTo int64) (PostedTweet, error) {
	body := postTweetBody{Text: text}
	if inReplyTo != 0 {
		body.Reply = &replyBody{InReplyToTweetID: strconv.FormatInt(inReplyTo, 10)}
	}
	var w struct {
		Data *struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"data"`
	}
	if err := c.do(ctx, EndpointPostTweet, "POST", "tweets", nil, body, &w); err != nil {
		return PostedTweet{}, err
	}
	if w.Data == nil {
		return PostedTweet{}, &MalformedError{Endpoint: EndpointPostTweet, Status: 201, Err: errNoData}
	}
	id, err := parseID("id", w.Data.ID)
	if err != nil {
		return PostedTweet{}, &MalformedError{Endpoint: EndpointPostTweet, Status: 201, Err: err}
	}
	return PostedTweet{ID: id, Text: w.Data.Text}, nil
}
