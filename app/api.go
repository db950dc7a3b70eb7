package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"accord/store"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
)

// The JSON API of the training platform (CONTRACT.md, /api/v1). It is
// mounted before the session middleware: no session, cookie, CSRF token or
// consent gate applies; a bearer token does. Every answer is JSON, errors
// included: {"error": {"code", "message"}} with a stable code.

// apiRatePerMinute is how many calls one token may make per minute.
const apiRatePerMinute = 1200

// apiMaxItems is the largest bulk call (413 beyond it).
const apiMaxItems = 1000

const ctxToken = "api_token"

// apiError is an API failure with its stable code; Fields names what was
// wrong in a 422, Field what could not be read in a 400.
type apiError struct {
	Status int               `json:"-"`
	Code   string            `json:"code"`
	Msg    string            `json:"message"`
	Field  string            `json:"field,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
	Limit  int               `json:"limit,omitempty"`
}

func (e *apiError) Error() string { return "api: " + e.Code }

// apiErrorCodes are the codes of statuses that come from elsewhere (the
// error table, Fiber itself).
var apiErrorCodes = map[int]string{
	fiber.StatusBadRequest:            "malformed",
	fiber.StatusUnauthorized:          "unauthorized",
	fiber.StatusForbidden:             "forbidden",
	fiber.StatusNotFound:              "not_found",
	fiber.StatusMethodNotAllowed:      "method_not_allowed",
	fiber.StatusConflict:              "conflict",
	fiber.StatusRequestEntityTooLarge: "too_many_items",
	fiber.StatusUnprocessableEntity:   "invalid",
	fiber.StatusTooManyRequests:       "rate_limited",
	fiber.StatusServiceUnavailable:    "unavailable",
	fiber.StatusInternalServerError:   "internal",
}

// apiLang is the language of the API's messages: Accept-Language, else the
// site's default.
func (a *App) apiLang(c *fiber.Ctx) *Translator {
	return a.tr[negotiate("", "", "", c.Get(fiber.HeaderAcceptLanguage), a.Settings().DefaultLang)]
}

// apiFail builds the error of code with its translated message.
func (a *App) apiFail(c *fiber.Ctx, status int, code string) *apiError {
	return &apiError{Status: status, Code: code, Msg: a.apiLang(c).T("api.error." + code)}
}

// apiErrors answers every failure of the API in JSON (never the HTML error
// page) and keeps answers out of caches.
func (a *App) apiErrors(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	err := c.Next()
	if err == nil {
		return nil
	}
	var ae *apiError
	if !errors.As(err, &ae) {
		status := errorStatus(err)
		code, ok := apiErrorCodes[status]
		if !ok {
			status, code = fiber.StatusInternalServerError, "internal"
		}
		if errors.Is(err, store.ErrCannotSave) {
			c.Set(fiber.HeaderRetryAfter, "60")
		}
		if status >= 500 {
			a.log.Error("api request failed", "rid", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		}
		ae = a.apiFail(c, status, code)
	}
	return c.Status(ae.Status).JSON(fiber.Map{"error": ae})
}

// apiNotFound answers what no API route matches.
func (a *App) apiNotFound(c *fiber.Ctx) error {
	return a.apiFail(c, fiber.StatusNotFound, "not_found")
}

// apiAuth lets through a request with a live token whose scope allows
// need, within the token's rate limit. Its last use is noted in memory.
func (a *App) apiAuth(need store.APIScope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, status, code := a.bearer(c, need)
		if t == nil {
			return a.apiFail(c, status, code)
		}
		c.Locals(ctxToken, t)
		return c.Next()
	}
}

// bearer is the one check of a bearer token (the API's and /metrics'): the
// live token of the Authorization header whose scope allows need, within
// its rate limit, its use noted in memory; or nil with the status and the
// API error code to answer (401 with WWW-Authenticate, 429 with
// Retry-After, 403).
func (a *App) bearer(c *fiber.Ctx, need store.APIScope) (t *store.APIToken, status int, code string) {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		t = a.api.find(strings.TrimSpace(h[7:]))
	}
	if t == nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="accord"`)
		return nil, fiber.StatusUnauthorized, "unauthorized"
	}
	if ok, wait := a.api.allow(a.limits, t.ID); !ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds())+1))
		return nil, fiber.StatusTooManyRequests, "rate_limited"
	}
	a.api.touch(t.ID, a.db.Now())
	if !t.Scope.Allows(need) {
		return nil, fiber.StatusForbidden, "forbidden"
	}
	return t, 0, ""
}

// apiCaller says which token made the call, for the audit log.
func apiCaller(c *fiber.Ctx) string {
	t, _ := c.Locals(ctxToken).(*store.APIToken)
	if t == nil {
		return "API"
	}
	return fmt.Sprintf("API token %q", t.Name)
}

// apiDecode reads the body into dst strictly (unknown fields refused):
// 400 naming the field or the offset that could not be read.
func (a *App) apiDecode(c *fiber.Ctx, body []byte, dst any, at string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return nil
	}
	ae := a.apiFail(c, fiber.StatusBadRequest, "malformed")
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		ae.Field = at + te.Field
		if ae.Field == "" {
			ae.Field = "(body)"
		}
		ae.Msg = a.apiLang(c).T("api.error.wrong_type", "Field", ae.Field, "Want", te.Type.String())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		ae.Field = at + strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		ae.Msg = a.apiLang(c).T("api.error.unknown_field", "Field", ae.Field)
	case errors.As(err, &se):
		ae.Field = at
		ae.Msg = a.apiLang(c).T("api.error.syntax", "Offset", se.Offset)
	default:
		ae.Field = at
	}
	return ae
}

// apiValidate checks v (json field names) and returns the translated
// messages by field, nil when valid.
func (a *App) apiValidate(c *fiber.Ctx, v any) map[string]string {
	trimStrings(v)
	var verrs validator.ValidationErrors
	if err := a.api.validate.Struct(v); !errors.As(err, &verrs) {
		return nil
	}
	tr := a.apiLang(c)
	out := map[string]string{}
	for _, fe := range verrs {
		out[fe.Field()] = validationMessage(tr, fe)
	}
	return out
}

// apiInvalid is the 422 of fields.
func (a *App) apiInvalid(c *fiber.Ctx, fields map[string]string) error {
	ae := a.apiFail(c, fiber.StatusUnprocessableEntity, "invalid")
	ae.Fields = fields
	return ae
}
