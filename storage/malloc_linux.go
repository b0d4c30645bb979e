//go:build linux && cgo

package storage

/*
#include <malloc.h>

// paybytweet_keep_freed_memory has glibc keep up to 64 MiB of freed heap
// rather than give it back to the kernel at 128 KiB, and grow the heap
// 16 MiB at a time. It does nothing where malloc.h has no such options
// (musl).
static void paybytweet_keep_freed_memory(void) {
#if defined(M_TRIM_THRESHOLD) && defined(M_TOP_PAD)
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
#endif
}
*/
import "C"

import (
	"os"
	"strings"
	"sync"
)

var keepFreedMemory sync.Once

// tuneMalloc stops the churn of SQLite's page caches through the kernel.
// In WAL mode a connection drops its page cache whenever another one has
// committed since its last read, so the read connections empty and refill
// theirs after nearly every write while the bot is busy; glibc gave the
// freed pages back to the kernel (its trim threshold is 128 KiB), and the
// refill page-faulted them in again. In a 500-buyer burst that was about
// a fifth of the process's CPU (perf: page faults under
// pcache1FetchStage2), and keeping the memory halved the answer times
// (docs/design.md, "Push: answer times and cost"). An operator's own
// GLIBC_TUNABLES for malloc win.
func tuneMalloc() {
	keepFreedMemory.Do(func() {
		if !strings.Contains(os.Getenv("GLIBC_TUNABLES"), "glibc.malloc.") {
			C.paybytweet_keep_freed_memory()
		}
	})
}
