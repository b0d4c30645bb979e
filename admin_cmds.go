package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paybytweet/paybytweet/admin"
	"github.com/paybytweet/paybytweet/config"
	"github.com/paybytweet/paybytweet/conversations"
	"github.com/paybytweet/paybytweet/issuer"
	"github.com/paybytweet/paybytweet/money"
	"github.com/paybytweet/paybytweet/storage"
)

// loadConfig reads and validates the -config file, requiring the
// credentials in needs and no others: a command is never refused for a
// secret it does not use. Every problem is a badInput, printed one per
// line as file:line:column: message.
func (m *Main) loadConfig(path string, needs config.Secrets) (*config.Config, error) {
	if path == "" {
		return nil, usageError{"-config FILE is required"}
	}
	cfg, err := config.LoadFor(path, m.LookupEnv, needs)
	if err != nil {
		return nil, badInput{err}
	}
	return cfg, nil
}

// checkConfig validates a configuration file: a one-line summary and exit
// 0 when it is good, every problem with its line and exit 1 when not.
func (m *Main) checkConfig(ctx context.Context, args []string) error {
	fs := m.flags("check-config")
	path := fs.String("config", "", "the configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	// The file is checked as run reads it: with every credential.
	cfg, err := m.loadConfig(*path, config.AllSecrets)
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, cfg.Summary())
	return nil
}

// openStore loads the configuration and opens its database, for an admin
// command that calls neither Twitter nor the issuer, so needs none of
// their credentials. It may run beside the daemon: in WAL mode both work
// on the file.
func (m *Main) openStore(path string) (*config.Config, *storage.DB, error) {
	return m.openStoreWith(path, config.NoSecrets)
}

// openStoreWith is openStore for a command that uses the credentials in
// needs.
func (m *Main) openStoreWith(path string, needs config.Secrets) (*config.Config, *storage.DB, error) {
	cfg, err := m.loadConfig(path, needs)
	if err != nil {
		return nil, nil, err
	}
	db, err := storage.Open(cfg.Storage.Path, nil)
	if err != nil {
		return nil, nil, err
	}
	return cfg, db, nil
}

func (m *Main) orders(ctx context.Context, args []string) error {
	fs := m.flags("orders")
	path := fs.String("config", "", "the configuration file")
	offer := fs.String("offer", "", "only this offer's orders")
	state := fs.String("state", "", "only orders in this state ("+orderStates()+"), or pending_approval: confirmed, waiting for the cardholder's approval")
	user := fs.String("user", "", "only this Twitter user id's orders (numeric)")
	limit := fs.Int("limit", 100, "at most this many, newest first; 0 for all")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	filter := storage.OrderFilter{OfferID: *offer, State: conversations.State(*state), Limit: *limit}
	if *state == admin.PendingApproval {
		filter.State, filter.ApprovalPending = "", true
	} else if *state != "" && !conversations.State(*state).Known() {
		return badInput{fmt.Errorf("-state %q: not an order state (want %s)", *state, orderStates())}
	}
	if *user != "" {
		id, err := strconv.ParseInt(*user, 10, 64)
		if err != nil || id <= 0 {
			return badInput{fmt.Errorf("-user %q: want a numeric Twitter user id, not a screen name", *user)}
		}
		filter.UserID = id
	}
	_, db, err := m.openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	orders, err := db.Orders(ctx, filter)
	if err != nil {
		return err
	}
	notes, err := admin.OrderNotes(ctx, db, orders)
	if err != nil {
		return err
	}
	return admin.WriteOrders(m.Stdout, orders, notes, *asJSON)
}

