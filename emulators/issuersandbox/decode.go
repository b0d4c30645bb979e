package issuersandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// decodeBody decodes a JSON request body into v. Unknown fields are refused
// so that a client sending a misspelt field learns of it here rather than in
// production. On failure it returns the 400 answer, with param naming the
// field when there is one.
func decodeBody(body []byte, v any) (response, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, tokErr := dec.Token(); tokErr != io.EOF {
			return invalidRequest("", "Malformed JSON: data after the object."), false
		}
		return response{}, true
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		// "metadata.offer" names a field inside metadata: the param is metadata.
		field, _, _ := strings.Cut(typeErr.Field, ".")
		return invalidRequest(field, "Field "+field+" has the wrong type (amounts are integers in minor units)."), false
	case errors.As(err, &typeErr):
		return invalidRequest("", "The body must be a JSON object."), false
	case strings.HasPrefix(err.Error(), `json: unknown field "`):
		field := strings.TrimSuffix(strings.TrimPrefix(err.Error(), `json: unknown field "`), `"`)
		return invalidRequest(field, "Unknown field "+field+"."), false
	case errors.Is(err, io.EOF):
		return invalidRequest("", "Malformed JSON: the body is empty."), false
	default:
		return invalidRequest("", "Malformed JSON."), false
	}
}
