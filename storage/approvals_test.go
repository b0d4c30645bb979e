package storage

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestApprovalsAskedCountsAWindow: approvals asked are counted per
// cardholder from a time on; other cardholders, other kinds and an
// event recorded twice do not count.
func TestApprovalsAskedCountsAWindow(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	events := []struct {
		user  int64
		order string
		kind  ApprovalKind
		at    time.Time
		added bool
	}{
		{1, "ord_a", ApprovalAsked, t0.Add(-25 * time.Hour), true},
		{1, "ord_b", ApprovalAsked, t0.Add(-24 * time.Hour), true},
		{1, "ord_c", ApprovalAsked, t0.Add(-time.Hour), true},
		{1, "ord_c", ApprovalAsked, t0, false}, // a retried POST
		{1, "ord_c", ApprovalApproved, t0, true},
		{1, "ord_d", ApprovalAsked, t0, true},
		{1, "ord_d", ApprovalExpired, t0, true},
		{2, "ord_e", ApprovalAsked, t0, true},
	}
	for _, e := range events {
		added, err := db.RecordApproval(ctx, e.user, e.order, e.kind, e.at)
		if err != nil || added != e.added {
			t.Errorf("RecordApproval(%d, %s, %s) = %v, %v; want %v", e.user, e.order, e.kind, added, err, e.added)
		}
	}
	for _, tt := range []struct {
		user  int64
		since time.Time
		want  int
	}{
		{1, t0.Add(-24 * time.Hour), 3},
		{1, t0.Add(-48 * time.Hour), 4},
		{1, t0.Add(time.Second), 0},
		{2, t0.Add(-24 * time.Hour), 1},
		{3, t0.Add(-24 * time.Hour), 0},
	} {
		if n, err := db.ApprovalsAsked(ctx, tt.user, tt.since); n != tt.want || err != nil {
			t.Errorf("ApprovalsAsked(%d, %s) = %d, %v; want %d", tt.user, tt.since.Format(time.RFC3339), n, err, tt.want)
		}
	}
	if _, err := db.RecordApproval(ctx, 1, "ord_f", "refused", t0); err == nil {
		t.Error("an unknown kind was recorded")
	}
	if _, err := db.RecordApproval(ctx, 1, "", ApprovalAsked, t0); err == nil {
		t.Error("an event without an order was recorded")
	}
}

// TestDeclines: the latest decline is the one that counts; a purchase
// carrying it notices every decline so far, and a later decline is
// news again.
func TestDeclines(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	if _, _, ok, err := db.LastDecline(ctx, 1); ok || err != nil {
		t.Fatalf("LastDecline with none = %v, %v", ok, err)
	}
	if changed, err := db.NoticeDecline(ctx, 1); changed || err != nil {
		t.Errorf("NoticeDecline with none = %v, %v", changed, err)
	}
	for _, e := range []struct {
		order string
		at    time.Time
	}{{"ord_a", t0.Add(-48 * time.Hour)}, {"ord_b", t0}, {"ord_c", t0.Add(-time.Hour)}} {
		if _, err := db.RecordApproval(ctx, 1, e.order, ApprovalDeclined, e.at); err != nil {
			t.Fatal(err)
		}
	}
	db.RecordApproval(ctx, 2, "ord_x", ApprovalDeclined, t0.Add(time.Hour))
	at, noticed, ok, err := db.LastDecline(ctx, 1)
	if !ok || err != nil || !at.Equal(t0) || noticed {
		t.Errorf("LastDecline = %v, noticed %v, %v, %v; want %v, not noticed", at, noticed, ok, err, t0)
	}
	if changed, err := db.NoticeDecline(ctx, 1); !changed || err != nil {
		t.Errorf("NoticeDecline = %v, %v", changed, err)
	}
	if changed, _ := db.NoticeDecline(ctx, 1); changed {
		t.Error("a second NoticeDecline changed something")
	}
	if at, noticed, ok, _ := db.LastDecline(ctx, 1); !ok || !at.Equal(t0) || !noticed {
		t.Errorf("after NoticeDecline: %v, noticed %v, %v", at, noticed, ok)
	}
	if _, noticed, _, _ := db.LastDecline(ctx, 2); noticed {
		t.Error("another cardholder's decline was noticed")
	}
	db.RecordApproval(ctx, 1, "ord_d", ApprovalDeclined, t0.Add(2*time.Hour))
	if at, noticed, _, _ := db.LastDecline(ctx, 1); !at.Equal(t0.Add(2*time.Hour)) || noticed {
		t.Errorf("a new decline: %v, noticed %v", at, noticed)
	}
}

// TestApprovalsInATransaction: the transaction that decides about a
// purchase counts, records and notices in one go, and a decision that
// fails leaves nothing.
func TestApprovalsInATransaction(t *testing.T) {
	db, ctx := openTest(t), context.Background()
	db.RecordApproval(ctx, 1, "ord_old", ApprovalDeclined, t0.Add(-48*time.Hour))
	boom := errors.New("decision failed")
	err := db.update(ctx, func(tx *Tx) error {
		if _, noticed, ok, err := tx.lastDecline(1); !ok || noticed || err != nil {
			t.Errorf("lastDecline = %v, %v, %v", noticed, ok, err)
		}
		if _, err := tx.recordApproval(1, "ord_new", ApprovalAsked, time.Time{}); err != nil {
			return err
		}
		if _, err := tx.noticeDecline(1); err != nil {
			return err
		}
		if n, err := tx.approvalsAsked(1, t0); n != 1 || err != nil {
			t.Errorf("the transaction counts %d, %v of its own", n, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n, _ := db.ApprovalsAsked(ctx, 1, t0.Add(-time.Hour)); n != 0 {
		t.Errorf("a rolled-back approval counts: %d", n)
	}
	if _, noticed, _, _ := db.LastDecline(ctx, 1); noticed {
		t.Error("a rolled-back notice was kept")
	}
}
