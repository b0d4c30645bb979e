package bot

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"

	"github.com/paybytweet/paybytweet/conversations"
)

var orderIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// orderIDFor returns the id of the order a buy message makes for an offer:
// "ord_" and 16 characters (80 bits) of a hash of the message's channel
// and id and of the offer's id. It is derived, not drawn, so that the same
// buy read again after a restore from a replica (or by a second daemon on
// a copy of the database) is the same order, with the same issuer
// reference and idempotency key: the charger then finds the purchase made
// for it before and charges nothing new. Orders made before ids were
// derived keep their random ids.
func orderIDFor(ch conversations.Channel, messageID int64, offerID string) string {
	h := sha256.Sum256([]byte("paybytweet order\x00" + string(ch) + "\x00" + strconv.FormatInt(messageID, 10) + "\x00" + offerID))
	return "ord_" + orderIDEncoding.EncodeToString(h[:10])
}
