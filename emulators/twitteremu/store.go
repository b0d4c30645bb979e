package twitteremu

import (
	"sort"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/twittertext"
)

// Tweet is a Tweet as the emulator stores it. Text is the text as posted
// (with a reply's automatic "@screen_name " prefix, without t.co wrapping or
// HTML escaping); Hashtags are the entity texts without '#'; Mentions are
// the ids of the mentioned known users.
type Tweet struct {
	ID        int64
	AuthorID  int64
	Text      string
	InReplyTo int64
	QuoteOf   int64
	RetweetOf int64
	Hashtags  []string
	Mentions  []int64
	CreatedAt time.Time
}

// TweetOptions are the optional links of a Tweet made with PostTweet.
type TweetOptions struct {
	// InReplyTo is the id of the Tweet replied to, or 0.
	InReplyTo int64
	// QuoteOf is the id of the Tweet quoted, or 0.
	QuoteOf int64
}

// DMEvent is a direct message event as the emulator stores it.
type DMEvent struct {
	ID          int64
	SenderID    int64
	RecipientID int64
	Text        string
	CreatedAt   time.Time
}

// tweet is the stored form; entities are extracted once at creation.
type tweet struct {
	id, author     int64
	text           string
	displayStart   int // code points of an automatic reply prefix
	inReplyTo      int64
	inReplyToUser  int64
	quoteOf        int64
	retweetOf      int64
	createdAt      time.Time
	deleted        bool
	ents           twittertext.Entities
	mentionedUsers []int64 // parallel to ents.Mentions; 0 when unknown
}

type dmEvent struct {
	id, sender, recipient int64
	text                  string
	createdAt             time.Time
	ents                  twittertext.Entities
	mentionedUsers        []int64
}

// userRecord is a stored account; its User.CreatedAt is never zero.
type userRecord struct {
	User
}

// store is the emulator's world. Every method expects Server.mu held.
type store struct {
	nextID int64
	idStep int64

	users  map[int64]*userRecord
	byName map[string]int64 // lower-case screen name

	tweets     []*tweet // ascending id
	tweetByID  map[int64]*tweet
	tweetsBy   map[int64][]*tweet
	mentionsOf map[int64][]*tweet

	dms     []*dmEvent // ascending id
	dmByID  map[int64]*dmEvent
	dmsOf   map[int64][]*dmEvent
	postLog map[int64][]time.Time // HTTP statuses/update successes per user
	dmLog   map[int64][]time.Time // HTTP events/new successes per user
}

func newStore(firstID, step int64) *store {
	return &store{
		nextID:     firstID,
		idStep:     step,
		users:      map[int64]*userRecord{},
		byName:     map[string]int64{},
		tweetByID:  map[int64]*tweet{},
		tweetsBy:   map[int64][]*tweet{},
		mentionsOf: map[int64][]*tweet{},
		dmByID:     map[int64]*dmEvent{},
		dmsOf:      map[int64][]*dmEvent{},
		postLog:    map[int64][]time.Time{},
		dmLog:      map[int64][]time.Time{},
	}
}

// newID hands out the next id of the generator shared by Tweets and
// direct messages, so that ids are strictly increasing across both.
func (st *store) newID() int64 {
	id := st.nextID
	st.nextID += st.idStep
	return id
}

func (st *store) addUser(u User) {
	if old, ok := st.users[u.ID]; ok {
		delete(st.byName, strings.ToLower(old.ScreenName))
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = DefaultAccountCreatedAt
	}
	st.users[u.ID] = &userRecord{User: u}
	st.byName[strings.ToLower(u.ScreenName)] = u.ID
}

// rename gives the account id the screen name name; the id stays.
func (st *store) rename(id int64, name string) {
	u := st.users[id]
	delete(st.byName, strings.ToLower(u.ScreenName))
	u.ScreenName = name
	st.byName[strings.ToLower(name)] = id
}

func (st *store) userByName(name string) (*userRecord, bool) {
	id, ok := st.byName[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return st.users[id], true
}

// resolveMentions maps mention entities to known user ids (0 if unknown),
// case-insensitively, as Twitter only links existing accounts.
func (st *store) resolveMentions(ms []twittertext.Mention) []int64 {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		if u, ok := st.userByName(m.ScreenName); ok {
			ids[i] = u.ID
		}
	}
	return ids
}

func (st *store) insertTweet(t *tweet) {
	st.tweets = append(st.tweets, t)
	st.tweetByID[t.id] = t
	st.tweetsBy[t.author] = append(st.tweetsBy[t.author], t)
	seen := map[int64]bool{}
	for _, uid := range t.mentionedUsers {
		if uid != 0 && !seen[uid] {
			seen[uid] = true
			st.mentionsOf[uid] = append(st.mentionsOf[uid], t)
		}
	}
}

func (st *store) insertDM(e *dmEvent) {
	st.dms = append(st.dms, e)
	st.dmByID[e.id] = e
	st.dmsOf[e.sender] = append(st.dmsOf[e.sender], e)
	if e.recipient != e.sender {
		st.dmsOf[e.recipient] = append(st.dmsOf[e.recipient], e)
	}
}

// liveTweet returns the tweet with id unless it is unknown or deleted.
func (st *store) liveTweet(id int64) (*tweet, bool) {
	t, ok := st.tweetByID[id]
	if !ok || t.deleted {
		return nil, false
	}
	return t, true
}

func (t *tweet) public() Tweet {
	out := Tweet{
		ID: t.id, AuthorID: t.author, Text: t.text, InReplyTo: t.inReplyTo,
		QuoteOf: t.quoteOf, RetweetOf: t.retweetOf, CreatedAt: t.createdAt,
		Hashtags: []string{}, Mentions: []int64{},
	}
	for _, h := range t.ents.Hashtags {
		out.Hashtags = append(out.Hashtags, h.Text)
	}
	for _, id := range t.mentionedUsers {
		if id != 0 {
			out.Mentions = append(out.Mentions, id)
		}
	}
	return out
}

func (e *dmEvent) public() DMEvent {
	return DMEvent{ID: e.id, SenderID: e.sender, RecipientID: e.recipient, Text: e.text, CreatedAt: e.createdAt}
}

// liveOnly drops deleted tweets, keeping ascending order.
func liveOnly(ts []*tweet) []*tweet {
	out := make([]*tweet, 0, len(ts))
	for _, t := range ts {
		if !t.deleted {
			out = append(out, t)
		}
	}
	return out
}

// pageTweets returns, newest first, at most count of ts (ascending by id)
// with sinceID < id <= maxID; a zero sinceID or maxID does not bound.
func pageTweets(ts []*tweet, sinceID, maxID int64, count int) []*tweet {
	lo := 0
	if sinceID > 0 {
		lo = sort.Search(len(ts), func(i int) bool { return ts[i].id > sinceID })
	}
	hi := len(ts)
	if maxID > 0 {
		hi = sort.Search(len(ts), func(i int) bool { return ts[i].id > maxID })
	}
	out := []*tweet{}
	for i := hi - 1; i >= lo && len(out) < count; i-- {
		out = append(out, ts[i])
	}
	return out
}

// countSince counts the times in log after cutoff and returns the log
// without the older ones, so that sliding windows do not grow forever.
func countSince(log []time.Time, cutoff time.Time) (int, []time.Time) {
	i := sort.Search(len(log), func(i int) bool { return log[i].After(cutoff) })
	log = log[i:]
	return len(log), log
}
