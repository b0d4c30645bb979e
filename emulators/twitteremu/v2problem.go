package twitteremu

import "net/http"

// Problem types the v2 emulator answers with. X's documentation writes them
// on api.x.com; its live answers also use api.twitter.com, which the
// usage-cap answer keeps so that clients must accept both hosts.
const (
	ProblemInvalidRequest   = "https://api.x.com/2/problems/invalid-request"
	ProblemResourceNotFound = "https://api.x.com/2/problems/resource-not-found"
	ProblemUsageCapped      = "https://api.twitter.com/2/problems/usage-capped"
	ProblemCredits          = "https://api.twitter.com/2/problems/credits"
	problemBlank            = "about:blank"
)

// Details of the v2 refusals the bot must recognise.
const (
	DetailDuplicate    = "You are not allowed to create a Tweet with duplicate content."
	DetailReplyRefused = "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to."
	detailInvalidQuery = "One or more parameters to your request was invalid."
	// DetailReplyInvalid is how X's playground refuses (400) a reply to a
	// post that does not exist (Options.ReplyGoneAs400).
	DetailReplyInvalid = "Your reply tweet ID is invalid."
	// DetailTextTooLong is how X's playground refuses (400) a post whose
	// text is too long (Options.TooLongAs400).
	DetailTextTooLong = "text field exceeds maximum length of 280 characters"
)

// problemJSON is an RFC 7807 problem as X v2 writes it.
type problemJSON struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Detail string             `json:"detail"`
	Status int                `json:"status,omitempty"`
	Errors []problemEntryJSON `json:"errors,omitempty"`
	// Usage caps say which cap was reached.
	Period string `json:"period,omitempty"`
	Scope  string `json:"scope,omitempty"`
}

// problemEntryJSON is an entry of an errors array: a parameter error of a
// 400, or a partial error of a 200.
type problemEntryJSON struct {
	Parameters   map[string][]string `json:"parameters,omitempty"`
	Message      string              `json:"message,omitempty"`
	Value        string              `json:"value,omitempty"`
	Detail       string              `json:"detail,omitempty"`
	Title        string              `json:"title,omitempty"`
	ResourceType string              `json:"resource_type,omitempty"`
	Parameter    string              `json:"parameter,omitempty"`
	ResourceID   string              `json:"resource_id,omitempty"`
	Type         string              `json:"type,omitempty"`
}

// problemFor is the problem X answers with status; detail "" takes the
// title.
func problemFor(status int, detail string) problemJSON {
	p := problemJSON{Type: problemBlank, Title: http.StatusText(status), Status: status}
	switch status {
	case http.StatusBadRequest:
		p.Type, p.Title = ProblemInvalidRequest, "Invalid Request"
	case http.StatusNotFound:
		p.Type, p.Title = ProblemResourceNotFound, "Not Found Error"
	case http.StatusPaymentRequired:
		p.Type, p.Title = ProblemCredits, "CreditsDepleted"
		if detail == "" {
			detail = "Your enrolled account does not have any credits to fulfill this request."
		}
	}
	if detail == "" {
		detail = p.Title
	}
	p.Detail = detail
	return p
}

func usageCappedProblem() problemJSON {
	return problemJSON{
		Type: ProblemUsageCapped, Title: "UsageCapExceeded", Status: http.StatusTooManyRequests,
		Detail: "Usage cap exceeded: Monthly product cap", Period: "Monthly", Scope: "Product",
	}
}

// problem answers p with its status.
func (c *call) problem(p problemJSON) {
	status := p.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	c.json(status, p)
}

// v2Error turns one of the emulator's v1.1-style refusals into the problem
// a v2 endpoint answers: the status stays, the message becomes the detail,
// except for the generic ones (401, 429) whose v2 detail is the status text.
func v2Error(e *APIError) problemJSON {
	switch e.Status {
	case http.StatusUnauthorized, http.StatusTooManyRequests:
		return problemFor(e.Status, "")
	}
	return problemFor(e.Status, e.Message)
}

// notFoundEntry is the partial error of a 200 naming an unknown resource.
func notFoundEntry(resourceType, parameter, value string) problemEntryJSON {
	return problemEntryJSON{
		Value: value, Detail: "Could not find " + resourceType + " with " + parameter + ": [" + value + "].",
		Title: "Not Found Error", ResourceType: resourceType, Parameter: parameter, ResourceID: value,
		Type: ProblemResourceNotFound,
	}
}
