package board

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"tack/app/errs"
)

// Limits of SPEC section 4.
const (
	maxName        = 100
	maxTitle       = 200
	maxDescription = 20000
	maxIDs         = 100 // assignees or labels on one task
)

// cleanName trims and checks a project, column or label name.
func cleanName(f errs.Fields, field, s string) string {
	return cleanLine(f, field, s, maxName)
}

// cleanLine trims a required one-line text (a name, a title) and checks it
// is 1..max characters with no control characters.
func cleanLine(f errs.Fields, field, s string, max int) string {
	return cleanText(f, field, s, max, true, func(r rune) bool { return unicode.IsControl(r) })
}

// cleanBody trims a multi-line text (a description, a comment): newlines
// and tabs are fine, other control characters are not.
func cleanBody(f errs.Fields, field, s string, max int, required bool) string {
	return cleanText(f, field, s, max, required, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	})
}

func cleanText(f errs.Fields, field, s string, max int, required bool, bad func(rune) bool) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		f.Add(field, "not valid UTF-8")
	case required && n == 0:
		f.Add(field, "required")
	case n > max:
		f.Add(field, fmt.Sprintf("too long (at most %d characters)", max))
	case strings.ContainsFunc(s, bad):
		f.Add(field, "not allowed to hold control characters")
	}
	return s
}

var colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// cleanColor checks a "#rrggbb" colour and lowercases it.
func cleanColor(f errs.Fields, s string) string {
	if !colorRE.MatchString(s) {
		f.Add("color", "not a colour like #rrggbb")
	}
	return strings.ToLower(s)
}

// Priorities of a task.
var priorities = []string{"none", "low", "medium", "high", "urgent"}

func validPriority(p string) bool {
	for _, q := range priorities {
		if p == q {
			return true
		}
	}
	return false
}

// uniqueIDs drops duplicates, keeping the first order, and checks the ids
// are positive and not too many.
func uniqueIDs(f errs.Fields, field string, ids []int64) []int64 {
	if len(ids) > maxIDs {
		f.Add(field, fmt.Sprintf("too many (at most %d)", maxIDs))
		return nil
	}
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			f.Add(field, "holding an id that is not positive")
			return nil
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
