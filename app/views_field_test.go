package app

import (
	"html/template"
	"os"
	"strings"
	"testing"
)

// fieldTemplate is partials/field as it was written as a template, before
// fieldHTML replaced it; fieldHTML must write exactly what it wrote.
const fieldTemplate = `{{/* A labelled input. */}}
<div class="field">
  <label for="f-{{.Name}}">{{.P.T .Label}}</label>
  {{with .Hint}}<p class="hint" id="f-{{$.Name}}-hint">{{$.P.T .}}</p>{{end}}
  <input id="f-{{.Name}}" name="{{.Name}}" type="{{or .Type "text"}}"{{if ne .Type "password"}} value="{{.P.Form.Get .Name}}"{{end}}{{with .Auto}} autocomplete="{{.}}"{{end}}{{if .Required}} required{{end}}{{with .P.Form.Err .Name}} aria-invalid="true" aria-describedby="f-{{$.Name}}-err"{{else}}{{with $.Hint}} aria-describedby="f-{{$.Name}}-hint"{{end}}{{end}}>
  {{with .P.Form.Err .Name}}<p class="error" id="f-{{$.Name}}-err">{{.}}</p>{{end}}
</div>
`

// Ensure that fieldHTML writes what the partials/field template wrote, for
// every combination of type, hint, autocomplete, required, a value and an
// error, with hostile text in each, in both languages.
func TestFieldHTMLMatchesTemplate(t *testing.T) {
	e := newEnv(t)
	tmpl := template.Must(template.New("field").Parse(fieldTemplate))
	hostile := `"><script>alert('x')</script>&+`
	n := 0
	for _, lang := range Langs {
		for _, typ := range []string{"", "email", "password"} {
			for _, hint := range []string{"", "field.password.hint"} {
				for _, auto := range []string{"", "email"} {
					for _, required := range []bool{false, true} {
						for _, errText := range []string{"", hostile} {
							p := &Page{Translator: e.app.tr[lang], Form: &Form{Values: map[string][]string{"email": {hostile}}, Errors: map[string]string{}}}
							if errText != "" {
								p.Form.Errors["email"] = errText
							}
							d := map[string]any{"P": p, "Name": "email", "Label": "field.email"}
							if typ != "" {
								d["Type"] = typ
							}
							if hint != "" {
								d["Hint"] = hint
							}
							if auto != "" {
								d["Auto"] = auto
							}
							if required {
								d["Required"] = true
							}
							var want strings.Builder
							if err := tmpl.Execute(&want, d); err != nil {
								t.Fatal(err)
							}
							got, err := fieldHTML(d)
							if err != nil {
								t.Fatal(err)
							}
							if w := strings.ReplaceAll(want.String(), "&#43;", "+"); string(got) != w {
								t.Fatalf("%s %v: got\n%s\nwant\n%s", lang, d, got, w)
							}
							n++
						}
					}
				}
			}
		}
	}
	if n != 2*3*2*2*2*2 {
		t.Fatalf("got %d cases, want %d", n, 2*3*2*2*2*2)
	}
	src, err := os.ReadFile("../views/partials/field.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(src), "{{field .}}") {
		t.Fatalf("views/partials/field.html must only call fieldHTML, got %q", src)
	}
}
