package metrics

import (
	"errors"
	"strconv"

	"github.com/paybytweet/paybytweet/bot"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// Twitter returns t with every call and every failure counted; the bot
// sees the same answers and errors.
func (m *Metrics) Twitter(t bot.Twitter) bot.Twitter { return &countedTwitter{Twitter: t, m: m} }

type countedTwitter struct {
	bot.Twitter
	m *Metrics
}

// count records one call and, when it failed, its HTTP status and its
// kind as the adapter classified it (twitterapi.Kind's names: duplicate,
// too_long, rate_limited, ...). Calls are labelled by what the bot asked
// (mentions, post, ...), and failures by kind, the same whichever API
// (twitter.api) answers.
func (t *countedTwitter) count(call twitterapi.Call, err error) {
	var e *twitterapi.Error
	if errors.As(err, &e) && e.NotSent {
		return // refused by the client's own budget: nothing went to Twitter
	}
	t.m.twitterRequests.WithLabelValues(string(call)).Inc()
	if err == nil {
		return
	}
	status := 0
	if e != nil {
		status = e.Status
	}
	t.m.twitterErrors.WithLabelValues(string(call), strconv.Itoa(status), twitterapi.Classify(err).String()).Inc()
}

func (t *countedTwitter) VerifyCredentials() (twitterapi.User, error) {
	u, err := t.Twitter.VerifyCredentials()
	t.count(twitterapi.CallVerify, err)
	return u, err
}

func (t *countedTwitter) Mentions(sinceID int64, token string) (twitterapi.Page, error) {
	p, err := t.Twitter.Mentions(sinceID, token)
	t.count(twitterapi.CallMentions, err)
	return p, err
}

func (t *countedTwitter) OwnTweets(userID, sinceID int64, token string) (twitterapi.Page, error) {
	p, err := t.Twitter.OwnTweets(userID, sinceID, token)
	t.count(twitterapi.CallOwnTweets, err)
	return p, err
}

func (t *countedTwitter) Post(text string, inReplyTo int64) (int64, error) {
	id, err := t.Twitter.Post(text, inReplyTo)
	t.count(twitterapi.CallPost, err)
	return id, err
}

func (t *countedTwitter) DMEvents(token string) ([]twitterapi.DM, string, error) {
	dms, next, err := t.Twitter.DMEvents(token)
	t.count(twitterapi.CallDMList, err)
	return dms, next, err
}

func (t *countedTwitter) SendDM(recipient int64, text string) (int64, error) {
	id, err := t.Twitter.SendDM(recipient, text)
	t.count(twitterapi.CallSendDM, err)
	return id, err
}

// Close passes on to the client: the bot closes it to abort requests in
// flight at shutdown.
func (t *countedTwitter) Close() {
	if c, ok := t.Twitter.(interface{ Close() }); ok {
		c.Close()
	}
}
