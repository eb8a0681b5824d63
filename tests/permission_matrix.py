"""What every persona gets from every URL of the application: the permission matrix that
tests/test_permission_matrix.py enumerates from the URL resolver and requests case by case.

A URL pattern without an entry here fails that test (and so does an entry whose pattern is gone).

THE ENTRY FORMAT
----------------
MATRIX maps a pattern's name (as `reverse` takes it; an unnamed pattern by its route) to a list of
cases. A case is one request, made once per persona:

    "member_detail": [
        get("in", E(302, 200, 200, 200, 404, 404), member_id="member.in"),
        get("out", E(302, 200, 404, 404, 404, 200), member_id="member.out"),
        post("in", E(302, 400, 400, 403, 404, 403), member_id="member.in", data={"action": "x"}),
    ],

- `get(variant, expect, **url_kwargs, query={...})`, `post(variant, expect, **url_kwargs, query={...},
  data={...})`: the variant is a short label, unique for the pattern and method, naming what the
  case asks ("own" for the persona's own scope, "in" for an object inside chibo's cell — so inside
  coso's committee too —, "out" for one in the outsider's cell, outside coso's committee, "former"
  for a member who left chibo's cell for another committee, or what the query chooses: "unit=out",
  "date", ...).
- URL kwargs and query values name objects of the demo by key (OBJECTS in the test module:
  "member.in", "meeting.out", "unit.coso", ...); any other value is sent as it is. A POST gets a
  fresh one-time form token (tests.helpers.FormClient); it runs inside the test's transaction,
  which is rolled back, so a permitted write is harmless.
- `E(anon, khoi, coso, chibo, xem, ngoai, admin=None)`: the status each persona gets, in this
  order: anonymous; khoi (superior staff at the root); coso (grassroots staff of one committee);
  chibo (cell secretary of a cell inside coso's committee); xem (viewer at the root); ngoai (the
  `outsider` fixture: cell secretary of a cell in another committee). `admin=` adds the demo's
  superuser (used for the back office).
  Statuses: 200; 302 (for anonymous: to the login page — asserted); 400 (a form sent back with its
  errors); 403 (a role that sees the thing but may not do it); 404 (outside the scope, or a role
  that may not know it exists); 405 (a method the view does not take).
  A status may be `X(status, "why")`: the status it should be, marked as an expected failure with
  the reason (a finding not fixed yet); None: the persona is not asked; "pdf": 200 where
  LibreOffice is installed, else 302 (the report's page says it cannot make the PDF).
- A new kind of object: a key in OBJECTS (tests/test_permission_matrix.py) and a function of the
  test's context that returns its id (decorated `@static` when it only reads the demo).

For example, a page of the audit trail for committee staff within their scope, with a unit chosen
by `?unit=` and a download:

    "audit_log": [
        get("own", RECORDS_OWN),
        get("unit=in", RECORDS_IN, query={"unit": "unit.chibo"}),
        get("unit=out", RECORDS_OUT, query={"unit": "unit.out"}),
    ],
    "audit_download": [get("unit=in", RECORDS_IN, query={"unit": "unit.chibo"})],
- Common rows have names below (PEOPLE_IN, RECORDS_OWN, ...): a new page of an existing kind is
  one line per case.

The admin (Django's back office) is listed by model (ADMIN_MODELS): every model registered in the
admin site must be listed, so a new one fails the test until it is. Its access decision is taken
once for every admin URL (AdminSite.admin_view: an active staff account), so the matrix requests a
representative set (index, an app, one model's changelist, add, change, history and delete pages,
the password change) per persona, and each model's changelist for anonymous, khoi and the
superuser; the other admin patterns are declared in ADMIN_NOT_REQUESTED with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PERSONAS = ("anon", "khoi", "coso", "chibo", "xem", "ngoai")
ADMIN_PERSONA = "admin"


@dataclass(frozen=True)
class X:
    """An expected failure: `status` is what the persona should get; `reason` says why it does not yet."""

    status: int
    reason: str


@dataclass(frozen=True)
class Expect:
    statuses: dict

    def __iter__(self):
        return iter(self.statuses.items())


def E(anon, khoi, coso, chibo, xem, ngoai, admin=None) -> Expect:  # noqa: N802 (a table's row)
    row = dict(zip(PERSONAS, (anon, khoi, coso, chibo, xem, ngoai), strict=True))
    if admin is not None:
        row[ADMIN_PERSONA] = admin
    return Expect(row)


@dataclass(frozen=True)
class Case:
    variant: str
    method: str
    expect: Expect
    kwargs: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    # Where a 302 for anonymous must lead (the login page); the admin has its own.
    login: str = "/dang-nhap/"


def get(variant, expect, *, query=None, login="/dang-nhap/", **kwargs) -> Case:
    return Case(variant, "GET", expect, kwargs, query or {}, {}, login)


def post(variant, expect, *, query=None, data=None, login="/dang-nhap/", **kwargs) -> Case:
    return Case(variant, "POST", expect, kwargs, query or {}, data or {}, login)


# --- common rows -------------------------------------------------------------------------------
# "own": no object named, the persona's own scope. "in": an object in chibo's cell. "out": an
# object in the outsider's cell (outside coso's committee).

ANYONE = E(302, 200, 200, 200, 200, 200)  # every signed-in role, its own scope
FIGURES_IN = E(302, 200, 200, 200, 200, 404)  # aggregated figures of a unit in chibo's cell
FIGURES_OUT = E(302, 200, 404, 404, 200, 200)
PEOPLE_OWN = E(302, 200, 200, 200, 404, 200)  # pages naming people: the viewer gets 404
PEOPLE_IN = E(302, 200, 200, 200, 404, 404)
PEOPLE_OUT = E(302, 200, 404, 404, 404, 200)
RECORDS_OWN = E(302, 200, 200, 403, 404, 403)  # committee staff's work: a cell secretary gets 403
RECORDS_IN = E(302, 200, 200, 403, 404, 403)
RECORDS_OUT = E(302, 200, 404, 403, 404, 403)
REFUSED_IN = E(302, 400, 400, 403, 404, 403)  # an empty form to a records page: sent back (400)
POST_ONLY = E(302, 405, 405, 405, 405, 405)  # a GET to a view that takes POST only
EMPTY_FORM_PEOPLE = E(302, 400, 400, 400, 404, 400)
# Reorganisations: committee staff only; every other role may not know the pages (404).
REORG_OWN = E(302, 200, 200, 404, 404, 404)
REORG_OUT = E(302, 200, 404, 404, 404, 404)
REORG_EMPTY = E(302, 400, 400, 404, 404, 404)
# The back office: staff accounts only; every persona but the superuser goes to its login page.
ADMIN = "/admin/login/"
STAFF_ONLY = E(302, 302, 302, 302, 302, 302, admin=200)

DAY = "2025-06-30"  # a past day the demo's tree has (the demo's last day is 27/11/2026)

MATRIX: dict[str, list[Case]] = {
    # --- the overview -------------------------------------------------------------------------
    "overview": [
        get("own", ANYONE),
        get("date", ANYONE, query={"date": DAY}),
        get("date=junk", ANYONE, query={"date": "31/02/2025"}),  # today's figures, and the page says why
    ],
    "unit": [
        get("in", FIGURES_IN, unit_id="unit.chibo"),
        get("coso", E(302, 200, 200, 404, 200, 404), unit_id="unit.coso"),
        get("out", FIGURES_OUT, unit_id="unit.out"),
        get("out date", FIGURES_OUT, unit_id="unit.out", query={"date": DAY}),
    ],
    # --- members -------------------------------------------------------------------------------
    "member_list": [
        get("own", PEOPLE_OWN),
        get("unit=in", PEOPLE_IN, query={"unit": "unit.chibo"}),
        get("unit=out", PEOPLE_OUT, query={"unit": "unit.out"}),
        get("date", PEOPLE_OWN, query={"date": DAY}),
        get("unit=junk", PEOPLE_OWN, query={"unit": "abc"}),  # not an id: the whole scope
    ],
    "member_detail": [
        get("in", PEOPLE_IN, member_id="member.in"),
        get("out", PEOPLE_OUT, member_id="member.out"),
        get("in date", PEOPLE_IN, member_id="member.in", query={"date": DAY}),
        # A member who left chibo's cell for another committee: read-only, as far as they knew them.
        get("former", PEOPLE_IN, member_id="member.former"),
    ],
    "member_edit": [
        get("in", RECORDS_IN, member_id="member.in"),
        get("out", RECORDS_OUT, member_id="member.out"),
        post("in", REFUSED_IN, member_id="member.in"),
        post("out", E(302, 400, 404, 403, 404, 403), member_id="member.out"),
        # No longer coso's to edit: the page says so at once (400), even to a GET.
        get("former", E(302, 200, 400, 403, 404, 403), member_id="member.former"),
        post("former", REFUSED_IN, member_id="member.former"),
    ],
    "member_arrival": [
        get("own", RECORDS_OWN),
        post("own", REFUSED_IN),
    ],
    "member_sheet": [
        get("in", PEOPLE_IN, member_id="member.in"),
        get("out", PEOPLE_OUT, member_id="member.out"),
        get("former", PEOPLE_IN, member_id="member.former"),
    ],
    "register": [
        get("own", PEOPLE_OWN),
        get("unit=in", PEOPLE_IN, query={"unit": "unit.chibo"}),
        get("unit=out", PEOPLE_OUT, query={"unit": "unit.out"}),
        get("unit=in date", PEOPLE_IN, query={"unit": "unit.chibo", "date": DAY}),
    ],
    "badges": [
        get("own", PEOPLE_OWN),
        get("unit=out", PEOPLE_OUT, query={"unit": "unit.out"}),
        get("unit=in xlsx", PEOPLE_IN, query={"unit": "unit.chibo", "xuat": "xlsx"}),
        get("occasion", PEOPLE_OWN, query={"dip": "03/02/2027"}),
    ],
    "quality": [
        get("own", ANYONE),
        get("unit=in", FIGURES_IN, query={"unit": "unit.chibo"}),
        get("unit=out", FIGURES_OUT, query={"unit": "unit.out"}),
        get("date", ANYONE, query={"date": DAY}),
    ],
    "quality_list": [
        get("own", PEOPLE_OWN, query={"check": "any"}),
        get("unit=out", PEOPLE_OUT, query={"check": "any", "unit": "unit.out"}),
        get("unknown check", E(302, 404, 404, 404, 404, 404), query={"check": "no-such-check"}),
    ],
    "quality_download": [
        get("unit=in", PEOPLE_IN, query={"check": "any", "unit": "unit.chibo"}),
        get("unit=out", PEOPLE_OUT, query={"check": "any", "unit": "unit.out"}),
    ],
    "export": [
        get("own", PEOPLE_OWN),
        get("unit=out", PEOPLE_OUT, query={"unit": "unit.out"}),
    ],
    "export_download": [
        get("unit=in", PEOPLE_IN, query={"unit": "unit.chibo"}),
        get("unit=out", PEOPLE_OUT, query={"unit": "unit.out"}),
        get("unit=in date", PEOPLE_IN, query={"unit": "unit.chibo", "date": DAY}),
        # A date that is not one: back to the page that says so, never a file of another day.
        get("bad date", E(302, 302, 302, 302, 404, 302), query={"unit": "unit.chibo", "date": "31/02/2025"}),
    ],
    "import_template": [get("own", RECORDS_OWN)],
    # --- reorganisations (sắp xếp tổ chức) -----------------------------------------------------------
    "reorg": [get("own", REORG_OWN)],
    "reorg_merge": [get("own", REORG_OWN), post("empty", REORG_EMPTY)],
    "reorg_rename": [get("own", REORG_OWN), post("empty", REORG_EMPTY)],
    "reorg_move": [get("own", REORG_OWN), post("empty", REORG_EMPTY)],
    "reorg_dissolve": [get("own", REORG_OWN), post("empty", REORG_EMPTY)],
    "reorg_split": [
        get("own", REORG_OWN),
        get("unit=in", REORG_OWN, query={"unit": "unit.chibo"}),
        get("unit=out", REORG_OUT, query={"unit": "unit.out"}),
        post("unit=in", REORG_EMPTY, query={"unit": "unit.chibo"}),
    ],
    "reorg_transfer": [
        get("own", REORG_OWN),
        get("cell=in", REORG_OWN, query={"cell": "unit.chibo"}),
        get("cell=out", REORG_OUT, query={"cell": "unit.out"}),
        post("cell=in", REORG_EMPTY, query={"cell": "unit.chibo"}),
    ],
    # --- membership events ----------------------------------------------------------------------
    "event_new": [
        get("in", RECORDS_IN, member_id="member.in", kind="transfer_within"),
        get("out", RECORDS_OUT, member_id="member.out", kind="transfer_within"),
        get("in unknown kind", E(302, 404, 404, 403, 404, 403), member_id="member.in", kind="no-such-kind"),
        get("former", E(302, 200, 400, 403, 404, 403), member_id="member.former", kind="transfer_within"),
        post("in", REFUSED_IN, member_id="member.in", kind="transfer_within"),
        post("out", E(302, 400, 404, 403, 404, 403), member_id="member.out", kind="transfer_within"),
    ],
    "event_ceremony": [
        get("in", POST_ONLY, member_id="member.in"),
        post("in", E(302, 302, 302, 403, 404, 403), member_id="member.in"),
        post("out", E(302, 302, 404, 403, 404, 403), member_id="member.out"),
    ],
    "event_cancel": [
        get("in", POST_ONLY, member_id="member.in"),
        post("in", E(302, 302, 302, 403, 404, 403), member_id="member.in"),
        post("out", E(302, 302, 404, 403, 404, 403), member_id="member.out"),
    ],
    "event_scan": [
        get("in", PEOPLE_IN, event_id="scan.in"),
        get("out", PEOPLE_OUT, event_id="scan.out"),
    ],
    # --- admissions -------------------------------------------------------------------------------
    "pipeline": [get("own", PEOPLE_OWN)],
    "candidate_new": [
        get("own", PEOPLE_OWN),
        post("own", EMPTY_FORM_PEOPLE),
    ],
    "candidate": [
        get("in", PEOPLE_IN, candidate_id="candidate.in"),
        get("out", E(302, 200, 404, 404, 404, 404), candidate_id="candidate.out"),
        post("in", E(302, 400, 400, 400, 404, 404), candidate_id="candidate.in"),
    ],
    "candidate_admit": [
        # A GET leads back to the candidate's page, for those who may admit.
        get("in", E(302, 302, 302, 403, 404, 403), candidate_id="candidate.in"),
        get("out", E(302, 302, 404, 403, 404, 403), candidate_id="candidate.out"),
        post("in", REFUSED_IN, candidate_id="candidate.in"),
    ],
    # --- meetings ---------------------------------------------------------------------------------
    "meeting_list": [
        get("own", PEOPLE_OWN),
        # The cell filter only narrows the scope's own meetings: nothing to refuse.
        get("cell=out", PEOPLE_OWN, query={"cell": "unit.out"}),
        get("month", PEOPLE_OWN, query={"month": "2025-06"}),
    ],
    "meeting_new": [
        get("own", PEOPLE_OWN),
        get("cell=in", PEOPLE_OWN, query={"cell": "unit.chibo"}),
        post("own", EMPTY_FORM_PEOPLE),
    ],
    "meeting_compliance": [
        get("own", ANYONE),
        get("unit=in", FIGURES_IN, query={"unit": "unit.chibo"}),
        get("unit=out", FIGURES_OUT, query={"unit": "unit.out"}),
        get("months", ANYONE, query={"from": "2025-01", "to": "2025-06"}),
        get("months=junk", ANYONE, query={"from": "abc", "to": "2025-13"}),
        get("unit=junk", ANYONE, query={"unit": "abc"}),
    ],
    "cell_attendance": [
        get("in", PEOPLE_IN, unit_id="unit.chibo"),
        get("out", PEOPLE_OUT, unit_id="unit.out"),
        get("in months", PEOPLE_IN, unit_id="unit.chibo", query={"from": "2025-01", "to": "2025-06"}),
    ],
    "meeting": [
        get("in", PEOPLE_IN, meeting_id="meeting.in"),
        get("out", PEOPLE_OUT, meeting_id="meeting.out"),
    ],
    "meeting_plan": [
        get("in", PEOPLE_IN, meeting_id="meeting.in"),
        get("out", PEOPLE_OUT, meeting_id="meeting.out"),
        post("in", E(302, 400, 400, 400, 404, 404), meeting_id="meeting.in"),
    ],
    "meeting_minutes": [
        get("in", PEOPLE_IN, meeting_id="meeting.in"),
        get("out", PEOPLE_OUT, meeting_id="meeting.out"),
        get("in day", PEOPLE_IN, meeting_id="meeting.in", query={"ngay": "01/06/2025"}),
        post("in", E(302, 400, 400, 400, 404, 404), meeting_id="meeting.in"),
    ],
    "minutes_page": [
        get("in", PEOPLE_IN, meeting_id="meeting.in"),
        get("out", PEOPLE_OUT, meeting_id="meeting.out"),
    ],
    "minutes_word": [
        get("in", PEOPLE_IN, meeting_id="meeting.in"),
        get("out", PEOPLE_OUT, meeting_id="meeting.out"),
    ],
    "material_upload": [
        get("in", POST_ONLY, meeting_id="meeting.in"),
        # No file: the meeting's page comes back with the message.
        post("in", E(302, 302, 302, 302, 404, 404), meeting_id="meeting.in"),
        post("out", E(302, 302, 404, 404, 404, 302), meeting_id="meeting.out"),
    ],
    "meeting_delete": [
        get("in", POST_ONLY, meeting_id="meeting.in"),
        # Not confirmed: back to the meeting, nothing deleted.
        post("in", E(302, 302, 302, 302, 404, 404), meeting_id="meeting.in"),
        post("out", E(302, 302, 404, 404, 404, 302), meeting_id="meeting.out"),
    ],
    "material": [
        get("in", PEOPLE_IN, material_id="material.in"),
        get("out", PEOPLE_OUT, material_id="material.out"),
    ],
    # --- ratings ----------------------------------------------------------------------------------
    "ratings": [
        get("own", ANYONE),
        get("year", ANYONE, query={"nam": "2024"}),
        get("xlsx", ANYONE, query={"xlsx": "1"}),
    ],
    "rating_rounds": [
        get("own", PEOPLE_OWN),
        # Rounds are set up by the staff of the top committee only.
        post("own", E(302, 400, 403, 403, 404, 403)),
    ],
    "rating_round": [
        get("own", PEOPLE_OWN, period_id="period.last"),
        # Another grassroots organisation than one's own falls back to one's own: nothing shown.
        get("tccs=out", PEOPLE_OWN, period_id="period.last", query={"tccs": "committee.out"}),
        get("chibo=out", PEOPLE_OWN, period_id="period.last", query={"chibo": "unit.out"}),
        # A decision with nothing chosen: refused with its message (400); a cell only proposes.
        post("decide", E(302, 400, 400, 403, 404, 403), period_id="period.last", data={"action": "decide"}),
    ],
    "disciplines": [
        get("own", PEOPLE_OWN),
        get("member=in", PEOPLE_IN, query={"dang-vien": "member.in"}),
        get("member=out", PEOPLE_OUT, query={"dang-vien": "member.out"}),
        post("record", REFUSED_IN, data={"action": "record"}),
    ],
    # --- targets ----------------------------------------------------------------------------------
    "targets": [
        get("own", ANYONE),
        get("unit=in", FIGURES_IN, query={"unit": "unit.chibo"}),
        get("unit=out", FIGURES_OUT, query={"unit": "unit.out"}),
        get("date", ANYONE, query={"date": DAY}),
        get("unit=junk", E(302, 404, 404, 404, 404, 404), query={"unit": "abc"}),  # a unit asked that is none: 404
    ],
    "target": [
        # The root's resolution governs every unit without one of its own: all read it.
        get("root", ANYONE, target_id="target.root"),
        # A target is read for a unit (the persona's own by default) on a day its term runs: coso's
        # resolution of the term that ended in 2025 governed coso and chibo; the root's view (khoi,
        # xem) is of the root's own resolution, so another committee's target is 404 there.
        get("in date", E(302, 404, 200, 200, 404, 404), target_id="target.in", query={"date": DAY}),
        get(
            "in unit=coso date",
            E(302, 200, 200, 404, 200, 404),
            target_id="target.in",
            query={"unit": "unit.coso", "date": DAY},
        ),
        get(
            "in unit=in date",
            E(302, 200, 200, 200, 200, 404),
            target_id="target.in",
            query={"unit": "unit.chibo", "date": DAY},
        ),
        get("in today", E(302, 404, 404, 404, 404, 404), target_id="target.in"),  # its term has ended
        get("out date", E(302, 404, 404, 404, 404, 200), target_id="target.out", query={"date": DAY}),
        get(
            "out unit=out date",
            E(302, 200, 404, 404, 200, 404),
            target_id="target.out",
            query={"unit": "committee.out", "date": DAY},
        ),
        # A value entered by hand: the root committee's staff; the viewer reads the target (403); on
        # that day coso's and the outsider's committees had resolutions of their own (404).
        post("manual", E(302, 400, 404, 404, 403, 404), target_id="target.manual", query={"date": DAY}),
    ],
    "evidence": [
        # The evidence of a committee's figure: for those who see that committee's whole subtree.
        get("in", E(302, 200, 200, 404, 200, 404), value_id="evidence.in"),
        get("out", E(302, 200, 404, 404, 200, 404), value_id="evidence.out"),
    ],
    "registrations": [
        get("own", ANYONE),
        post("add", E(302, 400, 400, 403, 403, 403), data={"action": "add"}),
    ],
    # --- tasks ------------------------------------------------------------------------------------
    "tasks": [
        get("own", PEOPLE_OWN),
        get("all", PEOPLE_OWN, query={"xem": "tat-ca"}),
        get("deadline", PEOPLE_OWN, query={"han": "2026-12-31"}),
    ],
    "task_new": [
        get("own", PEOPLE_OWN),
        post("own", EMPTY_FORM_PEOPLE),
    ],
    "task_board": [
        get("own", PEOPLE_OWN),
        get("unit=in", PEOPLE_IN, query={"unit": "unit.chibo"}),
        get("unit=out", PEOPLE_OUT, query={"unit": "unit.out"}),
        get("unit=junk", E(302, 404, 404, 404, 404, 404), query={"unit": "abc"}),
    ],
    "task_calendar": [
        get("own", PEOPLE_OWN),
        get("month", PEOPLE_OWN, query={"thang": "2026-12"}),
    ],
    "task_statistics": [
        get("own", ANYONE),
        get("unit=in", FIGURES_IN, query={"unit": "unit.chibo"}),
        get("unit=out", FIGURES_OUT, query={"unit": "unit.out"}),
        get("dates", ANYONE, query={"from": "2025-01-01", "to": "2025-12-31"}),
        get("dates=junk", ANYONE, query={"from": "abc", "to": "31/02/2025"}),
        get("unit=junk", E(302, 404, 404, 404, 404, 404), query={"unit": "abc"}),
    ],
    "task": [
        get("in", PEOPLE_IN, task_id="task.in"),
        get("out", E(302, 200, 404, 404, 404, 404), task_id="task.out"),
        # Progress is reported by the responsible unit (chibo's cell); others who see the task: 403.
        post("progress", E(302, 403, 403, 400, 404, 404), task_id="task.in", data={"action": "progress"}),
    ],
    "task_attachment": [
        get("in", PEOPLE_IN, update_id="attachment.in"),
        get("out", E(302, 200, 404, 404, 404, 404), update_id="attachment.out"),
    ],
    # --- reports ----------------------------------------------------------------------------------
    "reports": [get("own", ANYONE)],
    "report_open": [
        get("own", POST_ONLY),  # the list's form posts here
        post("own", E(302, 302, 302, 302, 404, 302)),  # no type chosen: back with the message
    ],
    "report_board": [
        get("own", ANYONE),
        get("unit=in", FIGURES_IN, query={"unit": "unit.chibo"}),
        get("unit=out", FIGURES_OUT, query={"unit": "unit.out"}),
        get("unit=junk", E(302, 404, 404, 404, 404, 404), query={"unit": "abc"}),
    ],
    "report_request_new": [
        get("own", E(302, 200, 200, 200, 404, 200)),
        post("own", E(302, 200, 200, 200, 404, 200)),  # the form comes back with its errors
    ],
    "report": [
        # Coso's report, sent: its unit and the committees above (a cell below does not see it).
        get("in", E(302, 200, 200, 404, 200, 404), report_id="report.in"),
        get("out", E(302, 200, 404, 404, 200, 404), report_id="report.out"),
        # A draft is its unit's business.
        get("draft", E(302, 404, 200, 404, 404, 404), report_id="report.draft"),
        post("draft save", E(302, 404, 302, 404, 404, 404), report_id="report.draft", data={"action": "save"}),
        post("in save", E(302, 404, 404, 404, 404, 404), report_id="report.in", data={"action": "save"}),
    ],
    "report_word": [
        get("in", E(302, 200, 200, 404, 200, 404), report_id="report.in"),
        get("out", E(302, 200, 404, 404, 200, 404), report_id="report.out"),
    ],
    "report_pdf": [
        # Without LibreOffice on the machine the page comes back with the message (302); see the test.
        get("in", E(302, "pdf", "pdf", 404, "pdf", 404), report_id="report.in"),
        get("out", E(302, "pdf", 404, 404, "pdf", 404), report_id="report.out"),
    ],
    "report_excel": [
        get("in", E(302, 200, 200, 404, 200, 404), report_id="report.in"),
        get("out", E(302, 200, 404, 404, 200, 404), report_id="report.out"),
    ],
    # --- import ------------------------------------------------------------------------------------
    "import": [
        get("own", RECORDS_OWN),
        post("own", E(302, 200, 200, 403, 404, 403)),  # no file: the page says so
    ],
    "import_batch": [
        # A batch is its creator's: coso's own (in), khoi's (out).
        get("in", E(302, 404, 200, 403, 404, 403), batch_id="batch.in"),
        get("out", E(302, 200, 404, 403, 404, 403), batch_id="batch.out"),
    ],
    "import_example": [get("own", RECORDS_OWN)],
    # --- notifications, accounts, signing in ----------------------------------------------------------
    "notifications": [
        get("own", ANYONE),
        post("own", E(302, 302, 302, 302, 302, 302)),  # mark all read
    ],
    "accounts": [
        get("own", RECORDS_OWN),
        get("unit=out", RECORDS_OWN, query={"unit": "unit.out"}),  # a filter outside the scope is ignored
    ],
    "accounts_bulk": [
        get("own", RECORDS_OWN),
        post("own", E(302, 200, 200, 403, 404, 403)),  # no unit chosen: the page says so
    ],
    "accounts_issued": [
        get("own key", RECORDS_OWN, key="issued.own"),
        get("other key", RECORDS_OWN, key="issued.other"),  # says they can no longer be shown
    ],
    "accounts_issued_xlsx": [
        get("own key", RECORDS_OWN, key="issued.own"),
        get("other key", E(302, 302, 302, 403, 404, 403), key="issued.other"),
    ],
    "account_disable": [
        get("in", POST_ONLY, user_id="account.in"),
        post("in", E(302, 302, 302, 403, 404, 403), user_id="account.in"),
        post("out", E(302, 302, 404, 403, 404, 403), user_id="account.out"),
    ],
    "account_enable": [
        get("in", POST_ONLY, user_id="account.in"),
        post("in", E(302, 302, 302, 403, 404, 403), user_id="account.in"),
        post("out", E(302, 302, 404, 403, 404, 403), user_id="account.out"),
    ],
    "account_reset": [
        get("in", POST_ONLY, user_id="account.in"),
        post("in", E(302, 302, 302, 403, 404, 403), user_id="account.in"),
        post("out", E(302, 302, 404, 403, 404, 403), user_id="account.out"),
    ],
    "password_change": [
        get("own", ANYONE),
        post("own", ANYONE),  # the form comes back with its errors
    ],
    "sessions_end": [
        get("own", POST_ONLY),
        post("own", E(302, 302, 302, 302, 302, 302)),  # every other session ends; back to the page
    ],
    # --- two-step sign-in (accounts.two_factor_views): one's own account, whatever the role ----------
    "account_security": [get("own", ANYONE)],
    "two_factor_enroll": [
        get("own", ANYONE),  # the QR code to scan
        post("own", ANYONE),  # no code typed: the form comes back with its error
    ],
    "two_factor_disable": [
        get("own", POST_ONLY),
        post("own", E(302, 302, 302, 302, 302, 302)),  # nothing to turn off: back with a message
    ],
    "two_factor_codes": [get("own", ANYONE)],  # no new codes to show: the page says so
    "two_factor_codes_new": [
        get("own", POST_ONLY),
        post("own", E(302, 302, 302, 302, 302, 302)),  # two-step sign-in is off: back with a message
    ],
    "two_factor_verify": [
        get("own", E(302, 302, 302, 302, 302, 302)),  # a session owing no code is sent on
    ],
    "account_two_factor_reset": [
        get("in", POST_ONLY, user_id="account.in"),
        post("in", E(302, 302, 302, 403, 404, 403), user_id="account.in"),
        post("out", E(302, 302, 404, 403, 404, 403), user_id="account.out"),
    ],
    # --- the audit trail (audit.views): committee staff, within their scope -------------------------
    "audit": [
        get("own", RECORDS_OWN),
        get("unit=in", RECORDS_IN, query={"unit": "unit.chibo"}),
        get("unit=out", RECORDS_OWN, query={"unit": "unit.out"}),  # a filter outside the scope is ignored
        get("member=in", RECORDS_IN, query={"member": "member.in"}),
        get("member=out", RECORDS_OWN, query={"member": "member.out"}),  # the scope's entries of them: none
        get("date", RECORDS_OWN, query={"from": "2026-01-01", "to": "31/02/2026"}),
    ],
    "audit_export": [
        get("own", RECORDS_OWN),
        get("unit=in", RECORDS_IN, query={"unit": "unit.chibo"}),
        get("unit=out", RECORDS_OWN, query={"unit": "unit.out"}),  # ignored, as on the page
    ],
    "login": [
        get("own", E(200, 302, 302, 302, 302, 302)),  # signed in: on to the home page
        post("own", E(200, 302, 302, 302, 302, 302)),
    ],
    "logout": [
        get("own", E(405, 405, 405, 405, 405, 405)),
        post("own", E(302, 302, 302, 302, 302, 302)),
    ],
    # --- the back office (see ADMIN_MODELS for the models' pages) -----------------------------------
    "admin:index": [get("own", STAFF_ONLY, login=ADMIN)],
    "admin:login": [get("own", E(200, 200, 200, 200, 200, 200, admin=302), login=ADMIN)],
    "admin:password_change": [get("own", STAFF_ONLY, login=ADMIN)],
    "admin:password_change_done": [get("own", STAFF_ONLY, login=ADMIN)],
    "admin:jsi18n": [get("own", STAFF_ONLY, login=ADMIN)],
    "admin:app_list": [get("orgs", STAFF_ONLY, login=ADMIN, app_label="orgs")],
    "admin:orgs_unit_changelist": [get("own", STAFF_ONLY, login=ADMIN)],
    "admin:orgs_unit_add": [get("own", STAFF_ONLY, login=ADMIN)],
    "admin:orgs_unit_change": [get("in", STAFF_ONLY, login=ADMIN, object_id="unit.chibo")],
    "admin:orgs_unit_history": [get("in", STAFF_ONLY, login=ADMIN, object_id="unit.chibo")],
    # Units are never deleted (they are dissolved, with their history): 403 for the superuser too.
    "admin:orgs_unit_delete": [
        get("in", E(302, 302, 302, 302, 302, 302, admin=403), login=ADMIN, object_id="unit.chibo")
    ],
    "admin:members_member_change": [get("in", STAFF_ONLY, login=ADMIN, object_id="member.in")],
    "admin:accounts_user_change": [get("in", STAFF_ONLY, login=ADMIN, object_id="account.in")],
    "admin:auth_user_password_change": [get("in", STAFF_ONLY, login=ADMIN, id="account.in")],
}

# Every model of the admin site. Its changelist is requested for anonymous, khoi and the superuser;
# its other pages take the same decision (AdminSite.admin_view) and are requested for orgs.unit
# (and a change page of a member and of an account) above.
ADMIN_MODELS = {
    "accounts.loginthrottle", "accounts.user", "audit.auditentry", "auth.group", "meetings.meeting",
    "members.event", "members.member", "notices.notification", "orgs.term", "orgs.unit",
    "orgs.succession", "orgs.unitform", "orgs.unitversion",
    "ratings.discipline", "ratings.memberrating", "ratings.ratingperiod", "ratings.unitrating",
    "reports.adhocrequest", "reports.letterhead", "reports.report", "reports.reporttype", "reports.schedule",
    "targets.manualvalue", "targets.modelregistration", "targets.resolution", "tasks.extension", "tasks.task",
    "tasks.taskupdate", "workdays.calendarday",
}  # fmt: skip
ADMIN_CHANGELIST = E(302, 302, None, None, None, None, admin=200)

# Admin patterns not requested, and why.
ADMIN_NOT_REQUESTED = {
    # Signing out of the back office takes POST; a GET from anyone not signed in as staff goes to
    # the admin's index, and the session's own logout is /dang-xuat/ (requested above).
    "admin:logout": "sign-out of the back office: POST only, no data behind it",
    "admin:autocomplete": "the admin's search of related objects: same staff check, needs a model's field",
    "admin:view_on_site": "a redirect to an object's own page: same staff check",
    "admin/(?P<url>.*)$": "the admin's catch-all: answers 404 or a redirect to its login",
}
