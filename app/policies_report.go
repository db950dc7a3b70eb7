package app

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"accord/app/consent"
	"accord/store"

	"github.com/gofiber/fiber/v2"
)

const agreementsPerPage = 50

// reportQuery is the filter of the agreements report and its CSV.
type reportQuery struct {
	PolicyID  uint64
	VersionID uint64
	Status    string // accepted, declined, withdrawn, pending, or "" for all
	Role      store.Role
	Q         string
	Page      int
}

func readReportQuery(c *fiber.Ctx) reportQuery {
	// Cloned: the CSV uses them after the handler, when Fiber reuses its buffers.
	q := reportQuery{Status: strings.Clone(c.Query("status")), Role: store.Role(strings.Clone(c.Query("role"))),
		Q: strings.ToLower(strings.Clone(strings.TrimSpace(c.Query("q")))), Page: pageParam(c)}
	q.PolicyID, _ = strconv.ParseUint(c.Query("policy"), 10, 64)
	q.VersionID, _ = strconv.ParseUint(c.Query("version"), 10, 64)
	switch q.Status {
	case "accepted", "declined", "withdrawn", "pending":
	default:
		q.Status = ""
	}
	if !q.Role.Valid() {
		q.Role = ""
	}
	return q
}

// versions are the versions the report covers: the one asked for, else
// the active one of the policy asked for, else every active one.
func (q reportQuery) versions(st *consent.Snapshot) []*store.PolicyVersion {
	if v := st.Version(q.VersionID); v != nil {
		return []*store.PolicyVersion{v}
	}
	var out []*store.PolicyVersion
	for _, v := range st.ForUsers() {
		if q.PolicyID == 0 || v.PolicyID == q.PolicyID {
			out = append(out, v)
		}
	}
	return out
}

// reportRow is one user × version of the report.
type reportRow struct {
	User    *store.User
	Version *store.PolicyVersion
	Status  string
	Event   *store.AnswerRef // nil when pending
}

// versionCount is how a version stands among the users filtered.
type versionCount struct {
	Version                                       versionView
	Accepted, Declined, Withdrawn, Pending, Total int
	Percent                                       int
}

