package store

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// Ensure that a write queues its webhook deliveries in its own
// transaction: nothing without hooks, one per hook that wants the event
// (with the person's address) when there are, nothing when the write is
// refused; and that an attempt's outcome leaves the pending index and the
// body once delivered or given up, while a failure waits for its retry.
func TestWebhooksQueuedWithTheirEvent(t *testing.T) {
	db := openTest(t)
	v := optionalPolicy(t, db)
	u := &User{Email: "ada@example.org", Role: RoleLearner}
	if err := db.CreateUser(u, 0); err != nil {
		t.Fatal(err)
	}
	answer := func(accept bool) error {
		_, err := db.RecordAnswers([]Answer{{UserID: u.ID, VersionID: v.ID, Accept: accept, Lang: "en"}})
		return err
	}
	if err := answer(true); err != nil {
		t.Fatal(err)
	}
	if ds, _ := db.WebhookDeliveries(10); len(ds) != 0 {
		t.Fatalf("without hooks: %d deliveries", len(ds))
	}
	if _, err := db.CreateWebhook("https://platform.example/a", []WebhookEventType{EventConsentChanged}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateWebhook("https://platform.example/b", []WebhookEventType{EventUserErased}, 0); err != nil {
		t.Fatal(err)
	}
	if err := answer(false); err != nil { // withdrawn
		t.Fatal(err)
	}
	if err := answer(false); err != nil { // the same answer again: no event, no delivery
		t.Fatal(err)
	}
	due, err := db.DueWebhookDeliveries(db.Now(), 10)
	if err != nil || len(due) != 1 || due[0].URL != "https://platform.example/a" {
		t.Fatalf("due: got %+v, %v; want one delivery to hook a", due, err)
	}
	var body struct {
		Event WebhookEventType `json:"event"`
		Data  map[string]any   `json:"data"`
	}
	if err := json.Unmarshal([]byte(due[0].Body), &body); err != nil || body.Event != EventConsentChanged ||
		body.Data["email"] != "ada@example.org" || body.Data["status"] != string(Withdrawn) {
		t.Errorf("body: got %s (%v)", due[0].Body, err)
	}
	// A refused write queues nothing.
	if _, err := db.RecordAnswers([]Answer{{UserID: u.ID, VersionID: v.ID + 100, Accept: true}}); !errors.Is(err, ErrNotActive) {
		t.Fatalf("answer to no version: got %v, want ErrNotActive", err)
	}
	if ds, _ := db.WebhookDeliveries(10); len(ds) != 1 {
		t.Fatalf("after a refused write: %d deliveries, want 1", len(ds))
	}

	now := db.Now()
	if err := db.WebhookAttempted(due[0].ID, Attempt{At: now, Status: 503, Error: "answered 503", Next: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if d, _ := db.DueWebhookDeliveries(now, 10); len(d) != 0 {
		t.Errorf("a failed delivery is due again before its retry time")
	}
	if d, _ := db.DueWebhookDeliveries(now.Add(time.Minute), 10); len(d) != 1 || d[0].Attempts != 1 || d[0].Body == "" {
		t.Fatalf("after the retry time: got %+v", d)
	}
	if err := db.WebhookAttempted(due[0].ID, Attempt{At: now.Add(time.Minute), Status: 200, OK: true}); err != nil {
		t.Fatal(err)
	}
	ds, _ := db.WebhookDeliveries(10)
	if len(ds) != 1 || ds[0].State() != DeliveryDelivered || ds[0].Body != "" || ds[0].Attempts != 2 {
		t.Errorf("delivered: got %+v, want delivered after 2 attempts, body gone", ds)
	}
	if d, _ := db.DueWebhookDeliveries(now.Add(time.Hour), 10); len(d) != 0 {
		t.Errorf("a delivered message is due again")
	}
	if err := db.PruneWebhookDeliveries(now.Add(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ds, _ := db.WebhookDeliveries(10); len(ds) != 0 {
		t.Errorf("prune kept %d finished deliveries", len(ds))
	}
}
