package storage

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/paybytweet/paybytweet/conversations"
)

// TestSchemaKnowsTheOrderStates holds the SQL against the one list of order
// states in conversations: the orders table's CHECK takes exactly those
// states, and every trigger on orders names only states of that list.
func TestSchemaKnowsTheOrderStates(t *testing.T) {
	db := openTest(t)
	var table string
	if err := db.db.QueryRowContext(context.Background(), `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'orders'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	check := regexp.MustCompile(`state\s+TEXT[^,]*CHECK \(state IN \(([^)]*)\)\)`).FindStringSubmatch(table)
	if check == nil {
		t.Fatalf("the orders table has no CHECK on its state:\n%s", table)
	}
	var inSQL []string
	for _, q := range regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(check[1], -1) {
		inSQL = append(inSQL, q[1])
	}
	var inGo []string
	for _, s := range conversations.States {
		inGo = append(inGo, string(s))
	}
	slices.Sort(inSQL)
	slices.Sort(inGo)
	if !slices.Equal(inSQL, inGo) {
		t.Errorf("the orders table's CHECK takes %v; conversations.States are %v", inSQL, inGo)
	}

	rows, err := db.db.QueryContext(context.Background(), `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'orders'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// A state is named as state = 'x', state != 'x' or state IN ('x', ...).
	named := regexp.MustCompile(`state\s*(?:=|!=|<>|IN\s*\()\s*'([a-z_]+)'(?:\s*,\s*'([a-z_]+)')*`)
	literal := regexp.MustCompile(`'([a-z_]+)'`)
	triggers := 0
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		triggers++
		for _, m := range named.FindAllString(sql, -1) {
			for _, q := range literal.FindAllStringSubmatch(m, -1) {
				if !conversations.State(q[1]).Known() {
					t.Errorf("trigger %s names order state %q, which conversations.States lacks", name, q[1])
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if triggers == 0 {
		t.Fatal("no trigger on orders: the test would check nothing")
	}
}
