package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// secretValues are every value the secrets tests put in the environment or
// in the file as a credential.
func secretValues() []string {
	vals := []string{"price-SECRET-77", "merch-SECRET-88", "literal-SECRET-99", "rotated-SECRET-11"}
	for _, v := range testEnv() {
		vals = append(vals, v)
	}
	return vals
}

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range secretValues() {
		if strings.Contains(text, s) {
			t.Errorf("%s shows secret %q:\n%s", what, s, text)
		}
	}
}

func TestSecretsNeverShown(t *testing.T) {
	env := lookup("PRICE", "price-SECRET-77", "MERCHANT", "merch-SECRET-88")

	// Bad values taken from the environment, and a credential written in
	// the file, in a file with problems: the errors name variables only.
	bad := strings.Replace(doc(offer("a", "A", "price: ${PRICE}", "merchant: ${MERCHANT}", "quantity: ${MERCHANT}"), "privacy: ${MERCHANT}\n"),
		"${TWITTER_ACCESS_SECRET}", "literal-SECRET-99", 1)
	_, err := load(t, bad, env)
	if err == nil {
		t.Fatal("loaded")
	}
	assertNoSecret(t, "Error()", err.Error())
	for _, want := range []string{`price "${PRICE}" is not a plain decimal number`, `quantity must be a whole number, not "${MERCHANT}"`, `privacy must be public or dm, not "${MERCHANT}"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Error() lacks %q:\n%s", want, err)
		}
	}

	// A good file: Summary, printing and logging the Config.
	good := strings.Replace(doc(offer("a", "A", "merchant: ${MERCHANT}"), ""), "${TWITTER_ACCESS_SECRET}", "literal-SECRET-99", 1)
	c, err := load(t, good, env)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "value", *c)
	for what, text := range map[string]string{
		"Summary": c.Summary(), "%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", *c), "%#v": fmt.Sprintf("%#v", c), "slog": logged.String(),
	} {
		assertNoSecret(t, what, text)
	}

	// Diff: the credentials and the merchant from the environment change.
	env2 := lookup("MERCHANT", "rotated-SECRET-11", "ISSUER_API_KEY", "rotated-SECRET-11")
	c2, err := load(t, strings.Replace(good, "literal-SECRET-99", "${TWITTER_ACCESS_SECRET}", 1), env2)
	if err != nil {
		t.Fatal(err)
	}
	lines := Diff(c, c2).Lines()
	assertNoSecret(t, "Diff lines", strings.Join(lines, "\n"))
	want := []string{
		"offer a: merchant changed",
		"twitter.access_secret changed (needs a restart to take effect)",
		"issuer.api_key changed (needs a restart to take effect)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Diff lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
