package twitteremu

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The names X knows for each v2 list parameter (from docs.x.com), and the
// subset the emulator renders. A name X knows but the emulator does not
// render is refused with a 400 saying so, rather than silently dropped, so
// that a client relying on it is caught here and not in production.
var (
	tweetFieldsKnown = []string{"article", "attachments", "author_id", "card_uri", "community_id",
		"context_annotations", "conversation_id", "created_at", "display_text_range", "edit_controls",
		"edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang", "media_metadata",
		"non_public_metrics", "note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics",
		"public_metrics", "referenced_tweets", "reply_settings", "scopes", "source", "text", "withheld"}
	tweetFieldsEmulated = []string{"author_id", "conversation_id", "created_at", "edit_history_tweet_ids",
		"entities", "id", "in_reply_to_user_id", "referenced_tweets", "text"}

	userFieldsKnown = []string{"affiliation", "confirmed_email", "connection_status", "created_at",
		"description", "entities", "id", "is_identity_verified", "location", "most_recent_tweet_id", "name",
		"parody", "pinned_tweet_id", "profile_banner_url", "profile_image_url", "protected", "public_metrics",
		"receives_your_dm", "subscription", "subscription_type", "url", "username", "verified",
		"verified_followers_count", "verified_type", "withheld"}
	userFieldsEmulated = []string{"affiliation", "created_at", "id", "name", "username"}

	tweetExpansionsKnown = []string{"article.cover_media", "article.media_entities", "attachments.media_keys",
		"attachments.media_source_tweet", "attachments.poll_ids", "author_id", "edit_history_tweet_ids",
		"entities.mentions.username", "entities.note.mentions.username", "geo.place_id", "in_reply_to_user_id",
		"referenced_tweets.id", "referenced_tweets.id.attachments.media_keys", "referenced_tweets.id.author_id"}
	tweetExpansionsEmulated = []string{"author_id", "entities.mentions.username", "in_reply_to_user_id"}

	meExpansionsKnown = []string{"affiliation", "most_recent_tweet_id", "pinned_tweet_id"}

	dmEventTypesKnown  = []string{"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"}
	dmEventFieldsKnown = []string{"attachments", "created_at", "dm_conversation_id", "entities", "event_type",
		"id", "participant_ids", "referenced_tweets", "sender_id", "text"}
	dmEventFieldsEmulated = []string{"created_at", "dm_conversation_id", "entities", "event_type", "id",
		"sender_id", "text"}
	dmExpansionsKnown    = []string{"attachments.media_keys", "participant_ids", "referenced_tweets.id", "sender_id"}
	dmExpansionsEmulated = []string{"sender_id"}

	// No media, polls or places exist in the emulator, so asking for
	// their fields is truthfully answered by their absence.
	mediaFieldsKnown = []string{"alt_text", "duration_ms", "height", "media_key", "non_public_metrics",
		"organic_metrics", "preview_image_url", "promoted_metrics", "public_metrics", "type", "url", "variants", "width"}
	pollFieldsKnown  = []string{"duration_minutes", "end_datetime", "id", "options", "voting_status"}
	placeFieldsKnown = []string{"contained_within", "country", "country_code", "full_name", "geo", "id", "name", "place_type"}
)

// paramSpec checks one query parameter's value; it returns "" when the
// value is fine, else the message of the errors entry.
type paramSpec func(name, value string) string

func fieldList(known, emulated []string) paramSpec {
	return func(name, value string) string {
		for _, v := range strings.Split(value, ",") {
			if !slices.Contains(known, v) {
				return fmt.Sprintf("The `%s` query parameter value [%s] is not one of [%s]", name, v, strings.Join(known, ","))
			}
			if !slices.Contains(emulated, v) {
				return fmt.Sprintf("twitteremu does not emulate the `%s` query parameter value [%s], which X accepts", name, v)
			}
		}
		return ""
	}
}

