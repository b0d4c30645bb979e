package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestPauseSwitch: charging is not paused until set; setting it again
// changes nothing, its time included; another handle on the file (the
// daemon beside the command) sees each change; and it survives a
// restart.
func TestPauseSwitch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	cmd, err := Open(path, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	daemon, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	if s, err := daemon.PauseState(ctx); err != nil || s != (PauseState{}) {
		t.Fatalf("a new database: %+v, %v; want not paused, never set", s, err)
	}
	steps := []struct {
		paused  bool
		at      time.Time
		changed bool
		want    PauseState
	}{
		{false, t0, false, PauseState{}},
		{true, t0.Add(time.Minute), true, PauseState{true, t0.Add(time.Minute)}},
		{true, t0.Add(2 * time.Minute), false, PauseState{true, t0.Add(time.Minute)}},
		{false, t0.Add(3 * time.Minute), true, PauseState{false, t0.Add(3 * time.Minute)}},
		{true, time.Time{}, true, PauseState{true, t0}}, // no time: the transaction's
	}
	for i, st := range steps {
		changed, err := cmd.SetPaused(ctx, st.paused, st.at)
		if err != nil || changed != st.changed {
			t.Errorf("step %d: SetPaused(%v) = %v, %v; want %v", i, st.paused, changed, err, st.changed)
		}
		s, err := daemon.PauseState(ctx)
		if err != nil || s.Paused != st.want.Paused || !s.Since.Equal(st.want.Since) {
			t.Errorf("step %d: the daemon sees %+v, %v; want %+v", i, s, err, st.want)
		}
		if p, err := daemon.Paused(ctx); err != nil || p != st.want.Paused {
			t.Errorf("step %d: Paused = %v, %v", i, p, err)
		}
	}
	cmd.Close()
	again, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if p, err := again.Paused(ctx); !p || err != nil {
		t.Errorf("after a restart: Paused = %v, %v; want paused", p, err)
	}
	err = again.view(ctx, func(tx *Tx) error {
		p, err := tx.paused()
		if !p || err != nil {
			t.Errorf("in a transaction: paused = %v, %v", p, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
