package app

import (
	"encoding/json"
	"strconv"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Bulk calls: a JSON array of items, at most apiMaxItems (413 beyond);
// an item that cannot be read is a 400 naming it ("[3].percent"); every
// other item gets its own result, in order, and the valid ones are applied
// in one transaction, idempotently.

type apiEnrolmentIn struct {
	Email  string `json:"email" validate:"required,email,max=254"`
	Course string `json:"course" validate:"required,max=32"`
	Ended  bool   `json:"ended"`
}

type apiProgressIn struct {
	Email      string   `json:"email" validate:"required,email,max=254"`
	Course     string   `json:"course" validate:"required,max=32"`
	ActivityID string   `json:"activity_id" validate:"required,max=100"`
	Activity   string   `json:"activity" validate:"max=200"`
	Status     string   `json:"status" validate:"required,oneof=not_started in_progress completed"`
	Percent    int      `json:"percent" validate:"min=0,max=100"`
	Score      *float64 `json:"score" validate:"omitnil,min=0"`
}

// apiResult is one item's outcome.
type apiResult struct {
	Index   int           `json:"index"`
	Outcome store.Outcome `json:"outcome"`
	Error   *apiError     `json:"error,omitempty"`
}

// apiItems decodes the body as an array of T, item by item.
func apiItems[T any](a *App, c *fiber.Ctx) ([]T, error) {
	var raw []json.RawMessage
	if err := a.apiDecode(c, c.Body(), &raw, ""); err != nil {
		return nil, err
	}
	if len(raw) > apiMaxItems {
		ae := a.apiFail(c, fiber.StatusRequestEntityTooLarge, "too_many_items")
		ae.Msg = a.apiLang(c).T("api.error.too_many_items", "Limit", apiMaxItems)
		ae.Limit = apiMaxItems
		return nil, ae
	}
	out := make([]T, len(raw))
	for i, r := range raw {
		if err := a.apiDecode(c, r, &out[i], "["+strconv.Itoa(i)+"]."); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// itemFailure is the error of an item the store refused.
func (a *App) itemFailure(c *fiber.Ctx, err error) *apiError {
	ae := a.apiFail(c, fiber.StatusUnprocessableEntity, store.ItemCode(err))
	if ae.Code != store.ItemInvalid {
		ae.Status = 0
	}
	return ae
}

// bulkAnswer writes the results with their counts.
func bulkAnswer(c *fiber.Ctx, results []apiResult) error {
	counts := map[store.Outcome]int{store.OutcomeCreated: 0, store.OutcomeUpdated: 0, store.OutcomeUnchanged: 0, store.OutcomeFailed: 0}
	for _, r := range results {
		counts[r.Outcome]++
	}
	return c.JSON(fiber.Map{"results": results, "counts": counts})
}

// runBulk validates every item, applies the valid ones with apply (given
// their indexes) and merges the outcomes in order.
func runBulk[T any](a *App, c *fiber.Ctx, check func(*T) map[string]string, apply func(valid []int, items []T) ([]store.ItemResult, error)) error {
	items, err := apiItems[T](a, c)
	if err != nil {
		return err
	}
	results := make([]apiResult, len(items))
	var valid []int
	for i := range items {
		results[i].Index = i
		if fields := check(&items[i]); fields != nil {
			ae := a.apiFail(c, 0, "invalid")
			ae.Fields = fields
			results[i].Outcome, results[i].Error = store.OutcomeFailed, ae
			continue
		}
		valid = append(valid, i)
	}
	if len(valid) > 0 {
		done, err := apply(valid, items)
		if err != nil {
			return err
		}
		for j, i := range valid {
			results[i].Outcome = done[j].Outcome
			if done[j].Err != nil {
				results[i].Error = a.itemFailure(c, done[j].Err)
			}
		}
	}
	return bulkAnswer(c, results)
}

// apiFields translates an item's problems, field by field.
func (a *App) apiFields(c *fiber.Ctx, problems []problem) map[string]string {
	if len(problems) == 0 {
		return nil
	}
	tr := a.apiLang(c)
	out := map[string]string{}
	for _, p := range problems {
		if _, dup := out[p.Field]; !dup {
			out[p.Field] = problemMessage(tr, p)
		}
	}
	return out
}

// apiEnrolments enrols learners in courses (ended: unenrols them).
func (a *App) apiEnrolments(c *fiber.Ctx) error {
	check := func(in *apiEnrolmentIn) map[string]string { return a.apiFields(c, checkItem(a.api.validate, in)) }
	return runBulk(a, c, check, func(valid []int, items []apiEnrolmentIn) ([]store.ItemResult, error) {
		batch := make([]store.EnrolmentItem, len(valid))
		for j, i := range valid {
			batch[j] = items[i].item()
		}
		return a.db.ApplyEnrolments(batch, apiCaller(c))
	})
}

// apiProgress stores where learners stand in activities.
func (a *App) apiProgress(c *fiber.Ctx) error {
	check := func(in *apiProgressIn) map[string]string { return a.apiFields(c, checkItem(a.api.validate, in)) }
	return runBulk(a, c, check, func(valid []int, items []apiProgressIn) ([]store.ItemResult, error) {
		batch := make([]store.ProgressItem, len(valid))
		for j, i := range valid {
			batch[j] = items[i].item()
		}
		return a.db.ApplyProgress(batch)
	})
}
