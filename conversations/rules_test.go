package conversations

import (
	"testing"
	"time"
)

// TestWaits is the table of which messages wait, and why.
func TestWaits(t *testing.T) {
	lapsed := order(Pending)
	lapsed.UserID, lapsed.ID, lapsed.ExpiresAt = bob, "ord_bob", t0.Add(-time.Minute)
	lapsedUndelivered := lapsed
	lapsedUndelivered.RequestMessageID = 0
	lapsedGift := lapsed
	lapsedGift.OfferID = "gift-card"
	soldOut := func(s *Situation) { s.Taken["kindle-fire-hd"] = 5; s.MayWaitForHorizon = true }
	tests := []struct {
		name   string
		mod    func(*Situation)
		orders []Order
		msg    Inbound
		want   Wait
	}{
		{"confirmation while a request is in flight", func(s *Situation) { s.RequestInFlight = true }, []Order{order(Pending)},
			tweet(300, "", "ConfirmKindleFireHD"), WaitRequestInFlight},
		{"DM yes while a request is in flight", func(s *Situation) { s.RequestInFlight = true }, []Order{order(Pending)},
			dm(300, "yes"), WaitRequestInFlight},
		{"a buy does not wait for a request in flight", func(s *Situation) { s.RequestInFlight = true }, nil,
			tweet(300, "", "BuyGiftCard"), NoWait},
		{"confirmation answering an unknown tweet while another's reply is out", func(s *Situation) { s.InReplyToUnknown = true }, []Order{order(Pending)},
			tweet(300, "", "ConfirmKindleFireHD"), WaitInReplyToUnknown},
		{"DM yes does not wait for an unknown tweet", func(s *Situation) { s.InReplyToUnknown = true }, []Order{order(Pending)},
			dm(300, "yes"), NoWait},
		{"sold out only by a lapsed request: waits for the horizon", func(s *Situation) { soldOut(s); s.Lapsed = []Order{lapsed} }, nil,
			tweet(300, "", "BuyKindleFireHD"), WaitHorizon},
		{"sold out, waited long enough: decided", func(s *Situation) { soldOut(s); s.Lapsed = []Order{lapsed}; s.MayWaitForHorizon = false }, nil,
			tweet(300, "", "BuyKindleFireHD"), NoWait},
		{"sold out, the lapsed request was never delivered: no wait", func(s *Situation) { soldOut(s); s.Lapsed = []Order{lapsedUndelivered} }, nil,
			tweet(300, "", "BuyKindleFireHD"), NoWait},
		{"sold out, the lapsed request is another offer's: no wait", func(s *Situation) { soldOut(s); s.Lapsed = []Order{lapsedGift} }, nil,
			tweet(300, "", "BuyKindleFireHD"), NoWait},
		{"sold out, nothing lapsed: no wait", soldOut, nil, tweet(300, "", "BuyKindleFireHD"), NoWait},
		{"not sold out: no wait", func(s *Situation) { s.MayWaitForHorizon = true; s.Lapsed = []Order{lapsed} }, nil,
			tweet(300, "", "BuyKindleFireHD"), NoWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := situation()
			s.Orders = tt.orders
			if tt.mod != nil {
				tt.mod(&s)
			}
			d := Decide(s, tt.msg, Classify(tt.msg, s.Catalog))
			if d.Wait != tt.want {
				t.Fatalf("wait = %q (action %s), want %q", d.Wait, d.Action, tt.want)
			}
			if d.Wait != NoWait && (len(d.Replies) > 0 || len(d.Transitions) > 0 || d.NewOrder != nil || d.HelpPointerSent != nil) {
				t.Errorf("a waiting decision changes something: %+v", d)
			}
		})
	}
}

func TestRepeatedBuysAreAnsweredOnceMore(t *testing.T) {
	for sent, wantReplies := range map[int]int{1: 1, 2: 0, 7: 0} {
		s := situation()
		s.Orders = []Order{order(Pending)}
		s.RequestsSent = map[string]int{"ord_1": sent}
		m := tweet(300, "", "BuyKindleFireHD")
		d := Decide(s, m, Classify(m, s.Catalog))
		if len(d.Replies) != wantReplies || d.NewOrder != nil {
			t.Errorf("requests sent %d: %s with %d replies, want %d", sent, d.Action, len(d.Replies), wantReplies)
		}
	}
}

