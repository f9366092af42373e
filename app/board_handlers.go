package app

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"tack/app/auth"
	"tack/app/board"
	"tack/app/errs"
)

// Projects.

func (a *App) handleProjects(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if pg, ok := a.pageOf(w, r); ok {
		list, err := a.board.Projects(r.Context(), p.UserID, pg)
		a.respond(w, r, http.StatusOK, list, err)
	}
}

func (a *App) handleCreateProject(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.NewProject
	if a.decode(w, r, &in) {
		pr, err := a.board.CreateProject(r.Context(), p.UserID, in)
		a.respond(w, r, http.StatusCreated, pr, err)
	}
}

func (a *App) handleProject(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		pr, err := a.board.Project(r.Context(), p.UserID, id[0])
		a.respond(w, r, http.StatusOK, pr, err)
	}
}

func (a *App) handleUpdateProject(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.ProjectPatch
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		pr, err := a.board.UpdateProject(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusOK, pr, err)
	}
}

func (a *App) handleDeleteProject(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		a.respond(w, r, http.StatusNoContent, nil, a.board.DeleteProject(r.Context(), p.UserID, id[0]))
	}
}

// Members.

func (a *App) handleMembers(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		if pg, ok := a.pageOf(w, r); ok {
			list, err := a.board.Members(r.Context(), p.UserID, id[0], pg)
			a.respond(w, r, http.StatusOK, list, err)
		}
	}
}

func (a *App) handleAddMember(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.NewMember
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		m, err := a.board.AddMember(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusCreated, m, err)
	}
}

func (a *App) handleUpdateMember(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in struct {
		Role board.Role `json:"role"`
	}
	if id, ok := a.ids(w, r, "id", "user_id"); ok && a.decode(w, r, &in) {
		m, err := a.board.UpdateMember(r.Context(), p.UserID, id[0], id[1], in.Role)
		a.respond(w, r, http.StatusOK, m, err)
	}
}

func (a *App) handleRemoveMember(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id", "user_id"); ok {
		a.respond(w, r, http.StatusNoContent, nil, a.board.RemoveMember(r.Context(), p.UserID, id[0], id[1]))
	}
}

// Columns.

func (a *App) handleColumns(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		if pg, ok := a.pageOf(w, r); ok {
			list, err := a.board.Columns(r.Context(), p.UserID, id[0], pg)
			a.respond(w, r, http.StatusOK, list, err)
		}
	}
}

func (a *App) handleCreateColumn(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.ColumnInput
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		c, err := a.board.CreateColumn(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusCreated, c, err)
	}
}

func (a *App) handleUpdateColumn(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.ColumnInput
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		c, err := a.board.UpdateColumn(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusOK, c, err)
	}
}

func (a *App) handleDeleteColumn(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id, ok := a.ids(w, r, "id")
	if !ok {
		return
	}
	var moveTo *int64
	if s := r.URL.Query().Get("move_to"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v <= 0 {
			a.fail(w, r, errs.New(errs.BadRequest, "move_to must be a column id").With("move_to", "invalid"))
			return
		}
		moveTo = &v
	}
	a.respond(w, r, http.StatusNoContent, nil, a.board.DeleteColumn(r.Context(), p.UserID, id[0], moveTo))
}

// Labels.

func (a *App) handleLabels(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		if pg, ok := a.pageOf(w, r); ok {
			list, err := a.board.Labels(r.Context(), p.UserID, id[0], pg)
			a.respond(w, r, http.StatusOK, list, err)
		}
	}
}

func (a *App) handleCreateLabel(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.LabelInput
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		l, err := a.board.CreateLabel(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusCreated, l, err)
	}
}

func (a *App) handleUpdateLabel(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.LabelInput
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		l, err := a.board.UpdateLabel(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusOK, l, err)
	}
}

func (a *App) handleDeleteLabel(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		a.respond(w, r, http.StatusNoContent, nil, a.board.DeleteLabel(r.Context(), p.UserID, id[0]))
	}
}

// Tasks.

// taskFilter reads the list filters; a malformed one is a 400.
func taskFilter(q url.Values) (board.TaskFilter, error) {
	var f board.TaskFilter
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"column_id", &f.ColumnID}, {"assignee_id", &f.AssigneeID}, {"label_id", &f.LabelID}} {
		if s := q.Get(p.name); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v <= 0 {
				return f, errs.New(errs.BadRequest, "%s must be an id", p.name).With(p.name, "invalid")
			}
			*p.dst = &v
		}
	}
	f.Priority = q.Get("priority")
	if s := q.Get("due_before"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return f, errs.New(errs.BadRequest, "due_before must be an RFC 3339 time").With("due_before", "invalid")
		}
		f.DueBefore = &t
	}
	f.Q = q.Get("q")
	return f, nil
}

func (a *App) handleTasks(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id, ok := a.ids(w, r, "id")
	if !ok {
		return
	}
	pg, ok := a.pageOf(w, r)
	if !ok {
		return
	}
	f, err := taskFilter(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	list, err := a.board.Tasks(r.Context(), p.UserID, id[0], f, pg)
	a.respond(w, r, http.StatusOK, list, err)
}

func (a *App) handleCreateTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.NewTask
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		t, err := a.board.CreateTask(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusCreated, t, err)
	}
}

func (a *App) handleTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		t, err := a.board.Task(r.Context(), p.UserID, id[0])
		a.respond(w, r, http.StatusOK, t, err)
	}
}

func (a *App) handleUpdateTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.TaskPatch
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		t, err := a.board.UpdateTask(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusOK, t, err)
	}
}

func (a *App) handleDeleteTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		a.respond(w, r, http.StatusNoContent, nil, a.board.DeleteTask(r.Context(), p.UserID, id[0]))
	}
}

func (a *App) handleMoveTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in board.Move
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		t, err := a.board.MoveTask(r.Context(), p.UserID, id[0], in)
		a.respond(w, r, http.StatusOK, t, err)
	}
}

// Activity.

func (a *App) handleProjectActivity(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		if pg, ok := a.pageOf(w, r); ok {
			list, err := a.board.ProjectActivity(r.Context(), p.UserID, id[0], pg)
			a.respond(w, r, http.StatusOK, list, err)
		}
	}
}

func (a *App) handleTaskActivity(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if id, ok := a.ids(w, r, "id"); ok {
		if pg, ok := a.pageOf(w, r); ok {
			list, err := a.board.TaskActivity(r.Context(), p.UserID, id[0], pg)
			a.respond(w, r, http.StatusOK, list, err)
		}
	}
}
