package admin

import (
	"context"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// OrderNotes returns, for each parked or failed order among orders, why:
// what its last issuer call recorded (for an order parked on a mismatch,
// what the issuer answered). An operator acts on that; other orders have
// no note. It returns an error when the database cannot be read.
func OrderNotes(ctx context.Context, db *storage.DB, orders []conversations.Order) (map[string]string, error) {
	notes := map[string]string{}
	for _, o := range orders {
		if o.State != conversations.Parked && o.State != conversations.Failed {
			continue
		}
		attempts, err := db.ChargeAttempts(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		if n := len(attempts); n > 0 {
			notes[o.ID] = attempts[n-1].Detail
		}
	}
	return notes, nil
}
