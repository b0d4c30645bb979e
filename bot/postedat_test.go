package bot

import (
	"testing"
	"time"
)

// TestPostedAtReadsTwitterIDs: a Twitter id carries the millisecond it
// was made; when that falls within the call that made it, it is the
// post's time. An id that does not (the emulator's, or a clock far off)
// leaves the call's start: never later than the post, so that a request's
// window cannot outlast what its text says.
func TestPostedAtReadsTwitterIDs(t *testing.T) {
	began := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	answered := began.Add(800 * time.Millisecond)
	made := began.Add(300 * time.Millisecond)
	snowflake := (made.UnixMilli()-snowflakeEpoch)<<22 | 0x2a5017 // worker and sequence bits
	for _, tt := range []struct {
		name string
		id   int64
		want time.Time
	}{
		{"a snowflake of the call", snowflake, made},
		{"a snowflake of the call's first millisecond", (began.UnixMilli() - snowflakeEpoch) << 22, began},
		{"a snowflake from after the answer", (answered.UnixMilli() + 1 - snowflakeEpoch) << 22, began},
		{"a snowflake from before the call", (began.UnixMilli() - 1 - snowflakeEpoch) << 22, began},
		{"an emulator id", 999999999999999991, began},
		{"Twitter's 2021 id", 1460323737035677698, began},
	} {
		if got := postedAt(tt.id, began, answered); !got.Equal(tt.want) {
			t.Errorf("%s: postedAt(%d) = %s, want %s", tt.name, tt.id, got, tt.want)
		}
	}
}
