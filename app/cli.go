package app

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"accord/store"

	"github.com/go-playground/validator/v10"
)

// NewUser is an account to create from the command line.
type NewUser struct {
	Email     string `validate:"required,email,max=254"`
	Password  string `validate:"required,min=10,max=1024"`
	Role      string `validate:"required,oneof=learner dpo admin"`
	FirstName string `validate:"max=100"`
	LastName  string `validate:"max=100"`
	Lang      string `validate:"required,oneof=en fr"`
}

// AddUser creates an account for `accord user add`, with the rules of the
// web forms; messages are in English, for operators. An administrator
// created while no DPO contact is published becomes that contact until an
// administrator names one in the settings (a DPO is always published).
func AddUser(db *store.DB, in NewUser) (*store.User, error) {
	in.Email = strings.TrimSpace(in.Email)
	var verrs validator.ValidationErrors
	if err := validator.New().Struct(in); errors.As(err, &verrs) {
		fe := verrs[0]
		return nil, fmt.Errorf("invalid --%s: fails %q %s", strings.ToLower(fe.Field()), fe.Tag(), fe.Param())
	} else if err != nil {
		return nil, err
	}
	if strings.EqualFold(in.Password, in.Email) {
		return nil, errors.New("invalid --password: must not be the email address")
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u := &store.User{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Lang: in.Lang,
		Role: store.Role(in.Role), PasswordHash: hash}
	if err := db.CreateUser(u, 0); errors.Is(err, store.ErrEmailTaken) {
		return nil, fmt.Errorf("an account with email %s already exists", in.Email)
	} else if err != nil {
		return nil, err
	}
	if u.Role == store.RoleAdmin {
		if _, err := db.NameDPOIfUnset(u.Name(), u.Email, u.Lang, u.ID); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// demoPassword signs in every demo account.
const demoPassword = "demo-password"

// Demo adds demo accounts and what features add to them, idempotently, so a
// newcomer sees a living system.
func (a *App) Demo(out io.Writer) error {
	people := []NewUser{
		{Email: "dpo@demo.test", Role: "dpo", FirstName: "Claire", LastName: "Martin", Lang: "fr"},
		{Email: "alice@demo.test", Role: "learner", FirstName: "Alice", LastName: "Durand", Lang: "fr"},
		{Email: "bob@demo.test", Role: "learner", FirstName: "Bob", LastName: "Smith", Lang: "en"},
		{Email: "guardian@demo.test", Role: "learner", FirstName: "Gabriel", LastName: "Petit", Lang: "fr"},
		{Email: "minor@demo.test", Role: "learner", FirstName: "Léa", LastName: "Petit", Lang: "fr"},
	}
	for _, p := range people {
		p.Password = demoPassword
		_, err := AddUser(a.db, p)
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			return err
		}
	}
	// The demo's officer is the published DPO contact, unless one is set.
	if named, err := a.db.NameDPOIfUnset("Claire Martin", "dpo@demo.test", a.Settings().DefaultLang, 0); err != nil {
		return err
	} else if named {
		if err := a.reloadSettings(); err != nil {
			return err
		}
	}
	g, err := a.db.UserByEmail("guardian@demo.test")
	if err != nil {
		return err
	}
	m, err := a.db.UserByEmail("minor@demo.test")
	if err != nil {
		return err
	}
	if m.GuardianID != g.ID {
		if _, err := a.db.UpdateUser(m.ID, store.AuditEvent{Action: store.ActGuardianChanged, Detail: "demo"}, func(u *store.User) error {
			u.GuardianID, u.BirthDate = g.ID, "2014-05-01"
			return nil
		}); err != nil {
			return err
		}
	}
	for _, step := range a.demoSteps() {
		if err := step(out); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "demo accounts (password %q): dpo@demo.test, alice@demo.test, bob@demo.test, guardian@demo.test (guardian of minor@demo.test)\n", demoPassword)
	return nil
}
