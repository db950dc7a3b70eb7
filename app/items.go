package app

import (
	"errors"
	"sort"

	"accord/store"

	"github.com/go-playground/validator/v10"
)

// The training platform's items — an enrolment, a progress row — as the
// API reads them (JSON, api_bulk.go) and the import reads them (CSV rows,
// import_parse.go): one set of rules (checkItem) and one conversion to the
// store's items, which the store applies the one way it has.

// problem is one field's refusal, untranslated: the check that failed (a
// validator tag such as "required" or "max", "control" for control
// characters) and its parameter.
type problem struct{ Field, Code, Param string }

// platformItem is an item of the platform: its texts are checked for
// control characters beside its struct tags.
type platformItem interface{ texts() map[string]string }

func (in *apiEnrolmentIn) texts() map[string]string { return map[string]string{"course": in.Course} }

func (in *apiProgressIn) texts() map[string]string {
	return map[string]string{"activity_id": in.ActivityID, "activity": in.Activity, "course": in.Course}
}

// checkItem trims in's texts and checks them against the API's rules (v
// names fields by their json tags), field by field in name order.
func checkItem(v *validator.Validate, in platformItem) []problem {
	trimStrings(in)
	var out []problem
	var verrs validator.ValidationErrors
	if err := v.Struct(in); errors.As(err, &verrs) {
		for _, fe := range verrs {
			out = append(out, problem{Field: fe.Field(), Code: fe.Tag(), Param: fe.Param()})
		}
	} else if err != nil {
		out = append(out, problem{Code: "invalid"})
	}
	for name, s := range in.texts() {
		if !clean(s) {
			out = append(out, problem{Field: name, Code: "control"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// problemMessage is a problem's message in tr's language.
func problemMessage(tr *Translator, p problem) string {
	switch p.Code {
	case "required", "email", "max", "min", "oneof", "datetime", "len", "control":
		return tr.T("validation."+p.Code, "Param", p.Param)
	case "cookiename":
		return tr.T("validation.cookiename")
	}
	return tr.T("validation.invalid")
}

func (in *apiEnrolmentIn) item() store.EnrolmentItem {
	return store.EnrolmentItem{Email: in.Email, Course: in.Course, Ended: in.Ended}
}

func (in *apiProgressIn) item() store.ProgressItem {
	name := in.Activity
	if name == "" {
		name = in.ActivityID
	}
	return store.ProgressItem{Email: in.Email, Course: in.Course, Progress: store.Progress{
		ActivityID: in.ActivityID, Activity: name, Status: in.Status, Percent: in.Percent, Score: in.Score}}
}
