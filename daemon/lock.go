package daemon

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile holds an exclusive lock on "<database>.lock" for as long as the
// daemon runs: two daemons on one database would each poll, charge and
// post, and cardholders would see every reply twice. The kernel releases
// the lock when the process dies, even by SIGKILL, so a crash never
// leaves a stale lock behind.
type lockFile struct{ f *os.File }

func lock(dbPath string) (*lockFile, error) {
	path := dbPath + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another paybytweet is running on %s (it holds %s)", dbPath, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &lockFile{f: f}, nil
}

func (l *lockFile) release() {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
