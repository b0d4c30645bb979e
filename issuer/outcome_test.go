package issuer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/paybytweet/paybytweet/issuer"
)

func TestOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want issuer.Kind
	}{
		{nil, issuer.OK},
		{errors.New("something else"), issuer.Unknown},
		{&issuer.Error{Err: context.DeadlineExceeded}, issuer.Unknown},
		{&issuer.Error{Code: issuer.CodeInvalidArgument}, issuer.Bug},
		{&issuer.Error{Status: 201, Code: issuer.CodeInvalidResponse}, issuer.Unknown},
		{&issuer.Error{Status: 400, Code: issuer.CodeInvalidRequest}, issuer.Final},
		{&issuer.Error{Status: 400, Code: issuer.CodeInvalidRequest, Param: "approval"}, issuer.Final}, // nothing charged
		{&issuer.Error{Status: 202, Code: issuer.CodeInvalidResponse}, issuer.Unknown},
		{&issuer.Error{Status: 401, Code: issuer.CodeUnauthorized}, issuer.RetryLater},
		{&issuer.Error{Status: 402, Code: issuer.CodeCardDeclined}, issuer.Final},
		{&issuer.Error{Status: 404, Code: issuer.CodeNotFound}, issuer.Final},
		{&issuer.Error{Status: 404, Code: issuer.CodeNotEnrolled}, issuer.Final},
		{&issuer.Error{Status: 408}, issuer.Unknown},
		{&issuer.Error{Status: 409, Code: issuer.CodeRequestInProgress}, issuer.Unknown},
		{&issuer.Error{Status: 422, Code: issuer.CodeIdempotencyKeyReused}, issuer.Bug},
		{&issuer.Error{Status: 429, Code: issuer.CodeRateLimited}, issuer.RetryLater},
		{&issuer.Error{Status: 500, Code: issuer.CodeInternalError}, issuer.Unknown},
		{&issuer.Error{Status: 503, Code: issuer.CodeUnavailable}, issuer.Unknown},
		{&issuer.Error{Status: 302}, issuer.Unknown},
		{fmt.Errorf("charge order: %w", &issuer.Error{Status: 402}), issuer.Final},
	}
	for _, tt := range tests {
		if got := issuer.Outcome(tt.err); got != tt.want {
			t.Errorf("Outcome(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[issuer.Kind]string{issuer.OK: "ok", issuer.Final: "final", issuer.Unknown: "unknown",
		issuer.RetryLater: "retry_later", issuer.Bug: "bug"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", int(k), k.String())
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &issuer.Error{Op: "POST /v1/purchases", Status: 402, Code: "card_declined", DeclineCode: "insufficient_funds",
		Message: "The card was declined.", RequestID: "req_1"}
	want := "issuer: POST /v1/purchases: 402 card_declined (insufficient_funds): The card was declined. [request_id req_1]"
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
	te := &issuer.Error{Op: "GET /v1/purchases/x", Err: context.DeadlineExceeded, RequestID: "req_2"}
	if !strings.Contains(te.Error(), "context deadline exceeded") || !errors.Is(te, context.DeadlineExceeded) {
		t.Errorf("transport error %q does not carry its cause", te.Error())
	}
}