func TestDelivered(t *testing.T) {
	base := order(Pending) // created t0-5m, expires t0+10m: a 15-minute window
	base.RequestMessageID = 0
	tests := []struct {
		name        string
		o           func() Order
		at          time.Time
		ok          bool
		wantExpires time.Time
	}{
		{"delivered at once: the window as requested", func() Order { return base }, base.CreatedAt, true, t0.Add(10 * time.Minute)},
		{"delivered late: the whole window from delivery", func() Order { return base }, t0.Add(time.Hour), true, t0.Add(75 * time.Minute)},
		{"posted before the order was recorded (a restore): the window from the post", func() Order { return base }, t0.Add(-time.Hour), true, t0.Add(-45 * time.Minute)},
		{"delivered already", func() Order { return order(Pending) }, t0, false, t0.Add(10 * time.Minute)},
		{"no longer pending", func() Order { o := base; o.State = Expired; return o }, t0, false, t0.Add(10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Delivered(tt.o(), 999, tt.at)
			if ok != tt.ok || !got.ExpiresAt.Equal(tt.wantExpires) {
				t.Fatalf("Delivered = %v, expires %s; want %v, %s", ok, got.ExpiresAt, tt.ok, tt.wantExpires)
			}
			if ok && got.RequestMessageID != 999 {
				t.Errorf("request id %d, want 999", got.RequestMessageID)
			}
		})
	}
}

func TestUndeliverable(t *testing.T) {
	undelivered := order(Pending)
	undelivered.RequestMessageID = 0
	if tr, ok := Undeliverable(undelivered, t0); !ok || tr.To != Expired || tr.From != Pending || tr.OrderID != "ord_1" {
		t.Errorf("an undeliverable request: %+v %v, want it expired", tr, ok)
	}
	if _, ok := Undeliverable(order(Pending), t0); ok {
		t.Error("a delivered request expired for a failed repeat")
	}
	if _, ok := Undeliverable(order(Paid), t0); ok {
		t.Error("a paid order expired")
	}
}

// TestExpires is the table of when a pending request gives its unit back.
func TestExpires(t *testing.T) {
	closed := order(Pending) // window closes at t0+10m
	undelivered := closed
	undelivered.RequestMessageID = 0
	after := t0.Add(11 * time.Minute)
	before := t0.Add(9 * time.Minute)
	tests := []struct {
		name    string
		o       Order
		waiting bool
		b       ExpiryBounds
		want    bool
	}{
		{"window closed before the horizon", closed, false, ExpiryBounds{Before: after}, true},
		{"window still open at the horizon", closed, false, ExpiryBounds{Before: before}, false},
		{"closing exactly at the horizon is not before it", closed, false, ExpiryBounds{Before: closed.ExpiresAt}, false},
		{"owner has an unread message from within the window", closed, true, ExpiryBounds{Before: after}, false},
		{"not delivered: its window has not started", undelivered, false, ExpiryBounds{Before: after}, false},
		{"no horizon: nothing is read far enough", closed, false, ExpiryBounds{}, false},
		{"hard bound releases whatever holds it", closed, true, ExpiryBounds{Hard: after}, true},
		{"hard bound releases an undelivered request", undelivered, false, ExpiryBounds{Hard: after}, true},
		{"not pending", order(Confirmed), false, ExpiryBounds{Before: after, Hard: after}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expires(tt.o, tt.waiting, tt.b); got != tt.want {
				t.Errorf("Expires = %v, want %v", got, tt.want)
			}
			if tt.want && !tt.o.ExpiresAt.Before(ExpiryCandidatesBefore(tt.b)) {
				t.Errorf("released but not among the candidates before %s", ExpiryCandidatesBefore(tt.b))
			}
		})
	}
}
