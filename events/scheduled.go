package events

import (
	"encoding/json"
	"time"
)

// ScheduledEvent is the event an EventBridge schedule rule sends
// ("detail-type": "Scheduled Event", "source": "aws.events").
type ScheduledEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}
