// Package push is the bot's client of X's Activity API (XAA), as the
// project's twitter-push contract describes it: the mentions, replies and
// direct messages X pushes within about a second, over a persistent
// stream or to a webhook, so that the bot answers at once while polling,
// less often, stays the safety net.
//
//   - Decoder turns one event (a stream line, a webhook body) into the
//     very twitterapi.Tweet or twitterapi.DM that polling on v2 would have
//     read (the same decoding, through twitterv2 and twitterapi), or says
//     it is to be ignored (another event type, another account).
//   - Client.Ensure makes sure the bot's three subscriptions exist; a
//     refusal by X is ErrRefused, which the daemon turns into ALERT
//     alert=push_unavailable and polling at full pace.
//   - Stream keeps GET activity/stream open: a silence of DeadAfter is a
//     dead connection; every end is followed by a reconnection with
//     backoff (not before x-rate-limit-reset after a 429) that asks for
//     the minutes missed as backfill_minutes; each connection and
//     disconnection is reported through StreamOptions.OnState.
//   - Webhook serves X's calls: the CRC, and signed deliveries, refusing
//     a body over 1 MiB (413) or badly signed (401) before reading it
//     further; Client.Register, Valid, Recheck and Replay manage the
//     registration with X.
//
// Push delivers at least once: the same event may come twice (X's
// retries, a duplicate on the stream, a backfill or a replay of what was
// delivered already), and a message may come both pushed and polled.
// Nothing here dedupes: the caller does, by the message's id (the post's
// id, the DM event's id; Event.MessageIDs), never by event_uuid, which
// names a delivery.
//
// Neither the bearer token nor the consumer secret ever appears in a log
// or an error of this package.
package push
