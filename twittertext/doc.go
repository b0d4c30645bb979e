// Package twittertext implements the parts of Twitter's text rules that the
// bot and the Twitter emulator must agree on: entity extraction (hashtags,
// mentions, URLs) with code-point indices as twitter-text computes them, the
// weighted length of a Tweet (twitter-text configuration v3), and the
// normalisation under which two hashtags are the same.
//
// Both sides use this one package so that a hashtag the emulator reports is
// exactly the hashtag the bot compares against its offers.
package twittertext