// orderStates lists the order states for -state's help and errors, from
// conversations' one list, so that a state added there is offered here.
func orderStates() string {
	names := make([]string, len(conversations.States))
	for i, s := range conversations.States {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func (m *Main) offers(ctx context.Context, args []string) error {
	fs := m.flags("offers")
	path := fs.String("config", "", "the configuration file")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, db, err := m.openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	stats, err := db.OfferStats(ctx)
	if err != nil {
		return err
	}
	return admin.WriteOffers(m.Stdout, admin.OfferRows(cfg, stats, time.Now()), *asJSON)
}

func (m *Main) refund(ctx context.Context, args []string) error {
	fs := m.flags("refund")
	path := fs.String("config", "", "the configuration file")
	amount := fs.String("amount", "", "amount to refund, such as 12.50, in the order's currency; default all that is left")
	again := fs.Bool("again", false, "refund the same amount as an earlier refund of this order once more")
	orderID, err := parseOneArg(fs, args, "ORDER_ID", "ORDER_ID is required")
	if err != nil {
		return err
	}
	cfg, db, iss, err := m.openStoreAndIssuer(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := admin.Refund(ctx, db, iss, cfg, admin.RefundRequest{OrderID: orderID, Amount: *amount, Again: *again})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return badInput{fmt.Errorf("no order %s", orderID)}
	case err != nil:
		return badInput{err}
	case res.Already && res.Order.RefundedAmount >= res.Order.Amount:
		fmt.Fprintf(m.Stdout, "order %s is fully refunded (%s of %s): nothing is left to refund; nothing done\n",
			orderID, money.Format(res.Order.RefundedAmount, res.Order.Currency), money.Format(res.Order.Amount, res.Order.Currency))
		return nil
	case res.Already:
		fmt.Fprintf(m.Stdout, "already refunded %s of %s on %s (%s); nothing done (use -again to refund that amount once more)\n",
			money.Format(res.Refund.Refunded, res.Order.Currency), orderID, res.Refund.SettledAt.Format(time.RFC3339), res.Refund.RefundID)
		return nil
	}
	refundID := res.Refund.RefundID
	if refundID == "" {
		refundID = "settled from the issuer's purchase"
	}
	fmt.Fprintf(m.Stdout, "refunded %s of %s (%s); %s refunded in all of %s; the cardholder is told by the running bot\n",
		money.Format(res.Refund.Refunded, res.Order.Currency), orderID, refundID,
		money.Format(res.Order.RefundedAmount, res.Order.Currency), money.Format(res.Order.Amount, res.Order.Currency))
	return nil
}

// inbox lists the stored mentions and DMs, or with "retry ID" puts a
// message whose processing failed back in line.
func (m *Main) inbox(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "retry" {
		return m.inboxRetry(ctx, args[1:])
	}
	fs := m.flags("inbox")
	path := fs.String("config", "", "the configuration file")
	state := fs.String("state", "", "only messages in this state (pending, done, failed)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected %q (to put a failed message back: inbox retry -config FILE ID)", fs.Arg(0))}
	}
	switch *state {
	case "", storage.InboxPending, storage.InboxDone, storage.InboxFailed:
	default:
		return badInput{fmt.Errorf("-state %q: want pending, done or failed", *state)}
	}
	_, db, err := m.openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	msgs, err := db.Inbox(ctx, *state)
	if err != nil {
		return err
	}
	return admin.WriteInbox(m.Stdout, msgs, *asJSON)
}

func (m *Main) inboxRetry(ctx context.Context, args []string) error {
	fs := m.flags("inbox retry")
	path := fs.String("config", "", "the configuration file")
	idArg, err := parseOneArg(fs, args, "ID", "ID is required (the ID column of paybytweet inbox)")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id <= 0 {
		return badInput{fmt.Errorf("ID %q: want the number in the ID column of paybytweet inbox", idArg)}
	}
	_, db, err := m.openStore(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	switch err := db.RetryInbox(ctx, id); {
	case errors.Is(err, storage.ErrNotFound):
		return badInput{fmt.Errorf("no message %d in the inbox", id)}
	case errors.Is(err, storage.ErrConflict):
		return badInput{fmt.Errorf("message %d is not failed: %w", id, err)}
	case err != nil:
		return err
	}
	fmt.Fprintf(m.Stdout, "message %d is back in line; the running bot processes it shortly\n", id)
	return nil
}

// issuerClient returns the issuer client an admin command uses: the
// daemon's address, key and TLS files.
func issuerClient(cfg *config.Config) (*issuer.Client, error) {
	iss := issuer.New(cfg.Issuer.URL, cfg.Issuer.APIKey, cfg.Issuer.Timeout)
	tlsCfg, err := cfg.Issuer.TLS.Load()
	if err != nil {
		return nil, err
	}
	return iss, iss.UseTLS(tlsCfg)
}

// resolve settles a parked order from what the issuer has under its
// reference, and queues what the cardholder is told; it never charges.
func (m *Main) resolve(ctx context.Context, args []string) error {
	fs := m.flags("resolve")
	path := fs.String("config", "", "the configuration file")
	orderID, err := parseOneArg(fs, args, "ORDER_ID", "ORDER_ID is required")
	if err != nil {
		return err
	}
	cfg, db, iss, err := m.openStoreAndIssuer(*path)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := admin.Resolve(ctx, db, iss, cfg, orderID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return badInput{fmt.Errorf("no order %s", orderID)}
	case err != nil:
		return badInput{err}
	}
	fmt.Fprintf(m.Stdout, "resolved %s: %s at the issuer, so the order is %s; the cardholder is told by the running bot\n",
		orderID, res.Found, res.Order.State)
	return nil
}

// parseOneArg parses fs from args and returns the one argument, named
// what, that they hold besides flags; flags may come after it, as the
// usage lines show them. It returns a usage error, saying required when
// there is none, or when there is more than one.
func parseOneArg(fs *flag.FlagSet, args []string, what, required string) (string, error) {
	var arg string
	rest := args
	for {
		if err := parse(fs, rest); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		if arg != "" {
			return "", usageError{"one " + what + " only"}
		}
		arg, rest = fs.Arg(0), fs.Args()[1:]
	}
	if arg == "" {
		return "", usageError{required}
	}
	return arg, nil
}

// openStoreAndIssuer is openStore plus the issuer client the
// configuration describes, for the commands that ask the issuer: they
// need its key, and no Twitter credential (the running bot tells the
// cardholder). It closes the database again when the client cannot be
// made.
func (m *Main) openStoreAndIssuer(path string) (*config.Config, *storage.DB, *issuer.Client, error) {
	cfg, db, err := m.openStoreWith(path, config.IssuerSecrets)
	if err != nil {
		return nil, nil, nil, err
	}
	iss, err := issuerClient(cfg)
	if err != nil {
		db.Close()
		return nil, nil, nil, badInput{err}
	}
	return cfg, db, iss, nil
}
