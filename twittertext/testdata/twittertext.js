// Runs the official twitter-text JavaScript library over texts for
// twittertext's differential test (js_differential_test.go).
//
// Usage: node twittertext.js NODE_MODULES_DIR < texts.json
// stdin is a JSON array of strings; stdout is a JSON array with, for each
// text, what twitter-text says of it. Indices are twitter-text's own:
// UTF-16 code units, end exclusive.
'use strict';

const path = require('path');

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node twittertext.js NODE_MODULES_DIR < texts.json\n');
  process.exit(2);
}
const twttr = require(path.join(path.resolve(dir), 'twitter-text'));
const version = require(path.join(path.resolve(dir), 'twitter-text', 'package.json')).version;

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const texts = JSON.parse(input);
  const results = texts.map((text) => {
    const p = twttr.parseTweet(text);
    return {
      parse: {
        weightedLength: p.weightedLength,
        valid: p.valid,
        permillage: p.permillage,
        validRangeStart: p.validRangeStart,
        validRangeEnd: p.validRangeEnd,
      },
      hashtags: twttr.extractHashtagsWithIndices(text).map((h) => ({ text: h.hashtag, indices: h.indices })),
      mentions: twttr.extractMentionsWithIndices(text).map((m) => ({ text: m.screenName, indices: m.indices })),
      urls: twttr.extractUrlsWithIndices(text).map((u) => ({ text: u.url, indices: u.indices })),
      // All entities with overlaps removed, as Extract does; cashtags and
      // lists are kept so that the Go side can see what they displaced.
      entities: twttr.extractEntitiesWithIndices(text).map((e) => {
        if (e.hashtag !== undefined) return { kind: 'hashtag', text: e.hashtag, indices: e.indices };
        if (e.url !== undefined) return { kind: 'url', text: e.url, indices: e.indices };
        if (e.cashtag !== undefined) return { kind: 'cashtag', text: e.cashtag, indices: e.indices };
        if (e.listSlug) return { kind: 'list', text: e.screenName + e.listSlug, indices: e.indices };
        return { kind: 'mention', text: e.screenName, indices: e.indices };
      }),
    };
  });
  process.stdout.write(JSON.stringify({ version, results }));
});
