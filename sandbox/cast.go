package sandbox

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/paybytweet/paybytweet/emulators/issuersandbox"
	"github.com/paybytweet/paybytweet/emulators/twitteremu"
)

// botUserID is the bot's account id: past 32 bits, as real ids are.
const botUserID = 4294967297

// person is a cardholder the person at the keyboard can play, with what
// the issuer knows of them.
type person struct {
	twitteremu.User
	Card       string // last four digits, "" when not enrolled
	Cardholder string // the issuer's cardholder token, "" when not enrolled
	Status     string // issuersandbox.StatusActive or StatusSuspended; "" when not enrolled
	Declines   string // the decline code the card answers with, "" when it approves
	spareCard  string // the card linked by "link" when there is none yet
}

// cast returns the sandbox's cardholders, one of each situation the bot
// must handle. Ids are large on purpose (one past 2^53): users are numeric
// ids, and a bug that rounds them through a float64 would show here.
func cast() []*person {
	return []*person{
		{User: twitteremu.User{ID: 783214, ScreenName: "alice", Name: "Alice"}, Card: "1005", Cardholder: "chd_alice", Status: issuersandbox.StatusActive},
		{User: twitteremu.User{ID: 9007199254740993, ScreenName: "bob", Name: "Bob"}, Card: "2002", Cardholder: "chd_bob", Status: issuersandbox.StatusActive},
		{User: twitteremu.User{ID: 1000000000000000001, ScreenName: "carol", Name: "Carol"}, spareCard: "3003"},
		{User: twitteremu.User{ID: 2244994945, ScreenName: "dave", Name: "Dave"}, Card: "4004", Cardholder: "chd_dave", Status: issuersandbox.StatusSuspended},
		{User: twitteremu.User{ID: 6253282, ScreenName: "erin", Name: "Erin"}, Card: "5005", Cardholder: "chd_erin", Status: issuersandbox.StatusActive, Declines: "insufficient_funds"},
	}
}

func (p *person) idString() string { return strconv.FormatInt(p.ID, 10) }

// situation says, in a few words, what playing p shows. The caller holds
// s.mu.
func (p *person) situation() string {
	switch {
	case p.Status == "":
		return "not enrolled: the bot says how to link a card"
	case p.Status == issuersandbox.StatusSuspended:
		return "enrollment suspended: the bot says how to link a card"
	case p.Declines != "":
		return "card declines (" + strings.ReplaceAll(p.Declines, "_", " ") + ")"
	}
	return "buys normally"
}

// cardText is the card column of the cast table. The caller holds s.mu.
func (p *person) cardText() string {
	if p.Card == "" || p.Status == "" {
		return "none"
	}
	return "amex …" + p.Card
}

// personNamed finds a cardholder by screen name, forgiving case and a
// leading '@'.
func (s *sandbox) personNamed(name string) (*person, error) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "@")
	for _, p := range s.people {
		if strings.EqualFold(p.ScreenName, name) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("there is no cardholder %q; play one of %s", name, s.names())
}

func (s *sandbox) names() string {
	var names []string
	for _, p := range s.people {
		names = append(names, p.ScreenName)
	}
	return strings.Join(names, ", ")
}

// link links a sandbox card to p's account, or lifts a suspension: what
// the issuer's enrollment page would do, so that the link the bot sends to
// carol and dave leads somewhere. It returns what was done.
func (s *sandbox) link(p *person) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch p.Status {
	case issuersandbox.StatusActive:
		return fmt.Sprintf("@%s already has a card linked (ending %s).", p.ScreenName, p.Card), nil
	case issuersandbox.StatusSuspended:
		if err := s.iss.SetEnrollmentStatus(p.idString(), issuersandbox.StatusActive); err != nil {
			return "", err
		}
		p.Status = issuersandbox.StatusActive
		s.links.Add(1)
		return fmt.Sprintf("@%s's enrollment is active again (card ending %s). Tweet the buy hashtag again.", p.ScreenName, p.Card), nil
	}
	p.Card, p.Cardholder, p.Status = p.spareCard, "chd_"+p.ScreenName, issuersandbox.StatusActive
	if p.Card == "" {
		p.Card = "9009"
	}
	s.iss.Enroll(issuersandbox.Enrollment{TwitterUserID: p.idString(), Cardholder: p.Cardholder, CardLast4: p.Card, CardBrand: "amex", Status: p.Status})
	s.links.Add(1)
	return fmt.Sprintf("@%s's card ending %s is now linked. Tweet the buy hashtag again.", p.ScreenName, p.Card), nil
}

// screenName names a user id: a cardholder, the bot, or the bare id.
func (s *sandbox) screenName(id int64) string {
	if id == s.bot.ID {
		return s.bot.ScreenName
	}
	for _, p := range s.people {
		if p.ID == id {
			return p.ScreenName
		}
	}
	return strconv.FormatInt(id, 10)
}
