package twitterv2

import "encoding/json"

// ParseTweet decodes one post object as a timeline page gives it (and as
// the X Activity API pushes it, as an event's payload), its author's
// username taken from users: the same decoding, and the same errors, as
// the entries of Mentions and UserTweets.
func ParseTweet(raw json.RawMessage, users map[int64]User) (Tweet, error) {
	return parseTweet(raw, users)
}

// ParseUser decodes one user object as includes.users gives it. A
// malformed id is err; a malformed created_at is left zero and returned
// as badCreatedAt, so that the account's id and username are not lost
// for it (a page's includes are read the same way).
func ParseUser(raw json.RawMessage) (u User, badCreatedAt, err error) {
	var w wireUser
	if err := json.Unmarshal(raw, &w); err != nil {
		return User{}, nil, err
	}
	return w.parse()
}
