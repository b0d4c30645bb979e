package twitteremu

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/paybytweet/paybytweet/twitterv2"
)

// TestFaultDMListLag: a lagging DM list leaves out, on both APIs, the
// events newer than the lag, delivered as they are, until they are old
// enough; ClearFaults ends the lag.
func TestFaultDMListLag(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.v2(t)
	old, _ := e.srv.SendDM(alice.ID, e.bot.ID, "old")
	e.clock.Advance(10 * time.Second)
	recent, _ := e.srv.SendDM(alice.ID, e.bot.ID, "recent")
	e.clock.Advance(2 * time.Second)
	e.srv.InjectFault(Fault{Endpoint: "GET direct_messages/events/list", DMListLag: 5 * time.Second, Times: -1})
	e.srv.InjectFault(Fault{Endpoint: "GET 2/dm_events", DMListLag: 5 * time.Second, Times: -1})

	listed := func() (v1, v2 []int64) {
		t.Helper()
		res, _, err := e.client.DirectMessages.EventsList(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range res.Events {
			id, _ := strconv.ParseInt(ev.ID, 10, 64)
			v1 = append(v1, id)
		}
		page, err := c.DMEvents(context.Background(), twitterv2.DMParams{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			v2 = append(v2, ev.ID)
		}
		return v1, v2
	}
	for _, want := range [][]int64{{old.ID}, {recent.ID, old.ID}} {
		v1, v2 := listed()
		if len(v1) != len(want) || len(v2) != len(want) || v1[0] != want[0] || v2[0] != want[0] {
			t.Errorf("at %s listed v1.1 %v, v2 %v; want %v", e.clock.Now().Format(time.TimeOnly), v1, v2, want)
		}
		e.clock.Advance(3 * time.Second) // recent is 5s old now: listed
	}
	if n := len(e.srv.DMs()); n != 2 {
		t.Errorf("the emulator holds %d DMs, want both, listed or not", n)
	}
	newest, _ := e.srv.SendDM(alice.ID, e.bot.ID, "newest")
	e.srv.ClearFaults()
	if v1, v2 := listed(); len(v1) != 3 || v1[0] != newest.ID || len(v2) != 3 || v2[0] != newest.ID {
		t.Errorf("after ClearFaults listed v1.1 %v, v2 %v; want the newest first", v1, v2)
	}
}