// scanReport walks every user once, in one read transaction, and calls
// row for each user × version that passes the filter, with its number.
// Accounts are decoded only when a filter needs them or want says the row
// is wanted (a page shows 50 rows of 300,000). With fromMemory, answers
// come from the in-memory index (a page: the file's answers are read only
// for the rows shown); without, all from the file's snapshot (the CSV).
func (a *App) scanReport(q reportQuery, lang string, fromMemory bool, want func(n int) bool, row func(r *reportRow) error) ([]versionCount, int, error) {
	vs := q.versions(a.consent.Snapshot())
	counts := make([]versionCount, len(vs))
	for i, v := range vs {
		counts[i].Version = a.viewOf(v, lang)
	}
	n := 0
	err := a.db.EachUserAnswers(!fromMemory, func(ua *store.UserAnswers) error {
		var u *store.User
		if q.Role != "" || q.Q != "" {
			if q.Role != "" && !ua.MaybeRole(q.Role) {
				return nil
			}
			var err error
			if u, err = ua.User(); err != nil {
				return err
			}
			if (q.Role != "" && u.Role != q.Role) || (q.Q != "" && !strings.Contains(strings.ToLower(u.Email+" "+u.FirstName+" "+u.LastName), q.Q)) {
				return nil
			}
		}
		for i, v := range vs {
			var last store.AcceptStatus
			event := -1
			if fromMemory {
				last = a.consent.Status(ua.ID, v.ID)
			} else {
				for j := range ua.Refs {
					if ua.Refs[j].VersionID == v.ID {
						last, event = ua.Refs[j].Status, j
					}
				}
			}
			status := consent.Label(v, last)
			c := &counts[i]
			c.Total++
			switch status {
			case "accepted":
				c.Accepted++
			case "declined":
				c.Declined++
			case "withdrawn":
				c.Withdrawn++
			default:
				c.Pending++
			}
			if q.Status != "" && q.Status != status {
				continue
			}
			n++
			if !want(n - 1) {
				continue
			}
			if u == nil {
				var err error
				if u, err = ua.User(); err != nil {
					return err
				}
			}
			r := &reportRow{User: u, Version: v, Status: status}
			if fromMemory && last != "" {
				ua.LoadRefs()
				for j := range ua.Refs {
					if ua.Refs[j].VersionID == v.ID {
						event = j
					}
				}
			}
			if event >= 0 {
				ref := ua.Full(event)
				r.Event = &ref
			}
			if err := row(r); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range counts {
		if counts[i].Total > 0 {
			counts[i].Percent = counts[i].Accepted * 100 / counts[i].Total
		}
	}
	return counts, n, err
}

// getAgreements is the agreements report: filters, counts per version,
// pages of 50, and accepting on users' behalf.
func (a *App) getAgreements(c *fiber.Ctx) error {
	return a.showAgreementsReport(c, &Form{})
}

func (a *App) showAgreementsReport(c *fiber.Ctx, f *Form) error {
	q := readReportQuery(c)
	p := a.page(c, "agreements.title")
	p.Form = f
	from := (q.Page - 1) * agreementsPerPage
	var rows []reportRow
	page := func(n int) bool { return n >= from && n < from+agreementsPerPage }
	counts, total, err := a.scanReport(q, p.Lang, true, page, func(r *reportRow) error {
		rows = append(rows, *r)
		return nil
	})
	if err != nil {
		return err
	}
	st := a.consent.Snapshot()
	var active []versionView
	for _, v := range st.ForUsers() {
		active = append(active, a.viewOf(v, p.Lang))
	}
	csv := url.Values{}
	for k, v := range map[string]string{"policy": c.Query("policy"), "version": c.Query("version"), "status": q.Status, "role": string(q.Role), "q": c.Query("q")} {
		if v != "" {
			csv.Set(k, v)
		}
	}
	p.Data = map[string]any{"Rows": rows, "Counts": counts, "Total": total, "Query": q, "QText": c.Query("q"),
		"Entries": st.Entries(), "Active": active, "CSV": "/admin/agreements.csv?" + csv.Encode(),
		"Pages": pagination(c, q.Page, total, agreementsPerPage)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/report", "", p)
}

// getAgreementsCSV streams the report's rows, same filter, no pages, from
// one read transaction. A download of personal data: one audit event.
func (a *App) getAgreementsCSV(c *fiber.Ctx) error {
	q := readReportQuery(c)
	tr := a.translator(c)
	// The filters, but not the search text: it is often someone's email,
	// which would outlive their erasure in the downloader's audit line.
	detail := fmt.Sprintf("policy=%s version=%s status=%s role=%s", c.Query("policy"), c.Query("version"), q.Status, q.Role)
	if err := a.db.Audit(store.AuditEvent{Action: store.ActAgreementsDownloaded, ActorID: currentUser(c).ID, Detail: detail}); err != nil {
		return err
	}
	var head bytes.Buffer
	hw := bufio.NewWriter(&head)
	startCSV(c, "agreements.csv", hw) // headers now; the BOM goes first in the stream
	hw.Flush()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		w.Write(head.Bytes())
		cw := &csvWriter{w: csv.NewWriter(w)}
		cw.row("user_id", "email", "first_name", "last_name", "role", "policy", "version_id", "revision", "status",
			"time", "lang", "text_sha256", "actor_kind", "actor_id", "note", "where")
		all := func(int) bool { return true }
		_, _, err := a.scanReport(q, tr.Lang, false, all, func(r *reportRow) error {
			t, _ := r.Version.Text(tr.Lang)
			cells := []string{strconv.FormatUint(r.User.ID, 10), r.User.Email, r.User.FirstName, r.User.LastName, string(r.User.Role),
				t.Name, strconv.FormatUint(r.Version.ID, 10), r.Version.Revision, r.Status}
			if e := r.Event; e != nil {
				cells = append(cells, e.Time.UTC().Format(time.RFC3339), e.Lang, e.TextHash, string(e.ActorKind), strconv.FormatUint(e.ActorID, 10), e.Note, string(e.Where))
			} else {
				cells = append(cells, "", "", "", "", "", "", "")
			}
			return cw.row(cells...)
		})
		if err == nil {
			err = cw.flush()
		}
		if err != nil {
			a.log.Error("agreements csv", "err", err)
		}
	})
	return nil
}

// postAcceptOnBehalf accepts a version for users, with a required remark,
// recording the staff member as the actor.
func (a *App) postAcceptOnBehalf(c *fiber.Ctx) error {
	var in struct {
		Users   []string `form:"user" validate:"max=500,dive,max=254"`
		Version uint64   `form:"version"`
		Note    string   `form:"note" validate:"required,max=1000"`
	}
	f := a.bind(c, &in)
	tr := a.translator(c)
	if len(in.Users) == 0 {
		f.fail("user", tr.T("agreements.pick_users"))
	}
	v := a.answerable(in.Version)
	if v == nil && !f.Invalid() {
		return fiber.NewError(fiber.StatusConflict)
	}
	var users []*store.User
	for _, email := range in.Users {
		u, err := a.db.UserByEmail(email)
		if errors.Is(err, store.ErrNotFound) {
			f.fail("user", tr.T("agreements.unknown_user", "Email", email))
			continue
		} else if err != nil {
			return err
		}
		users = append(users, u)
	}
	if f.Invalid() {
		f.Status = fiber.StatusUnprocessableEntity
		return a.showAgreementsReport(c, f)
	}
	staff := currentUser(c)
	for _, u := range users {
		t, got := v.Text(u.Lang)
		_, err := a.consent.Record([]store.Answer{{UserID: u.ID, VersionID: v.ID, Accept: true, Lang: got, TextHash: t.Hash,
			ActorID: staff.ID, ActorKind: store.ActorStaff, Note: strings.TrimSpace(in.Note), Where: store.WhereReport}})
		if err != nil {
			return policyErr(err)
		}
	}
	a.flash(c, "ok", "agreements.on_behalf_done", "Count", len(users))
	return a.redirect(c, "/admin/agreements?version="+strconv.FormatUint(v.ID, 10))
}