func intRange(lo, hi int) paramSpec {
	return func(name, value string) string {
		n, err := strconv.Atoi(value)
		if err != nil || n < lo || n > hi {
			return fmt.Sprintf("The `%s` query parameter value [%s] is not between %d and %d", name, value, lo, hi)
		}
		return ""
	}
}

func idParam() paramSpec {
	return func(name, value string) string {
		if _, ok := parseV2ID(value); !ok {
			return fmt.Sprintf("The `%s` query parameter value [%s] does not match ^[0-9]{1,19}$", name, value)
		}
		return ""
	}
}

func tokenParam() paramSpec {
	return func(name, value string) string {
		if _, _, ok := decodeV2Token(value); !ok {
			return fmt.Sprintf("The `%s` query parameter value [%s] is not valid", name, value)
		}
		return ""
	}
}

// known is a parameter X accepts that the emulator does not implement.
func known() paramSpec {
	return func(name, value string) string {
		return fmt.Sprintf("twitteremu does not emulate the `%s` query parameter, which X accepts", name)
	}
}

// parseV2ID reads a decimal id as X's pattern ^[0-9]{1,19}$ allows it.
func parseV2ID(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 19 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// The posts' field list goes by two names: tweet.fields on the live API
// and in X's prose pages, post.fields in X's OpenAPI file since 2.167
// (August 2026). Routes list it as tweet.fields.
const (
	tweetFieldsParam = "tweet.fields"
	postFieldsParam  = "post.fields"
)

// postsFieldsParam is the name the posts' field list goes by.
func postsFieldsParam(postFields bool) string {
	if postFields {
		return postFieldsParam
	}
	return tweetFieldsParam
}

// routeParam maps a query parameter's name as sent to its key in a
// route's params; false when it has none because the route, under the
// naming of postFields, does not know that name.
func routeParam(name string, postFields bool) (string, bool) {
	switch {
	case !postFields:
		return name, true
	case name == tweetFieldsParam:
		return "", false
	case name == postFieldsParam:
		return tweetFieldsParam, true
	}
	return name, true
}

// SetPostFields makes the v2 routes take the posts' field list as
// post.fields and refuse tweet.fields as an unknown parameter, as X's
// OpenAPI 2.167 names it; false goes back to tweet.fields, as the live API
// takes it (see Options.PostFields). It cannot fail.
func (s *Server) SetPostFields(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.postFields = on
}

// checkV2Query answers 400 with an errors array for every query parameter
// the route does not know (under the posts' field list naming of
// postFields) or whose value X would refuse; false when it did.
func checkV2Query(c *call, postFields bool) bool {
	names := make([]string, 0, len(c.query))
	for k := range c.query {
		names = append(names, k)
	}
	sort.Strings(names)
	var entries []problemEntryJSON
	for _, k := range names {
		vs := c.query[k]
		key, known := routeParam(k, postFields)
		spec, ok := c.route.params[key]
		var msg string
		switch {
		case !known || !ok:
			msg = fmt.Sprintf("The query parameter [%s] is not one of [%s]", k, strings.Join(allowedParams(c.route, postFields), ","))
		default:
			msg = spec(k, vs[0])
		}
		if msg != "" {
			entries = append(entries, problemEntryJSON{Parameters: map[string][]string{k: vs}, Message: msg})
		}
	}
	if len(entries) == 0 {
		return true
	}
	p := problemFor(400, detailInvalidQuery)
	p.Errors = entries
	c.problem(p)
	return false
}

func allowedParams(rt *route, postFields bool) []string {
	out := make([]string, 0, len(rt.params)+1)
	for _, seg := range strings.Split(rt.name, "/") {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			out = append(out, name) // X lists the path parameter too
		}
	}
	for k := range rt.params {
		if k == tweetFieldsParam {
			k = postsFieldsParam(postFields)
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fieldSet returns the comma-separated values of a list parameter.
func (c *call) fieldSet(name string) map[string]bool {
	set := map[string]bool{}
	if v := c.query.Get(name); v != "" {
		for _, f := range strings.Split(v, ",") {
			set[f] = true
		}
	}
	return set
}
