package store

// Account is account id as the walk's snapshot holds it (ErrNotFound when
// it is gone, e.g. erased): the agreements report names the staff member
// who answered on a user's behalf without opening a second transaction
// (a nested read could wait behind a writer that waits for this one).
func (ua *UserAnswers) Account(id uint64) (*User, error) { return userTx(ua.tx, id) }
