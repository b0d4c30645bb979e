package metrics

import (
	"context"
	"log/slog"
	"strings"
)

// AlertKey is the log attribute that marks a record as an ALERT for an
// operator, and names its kind: alert=<kind>.
const AlertKey = "alert"

// CountAlerts returns a handler that passes every record to next and
// counts each ALERT by its kind: the value of its alert attribute, set on
// the record or on the logger (logger.With("alert", kind)). A record with
// no such attribute whose message starts with "ALERT" (the older style)
// counts as kind "unlabelled". Warnings and errors reach it whatever
// next's level, so that a quiet log level never hides an alert from
// Prometheus.
func (m *Metrics) CountAlerts(next slog.Handler) slog.Handler {
	return &alertHandler{next: next, m: m}
}

type alertHandler struct {
	next    slog.Handler
	m       *Metrics
	kind    string // from the logger's own attributes
	grouped bool   // attributes from here on are inside a group
}

func (h *alertHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h *alertHandler) Handle(ctx context.Context, r slog.Record) error {
	kind := h.kind
	if !h.grouped {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == AlertKey {
				kind = a.Value.String()
				return false
			}
			return true
		})
	}
	if kind == "" && strings.HasPrefix(r.Message, "ALERT") {
		kind = "unlabelled"
	}
	if kind != "" {
		h.m.alerts.WithLabelValues(kind).Inc()
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *alertHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	if !h.grouped {
		for _, a := range attrs {
			if a.Key == AlertKey {
				c.kind = a.Value.String()
			}
		}
	}
	return &c
}

func (h *alertHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	c.grouped = c.grouped || name != ""
	return &c
}
