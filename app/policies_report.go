package app

import (
	"bufio"
	"bytes"
	"encoding/csv"
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
	UserID    uint64 // one person's agreements (their page links here), or 0
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
	q.UserID, _ = strconv.ParseUint(c.Query("user"), 10, 64)
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
	// Actor is the staff member who answered on the user's behalf (nil
	// when the answer is the user's or their guardian's, or the staff
	// account is gone).
	Actor *store.User
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
	actors := map[uint64]*store.User{} // staff are few: each decoded once
	err := a.db.EachUserAnswers(!fromMemory, func(ua *store.UserAnswers) error {
		if q.UserID != 0 && ua.ID != q.UserID {
			return nil
		}
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
				if ref.ActorKind == store.ActorStaff && ref.ActorID != 0 {
					actor, ok := actors[ref.ActorID]
					if !ok {
						actor, _ = ua.Account(ref.ActorID) // gone: named by number
						actors[ref.ActorID] = actor
					}
					r.Actor = actor
				}
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
	csv := url.Values{}
	for k, v := range map[string]string{"policy": c.Query("policy"), "version": c.Query("version"), "status": q.Status, "role": string(q.Role), "q": c.Query("q"), "user": c.Query("user")} {
		if v != "" {
			csv.Set(k, v)
		}
	}
	p.Data = map[string]any{"Rows": rows, "Counts": counts, "Total": total, "Query": q, "QText": c.Query("q"),
		"Entries": st.Entries(), "Back": reportBack(c), "CSV": "/admin/agreements.csv?" + csv.Encode(),
		"Pages": pagination(c, q.Page, total, agreementsPerPage)}
	return a.render(c, statusOr(f.Status, fiber.StatusOK), "policies/report", "", p)
}

// reportBack is where an answer given from this report returns: the
// report as filtered now.
func reportBack(c *fiber.Ctx) string {
	if c.Method() != fiber.MethodGet {
		return "/admin/agreements"
	}
	return string(c.Request().URI().RequestURI())
}

// getAgreementsCSV streams the report's rows, same filter, no pages, from
// one read transaction. A download of personal data: one audit event.
func (a *App) getAgreementsCSV(c *fiber.Ctx) error {
	q := readReportQuery(c)
	tr := a.translator(c)
	// The filters, but not the search text: it is often someone's email,
	// which would outlive their erasure in the downloader's audit line.
	detail := fmt.Sprintf("policy=%s version=%s status=%s role=%s", c.Query("policy"), c.Query("version"), q.Status, q.Role)
	if q.UserID != 0 {
		detail += fmt.Sprintf(" user=%d", q.UserID)
	}
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
			"time", "lang", "text_sha256", "actor_kind", "actor_id", "actor_name", "actor_email", "note", "where")
		all := func(int) bool { return true }
		_, _, err := a.scanReport(q, tr.Lang, false, all, func(r *reportRow) error {
			t, _ := r.Version.Text(tr.Lang)
			cells := []string{strconv.FormatUint(r.User.ID, 10), r.User.Email, r.User.FirstName, r.User.LastName, string(r.User.Role),
				t.Name, strconv.FormatUint(r.Version.ID, 10), r.Version.Revision, r.Status}
			if e := r.Event; e != nil {
				var name, email string
				if a := r.Actor; a != nil {
					name, email = a.Name(), a.Email
				}
				cells = append(cells, e.Time.UTC().Format(time.RFC3339), e.Lang, e.TextHash, string(e.ActorKind), strconv.FormatUint(e.ActorID, 10),
					name, email, e.Note, string(e.Where))
			} else {
				cells = append(cells, "", "", "", "", "", "", "", "", "")
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
