package config

// Reference documents every key, for docs/configuration.md to quote (a
// test keeps the two the same). Keys marked (contract) keep their name
// and meaning from one version to the next; the others are this
// version's own. Keys marked "restart" are read at start-up only: a
// reload logs that they changed and keeps the running value until the
// next start.
const Reference = `Configuration keys (YAML). Any string value may hold ${NAME}, the
environment variable NAME; a missing one is an error. Durations are Go
durations (15m, 90s); schedules are robfig/cron specs ("@every 15s",
"*/5 * * * *"). Unknown keys are errors.

bot.screen_name            required  the bot's own account, without @ (contract; restart)
storage.path               required  SQLite file, created if missing (contract; restart)
storage.retention          2160h     how long processed messages and sent replies keep their
                                     text, and API usage its days (90 days; at least 24h);
                                     after it, only what dedupe needs is kept. Orders,
                                     charges, refunds, issuer audits: for ever

twitter.api                v1.1      which API the bot speaks: v1.1 (go-twitter; X serves it to
                                     Enterprise apps only) or v2 (X's pay-per-use API)
                                     (contract; restart)
twitter.api_url            required  base URL of that API: https://api.twitter.com/1.1/ for v1.1,
                                     https://api.x.com/2/ for v2; a trailing / is added if
                                     missing; https, or http to a loopback address only
                                     (contract; restart)
twitter.consumer_key       required  secret (contract; restart)
twitter.consumer_secret    required  secret (contract; restart)
twitter.access_token       required  secret (contract; restart)
twitter.access_secret      required  secret (contract; restart)
twitter.poll.mentions      "@every 15s"  how often to read mentions (contract)
twitter.poll.direct_messages "@every 1m" how often to read direct messages (contract)
twitter.limits.tweets_per_window  300    tweets the bot posts at most per tweet_window (v2: 100)
twitter.limits.tweet_window       3h     the rolling window of tweets_per_window (v2: 15m)
twitter.limits.dms_per_window     none   direct messages the bot sends at most per dm_window
                                         (v2: 15)
twitter.limits.dm_window          15m    the rolling window of dms_per_window
twitter.limits.dms_per_day        1000   direct messages the bot sends at most per 24 hours
                                         (v2: 1440)
twitter.push.mode          off       how mentions and DMs reach the bot besides polling: off,
                                     stream (a connection to X's Activity API) or webhook (X
                                     calls the daemon); stream and webhook need twitter.api v2
                                     (contract; restart)
twitter.push.bearer_token  none      secret: the app's bearer token; required unless mode is
                                     off (contract; restart)
twitter.push.reconcile     "@every 5m"   how often the pollers run while push is healthy;
                                     twitter.poll applies while it is not (contract)
twitter.push.webhook.listen  required with mode webhook: where the daemon serves X's calls,
                                     such as 127.0.0.1:8443. The webhook block is refused with
                                     another mode (contract; restart)
twitter.push.webhook.path    required with mode webhook: the path X calls, starting with /,
                                     such as /x/webhook (contract; restart)
twitter.push.webhook.url     required with mode webhook: the public address registered with
                                     X; https, or http to a loopback address only
                                     (contract; restart)
twitter.oauth2.client_id   required  the app's OAuth 2.0 client id, for the bot account's user
                                     token; the twitter.oauth2 section is optional, v2 only,
                                     and needs its client_id and client_secret
                                     (contract; restart)
twitter.oauth2.client_secret  required  secret (contract; restart)
twitter.oauth2.refresh_token  none   secret: the first refresh token; leave it out when x-login
                                     gets the first one. Once the database holds a token, the
                                     database's wins (contract; restart)
twitter.oauth2.token_url   https://api.x.com/2/oauth2/token   X's token endpoint; https, or
                                     http to a loopback address only (contract; restart)
twitter.oauth2.redirect_uri   none   the app's registered callback, an absolute http or https
                                     URL, exactly as registered; x-login needs it
                                     (contract; restart)

issuer.url                 required  base URL of the issuer API; https, or http to a
                                     loopback address only (contract; restart)
issuer.api_key             required  secret (contract; restart)
issuer.enroll_url          required  where a cardholder links a card to Twitter (contract)
issuer.timeout             10s       per issuer request (contract)
issuer.tls.ca_file         system    PEM CA bundle to trust for the issuer instead of the
                                     system's roots (restart)
issuer.tls.cert_file       none      PEM client certificate for mutual TLS, with key_file
issuer.tls.key_file        none      its PEM private key; check-config loads both (restart)

confirmation.window        15m       time to confirm; the unit is held meanwhile (contract)
privacy                    public    public, or dm: receipts and card digits by DM only (contract)

risk.approval_over         none      per currency, an amount such as {USD: "300.00"}, exact, no
                                     more decimals than the currency has, 0 or more: a purchase
                                     above it needs the cardholder's approval at the issuer; a
                                     currency left out has no such rule (contract)
risk.daily_limit           none      per currency, as approval_over but more than 0: a purchase
                                     that takes the cardholder's spend in 24 h (paid, being
                                     charged or awaiting approval) above it is refused (contract)
risk.hourly_purchases      0 (off)   purchases a cardholder may confirm in an hour; more are
                                     refused (contract)
risk.handle_change_hold    72h       purchases need approval this long after the bot first sees
                                     an account's new username; 0: off (contract)
risk.min_account_age       0 (off)   purchases by a younger account (X's created_at) need
                                     approval (contract)
risk.automated             refuse    refuse or allow purchases by accounts X labels automated;
                                     X gives the label on v2 only (contract)
risk.approvals_per_day     3         approvals asked of one cardholder in 24 h; past it, a
                                     purchase that needs one is refused; 0: none is ever asked,
                                     so every such purchase is refused (contract)
risk.decline_hold          24h       a declined approval refuses the account's purchases this
                                     long from when the bot learns of it, and the next one after
                                     needs approval; 0: no hold, approval only (contract)

schedules.expiry           "@every 5s"   how often expired requests release their units
schedules.announce         "@every 30s"  how often due announcements are queued
health.listen              ""        address of /healthz, /readyz and /metrics, e.g.
                                     "127.0.0.1:8080"; empty means none (restart)
health.max_inbox_age       5m        /readyz fails once a message has waited this long
health.max_issuer_outage   2m        /readyz fails once the issuer has not answered this long

log.format                 text      text or json (restart)
log.level                  info      debug, info, warn or error

templates.<kind>           built-in  Go text/template replacing a message's text for all
                                     offers. A template naming a field its message lacks,
                                     or that can render longer than a tweet (280) or a
                                     DM (10000), is an error.

offers: a list; none at all is valid (nothing is for sale). Each offer:
  id                       required  [a-z0-9-]+, unique (contract)
  title                    required  (contract)
  buy_hashtag              required  with or without #; letters, digits, _; not digits only;
                                     at most 100 characters (contract)
  confirm_hashtag          required  as buy_hashtag (contract). No hashtag, buy or confirm,
                                     may equal another, ignoring case and width (NFKC)
  price                    required  decimal, exact, quoted or not; no more decimals than
                                     the currency has (contract)
  currency                 required  ISO 4217 code, upper case (contract)
  merchant                 required  the issuer's merchant id (contract)
  quantity                 unlimited units for sale in all, 0 or more (contract)
  per_user_limit           1         units one cardholder may buy, 1 or more (contract)
  starts                   now       RFC 3339 time (contract)
  ends                     never     RFC 3339 time, after starts (contract)
  announce                 false     true: tweet the offer when it opens (at starts, or at
                                     once without one); an RFC 3339 time: tweet it then;
                                     each announcement is made once
  templates.<kind>                   as templates, for this offer only (kinds about an offer)
`
