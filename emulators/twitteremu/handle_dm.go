package twitteremu

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
)

// encodeCursor makes the opaque next_cursor of a DM page from the id of its
// last (oldest) event; paging from an id stays stable while newer events
// arrive. Twitter's cursors look the same: base64 of an id.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeCursor(cur string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	return id, err == nil && id > 0
}

func errBadCursor() *APIError {
	return apiErr(http.StatusBadRequest, CodeBadRequest, "cursor: invalid value.")
}

// handleDMList answers direct_messages/events/list: the bot's sent and
// received events of the last 30 days, newest first, count (≤50) per page.
func (s *Server) handleDMList(c *call) {
	count := c.countParam(20, 50)
	before := int64(math.MaxInt64)
	if cur := c.param("cursor"); cur != "" {
		id, ok := decodeCursor(cur)
		if !ok {
			c.fail(errBadCursor())
			return
		}
		before = id
	}
	cutoff := c.now.Add(-DMListWindow)
	evs := s.st.dmsOf[s.opts.Bot.ID]
	i := sort.Search(len(evs), func(i int) bool { return evs[i].id >= before })
	out := dmEventsJSON{Events: []dmEventJSON{}}
	var last int64
	more := false
	for i--; i >= 0; i-- {
		e := evs[i]
		if !e.createdAt.After(cutoff) || c.unlisted(e.createdAt) {
			continue
		}
		if len(out.Events) == count {
			more = true
			break
		}
		out.Events = append(out.Events, s.dmObject(e))
		last = e.id
	}
	if more {
		out.NextCursor = encodeCursor(last)
	}
	c.json(http.StatusOK, out)
}

// handleDMShow answers direct_messages/events/show for an event of the bot
// within the last 30 days.
func (s *Server) handleDMShow(c *call) {
	id := c.int64Param("id")
	bot := s.opts.Bot.ID
	e, ok := s.st.dmByID[id]
	if !ok || e.sender != bot && e.recipient != bot || !e.createdAt.After(c.now.Add(-DMListWindow)) {
		c.fail(errPageNotFound())
		return
	}
	c.json(http.StatusOK, dmEventWrapJSON{Event: s.dmObject(e)})
}

// newEventBody is the JSON body of direct_messages/events/new.
type newEventBody struct {
	Event *struct {
		Type          string `json:"type"`
		MessageCreate *struct {
			Target *struct {
				RecipientID string `json:"recipient_id"`
			} `json:"target"`
			MessageData *struct {
				Text string `json:"text"`
			} `json:"message_data"`
		} `json:"message_create"`
	} `json:"event"`
}

// handleDMNew answers direct_messages/events/new: a DM from the bot,
// refused with 429 code 88 past the send budget.
func (s *Server) handleDMNew(c *call) {
	bad := func(msg string) { c.fail(apiErr(http.StatusBadRequest, CodeBadRequest, msg)) }
	var req newEventBody
	if err := json.Unmarshal(c.body, &req); err != nil || req.Event == nil {
		bad("event: a JSON body with an event is required.")
		return
	}
	if req.Event.Type != "message_create" || req.Event.MessageCreate == nil {
		bad("event.type: invalid value.")
		return
	}
	mc := req.Event.MessageCreate
	if mc.Target == nil || mc.MessageData == nil {
		bad("event.message_create: target and message_data are required.")
		return
	}
	to, err := strconv.ParseInt(mc.Target.RecipientID, 10, 64)
	if err != nil {
		bad("event.message_create.target.recipient_id: invalid value.")
		return
	}
	bot := s.opts.Bot.ID
	if overBudget(s.st.dmLog, bot, c.now, s.opts.DMSendLimit, s.opts.DMSendWindow) {
		c.fail(errRateLimited())
		return
	}
	e, aerr := s.createDM(bot, to, mc.MessageData.Text)
	if aerr != nil {
		c.fail(aerr)
		return
	}
	useBudget(s.st.dmLog, bot, c.now)
	c.json(http.StatusOK, dmEventWrapJSON{Event: s.dmObject(e)})
}
