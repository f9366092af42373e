package app

import (
	"encoding/json"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"tack/app/auth"
	"tack/app/board"
	"tack/app/errs"
	"tack/docs"
)

// These tests hold docs/openapi.yaml to the server: every registered route
// is documented with its method, nothing documented is missing from the
// server, the document is what the server serves, it parses, and its
// references, path parameters, security and shapes agree with the code.

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadOpenAPI parses docs/openapi.yaml.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid YAML: %v", err)
	}
	if doc == nil {
		t.Fatal("docs/openapi.yaml is empty")
	}
	return doc
}

// obj reads a nested mapping by keys; nil when any step is missing.
func obj(v any, keys ...string) map[string]any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return m
}

// routeOf turns a ServeMux pattern ("GET /api/v1/tasks/{id}") into an
// OpenAPI method key and path ("get", "/api/v1/tasks/{id}").
func routeOf(pattern string) (method, path string, err error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return "", "", fmt.Errorf("pattern %q is not METHOD /path: every route must have a method to be documented", pattern)
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`).ReplaceAllString(path, "{$1}")
	return strings.ToLower(method), path, nil
}

// documentedOps lists "METHOD /path" for every operation in the document.
func documentedOps(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths := obj(doc, "paths")
	if paths == nil {
		t.Fatal("docs/openapi.yaml has no paths")
	}
	ops := map[string]map[string]any{}
	for p, item := range paths {
		im, ok := item.(map[string]any)
		if !ok {
			t.Errorf("path %s is not a mapping", p)
			continue
		}
		for _, m := range openAPIMethods {
			if op, ok := im[m]; ok {
				om, ok := op.(map[string]any)
				if !ok {
					t.Errorf("%s %s is not a mapping", m, p)
					continue
				}
				ops[strings.ToUpper(m)+" "+p] = om
			}
		}
	}
	return ops
}

func registeredOps(t *testing.T, ta *testApp) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, pattern := range ta.Routes() {
		m, p, err := routeOf(pattern)
		if err != nil {
			t.Error(err)
			continue
		}
		out[strings.ToUpper(m)+" "+p] = pattern
	}
	if len(out) == 0 {
		t.Fatal("App.Routes() is empty")
	}
	return out
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ta := newTestApp(t, nil)
	ops := documentedOps(t, loadOpenAPI(t))
	var missing []string
	for key, pattern := range registeredOps(t, ta) {
		if _, ok := ops[key]; !ok {
			missing = append(missing, fmt.Sprintf("%s (registered as %q)", key, pattern))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d route(s) registered in app.routes but not documented in docs/openapi.yaml; add each under paths with its method:\n\t%s",
			len(missing), strings.Join(missing, "\n\t"))
	}
}

func TestOpenAPIDocumentsNoStaleRoutes(t *testing.T) {
	ta := newTestApp(t, nil)
	reg := registeredOps(t, ta)
	var stale []string
	for key := range documentedOps(t, loadOpenAPI(t)) {
		if _, ok := reg[key]; !ok {
			stale = append(stale, key)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("%d operation(s) documented in docs/openapi.yaml but not registered by the server (stale docs, or a typo in the path):\n\t%s",
			len(stale), strings.Join(stale, "\n\t"))
	}
}

func TestOpenAPIServedAndValid(t *testing.T) {
	ta := newTestApp(t, nil)
	res, body := ta.do(t, "GET", "/api/v1/openapi.yaml", nil)
	if res.StatusCode != 200 {
		t.Fatalf("GET /api/v1/openapi.yaml = %d", res.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", res.Header.Get("Content-Type"))
	}
	if string(body) != string(docs.OpenAPI) {
		t.Errorf("the served document (%d bytes) differs from docs.OpenAPI (%d bytes)", len(body), len(docs.OpenAPI))
	}

	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi = %v, want 3.1.x (as a string)", doc["openapi"])
	}
	if info := obj(doc, "info"); info == nil || info["title"] == nil || info["version"] == nil {
		t.Errorf("info needs a title and a version: %v", doc["info"])
	}
	servers, _ := doc["servers"].([]any)
	if len(servers) != 1 || obj(servers[0])["url"] != "/" {
		t.Errorf("servers = %v, want [{url: /}] so that paths are the full ServeMux paths", doc["servers"])
	}

	t.Run("Refs", func(t *testing.T) {
		walkYAML(doc, "", func(at string, m map[string]any) {
			ref, ok := m["$ref"]
			if !ok {
				return
			}
			s, _ := ref.(string)
			if _, err := resolveRef(doc, s); err != nil {
				t.Errorf("%s: $ref %v: %v", at, ref, err)
			}
		})
	})

	t.Run("StringKeys", func(t *testing.T) {
		// A map with a non-string key (an unquoted status code, say) does
		// not decode to map[string]any; JSON and OpenAPI need strings.
		var walk func(v any, at string)
		walk = func(v any, at string) {
			switch v := v.(type) {
			case map[string]any:
				for k, c := range v {
					walk(c, at+"/"+k)
				}
			case []any:
				for i, c := range v {
					walk(c, fmt.Sprintf("%s/%d", at, i))
				}
			case map[any]any:
				t.Errorf("%s: a mapping with non-string keys; quote them (e.g. \"200\")", at)
			}
		}
		walk(doc, "")
	})

	t.Run("Types", func(t *testing.T) {
		ok := map[string]bool{"string": true, "integer": true, "number": true, "boolean": true, "object": true, "array": true, "null": true,
			// security scheme types
			"http": true, "apiKey": true, "oauth2": true, "openIdConnect": true, "mutualTLS": true}
		walkYAML(doc, "", func(at string, m map[string]any) {
			switch ty := m["type"].(type) {
			case nil:
			case string:
				if !ok[ty] {
					t.Errorf("%s: type %q is not a JSON Schema type", at, ty)
				}
			case []any:
				for _, e := range ty {
					if s, _ := e.(string); !ok[s] {
						t.Errorf("%s: type %v holds %v (quote \"null\": bare null is YAML's null)", at, ty, e)
					}
				}
			}
		})
	})

	t.Run("Operations", func(t *testing.T) {
		ids := map[string]string{}
		schemes := obj(doc, "components", "securitySchemes")
		for key, op := range documentedOps(t, doc) {
			if s, _ := op["summary"].(string); strings.TrimSpace(s) == "" {
				t.Errorf("%s: no summary", key)
			}
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s: no operationId", key)
			} else if other, dup := ids[id]; dup {
				t.Errorf("%s: operationId %q is also %s's", key, id, other)
			} else {
				ids[id] = key
			}
			sec, ok := op["security"].([]any)
			if !ok {
				t.Errorf("%s: no security list: say who may call it (bearerAuth, or [] for anyone)", key)
			}
			for _, req := range sec {
				for name := range obj(req) {
					if obj(schemes, name) == nil {
						t.Errorf("%s: security names %q, which is not in components.securitySchemes", key, name)
					}
				}
			}
			responses := obj(op, "responses")
			success := false
			for code := range responses {
				if !regexp.MustCompile(`^([1-5][0-9][0-9]|default)$`).MatchString(code) {
					t.Errorf("%s: response key %q is not a status code", key, code)
				}
				if strings.HasPrefix(code, "2") {
					success = true
				}
			}
			if !success {
				t.Errorf("%s: no 2xx response", key)
			}
			if rb := obj(op, "requestBody"); rb != nil {
				for ct, media := range obj(rb, "content") {
					if ct != "application/json" {
						t.Errorf("%s: request body type %q; the API takes application/json only", key, ct)
						continue
					}
					schema, err := resolveSchema(doc, obj(media, "schema"))
					if err != nil {
						t.Errorf("%s: request body: %v", key, err)
					} else if schema["additionalProperties"] != false {
						t.Errorf("%s: request body schema must say additionalProperties: false (unknown fields are refused)", key)
					}
				}
				for _, code := range []string{"400", "413", "415"} {
					if _, ok := responses[code]; !ok {
						t.Errorf("%s takes a body but documents no %s", key, code)
					}
				}
			}
			if bearerOnly(doc, op) {
				for _, code := range []string{"401", "403"} {
					if _, ok := responses[code]; !ok {
						t.Errorf("%s needs a token but documents no %s", key, code)
					}
				}
			}
		}
	})

	t.Run("PathParameters", func(t *testing.T) {
		for p, item := range obj(doc, "paths") {
			var want []string
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(p, -1) {
				want = append(want, m[1])
			}
			sort.Strings(want)
			itemParams := pathParams(t, doc, p, obj(item))
			for _, method := range openAPIMethods {
				op := obj(item, method)
				if op == nil {
					continue
				}
				got := map[string]bool{}
				for n := range itemParams {
					got[n] = true
				}
				for n := range pathParams(t, doc, p+" "+method, op) {
					got[n] = true
				}
				var names []string
				for n := range got {
					names = append(names, n)
				}
				sort.Strings(names)
				if !slices.Equal(names, want) {
					t.Errorf("%s %s: path parameters %v, want %v", strings.ToUpper(method), p, names, want)
				}
			}
		}
	})

	t.Run("UnusedComponents", func(t *testing.T) {
		used := map[string]bool{}
		walkYAML(doc, "", func(_ string, m map[string]any) {
			if s, ok := m["$ref"].(string); ok {
				used[s] = true
			}
		})
		for _, op := range documentedOps(t, doc) {
			sec, _ := op["security"].([]any)
			for _, req := range sec {
				for name := range obj(req) {
					used["#/components/securitySchemes/"+name] = true
				}
			}
		}
		for kind, group := range obj(doc, "components") {
			for name := range obj(group) {
				if ref := "#/components/" + kind + "/" + name; !used[ref] {
					t.Errorf("%s is never used", ref)
				}
			}
		}
	})
}

// walkYAML calls fn for every mapping in v, with its location.
func walkYAML(v any, at string, fn func(at string, m map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(at, v)
		for k, c := range v {
			walkYAML(c, at+"/"+k, fn)
		}
	case []any:
		for i, c := range v {
			walkYAML(c, fmt.Sprintf("%s/%d", at, i), fn)
		}
	}
}

// resolveRef follows a local reference into the document's components.
func resolveRef(doc map[string]any, ref string) (map[string]any, error) {
	if !strings.HasPrefix(ref, "#/components/") {
		return nil, fmt.Errorf("not a reference into #/components/")
	}
	var v any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not inside a mapping", part)
		}
		if v, ok = m[part]; !ok {
			return nil, fmt.Errorf("no %q", part)
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("does not point to a mapping")
	}
	return m, nil
}

// resolveSchema follows $refs until a schema with content.
func resolveSchema(doc map[string]any, s map[string]any) (map[string]any, error) {
	for i := 0; s != nil && i < 10; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, nil
		}
		var err error
		if s, err = resolveRef(doc, ref); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
	}
	return nil, fmt.Errorf("no schema")
}

// pathParams returns the path parameters (by name) declared on a path item
// or operation, checking each is required.
func pathParams(t *testing.T, doc map[string]any, at string, holder map[string]any) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	params, _ := holder["parameters"].([]any)
	for _, p := range params {
		pm, err := resolveSchema(doc, obj(p))
		if err != nil {
			t.Errorf("%s: parameter: %v", at, err)
			continue
		}
		if pm["in"] != "path" {
			continue
		}
		name, _ := pm["name"].(string)
		out[name] = true
		if pm["required"] != true {
			t.Errorf("%s: path parameter %q must be required: true", at, name)
		}
	}
	return out
}

// bearerOnly reports whether the document says an operation needs an access
// token: every security alternative names bearerAuth.
func bearerOnly(doc map[string]any, op map[string]any) bool {
	sec, ok := op["security"].([]any)
	if !ok {
		sec, _ = doc["security"].([]any)
	}
	if len(sec) == 0 {
		return false
	}
	for _, req := range sec {
		if _, ok := obj(req)["bearerAuth"]; !ok {
			return false
		}
	}
	return true
}

// TestOpenAPISecurityMatchesRoutes calls every route with a bad bearer
// token: the routes documented as needing one must refuse it with 401
// token_invalid, and the others must not look at it.
func TestOpenAPISecurityMatchesRoutes(t *testing.T) {
	ta := newTestApp(t, nil)
	doc := loadOpenAPI(t)
	ops := documentedOps(t, doc)
	for key := range registeredOps(t, ta) {
		op, ok := ops[key]
		if !ok {
			continue // reported by TestOpenAPIDocumentsEveryRoute
		}
		method, path, _ := strings.Cut(key, " ")
		path = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "1")
		res, body := ta.do(t, method, path, nil, "Authorization", "Bearer not-a-token")
		var e struct {
			Error struct {
				Details struct {
					Reason string `json:"reason"`
				} `json:"details"`
			} `json:"error"`
		}
		json.Unmarshal(body, &e)
		refused := res.StatusCode == 401 && e.Error.Details.Reason == auth.ReasonTokenInvalid
		switch want := bearerOnly(doc, op); {
		case want && !refused:
			t.Errorf("%s is documented as needing a bearer token, but a bad one got %d %s", key, res.StatusCode, body)
		case !want && refused:
			t.Errorf("%s is documented as open to anyone, but it refused a bad bearer token: document security: bearerAuth", key)
		}
	}
}

// jsonFields lists the JSON names a struct is encoded or decoded with, and
// which of them are always present (no omitempty).
func jsonFields(t reflect.Type) (all, always []string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !strings.Contains(","+opts+",", ",omitempty,") && !strings.Contains(","+opts+",", ",omitzero,") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

func schemaProps(doc map[string]any, name string) (props, required []string, s map[string]any) {
	s = obj(doc, "components", "schemas", name)
	for p := range obj(s, "properties") {
		props = append(props, p)
	}
	sort.Strings(props)
	req, _ := s["required"].([]any)
	for _, r := range req {
		required = append(required, fmt.Sprint(r))
	}
	sort.Strings(required)
	return props, required, s
}

// TestOpenAPISchemasMatchGoTypes holds the documented object shapes to the
// Go types the handlers encode and decode.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	responses := map[string]any{
		"User":           auth.User{},
		"DirectoryEntry": auth.DirectoryEntry{},
		"Tokens":         auth.Tokens{},
		"Session":        auth.Session{},
		"Project":        board.Project{},
		"Member":         board.Member{},
		"Column":         board.Column{},
		"Label":          board.Label{},
		"Task":           board.Task{},
		"Activity":       board.Activity{},
	}
	for name, v := range responses {
		all, always := jsonFields(reflect.TypeOf(v))
		props, required, s := schemaProps(doc, name)
		if s == nil {
			t.Errorf("components.schemas.%s is missing", name)
			continue
		}
		if !slices.Equal(props, all) {
			t.Errorf("schema %s has properties %v; the Go type %T encodes %v", name, props, v, all)
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v; the Go type %T always encodes %v", name, required, v, always)
		}
	}

	requests := []struct {
		schema string
		v      any
		drop   []string // fields the Go type has but the handler refuses
	}{
		{"RegisterRequest", auth.NewUser{}, []string{"role"}},
		{"NewUser", auth.NewUser{}, nil},
		{"MePatch", auth.MePatch{}, nil},
		{"UserPatch", auth.UserPatch{}, nil},
		{"NewProject", board.NewProject{}, nil},
		{"ProjectPatch", board.ProjectPatch{}, nil},
		{"NewMember", board.NewMember{}, nil},
		{"NewColumn", board.ColumnInput{}, nil},
		{"ColumnPatch", board.ColumnInput{}, nil},
		{"NewLabel", board.LabelInput{}, nil},
		{"LabelPatch", board.LabelInput{}, nil},
		{"NewTask", board.NewTask{}, nil},
		{"TaskPatch", board.TaskPatch{}, nil},
		{"Move", board.Move{}, nil},
	}
	for _, r := range requests {
		all, _ := jsonFields(reflect.TypeOf(r.v))
		all = slices.DeleteFunc(all, func(s string) bool { return slices.Contains(r.drop, s) })
		props, required, s := schemaProps(doc, r.schema)
		if s == nil {
			t.Errorf("components.schemas.%s is missing", r.schema)
			continue
		}
		if !slices.Equal(props, all) {
			t.Errorf("schema %s has properties %v; the handler decodes %T with %v", r.schema, props, r.v, all)
		}
		for _, req := range required {
			if !slices.Contains(props, req) {
				t.Errorf("schema %s requires %q, which is not one of its properties", r.schema, req)
			}
		}
	}

	t.Run("Error", func(t *testing.T) {
		all, always := jsonFields(reflect.TypeOf(errorJSON{}))
		s := obj(doc, "components", "schemas", "Error", "properties", "error")
		var props []string
		for p := range obj(s, "properties") {
			props = append(props, p)
		}
		sort.Strings(props)
		if !slices.Equal(props, all) {
			t.Errorf("Error.error has properties %v; writeError sends %v", props, all)
		}
		req, _ := s["required"].([]any)
		var required []string
		for _, r := range req {
			required = append(required, fmt.Sprint(r))
		}
		sort.Strings(required)
		if !slices.Equal(required, always) {
			t.Errorf("Error.error requires %v; writeError always sends %v", required, always)
		}
		codes := []errs.Code{errs.BadRequest, errs.Unauthorized, errs.Forbidden, errs.NotFound, errs.MethodNotAllowed,
			errs.Conflict, errs.PayloadTooLarge, errs.UnsupportedMediaType, errs.ValidationFailed, errs.RateLimited, errs.Internal}
		var want []string
		for _, c := range codes {
			want = append(want, string(c))
		}
		if got := enumOf(doc, "ErrorCode"); !sameSet(got, want) {
			t.Errorf("ErrorCode enum = %v, want the codes of package errs %v", got, want)
		}
		reasons := []string{auth.ReasonTokenMissing, auth.ReasonTokenInvalid, auth.ReasonTokenExpired, auth.ReasonSessionRevoked}
		if got := enumOf(doc, "UnauthorizedReason"); !sameSet(got, reasons) {
			t.Errorf("UnauthorizedReason enum = %v, want %v", got, reasons)
		}
	})
}

func enumOf(doc map[string]any, schema string) []string {
	e, _ := obj(doc, "components", "schemas", schema)["enum"].([]any)
	var out []string
	for _, v := range e {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// specEventKinds is SPEC section 5's list of event kinds.
const specEventKinds = "`project.updated`, `project.deleted`, `member.added`, `member.updated`, `member.removed`, " +
	"`column.created|updated|deleted`, `label.created|updated|deleted`, `task.created|updated|moved|deleted`, " +
	"`comment.created|updated|deleted`"

// expandKinds reads a list like "`a.b|c`, `d.e`" as a.b, a.c, d.e.
func expandKinds(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile("`([a-z_]+)\\.([a-z_|]+)`").FindAllStringSubmatch(s, -1) {
		for _, verb := range strings.Split(m[2], "|") {
			out = append(out, m[1]+"."+verb)
		}
	}
	return out
}

func TestOpenAPIEventKinds(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := enumOf(doc, "EventKind")
	if len(documented) == 0 {
		t.Fatal("components.schemas.EventKind has no enum")
	}
	if want := expandKinds(specEventKinds); !sameSet(documented, want) {
		t.Errorf("EventKind enum = %v\nwant SPEC section 5's %v", documented, want)
	}

	// When the SPEC itself is at hand (beside the checkout), read its list
	// rather than trust the copy above.
	spec, err := os.ReadFile(filepath.Join("..", "..", "shared", "SPEC.md"))
	if err != nil {
		t.Logf("SPEC.md not found beside the checkout; checked against the copy in this test only")
	} else {
		_, rest, ok := strings.Cut(string(spec), "Event kinds:")
		if !ok {
			t.Fatal("SPEC.md has no \"Event kinds:\" list")
		}
		para, _, _ := strings.Cut(rest, "\n\n")
		para, _, _ = strings.Cut(para, "`data`")
		if want := expandKinds(para); !sameSet(documented, want) {
			t.Errorf("EventKind enum = %v\nwant SPEC.md's %v", documented, want)
		}
	}

	// Every kind the board writes to the event log must be documented.
	files, err := filepath.Glob(filepath.Join("board", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	emitted := map[string]bool{}
	re := regexp.MustCompile(`\.emit\([^\n]*?"([a-z_]+\.[a-z_]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			emitted[m[1]] = true
		}
	}
	if len(emitted) == 0 {
		t.Fatal(`found no t.emit(..., "kind", ...) calls in app/board; update this test to how events are written now`)
	}
	for k := range emitted {
		if !slices.Contains(documented, k) {
			t.Errorf("app/board writes events of kind %q, which EventKind does not list", k)
		}
	}
}
