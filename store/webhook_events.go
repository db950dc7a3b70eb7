package store

import bolt "go.etcd.io/bbolt"

// The events the store writers raise (enqueueWebhooksTx), each built
// inside the writer's transaction. What a receiver gets under "data" is
// documented in the OpenAPI description (webhooks).

// emailTx is the account's email, or "" once it is erased.
func emailTx(tx *bolt.Tx, userID uint64) string {
	if u, err := userTx(tx, userID); err == nil {
		return u.Email
	}
	return ""
}

// answerEvent: a policy answer changed a person's consent.
func answerEvent(e *Acceptance) *WebhookEvent {
	return &WebhookEvent{Type: EventConsentChanged, UserID: e.UserID, Email: true, Data: map[string]any{
		"source": "policy", "user_id": e.UserID,
		"policy_id": e.PolicyID, "version_id": e.VersionID, "status": e.Status, "actor": e.ActorKind,
	}}
}

// cookieEvent: an account's cookie choice changed (a visitor's is nobody
// the platform knows: nil).
func cookieEvent(r *CookieConsent) *WebhookEvent {
	if r.UserID == 0 {
		return nil
	}
	return &WebhookEvent{Type: EventConsentChanged, UserID: r.UserID, Email: true, Data: map[string]any{
		"source": "cookies", "user_id": r.UserID, "state": r.State, "decisions": r.Decisions,
	}}
}

// erasedEvent: the person was erased; the platform must erase its copy
// (GDPR art. 19). The email is captured before the erasure.
func erasedEvent(u *User, requestID uint64) *WebhookEvent {
	return &WebhookEvent{Type: EventUserErased, UserID: u.ID, Data: map[string]any{
		"user_id": u.ID, "email": u.Email, "request_id": requestID,
	}}
}

// requestCompletedEvent: a request reached its end (complete, or an
// export ready to download); nil for any other status.
func requestCompletedEvent(r *DataRequest) *WebhookEvent {
	if r.Status != StatusComplete && r.Status != StatusDownloadReady {
		return nil
	}
	data := map[string]any{"request_id": r.ID, "type": r.Type, "status": r.Status}
	if r.UserID != 0 {
		data["user_id"] = r.UserID
	}
	return &WebhookEvent{Type: EventRequestCompleted, UserID: r.UserID, Email: r.UserID != 0, Data: data}
}
