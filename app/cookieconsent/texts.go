package cookieconsent

// The banner's and preferences page's texts an administrator wrote, per
// language, in memory like the register (pages read no database).

// Text is the text named name an administrator wrote for language lang,
// and whether there is one (else the page shows the shipped default).
func (s *Service) Text(lang, name string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.texts[lang+"/"+name]
	return t, ok
}

// SaveTexts saves language lang's texts by name for administrator actorID
// (an empty text goes back to the default).
func (s *Service) SaveTexts(lang string, texts map[string]string, actorID uint64) error {
	if err := s.db.SetCookieTexts(lang, texts, actorID); err != nil {
		return err
	}
	return s.reloadTexts()
}

// ResetTexts puts language lang's texts back to the shipped defaults.
func (s *Service) ResetTexts(lang string, actorID uint64) error {
	if err := s.db.ResetCookieTexts(lang, actorID); err != nil {
		return err
	}
	return s.reloadTexts()
}

func (s *Service) reloadTexts() error {
	texts, err := s.db.CookieTexts()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.texts = texts
	s.mu.Unlock()
	return nil
}
