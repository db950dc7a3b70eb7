package app

import (
	"errors"
	"strconv"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// apiText is a text in both languages.
type apiText struct {
	EN string `json:"en"`
	FR string `json:"fr"`
}

// apiPolicy is an active version as the API shows it.
type apiPolicy struct {
	PolicyID    uint64    `json:"policy_id"`
	VersionID   uint64    `json:"version_id"`
	Revision    string    `json:"revision"`
	Type        string    `json:"type"`
	Audience    string    `json:"audience"`
	Style       string    `json:"style"`
	Optional    bool      `json:"optional"`
	ActivatedAt time.Time `json:"activated_at"`
	Name        apiText   `json:"name"`
	Summary     apiText   `json:"summary"`
	URL         string    `json:"url"`
}

// apiPolicies lists the active versions, in display order, from the
// consent service's snapshot (no database read).
func (a *App) apiPolicies(c *fiber.Ctx) error {
	out := []apiPolicy{}
	for _, e := range a.consent.Snapshot().Entries() {
		v := e.Active()
		if v == nil {
			continue
		}
		out = append(out, apiPolicy{PolicyID: v.PolicyID, VersionID: v.ID, Revision: v.Revision, Type: string(v.Type),
			Audience: string(v.Audience), Style: string(v.Style), Optional: v.Optional, ActivatedAt: v.ActivatedAt,
			Name:    apiText{EN: v.Texts["en"].Name, FR: v.Texts["fr"].Name},
			Summary: apiText{EN: v.Texts["en"].Summary, FR: v.Texts["fr"].Summary},
			URL:     a.cfg.BaseURL + "/policies/" + strconv.FormatUint(v.PolicyID, 10)})
	}
	return c.JSON(fiber.Map{"policies": out})
}

type apiEmail struct {
	Email string `json:"email" validate:"required,email,max=254"`
}

// apiPending is a version the person still has to answer.
type apiPending struct {
	VersionID uint64 `json:"version_id"`
	PolicyID  uint64 `json:"policy_id"`
	Policy    string `json:"policy"` // its name, in the person's language
	Revision  string `json:"revision"`
	Optional  bool   `json:"optional"`
}

// apiConsentStatus says whether the person has answered every version
// they must, as the consent gate decides it (consent service). A POST, so
// that addresses stay out of access logs.
func (a *App) apiConsentStatus(c *fiber.Ctx) error {
	var in apiEmail
	if err := a.apiDecode(c, c.Body(), &in, ""); err != nil {
		return err
	}
	if fields := a.apiValidate(c, &in); fields != nil {
		return a.apiInvalid(c, fields)
	}
	u, err := a.db.UserByEmail(in.Email)
	if errors.Is(err, store.ErrNotFound) {
		return a.apiFail(c, fiber.StatusNotFound, "unknown_user")
	} else if err != nil {
		return err
	}
	pending := []apiPending{}
	for _, v := range a.consent.PendingVersions(u.ID) {
		t, _ := v.Text(u.Lang)
		pending = append(pending, apiPending{VersionID: v.ID, PolicyID: v.PolicyID, Policy: t.Name, Revision: v.Revision, Optional: v.Optional})
	}
	return c.JSON(fiber.Map{"email": u.Email, "complete": len(pending) == 0, "pending": pending})
}

type apiUserIn struct {
	Email     string `json:"email" validate:"required,email,max=254"`
	FirstName string `json:"first_name" validate:"max=100"`
	LastName  string `json:"last_name" validate:"max=100"`
	Lang      string `json:"lang" validate:"omitempty,oneof=en fr"`
}

// apiUser is a learner as the API shows them.
type apiUser struct {
	ID        uint64 `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Lang      string `json:"lang"`
}

// apiUsers creates a learner, or updates the learner with this email
// (idempotent: the same call again is "unchanged"). 201 when created.
func (a *App) apiUsers(c *fiber.Ctx) error {
	var in apiUserIn
	if err := a.apiDecode(c, c.Body(), &in, ""); err != nil {
		return err
	}
	fields := a.apiValidate(c, &in)
	for name, v := range map[string]string{"first_name": in.FirstName, "last_name": in.LastName} {
		if !clean(v) {
			if fields == nil {
				fields = map[string]string{}
			}
			fields[name] = a.apiLang(c).T("validation.control")
		}
	}
	if fields != nil {
		return a.apiInvalid(c, fields)
	}
	if in.Lang == "" {
		in.Lang = a.Settings().DefaultLang
	}
	u, outcome, err := a.db.UpsertLearner(store.Learner{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Lang: in.Lang}, apiCaller(c))
	if errors.Is(err, store.ErrNotLearner) {
		return a.apiFail(c, fiber.StatusConflict, "not_a_learner")
	} else if err != nil {
		return err
	}
	status := fiber.StatusOK
	if outcome == store.OutcomeCreated {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(fiber.Map{"outcome": outcome,
		"user": apiUser{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Lang: u.Lang}})
}
