package admin

import (
	"context"

	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/storage"
)

// OrderNotes returns, for each parked or failed order among orders, why:
// what its charge recorded last (for an order parked on a mismatch, what
// the issuer answered). An operator acts on that; other orders have
// no note. It returns an error when the database cannot be read.
func OrderNotes(ctx context.Context, db *storage.DB, orders []conversations.Order) (map[string]string, error) {
	notes := map[string]string{}
	for _, o := range orders {
		if o.State != conversations.Parked && o.State != conversations.Failed {
			continue
		}
		note, err := db.OrderNote(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		if note != "" {
			notes[o.ID] = note
		}
	}
	return notes, nil
}
