package issuer

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckPurchase compares a purchase the issuer answered (to a POST, or in
// a look-up by reference) with the request it should be the answer to:
// cardholder, merchant, amount, currency and reference must be the ones
// asked for. A purchase that differs is not proof of the charge asked for,
// whatever its status, and must not be reported to a cardholder as one.
// It returns nil when they match, else a *MismatchError naming every field
// that differs and what the issuer said.
func CheckPurchase(asked PurchaseRequest, got Purchase) error {
	var diffs []string
	field := func(name, want, have string) {
		if want != have {
			diffs = append(diffs, fmt.Sprintf("%s %q (asked %q)", name, have, want))
		}
	}
	field("cardholder", asked.Cardholder, got.Cardholder)
	field("merchant", asked.Merchant, got.Merchant)
	if asked.Amount != got.Amount {
		diffs = append(diffs, "amount "+strconv.FormatInt(got.Amount, 10)+" (asked "+strconv.FormatInt(asked.Amount, 10)+")")
	}
	field("currency", asked.Currency, got.Currency)
	field("reference", asked.Reference, got.Reference)
	if len(diffs) == 0 {
		return nil
	}
	return &MismatchError{PurchaseID: got.ID, Status: got.Status, Diffs: diffs}
}

// MismatchError is a purchase answer that is not the purchase asked for.
type MismatchError struct {
	PurchaseID string
	Status     string
	Diffs      []string // each "field value (asked value)", in minor units for amounts
}

// Error says what the issuer answered, for the log and the order's note.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("issuer answered purchase %s (%s) with %s", e.PurchaseID, e.Status, strings.Join(e.Diffs, ", "))
}
