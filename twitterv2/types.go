package twitterv2

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User is an account as includes.users, users/me or users/{id} give it.
type User struct {
	ID       int64
	Name     string
	Username string
	// CreatedAt is when the account was made (user.fields=created_at);
	// zero when X did not give it, or gave it malformed (logged).
	CreatedAt time.Time
	// Affiliation is the account's affiliation where X gave one, nil
	// where it did not: X's "Automated" label is an affiliation whose
	// description is "Automated" (see Automated).
	Affiliation *Affiliation
}

// Affiliation is a user's affiliation object.
type Affiliation struct {
	Description    string
	URL            string
	BadgeURL       string
	UserProfileURL string
}

// AutomatedLabel is the affiliation description of X's "Automated" label.
const AutomatedLabel = "Automated"

// Automated reports whether X labels the account "Automated"; true only
// where X gave the affiliation saying so.
func (u User) Automated() bool {
	return u.Affiliation != nil && strings.EqualFold(u.Affiliation.Description, AutomatedLabel)
}

// Hashtag, Mention and URL are entities; Start and End count code points
// of the text.
type Hashtag struct {
	Tag        string
	Start, End int
}

// Mention is an @username entity; ID is 0 when X gave none.
type Mention struct {
	Username   string
	ID         int64
	Start, End int
}

// URL is a link entity: URL is the t.co form found in the text.
type URL struct {
	URL, ExpandedURL, DisplayURL string
	Start, End                   int
}

// Entities are the entities of one text.
type Entities struct {
	Hashtags []Hashtag
	Mentions []Mention
	URLs     []URL
}

// Meta is a page's meta object; ids are 0 and NextToken "" when absent.
type Meta struct {
	ResultCount int
	NewestID    int64
	OldestID    int64
	NextToken   string
}

// wire shapes: ids are decimal strings.

type wireUser struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Username    string `json:"username"`
	CreatedAt   string `json:"created_at"`
	Affiliation *struct {
		Description    string `json:"description"`
		URL            string `json:"url"`
		BadgeURL       string `json:"badge_url"`
		UserProfileURL string `json:"user_profile_url"`
	} `json:"affiliation"`
}

// parse reads a user: a malformed id is an error; a malformed created_at
// is left zero and is an error of its own, the second, so that the
// account's id and username are not lost for it.
func (w wireUser) parse() (u User, badCreatedAt, err error) {
	id, err := parseID("user id", w.ID)
	if err != nil {
		return User{}, nil, err
	}
	u = User{ID: id, Name: w.Name, Username: w.Username}
	u.CreatedAt, badCreatedAt = parseTime(w.CreatedAt)
	if a := w.Affiliation; a != nil {
		u.Affiliation = &Affiliation{Description: a.Description, URL: a.URL, BadgeURL: a.BadgeURL, UserProfileURL: a.UserProfileURL}
	}
	return u, badCreatedAt, nil
}

type wireEntities struct {
	Hashtags []struct {
		Start int    `json:"start"`
		End   int    `json:"end"`
		Tag   string `json:"tag"`
	} `json:"hashtags"`
	Mentions []struct {
		Start    int    `json:"start"`
		End      int    `json:"end"`
		Username string `json:"username"`
		ID       string `json:"id"`
	} `json:"mentions"`
	URLs []struct {
		Start       int    `json:"start"`
		End         int    `json:"end"`
		URL         string `json:"url"`
		ExpandedURL string `json:"expanded_url"`
		DisplayURL  string `json:"display_url"`
	} `json:"urls"`
}

type wireMeta struct {
	ResultCount int    `json:"result_count"`
	NewestID    string `json:"newest_id"`
	OldestID    string `json:"oldest_id"`
	NextToken   string `json:"next_token"`
}

type wireIncludes struct {
	Users []json.RawMessage `json:"users"`
}

// parseID reads a required decimal id.
func parseID(field, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q is not a positive 64-bit decimal id", field, s)
	}
	return id, nil
}

// parseOptID reads an id that may be absent (0) but not malformed.
func parseOptID(field, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	return parseID(field, s)
}

// parseTime reads X's RFC 3339 created_at; absent is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("created_at %q: %w", s, err)
	}
	return t, nil
}

func (w wireEntities) parse() (Entities, error) {
	var e Entities
	for _, h := range w.Hashtags {
		e.Hashtags = append(e.Hashtags, Hashtag{Tag: h.Tag, Start: h.Start, End: h.End})
	}
	for _, m := range w.Mentions {
		id, err := parseOptID("mention id", m.ID)
		if err != nil {
			return Entities{}, err
		}
		e.Mentions = append(e.Mentions, Mention{Username: m.Username, ID: id, Start: m.Start, End: m.End})
	}
	for _, u := range w.URLs {
		e.URLs = append(e.URLs, URL{URL: u.URL, ExpandedURL: u.ExpandedURL, DisplayURL: u.DisplayURL, Start: u.Start, End: u.End})
	}
	return e, nil
}

func (w wireMeta) parse() (Meta, error) {
	newest, err := parseOptID("meta.newest_id", w.NewestID)
	if err != nil {
		return Meta{}, err
	}
	oldest, err := parseOptID("meta.oldest_id", w.OldestID)
	if err != nil {
		return Meta{}, err
	}
	return Meta{ResultCount: w.ResultCount, NewestID: newest, OldestID: oldest, NextToken: w.NextToken}, nil
}

// parseUsers maps includes.users by id, leaving out (and logging) the
// entries that do not decode: a Tweet whose author is among them then has
// no username, which the caller sees.
func (c *Client) parseUsers(endpoint string, raws []json.RawMessage) map[int64]User {
	users := make(map[int64]User, len(raws))
	for _, r := range raws {
		var w wireUser
		var u User
		var timeErr error
		err := json.Unmarshal(r, &w)
		if err == nil {
			u, timeErr, err = w.parse()
		}
		if err != nil {
			c.log.Warn("malformed user in includes skipped", "endpoint", endpoint, "err", err)
			continue
		}
		if timeErr != nil {
			c.log.Warn("malformed created_at of a user in includes left out", "endpoint", endpoint, "user", u.ID, "err", timeErr)
		}
		users[u.ID] = u
	}
	return users
}

var errNoData = errors.New("no data object")
