package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

const auditPerPage = 50

// auditActions lists the actions that have an `audit.action.<name>` key in
// the English locale files: every feature translates its own, so the filter
// offers them all without a list kept by hand.
func auditActions(locales fs.FS) ([]string, error) {
	files, err := fs.Glob(locales, "en*.json")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range files {
		data, err := fs.ReadFile(locales, name)
		if err != nil {
			return nil, err
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(data, &keys); err != nil {
			return nil, fmt.Errorf("app: locale file %s: %w", name, err)
		}
		for k := range keys {
			if a, ok := strings.CutPrefix(k, "audit.action."); ok {
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// auditFilter is the audit log's query, from ?action=&user=&page=.
type auditFilter struct {
	Action string
	Email  string
	Page   int
	// Unknown: the email matches no account (nothing to show).
	Unknown bool
	Query   store.AuditQuery
}

func (a *App) auditFilter(c *fiber.Ctx) (auditFilter, error) {
	f := auditFilter{Action: strings.TrimSpace(c.Query("action")), Email: strings.TrimSpace(c.Query("user")), Page: pageParam(c)}
	f.Query = store.AuditQuery{Action: store.Action(f.Action), Limit: auditPerPage, Offset: (f.Page - 1) * auditPerPage}
	if f.Email != "" {
		u, err := a.db.UserByEmail(f.Email)
		if errors.Is(err, store.ErrNotFound) {
			f.Unknown = true
		} else if err != nil {
			return f, err
		} else {
			f.Query.UserID = u.ID
		}
	}
	return f, nil
}

// auditRow is one event as the page shows it.
type auditRow struct {
	store.AuditEvent
	Actor, Subject string // emails, "" for the system or an erased account
}

// getAudit lists the audit log, newest first, 50 a page, filtered by action
// and by user (actor or subject).
func (a *App) getAudit(c *fiber.Ctx) error {
	f, err := a.auditFilter(c)
	if err != nil {
		return err
	}
	var events []store.AuditEvent
	total := 0
	if !f.Unknown {
		if events, total, err = a.db.ListAudit(f.Query); err != nil {
			return err
		}
	}
	ids := make([]uint64, 0, 2*len(events))
	for _, e := range events {
		ids = append(ids, e.ActorID, e.SubjectID)
	}
	emails, err := a.db.UserEmails(ids)
	if err != nil {
		return err
	}
	rows := make([]auditRow, len(events))
	for i, e := range events {
		rows[i] = auditRow{AuditEvent: e, Actor: emails[e.ActorID], Subject: emails[e.SubjectID]}
	}
	p := a.page(c, "audit.title")
	actions := slices.Clone(a.auditActions)
	sort.SliceStable(actions, func(i, j int) bool {
		return p.T("audit.action."+actions[i]) < p.T("audit.action."+actions[j])
	})
	csv := "/admin/audit.csv"
	if qs := string(c.Request().URI().QueryString()); qs != "" {
		csv += "?" + qs
	}
	head, err := a.db.ChainHead()
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Rows": rows, "Total": total, "Filter": f, "Actions": actions, "CSV": csv,
		"Pages": pagination(c, f.Page, total, auditPerPage), "Chain": head}
	return a.render(c, fiber.StatusOK, "audit/index", "audit/_table", p)
}

// getAuditCSV downloads the filtered audit log as CSV, from one consistent
// read; the download itself is audited (it holds personal data).
func (a *App) getAuditCSV(c *fiber.Ctx) error {
	f, err := a.auditFilter(c)
	if err != nil {
		return err
	}
	tr := a.translator(c)
	d := download{
		Name:  fmt.Sprintf("accord-audit-%s.csv", a.db.Now().UTC().Format("20060102-150405")),
		Audit: store.AuditEvent{Action: store.ActAuditExported, ActorID: currentUser(c).ID, Detail: auditCSVDetail(f)},
	}
	return a.sendCSV(c, d, func(cw *csvWriter) error {
		if err := cw.row(tr.T("audit.time"), tr.T("audit.action_code"), tr.T("audit.action"), tr.T("audit.actor"), tr.T("audit.subject"), tr.T("audit.detail")); err != nil {
			return err
		}
		if f.Unknown {
			return nil
		}
		return a.db.EachAuditNamed(f.Query, func(e *store.AuditEvent, actor, subject string) error {
			return cw.row(e.Time.UTC().Format(time.RFC3339), string(e.Action), tr.T("audit.action."+string(e.Action)), actor, subject, e.Detail)
		})
	})
}

// auditCSVDetail describes the filter of an audit download by account id,
// not email: an email would outlive its owner's erasure in this line.
func auditCSVDetail(f auditFilter) string {
	d := "action=" + f.Action
	if f.Email != "" {
		d += fmt.Sprintf(" user_id=%d", f.Query.UserID) // 0: no such account
	}
	return d
}
