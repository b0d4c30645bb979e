package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/mattn/go-sqlite3"
)

// Unavailable reports whether err is the database failing (a full disk,
// an I/O error, a read-only file, a lock held elsewhere) rather than
// something about the rows at hand: the work is sound and must wait, not
// be counted against the message or the order it was for.
func Unavailable(err error) bool {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return failing(err)
	}
	return errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// failing reports whether err is SQLite saying the database itself fails
// (a full disk, an I/O error, a read-only file, a lock held elsewhere),
// as opposed to the caller giving up or the rows at hand.
func failing(err error) bool {
	var e sqlite3.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrReadonly, sqlite3.ErrBusy, sqlite3.ErrLocked,
		sqlite3.ErrCantOpen, sqlite3.ErrNomem, sqlite3.ErrProtocol, sqlite3.ErrNoLFS, sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return true
	}
	return false
}
