// Package money converts between decimal price strings and int64 amounts in
// a currency's minor unit, so that no float ever touches an amount.
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Exponent returns the number of decimals of an ISO 4217 currency code and
// whether the code is known. Codes are upper case, as the issuer expects.
func Exponent(code string) (int, bool) {
	e, ok := exponents[code]
	return e, ok
}

// Parse converts a decimal string such as "199.00" into minor units of the
// currency (19900 for USD). It returns an error for an unknown currency, a
// negative or malformed number, more decimals than the currency allows, or
// an amount that does not fit in int64.
func Parse(s, currency string) (int64, error) {
	exp, ok := Exponent(currency)
	if !ok {
		return 0, fmt.Errorf("unknown currency %q (want an ISO 4217 code such as USD)", currency)
	}
	if s == "" {
		return 0, errors.New("empty amount")
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("amount %q is not a plain decimal number such as 199.00", s)
	}
	if len(frac) > exp {
		if exp == 0 {
			return 0, fmt.Errorf("amount %q has decimals, but %s has none", s, currency)
		}
		return 0, fmt.Errorf("amount %q has %d decimals, but %s allows %d", s, len(frac), currency, exp)
	}
	frac += strings.Repeat("0", exp-len(frac))
	var n int64
	for _, c := range whole + frac {
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("amount %q is too large", s)
		}
		n = n*10 + d
	}
	return n, nil
}

// Format renders minor units as a decimal with the currency's decimals and
// its code, such as "199.00 USD". An unknown currency is shown with two
// decimals so that a message is never left blank.
func Format(amount int64, currency string) string {
	return FormatNumber(amount, currency) + " " + currency
}

// FormatNumber renders minor units as a plain decimal string, such as
// "199.00", in the form that Parse accepts.
func FormatNumber(amount int64, currency string) string {
	exp, ok := Exponent(currency)
	if !ok {
		exp = 2
	}
	sign := ""
	u := uint64(amount)
	if amount < 0 {
		sign = "-"
		u = uint64(-(amount + 1)) + 1 // safe for MinInt64
	}
	s := fmt.Sprintf("%0*d", exp+1, u)
	if exp == 0 {
		return sign + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:]
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
