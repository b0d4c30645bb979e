package twitteremu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// credentials are what a request must be signed with.
type credentials struct {
	consumerKey, consumerSecret string
	accessToken, accessSecret   string
}

// nonceCache remembers the nonces of answered requests, so that a replayed
// signed request is refused as Twitter refuses it. It is bounded: the oldest
// nonces are forgotten first.
type nonceCache struct {
	seen  map[string]bool
	order []string
	max   int
}

func newNonceCache(max int) *nonceCache {
	return &nonceCache{seen: map[string]bool{}, max: max}
}

func (n *nonceCache) has(k string) bool { return n.seen[k] }

func (n *nonceCache) add(k string) {
	if k == "" || n.seen[k] {
		return
	}
	n.seen[k] = true
	n.order = append(n.order, k)
	if len(n.order) > n.max {
		delete(n.seen, n.order[0])
		n.order = n.order[1:]
	}
}

// parseOAuthHeader returns the oauth_* parameters of an "Authorization:
// OAuth ..." header, percent-decoded, and false when there is none or it is
// malformed.
func parseOAuthHeader(h string) (map[string]string, bool) {
	const prefix = "oauth "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return nil, false
	}
	params := map[string]string{}
	for _, part := range strings.Split(h[len(prefix):], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, false
		}
		v = strings.TrimSpace(v)
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, false
		}
		key, err1 := url.PathUnescape(strings.TrimSpace(k))
		val, err2 := url.PathUnescape(v[1 : len(v)-1])
		if err1 != nil || err2 != nil {
			return nil, false
		}
		params[key] = val
	}
	return params, true
}

// nonceKey identifies a signed request for replay detection: RFC 5849 3.3
// makes the nonce unique per timestamp and credentials.
func nonceKey(p map[string]string) string {
	if p["oauth_nonce"] == "" {
		return ""
	}
	return p["oauth_consumer_key"] + "|" + p["oauth_token"] + "|" + p["oauth_timestamp"] + "|" + p["oauth_nonce"]
}

// percentEncode encodes per RFC 5849 3.6: everything but unreserved
// characters, upper-case hex.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// baseStringURI is RFC 5849 3.4.1.2: scheme and host lower-cased, default
// port dropped, path as sent, no query.
func baseStringURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	} else {
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host + r.URL.EscapedPath()
}

// signatureBase is RFC 5849 3.4.1: method, base URI and the normalised
// parameters (query, form body, oauth_* except the signature and realm).
func signatureBase(r *http.Request, query, form url.Values, oauth map[string]string) string {
	type pair struct{ k, v string }
	var pairs []pair
	for _, vals := range []url.Values{query, form} {
		for k, vs := range vals {
			for _, v := range vs {
				pairs = append(pairs, pair{percentEncode(k), percentEncode(v)})
			}
		}
	}
	for k, v := range oauth {
		if k == "oauth_signature" || k == "realm" {
			continue
		}
		pairs = append(pairs, pair{percentEncode(k), percentEncode(v)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.ToUpper(r.Method) + "&" + percentEncode(baseStringURI(r)) + "&" + percentEncode(strings.Join(parts, "&"))
}

// verifyOAuth checks c's HMAC-SHA1 signature against creds and that its
// nonce was not used before. It returns the nonce key to remember once the
// request is answered, and false for any failure (Twitter answers them all
// with code 32). The caller holds s.mu.
func (s *Server) verifyOAuth(c *call) (string, bool) {
	p, ok := parseOAuthHeader(c.r.Header.Get("Authorization"))
	if !ok {
		return "", false
	}
	creds := s.creds
	switch {
	case p["oauth_signature_method"] != "HMAC-SHA1",
		p["oauth_version"] != "" && p["oauth_version"] != "1.0",
		p["oauth_consumer_key"] != creds.consumerKey,
		p["oauth_token"] != creds.accessToken,
		p["oauth_nonce"] == "",
		p["oauth_timestamp"] == "",
		strings.Trim(p["oauth_timestamp"], "0123456789") != "":
		return "", false
	}
	// The timestamp is not checked against Options.Clock: the client signs
	// with the wall clock while tests move the emulator's clock.
	key := nonceKey(p)
	if s.nonces.has(key) {
		return "", false
	}
	mac := hmac.New(sha1.New, []byte(percentEncode(creds.consumerSecret)+"&"+percentEncode(creds.accessSecret)))
	mac.Write([]byte(signatureBase(c.r, c.query, c.form, p)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(p["oauth_signature"])) {
		return "", false
	}
	return key, true
}

// SetCredentials replaces the access token and secret that requests must be
// signed with, e.g. to simulate a revoked token: requests signed with the old
// ones then get 401 code 32. It cannot fail.
func (s *Server) SetCredentials(accessToken, accessSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds.accessToken = accessToken
	s.creds.accessSecret = accessSecret
}
