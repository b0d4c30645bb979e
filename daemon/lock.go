package daemon

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// lockFile holds an exclusive flock(2) on the database file itself for as
// long as the daemon runs: two daemons on one database would each poll,
// charge and post, and cardholders would see every reply twice. Locking
// the file, not a name beside it, makes daemons that reach one database
// by different paths (a symlink, a hard link, a bind mount) block each
// other. The kernel releases the lock when the process dies, even by
// SIGKILL, so a crash never leaves a stale lock behind.
//
// flock locks and SQLite's own locks (fcntl, POSIX record locks; the
// driver is built without SQLite's flock VFS) are separate on Linux and
// do not see each other, so the admin commands and Litestream still work
// on the file beside the daemon. One trap remains: closing any descriptor
// of a file drops every fcntl lock the process holds on it, SQLite's
// included. So the descriptor stays open until the database is closed
// (Daemon.Close releases the lock last), and a second daemon in the same
// process is refused from a table of the files this process holds (held)
// before it opens one. On NFS, where Linux emulates flock with fcntl
// locks, the two would collide; SQLite is not for NFS anyway.
//
// It also holds the lock the versions before it took, on "<database>.lock",
// so that an older daemon started on the same database during an upgrade
// (or a failover done with one old machine) is refused too, and refuses
// this one.
type lockFile struct {
	f      *os.File
	legacy *os.File
	id     fileID
}

// fileID names a file whatever path reaches it.
type fileID struct{ dev, ino uint64 }

// held is the database files this process's daemons hold locked.
var held = struct {
	sync.Mutex
	files map[fileID]bool
}{files: map[fileID]bool{}}

// lock creates the database file when it does not exist yet (SQLite
// takes an empty file for an empty database), so that the very first
// start is locked before anything is written, and locks it. It returns
// the "another paybytweet is running" error when a daemon, here or in
// another process, holds it.
func lock(dbPath string) (*lockFile, error) {
	running := fmt.Errorf("another paybytweet is running on %s (it holds a lock on the database file)", dbPath)
	held.Lock()
	defer held.Unlock()
	if id, err := statID(dbPath); err == nil && held.files[id] {
		return nil, running
	}
	f, err := os.OpenFile(dbPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dbPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, running
		}
		return nil, fmt.Errorf("lock %s: %w", dbPath, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dbPath, err)
	}
	legacy, err := flockPath(dbPath + ".lock")
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another paybytweet, of an older version, is running on %s (it holds %s.lock)", dbPath, dbPath)
		}
		return nil, fmt.Errorf("lock %s.lock: %w", dbPath, err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	id := fileID{uint64(st.Dev), uint64(st.Ino)}
	held.files[id] = true
	return &lockFile{f: f, legacy: legacy, id: id}, nil
}

// flockPath opens (creating) the file at path and takes an exclusive
// flock on it without waiting; EWOULDBLOCK when another holds it.
func flockPath(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// statID returns the device and inode of the file at path, following
// symlinks.
func statID(path string) (fileID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileID{}, err
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, nil
}

// release lets the lock go. The database must be closed first (see
// lockFile).
func (l *lockFile) release() {
	held.Lock()
	defer held.Unlock()
	delete(held.files, l.id)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.legacy.Close() // closing drops its flock
}
