package main

import (
	"context"

	"github.com/paybytweet/paybytweet/admin"
)

// usageReport prints what the bot read from and wrote to the Twitter API,
// per day and per offer, with its estimated pay-per-use cost.
func (m *Main) usageReport(ctx context.Context, args []string) error {
	fs := m.flags("usage")
	path := fs.String("config", "", "the configuration file")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	_, db, err := m.openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	counts, paid, err := db.Usage(ctx)
	if err != nil {
		return err
	}
	return admin.WriteUsage(m.Stdout, admin.UsageRows(counts, paid), *asJSON)
}
