package app

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Ensure that the served OpenAPI 3.1 description documents every /api/v1
// route of the real router and nothing the router does not have, that
// every operation has responses, and that every $ref resolves.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t)
	res := e.apiCall(t, "GET", "/api/v1/openapi.json", "", "").want(t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	var spec map[string]any
	if err := json.Unmarshal([]byte(res.Body), &spec); err != nil {
		t.Fatal(err)
	}
	if spec["openapi"] != "3.1.0" {
		t.Errorf("openapi: got %v, want 3.1.0", spec["openapi"])
	}
	var documented []string
	for path, item := range spec["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if resp, _ := op.(map[string]any)["responses"].(map[string]any); len(resp) == 0 {
				t.Errorf("%s %s: no responses", method, path)
			}
		}
	}
	var routed []string
	for _, r := range e.app.web.GetRoutes(true) {
		// Fiber adds a HEAD to every GET.
		if strings.HasPrefix(r.Path, "/api/v1/") && r.Method != http.MethodHead {
			routed = append(routed, r.Method+" "+r.Path)
		}
	}
	if len(routed) < 6 {
		t.Fatalf("routes under /api/v1: got %v, want at least 6", routed)
	}
	slices.Sort(documented)
	slices.Sort(routed)
	routed = slices.Compact(routed)
	if !slices.Equal(documented, routed) {
		t.Errorf("documented:\n  %s\nrouted:\n  %s", strings.Join(documented, "\n  "), strings.Join(routed, "\n  "))
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !resolves(spec, ref) {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(spec)
}

func resolves(spec map[string]any, ref string) bool {
	var cur any = spec
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
