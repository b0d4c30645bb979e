package issuersandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Errors of Approve and Decline, for errors.Is.
var (
	ErrNoSuchPurchase = errors.New("no such purchase")
	// ErrNotPending: the purchase is not waiting for approval (any more):
	// it was never asked, was answered, or expired.
	ErrNotPending = errors.New("purchase is not pending approval")
)

// RequireApproval makes later purchases of the cardholder wait for their
// approval whatever the request says (required true), or stops doing so:
// the issuer's own rule, per cardholder. It has no effect under
// Options.NoApprovals.
func (s *Server) RequireApproval(cardholder string, required bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !required {
		delete(s.alwaysApprove, cardholder)
		return
	}
	s.alwaysApprove[cardholder] = true
}

// PendingApprovals returns a copy of the purchases waiting for their
// cardholder's approval, oldest first. Those past their expiry are
// declined first, so none is listed.
func (s *Server) PendingApprovals() []Purchase {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireApprovalsLocked(now)
	return s.pendingLocked()
}

// WaitPending waits until at least n purchases are waiting for approval
// and returns them as PendingApprovals does, so that a test waits on the
// event rather than sleeping. It returns ctx's error if ctx ends first.
func (s *Server) WaitPending(ctx context.Context, n int) ([]Purchase, error) {
	for {
		now := s.clock()
		s.mu.Lock()
		s.expireApprovalsLocked(now)
		if len(s.pending) >= n {
			out := s.pendingLocked()
			s.mu.Unlock()
			return out, nil
		}
		added := s.pendingAdded
		s.mu.Unlock()
		select {
		case <-added:
		case <-ctx.Done():
			return nil, fmt.Errorf("issuersandbox: waiting for %d pending approvals: %w", n, ctx.Err())
		}
	}
}

// Approve is the cardholder approving a pending purchase: the card is
// charged now, exactly as a 201 would have charged it. A card that now
// declines (its enrollment suspended, DeclineCard set since the POST) ends
// the purchase declined with that code rather than approved: the
// cardholder's yes does not make an unpayable charge go through. It
// returns the purchase as it ends, or an error wrapping ErrNoSuchPurchase
// or ErrNotPending (also when it expired, its expiry evaluated first).
func (s *Server) Approve(id string) (Purchase, error) {
	return s.answer(id, func(p *Purchase) {
		enr, ok := s.enrollmentByCardholder(p.Cardholder)
		code := "do_not_honor" // the enrollment was removed meanwhile
		if ok {
			code = s.cardDeclineLocked(enr)
		}
		if code != "" {
			p.Status, p.DeclineCode = StatusDeclined, code
			return
		}
		p.Status = StatusApproved
	})
}

// Decline is the cardholder refusing a pending purchase: it ends declined
// with DeclineApprovalDeclined and nothing is charged. Errors are those of
// Approve.
func (s *Server) Decline(id string) (Purchase, error) {
	return s.answer(id, func(p *Purchase) {
		p.Status, p.DeclineCode = StatusDeclined, DeclineApprovalDeclined
	})
}

// answer moves a pending purchase once, as settle says.
func (s *Server) answer(id string, settle func(p *Purchase)) (Purchase, error) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireApprovalsLocked(now)
	p, ok := s.byID[id]
	if !ok {
		return Purchase{}, fmt.Errorf("issuersandbox: purchase %s: %w", id, ErrNoSuchPurchase)
	}
	if p.Status != StatusPendingApproval {
		state := p.Status
		if p.DeclineCode != "" {
			state += " (" + p.DeclineCode + ")"
		}
		return p.clone(), fmt.Errorf("issuersandbox: purchase %s is %s: %w", id, state, ErrNotPending)
	}
	settle(p)
	s.pending = slices.DeleteFunc(s.pending, func(q *Purchase) bool { return q == p })
	return p.clone(), nil
}

// issuerWantsApprovalLocked applies the issuer's own rules to a new
// purchase.
func (s *Server) issuerWantsApprovalLocked(p *Purchase) bool {
	if s.noApprovals {
		return false
	}
	if s.alwaysApprove[p.Cardholder] {
		return true
	}
	over, ok := s.approveOver[p.Currency]
	return ok && p.Amount > over
}

// addPendingLocked records a purchase that now waits for approval and
// wakes WaitPending.
func (s *Server) addPendingLocked(p *Purchase) {
	s.pending = append(s.pending, p)
	close(s.pendingAdded)
	s.pendingAdded = make(chan struct{})
}

// expireApprovalsLocked declines, with DeclineApprovalExpired, every
// pending purchase whose expiry is not after now. It runs on every read,
// so that what anyone sees follows the clock without a background timer
// (which a fake clock could not drive).
func (s *Server) expireApprovalsLocked(now time.Time) {
	s.pending = slices.DeleteFunc(s.pending, func(p *Purchase) bool {
		if now.Before(p.Approval.Expires) {
			return false
		}
		p.Status, p.DeclineCode = StatusDeclined, DeclineApprovalExpired
		return true
	})
}

func (s *Server) pendingLocked() []Purchase {
	out := make([]Purchase, 0, len(s.pending))
	for _, p := range s.pending {
		out = append(out, p.clone())
	}
	return out
}
