package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/mattn/go-sqlite3"
)

func TestUnavailable(t *testing.T) {
	for err, want := range map[error]bool{
		fmt.Errorf("process: %w", sqlite3.Error{Code: sqlite3.ErrFull}):       true,
		fmt.Errorf("process: %w", sqlite3.Error{Code: sqlite3.ErrIoErr}):      true,
		fmt.Errorf("process: %w", sqlite3.Error{Code: sqlite3.ErrReadonly}):   true,
		fmt.Errorf("process: %w", sqlite3.Error{Code: sqlite3.ErrBusy}):       true,
		fmt.Errorf("process: %w", sqlite3.Error{Code: sqlite3.ErrConstraint}): false, // about the row: a trigger, a CHECK
		fmt.Errorf("process: %w", context.Canceled):                           true,
		fmt.Errorf("order x: %w", ErrConflict):                                false,
		errors.New("panic: nil map"):                                          false,
	} {
		if got := Unavailable(err); got != want {
			t.Errorf("Unavailable(%v) = %v, want %v", err, got, want)
		}
	}
}
