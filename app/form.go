package app

import (
	"errors"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
)

// Form is a submitted form as typed, with translated messages.
type Form struct {
	Values map[string][]string
	Errors map[string]string // field name → translated message
	Error  string            // a message about the whole form
	Status int               // 422 or 429 when refused
}

// Get is the first value typed in field name.
func (f *Form) Get(name string) string {
	if v := f.Values[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether field name holds value (checkboxes, radios).
func (f *Form) Has(name, value string) bool {
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Err is the message for field name, if any.
func (f *Form) Err(name string) string { return f.Errors[name] }

// Invalid reports whether the form was refused.
func (f *Form) Invalid() bool { return f.Error != "" || len(f.Errors) > 0 }

// fail records a translated message for field ("" for the whole form).
func (f *Form) fail(field, msg string) {
	if field == "" {
		f.Error = msg
		return
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if _, dup := f.Errors[field]; !dup {
		f.Errors[field] = msg
	}
}

// bind decodes the request body into dst (a struct with form tags), trims
// its strings and validates it. The returned Form holds what was typed and,
// when invalid, the messages in the user's language.
func (a *App) bind(c *fiber.Ctx, dst any) *Form {
	f := &Form{Values: map[string][]string{}}
	for k, v := range c.Request().PostArgs().All() {
		f.Values[string(k)] = append(f.Values[string(k)], string(v))
	}
	if mf, err := c.MultipartForm(); err == nil {
		for k, vs := range mf.Value {
			f.Values[k] = append(f.Values[k], vs...)
		}
	}
	tr := a.translator(c)
	if err := c.BodyParser(dst); err != nil {
		f.fail("", tr.T("validation.malformed"))
		return f
	}
	trimStrings(dst)
	checkTexts(tr, f, dst)
	var verrs validator.ValidationErrors
	if err := a.validate.Struct(dst); errors.As(err, &verrs) {
		for _, fe := range verrs {
			f.fail(fe.Field(), validationMessage(tr, fe))
		}
	} else if err != nil {
		f.fail("", tr.T("validation.malformed"))
	}
	return f
}

func validationMessage(tr *Translator, fe validator.FieldError) string {
	return problemMessage(tr, problem{Field: fe.Field(), Code: fe.Tag(), Param: fe.Param()})
}

// trimStrings trims spaces around every string field of the struct *dst,
// except passwords, whose spaces are part of them.
func trimStrings(dst any) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() == reflect.String && f.CanSet() && !strings.Contains(v.Type().Field(i).Tag.Get("form"), "password") {
			f.SetString(strings.TrimSpace(f.String()))
		}
	}
}

// clean reports whether s holds no control characters but tab and newline.
func clean(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
	})
}

// multiLineFields are the form fields typed in a <textarea> (a test holds
// this list equal to the textareas of views/). Every other field is a
// single line.
var multiLineFields = map[string]bool{
	"message": true, "comments": true, "note": true, "content": true,
	"content_en": true, "content_fr": true, "summary_en": true, "summary_fr": true,
	"banner_text_en": true, "banner_text_fr": true, "prefs_intro_en": true, "prefs_intro_fr": true,
	"controller_address": true, "description_en": true, "description_fr": true, "recipients_en": true,
	"recipients_fr": true, "retention_en": true, "retention_fr": true, "protected_why_en": true, "protected_why_fr": true,
}

// cleanText is the one rule for what typed text may hold (issue 10.6). A
// single-line field (multiLine false) is refused, ok false, when it holds
// invalid UTF-8, a C0 control (tab, CR, LF and NUL included), DEL, a C1
// control, a line or paragraph separator, or a bidi embedding, override or
// isolate: such a character forges lines in mails, logs and CSV files, or
// shows a name reversed. A multi-line field is never refused: it keeps tab
// and line breaks (CRLF and CR become LF) and loses the rest.
func cleanText(s string, multiLine bool) (string, bool) {
	if !multiLine {
		return s, utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return forbiddenRune(r, false) })
	}
	s = strings.ReplaceAll(strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		if forbiddenRune(r, true) {
			return -1
		}
		return r
	}, s), true
}

// forbiddenRune reports whether r has no place in a typed text; tab and LF
// are allowed in multi-line texts.
func forbiddenRune(r rune, multiLine bool) bool {
	switch {
	case multiLine && (r == '\t' || r == '\n'):
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	case r == utf8.RuneError:
		return true
	}
	return false
}

// checkTexts applies cleanText to every string field of the struct *dst
// (and every element of a []string field): a refused single-line field gets
// a translated message, a multi-line one is cleaned in place.
func checkTexts(tr *Translator, f *Form, dst any) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for i := 0; i < v.NumField(); i++ {
		fv, name := v.Field(i), strings.Split(v.Type().Field(i).Tag.Get("form"), ",")[0]
		if name == "" || !fv.CanSet() {
			continue
		}
		check := func(s reflect.Value) {
			out, ok := cleanText(s.String(), multiLineFields[name])
			if !ok {
				f.fail(name, tr.T("validation.control"))
				return
			}
			s.SetString(out)
		}
		switch {
		case fv.Kind() == reflect.String:
			check(fv)
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
			for j := 0; j < fv.Len(); j++ {
				check(fv.Index(j))
			}
		}
	}
}
