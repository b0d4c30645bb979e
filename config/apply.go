package config

// Apply returns the configuration to run with after loading a new file:
// everything from loaded except the settings read only at start-up (bot
// screen name, storage path, Twitter API, URL and credentials, push but
// for its reconcile schedule, OAuth 2.0, issuer URL, key and TLS files,
// health address, log format), which keep their running values, so that
// the running config always says what is really in force. Neither
// argument is modified; it never fails.
func Apply(running, loaded *Config) *Config {
	next := *loaded
	next.Bot.ScreenName = running.Bot.ScreenName
	next.Storage.Path = running.Storage.Path
	next.Twitter.API = running.Twitter.API
	next.Twitter.Limits = loaded.limitsSet.withAPIDefaults(running.Twitter.API)
	next.Twitter.APIURL = running.Twitter.APIURL
	next.Twitter.ConsumerKey = running.Twitter.ConsumerKey
	next.Twitter.ConsumerSecret = running.Twitter.ConsumerSecret
	next.Twitter.AccessToken = running.Twitter.AccessToken
	next.Twitter.AccessSecret = running.Twitter.AccessSecret
	applyPush(&next, running, loaded)
	next.Issuer.URL = running.Issuer.URL
	next.Issuer.APIKey = running.Issuer.APIKey
	next.Issuer.TLS = running.Issuer.TLS
	next.Health.Listen = running.Health.Listen
	next.Log.Format = running.Log.Format

	// Where a kept value came from (and so whether it may be shown) is
	// the running config's business; the secrets of both stay hidden.
	next.fromEnv = map[string]bool{}
	for k, v := range loaded.fromEnv {
		next.fromEnv[k] = v
	}
	for _, s := range settings() {
		if s.restart {
			delete(next.fromEnv, s.name)
			if running.fromEnv[s.name] {
				next.fromEnv[s.name] = true
			}
		}
	}
	next.secrets = union(running.secrets, loaded.secrets)
	return &next
}

// union keeps each value once, so that a daemon reloaded every day for a
// year does not drag a year of copies along.
func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range append(append([]string(nil), a...), b...) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
