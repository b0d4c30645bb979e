package storage

import "time"

// hintedAt returns when the cardholder was last told "did you mean"
// about each offer, by offer id.
func (tx *Tx) hintedAt(userID int64) (map[string]time.Time, error) {
	rows, err := tx.tx.Query(`SELECT offer_id, hinted_at FROM hashtag_hints WHERE user_id = ?`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	at := map[string]time.Time{}
	for rows.Next() {
		var offer string
		var v int64
		if err := rows.Scan(&offer, &v); err != nil {
			return nil, err
		}
		at[offer] = fromMS(v)
	}
	return at, rows.Err()
}

// recordHint notes that the cardholder is told "did you mean" about
// offerID now, in the transaction that queues the reply.
func (tx *Tx) recordHint(userID int64, offerID string) error {
	_, err := tx.tx.Exec(`INSERT INTO hashtag_hints (user_id, offer_id, hinted_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id, offer_id) DO UPDATE SET hinted_at = excluded.hinted_at`, userID, offerID, ms(tx.now))
	return err
}
