//go:build crashpoint

package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var (
	target, nth = parse(os.Getenv(EnvVar))
	mu          sync.Mutex
	hits        int
)

func parse(v string) (string, int) {
	name, n, ok := strings.Cut(v, ":")
	if !ok {
		return name, 1
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 {
		count = 1
	}
	return name, count
}

// Hit kills this process with SIGKILL when it is the chosen point and
// the chosen time; otherwise it returns at once.
func Hit(point string) {
	if target == "" || point != target {
		return
	}
	mu.Lock()
	hits++
	kill := hits == nth
	mu.Unlock()
	if kill {
		os.Stderr.WriteString("crashpoint: SIGKILL at " + point + "\n")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // never returns: the signal is on its way
	}
}
