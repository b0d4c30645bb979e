package metrics

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// TestAlertsAreCountedByKind: an alert attribute on the record or on the
// logger counts under its kind, an old-style "ALERT" message without one
// counts as unlabelled, other records not at all, and a log level that
// hides warnings hides nothing from the counter.
func TestAlertsAreCountedByKind(t *testing.T) {
	m := New()
	var out bytes.Buffer
	log := slog.New(m.CountAlerts(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelError})))
	log.Error("ALERT: two approved purchases for one order", "alert", "double_charge", "order", "ord_1")
	log.With("component", "charger", "alert", "parked").Error("order parked")
	log.Error("ALERT: the old style, without a kind")
	log.Warn("hidden by the level", "alert", "double_charge")
	log.Error("a plain error")
	log.WithGroup("g").Error("grouped", "alert", "not_top_level")

	for kind, want := range map[string]float64{"double_charge": 2, "parked": 1, "unlabelled": 1, "not_top_level": 0} {
		var d dto.Metric
		if err := m.alerts.WithLabelValues(kind).Write(&d); err != nil {
			t.Fatal(err)
		}
		if got := d.GetCounter().GetValue(); got != want {
			t.Errorf("alerts{kind=%q} = %v, want %v", kind, got, want)
		}
	}
	if strings.Contains(out.String(), "hidden by the level") {
		t.Errorf("a warning passed an error-level log: %s", out.String())
	}
	if !strings.Contains(out.String(), "alert=double_charge") || !strings.Contains(out.String(), "alert=parked") {
		t.Errorf("the log lost the alert fields: %s", out.String())
	}
}
