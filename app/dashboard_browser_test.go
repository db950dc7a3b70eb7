package app

import (
	"fmt"
	"strings"
	"testing"

	"accord/store"
)

// Ensure that the officer follows a chart of the dashboard to the list
// behind it: from the requests chart's table, the overdue row's "awaiting
// approval" count opens the request list filtered on both, showing the
// overdue request only, with the filters set; from the agreements chart,
// a version's pending count opens the agreements report filtered on that
// version and status. In English and in French.
func TestBrowserChartToFilteredList(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowser(t)
			b.env.realDPO(t)
			b.env.person(t, "dora@example.org", store.RoleDPO, "Dora", "Officer", lang)
			b.env.oldRequest(t, "late@example.org")
			fresh := b.env.person(t, "fresh@example.org", store.RoleLearner, "Fay", "Fresh", "en")
			if _, err := b.env.db.CreateRequest(store.NewRequest{UserID: fresh.ID, Type: store.RequestExport,
				FiledBy: store.FiledBySelf, FiledByID: fresh.ID, DueDays: 30}); err != nil {
				t.Fatal(err)
			}

			b.login("dora@example.org")
			b.refuseCookies()
			b.visit("/admin")
			wantLang(t, b, lang)
			b.click("#chart-requests details > summary")
			link := `#chart-requests a[href="/admin/requests?status=awaiting_approval&overdue=1"]`
			if got := b.text(link); got != "1" {
				t.Errorf("overdue awaiting count in the chart's table: got %q, want 1", got)
			}
			if status := b.submit(link); status != 200 || b.path() != "/admin/requests?status=awaiting_approval&overdue=1" {
				t.Fatalf("follow the chart: got %d at %s, want 200 at the list filtered on both", status, b.path())
			}
			if got := eval[string](b, `document.querySelector("#status-filter").value + " " + document.querySelector("#overdue-filter").checked`); got != "awaiting_approval true" {
				t.Errorf("list filters: got %q, want awaiting_approval and overdue set", got)
			}
			rows := eval[int](b, `document.querySelectorAll("#bulk tbody tr").length`)
			overdue := eval[int](b, `document.querySelectorAll("#bulk tbody tr.overdue").length`)
			if rows != 1 || overdue != 1 {
				t.Errorf("filtered list: got %d rows (%d overdue), want the overdue request alone", rows, overdue)
			}
			if body := b.text("#bulk tbody"); !strings.Contains(body, "Lou Late") || strings.Contains(body, "Fay Fresh") {
				t.Errorf("filtered list: got %q, want Lou Late's request and not Fay Fresh's", body)
			}

			b.visit("/admin")
			versions := b.env.activeIDs()
			b.click("#chart-agreements details > summary")
			pending := fmt.Sprintf(`#chart-agreements a[href="/admin/agreements?status=pending&version=%d"]`, versions[0])
			want := fmt.Sprintf("/admin/agreements?status=pending&version=%d", versions[0])
			if status := b.submit(pending); status != 200 || b.path() != want {
				t.Fatalf("follow the agreements chart: got %d at %s, want 200 at %s", status, b.path(), want)
			}
			if got := eval[string](b, `(document.querySelector("select[name=status]") || {}).value`); got != "pending" {
				t.Errorf("agreements report: status filter %q, want pending", got)
			}
			b.shots("chart-to-list")
		})
	}
}
