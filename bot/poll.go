package bot

import (
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/crashpoint"
	"github.com/paybytweet/paybytweet/twitterapi"
)

// The cursors' names in the database.
const (
	cursorMentions = "mentions"
	cursorDMs      = "direct_messages"
)

func newMentionsPoller(d pollerDeps) *poller {
	return newPoller(d, cursorMentions, twitterapi.CallMentions, crashpoint.AfterMentionsStored, (*poller).readMentions)
}

func newDMsPoller(d pollerDeps) *poller {
	return newPoller(d, cursorDMs, twitterapi.CallDMList, crashpoint.AfterDMsStored, (*poller).readDMs)
}

// readMentions reads a page of mentions above the stored ones. Retweets,
// the bot's own tweets and tweets whose own entities do not mention the
// bot (a quote of a tweet that did) are read but not stored.
func (p *poller) readMentions(cur streamCursor, token string) (polledPage, error) {
	page, err := p.twitter.Mentions(cur.Stored, token)
	if err != nil {
		return polledPage{}, err
	}
	botID := p.access.botID()
	out := polledPage{newest: page.Newest, oldest: page.Oldest, next: page.Next,
		reachedStored: page.Count == 0 || page.Oldest <= cur.Stored+1}
	for _, t := range page.Tweets {
		switch {
		case t.ID <= cur.Stored:
			// since_id is exclusive; a server that is sloppy about it must not make us act twice
		case t.IsRetweet:
			p.log.Debug("ignoring a retweet", "id", t.ID)
		case t.UserID == botID:
			p.log.Debug("ignoring the bot's own tweet", "id", t.ID)
		case !t.Mentions(botID):
			p.log.Debug("ignoring a tweet that does not itself mention the bot", "id", t.ID)
		default:
			out.msgs = append(out.msgs, inboundTweet(t))
		}
	}
	return out, nil
}

func inboundTweet(t twitterapi.Tweet) conversations.Inbound {
	return conversations.Inbound{
		Channel: conversations.Tweet, ID: t.ID, UserID: t.UserID, ScreenName: t.ScreenName, Text: t.Text,
		Hashtags: t.Hashtags, InReplyTo: t.InReplyTo, PostedAt: t.CreatedAt, Author: author(t.Author()),
	}
}

func inboundDM(e twitterapi.DM) conversations.Inbound {
	return conversations.Inbound{
		Channel: conversations.DM, ID: e.ID, UserID: e.SenderID, Text: e.Text, Hashtags: e.Hashtags, PostedAt: e.CreatedAt,
		Author: author(e.Author()),
	}
}

// author is what a message carried of its sender's account.
func author(u twitterapi.User) conversations.Author {
	a := conversations.Author{Username: u.ScreenName, CreatedAt: u.CreatedAt}
	if u.Automated.Known() {
		yes := u.Automated == twitterapi.AutomatedYes
		a.Automated = &yes
	}
	return a
}

// readDMs reads a page of the DM list, which has no since_id: the walk
// is complete at the first event already stored, or older than MaxAge
// (not acted on anyway). The bot's own sent messages, in the same list,
// are never stored.
func (p *poller) readDMs(cur streamCursor, token string) (polledPage, error) {
	events, next, err := p.twitter.DMEvents(token)
	if err != nil {
		return polledPage{}, err
	}
	botID := p.access.botID()
	oldest := p.now().Add(-p.maxAge)
	out := polledPage{next: next, reachedStored: len(events) == 0 && next == ""}
	for _, e := range events {
		out.newest = max(out.newest, e.ID)
		if out.oldest == 0 || e.ID < out.oldest {
			out.oldest = e.ID
		}
		if e.ID <= cur.Stored || e.CreatedAt.Before(oldest) {
			out.reachedStored = true
			continue
		}
		if e.SenderID == botID || e.RecipientID != botID {
			continue
		}
		out.msgs = append(out.msgs, inboundDM(e))
	}
	return out, nil
}
