package app

import (
	"strconv"
	"time"
)

// A dateFormat writes dates the way one language writes them in running
// text: "3 December 2026 at 14:05", "3 décembre 2026 à 14 h 05". One per
// language, in Go rather than in the locale files, because French needs
// more than a pattern (the ordinal "1er", the hour written "14 h 05").
type dateFormat interface {
	Date(time.Time) string
	DateTime(time.Time) string
}

// dateFormats has one format per interface language.
var dateFormats = map[string]dateFormat{"en": enDates{}, "fr": frDates{}}

type enDates struct{}

var enMonths = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

func (enDates) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	return strconv.Itoa(t.Day()) + " " + enMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

func (d enDates) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return d.Date(t) + " at " + t.Local().Format("15:04")
}

type frDates struct{}

var frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	"août", "septembre", "octobre", "novembre", "décembre"}

func (frDates) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er" // French writes the first of the month as an ordinal
	}
	return day + " " + frMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

func (d frDates) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	// "14 h 05": the French typographic hour, its spaces no-break ones so
	// that the time never parts at a line end.
	return d.Date(t) + " à " + strconv.Itoa(t.Local().Hour()) + "\u00a0h\u00a0" + t.Local().Format("04")
}
