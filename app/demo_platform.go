package app

import (
	"errors"
	"fmt"
	"io"

	"accord/store"
)

// Demo data of the training platform's side and of the officer's queue
// (issue 11.8): an API token, a webhook that points nowhere and is
// disabled, and a request already past its due date.

const (
	demoTokenName = "Demo platform"
	// demoHookURL is under .invalid, a name that never resolves (RFC 6761),
	// and the hook is disabled besides: the demo posts to nobody.
	demoHookURL = "https://platform.invalid/accord/webhooks"
	// demoOverdueEmail's request was received demoOverdueDaysLate days
	// past the due period.
	demoOverdueEmail    = "guardian@demo.test"
	demoOverdueDaysLate = 5
)

// demoPlatform adds the demo API token, printing its secret this once
// (it is stored hashed), and the disabled webhook.
func (a *App) demoPlatform(out io.Writer) error {
	tokens, err := a.db.APITokens()
	if err != nil {
		return err
	}
	if !hasToken(tokens, demoTokenName) {
		secret, t, err := a.db.CreateAPIToken(demoTokenName, store.ScopeRead, 0)
		if err != nil {
			return err
		}
		a.api.put(t)
		fmt.Fprintf(out, "demo API token %q (read), shown only now: %s\n", demoTokenName, secret)
	}
	hooks, err := a.db.Webhooks()
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if h.URL == demoHookURL {
			return nil
		}
	}
	h, err := a.db.CreateWebhook(demoHookURL, store.WebhookEvents, 0)
	if err != nil {
		return err
	}
	if _, err := a.db.SetWebhookDisabled(h.ID, true, 0); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo webhook %s (disabled)\n", demoHookURL)
	return nil
}

func hasToken(list []store.APIToken, name string) bool {
	for _, t := range list {
		if t.Name == name && !t.Revoked() {
			return true
		}
	}
	return false
}

// demoOverdue files one request received long enough ago to be overdue,
// so that the officer's queue and dashboard show one standing out.
func (a *App) demoOverdue(out io.Writer) error {
	u, err := a.db.UserByEmail(demoOverdueEmail)
	if err != nil {
		return err
	}
	if have, err := a.db.UserRequests(u.ID); err != nil || len(have) > 0 {
		return err
	}
	days := a.Settings().RequestDueDays
	_, err = a.db.CreateRequest(store.NewRequest{UserID: u.ID, Type: store.RequestOther,
		Comments: "Merci de corriger la date de naissance de ma fille sur son compte.",
		FiledBy:  store.FiledBySelf, FiledByID: u.ID, DueDays: days,
		ReceivedAt: a.db.Now().AddDate(0, 0, -days-demoOverdueDaysLate)})
	if err != nil && !errors.Is(err, store.ErrOngoingRequest) {
		return err
	}
	fmt.Fprintf(out, "demo overdue request: %s (other, %d days late)\n", demoOverdueEmail, demoOverdueDaysLate)
	return nil
}
